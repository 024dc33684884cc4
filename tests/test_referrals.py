"""Referrals: registering (with the duplicate check), the work queue, first-contact attempts,
planning the intake, and what the participant page gets from all that."""

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.admin.models import Location
from app.audit.models import AuditEvent
from app.core import events
from app.participants.models import Consent, Participant, Trajectory
from app.participants.timeline import next_due, timeline
from app.partners.models import Partner
from app.referrals.models import ContactAttempt, Referral
from app.referrals.service import log_contact_attempt

from . import factories

# Wednesday 25 November 2026, 10:00 in Amsterdam (UTC+1 in winter).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def emitted():
    """Trajectory events emitted during the test, as (event, trajectory id, context)."""
    seen = []

    def recorder(event, trajectory, now, **context):
        seen.append((event, trajectory.id, context))

    events.subscribe(recorder)
    yield seen
    events._subscribers.remove(recorder)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def html_of(response) -> str:
    return response.get_data(as_text=True)


def referral_form(location, **overrides) -> dict:
    data = {
        "first_name": "Fatima", "last_name": "El Amrani", "phone": "06-12345678",
        "email": "", "preferred_channel": "phone", "birth_year": "1985",
        "language_background": "nt2", "native_language": "Arabisch",
        "other_languages": "Frans", "found_via": "verwijzer",
        "location_id": str(location.id), "partner_id": "0", "partner_contact_id": "0",
        "referrer_name": "", "referrer_phone": "", "referrer_email": "",
        "question": "Wil brieven van de gemeente kunnen lezen.", "channel": "phone",
        "referred_on": TODAY.isoformat(), "best_moment": "dinsdagochtend",
        "share_with_referrer": "no", "consent_method": "verbal", "processing_consent": "y",
    }
    data.update(overrides)
    return data


def participant_id_from(response) -> int:
    match = re.fullmatch(r"/deelnemers/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


# --- Registering ---------------------------------------------------------------------------

def test_register_referral_creates_person_trajectory_referral_and_consents(
        client, auth, db, frozen, emitted):
    staff = auth.as_role("staff")
    location = staff.locations[0]
    uwv = factories.partner("UWV Utrecht", kind="uwv")
    contact = factories.partner_contact(uwv, name="Joris Bakker")
    db.session.commit()

    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        location, partner_id=str(uwv.id), partner_contact_id=str(contact.id),
        share_with_referrer="yes", consent_method="paper", phone="+31 6 1234 5678"))

    assert response.status_code == 302
    participant = db.session.get(Participant, participant_id_from(response))
    assert participant.full_name == "Fatima El Amrani"
    assert participant.phone_normalised == "0612345678"
    assert participant.birth_year == 1985
    assert participant.language_background == "nt2"
    trajectory = participant.trajectories[0]
    assert trajectory.status == "referred"
    assert trajectory.location_id == location.id
    assert trajectory.owner_id is None  # staff leave it to the coordinator
    referral = trajectory.referral
    assert referral.partner_id == uwv.id and referral.partner_contact_id == contact.id
    assert referral.result == "pending"
    assert referral.first_contact_due == date(2026, 12, 2)  # 5 working days
    assert referral.created_by_id == staff.id
    consents = {c.kind: c for c in participant.consents}
    assert consents["processing"].given is True
    assert consents["share_with_referrer"].given is True
    assert consents["share_with_referrer"].method == "paper"
    assert consents["processing"].recorded_by_id == staff.id
    assert ("referral_registered", trajectory.id, {}) in emitted
    audit = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "referral", AuditEvent.action == "create")).one()
    assert audit.participant_id == participant.id and audit.user_id == staff.id


@pytest.mark.parametrize(("referred_on", "due"), [
    (date(2026, 11, 23), date(2026, 11, 30)),  # plain week: Monday to Monday
    (date(2026, 12, 23), date(2026, 12, 31)),  # skips Christmas (25 and 26 December)
    (date(2026, 12, 24), date(2027, 1, 4)),    # skips Christmas and New Year's Day
    (date(2027, 4, 22), date(2027, 4, 30)),    # skips King's Day (Tuesday 27 April)
])
def test_first_contact_due_skips_weekends_and_dutch_holidays(client, auth, db, referred_on,
                                                             due):
    with time_machine.travel(datetime.combine(referred_on, datetime.min.time(), UTC)
                             + timedelta(hours=12), tick=False):
        staff = auth.as_role("staff")
        response = client.post("/aanmeldingen/nieuw", data=referral_form(
            staff.locations[0], referred_on=referred_on.isoformat()))
    assert response.status_code == 302
    referral = db.session.scalars(sa.select(Referral)).one()
    assert referral.referred_on == referred_on
    assert referral.first_contact_due == due


def test_coordinator_who_registers_owns_the_trajectory(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    response = client.post("/aanmeldingen/nieuw",
                           data=referral_form(coordinator.locations[0]))
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Trajectory)).one().owner_id == coordinator.id


def test_walk_in_without_partner_and_with_free_text_referrer(client, auth, db, frozen):
    staff = auth.as_role("staff")
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], referrer_name="Buurvrouw Ans", referrer_phone="06 98765432",
        channel="desk", phone="", email="fatima@example.org"))
    assert response.status_code == 302
    referral = db.session.scalars(sa.select(Referral)).one()
    assert referral.partner_id is None
    assert referral.referrer_name == "Buurvrouw Ans"
    assert referral.channel == "desk"


def test_invalid_input_gives_dutch_messages_keeps_input_and_saves_nothing(
        client, auth, db, frozen):
    staff = auth.as_role("staff")
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], question="", birth_year="85", processing_consent="",
        referred_on="2026-12-01", phone="bel me", native_language="Tigrinya"))

    html = html_of(response)
    assert response.status_code == 200
    assert "Niet alles is goed ingevuld" in html
    assert "Schrijf kort op wat de persoon wil leren" in html
    assert "Vul het geboortejaar in met vier cijfers" in html
    assert "Zonder toestemming kunnen we de aanmelding niet opslaan" in html
    assert "kan niet in de toekomst liggen" in html
    assert "Dit lijkt geen telefoonnummer" in html
    assert 'value="Fatima"' in html and 'value="Tigrinya"' in html
    assert 'value="85"' in html
    for model in (Participant, Trajectory, Referral, Consent, ContactAttempt):
        assert count(db, model) == 0


def test_implausible_birth_year_and_missing_reach_are_refused(client, auth, db, frozen):
    staff = auth.as_role("staff")
    html = html_of(client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], birth_year="2020", phone="", email="")))
    assert "Dit geboortejaar kan niet kloppen" in html
    assert "Vul een telefoonnummer of e-mailadres in" in html
    assert count(db, Participant) == 0


def test_contact_person_of_another_partner_is_refused(client, auth, db, frozen):
    staff = auth.as_role("staff")
    uwv, gemeente = factories.partner("UWV"), factories.partner("Gemeente")
    contact = factories.partner_contact(gemeente)
    db.session.commit()
    html = html_of(client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], partner_id=str(uwv.id), partner_contact_id=str(contact.id))))
    assert "hoort niet bij de gekozen verwijzer" in html
    assert count(db, Referral) == 0


def test_sharing_with_a_referrer_needs_a_referrer(client, auth, db, frozen):
    staff = auth.as_role("staff")
    html = html_of(client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], share_with_referrer="yes")))
    assert "Er is geen verwijzer" in html
    assert count(db, Consent) == 0


def test_location_outside_the_users_locations_is_refused(client, auth, db, frozen):
    auth.as_role("staff")
    elsewhere = factories.location("Elders")
    db.session.commit()
    html = html_of(client.post("/aanmeldingen/nieuw",
                               data=referral_form(elsewhere)))
    assert "Kies een vestiging." in html
    assert count(db, Trajectory) == 0


def test_form_offers_only_own_locations_and_active_partners(client, auth, db, frozen):
    staff = auth.as_role("staff")
    factories.location("Bibliotheek Verweg")
    factories.partner("Actieve Partner")
    factories.partner("Oude Partner").active = False
    db.session.commit()
    html = html_of(client.get("/aanmeldingen/nieuw"))
    assert staff.locations[0].name in html
    assert "Bibliotheek Verweg" not in html
    assert "Actieve Partner" in html and "Oude Partner" not in html
    assert f'value="{TODAY.isoformat()}"' in html  # referral date defaults to today


# --- Duplicates ----------------------------------------------------------------------------

def _known_person(location, status="active", **kwargs):
    person = factories.participant("Fatima", "El Amrani", phone="06 1234 5678",
                                   birth_year=1985, **kwargs)
    factories.trajectory(person, location_obj=location, status=status)
    return person


def test_possible_duplicate_is_shown_and_nothing_saved(client, auth, db, frozen):
    staff = auth.as_role("staff")
    known = _known_person(staff.locations[0], status="ended")
    db.session.commit()

    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], first_name="fatima", last_name="EL AMRANI", birth_year="1990",
        question="Wil leren lezen"))

    html = html_of(response)
    assert response.status_code == 200
    assert "Is dit iemand die we al kennen?" in html
    assert "•••••••678" in html and "06 1234 5678" not in html  # the known number stays hidden
    assert "1985" in html and "Afgesloten" in html
    assert f'value="attach:{known.id}"' in html and 'value="new"' in html
    assert "Voeg toe aan deze persoon" in html and "Het is een ander persoon" in html
    assert 'value="fatima"' in html and "Wil leren lezen" in html
    assert count(db, Participant) == 1 and count(db, Trajectory) == 1
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.participant_id == known.id)) is not None


def test_same_name_with_other_phone_and_birth_year_is_no_duplicate(client, auth, db, frozen):
    staff = auth.as_role("staff")
    _known_person(staff.locations[0])
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], phone="06-99999999", birth_year="1970"))
    assert response.status_code == 302
    assert count(db, Participant) == 2


def test_other_person_choice_creates_a_new_participant(client, auth, db, frozen):
    staff = auth.as_role("staff")
    _known_person(staff.locations[0])
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw",
                           data=referral_form(staff.locations[0], decision="new"))
    assert response.status_code == 302
    assert count(db, Participant) == 2
    assert count(db, Trajectory) == 2


def test_attach_to_known_person_adds_a_trajectory_to_that_person(client, auth, db, frozen):
    staff = auth.as_role("staff")
    known = _known_person(staff.locations[0], status="ended", email=None)
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], decision=f"attach:{known.id}", email="fatima@example.org"))
    assert response.status_code == 302
    assert participant_id_from(response) == known.id
    assert count(db, Participant) == 1
    db.session.expire_all()
    assert [t.status for t in known.trajectories] == ["referred", "ended"]
    assert known.email == "fatima@example.org"  # a blank was filled in, nothing overwritten
    assert known.phone == "06 1234 5678"


def test_attach_is_refused_while_that_person_has_an_open_trajectory_here(
        client, auth, db, frozen):
    staff = auth.as_role("staff")
    known = _known_person(staff.locations[0], status="waiting")
    db.session.commit()
    warning = html_of(client.post("/aanmeldingen/nieuw",
                                  data=referral_form(staff.locations[0])))
    assert "Heeft al een open traject op deze vestiging" in warning
    assert f'value="attach:{known.id}"' not in warning  # only "look at it" is offered
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], decision=f"attach:{known.id}"))
    html = html_of(response)
    assert response.status_code == 200
    assert "heeft al een open traject" in html
    assert "Wacht op aanbod" in html
    assert f'href="/deelnemers/{known.id}"' in html
    assert count(db, Trajectory) == 1 and count(db, Referral) == 1


def test_duplicate_check_only_looks_at_people_the_user_may_see(client, auth, db, frozen):
    staff = auth.as_role("staff")
    elsewhere = _known_person(factories.location("Andere bieb"))
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(staff.locations[0]))
    assert response.status_code == 302  # no warning about someone from another location
    attach = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], decision=f"attach:{elsewhere.id}"))
    assert attach.status_code == 404


def test_names_with_html_are_shown_escaped(client, auth, db, frozen):
    staff = auth.as_role("staff")
    risky = referral_form(staff.locations[0], first_name="<script>alert(1)</script>",
                          last_name="<b>Bold</b>")
    assert client.post("/aanmeldingen/nieuw", data=risky).status_code == 302
    trajectory = db.session.scalars(sa.select(Trajectory)).one()
    pages = {
        "queue": client.get("/aanmeldingen/"),
        "contact page": client.get(f"/aanmeldingen/{trajectory.id}/contact"),
        "duplicate warning": client.post("/aanmeldingen/nieuw", data=risky),
    }
    for name, response in pages.items():
        html = html_of(response)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
        assert "<script>alert(1)</script>" not in html, name
        assert "<b>Bold</b>" not in html, name


# --- The work queue ------------------------------------------------------------------------

def _referred(location, name, due, status="referred", phone="06-11111111", partner=None):
    person = factories.participant(name, "Test", phone=phone)
    trajectory = factories.trajectory(person, location_obj=location, status=status,
                                      referred_on=due - timedelta(days=7))
    trajectory.referral.first_contact_due = due
    trajectory.referral.partner = partner
    return trajectory


def test_queue_puts_most_urgent_first_and_marks_overdue_and_today(client, auth, db, frozen):
    staff = auth.as_role("staff")
    here = staff.locations[0]
    uwv = factories.partner("UWV Utrecht")
    _referred(here, "Later", TODAY + timedelta(days=3))
    _referred(here, "Vandaagmens", TODAY, partner=uwv)
    _referred(here, "Telaat", TODAY - timedelta(days=3))
    _referred(here, "Gebeld", TODAY - timedelta(days=10), status="contacted")
    _referred(factories.location("Elders"), "Elders", TODAY - timedelta(days=20))
    db.session.commit()

    html = html_of(client.get("/aanmeldingen/"))
    assert html.index("Telaat") < html.index("Vandaagmens") < html.index("Later")
    assert "Gebeld" not in html and "Elders Test" not in html
    overdue_row = html[html.index("Telaat"):html.index("Vandaagmens")]
    assert 'class="badge badge-overdue"' in overdue_row and "Te laat" in overdue_row
    assert "3 dagen" in overdue_row
    today_row = html[html.index("Vandaagmens"):html.index("Later")]
    assert "badge-today" in today_row and "UWV Utrecht" in today_row
    assert "badge-overdue" not in html[html.index("Later"):]
    assert 'href="tel:0611111111"' in html

    contacted = html_of(client.get("/aanmeldingen/?lijst=contact"))
    assert "Gebeld" in contacted and "Telaat" not in contacted


def test_queue_filters_by_location(client, auth, db, frozen):
    north, south = factories.location("Noord"), factories.location("Zuid")
    staff = auth.as_role("staff", locations=[north, south])
    _referred(north, "Noordling", TODAY)
    _referred(south, "Zuidling", TODAY)
    db.session.commit()
    assert staff.location_ids == {north.id, south.id}
    both = html_of(client.get("/aanmeldingen/"))
    assert "Noordling" in both and "Zuidling" in both
    only_north = html_of(client.get(f"/aanmeldingen/?locatie={north.id}"))
    assert "Noordling" in only_north and "Zuidling" not in only_north


def test_queue_is_paginated(client, auth, db, frozen, app):
    staff = auth.as_role("staff")
    for n in range(app.config["PER_PAGE"] + 2):
        _referred(staff.locations[0], f"Persoon{n:02d}", TODAY + timedelta(days=n))
    db.session.commit()
    first = html_of(client.get("/aanmeldingen/"))
    assert "Persoon00" in first and "Persoon26" not in first
    assert "Pagina 1 van 2" in first
    second = html_of(client.get("/aanmeldingen/?page=2"))
    assert "Persoon26" in second and "Persoon00" not in second


@contextmanager
def counted_queries(db):
    statements = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


def test_queue_uses_the_same_number_of_queries_for_3_or_15_referrals(client, auth, db, frozen):
    staff = auth.as_role("staff")
    location_id, partner_id = staff.locations[0].id, factories.partner("Gemeente").id

    def add(n):
        location = db.session.get(Location, location_id)
        partner = db.session.get(Partner, partner_id)
        for i in range(n):
            t = _referred(location, f"P{i}", TODAY + timedelta(days=i), partner=partner)
            db.session.add(ContactAttempt(trajectory=t, at=NOW, reached=False,
                                          channel="phone"))
        db.session.commit()

    add(3)
    # Nothing cached in the shared session: each request loads what it shows.
    db.session.expunge_all()
    with counted_queries(db) as few:
        assert client.get("/aanmeldingen/").status_code == 200
    add(12)
    db.session.expunge_all()
    with counted_queries(db) as many:
        html = html_of(client.get("/aanmeldingen/"))
    assert html.count("Contact vastleggen") == 15
    assert len(many) == len(few), "\n\n".join(many)


# --- Contact attempts ----------------------------------------------------------------------

def _attempt(client, trajectory, **data):
    form = {"result": "not_reached", "channel": "phone", "note": "", "forwarded_to": ""}
    form.update(data)
    return client.post(f"/aanmeldingen/{trajectory.id}/contact", data=form)


def test_three_failed_attempts_make_a_referral_unreachable(client, auth, db, frozen,
                                                           emitted):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()

    for n in (1, 2):
        response = _attempt(client, trajectory, note=f"voicemail {n}")
        assert response.status_code == 302
        db.session.expire_all()
        assert trajectory.status == "referred"
    follow = client.get("/aanmeldingen/")
    assert "poging 2 van 3" in html_of(follow)

    _attempt(client, trajectory)
    db.session.expire_all()
    assert trajectory.status == "unreachable"
    assert trajectory.referral.result == "not_reached"
    assert trajectory.referral.result_on == TODAY
    assert trajectory.last_contact_at is None
    assert [e for e, tid, _ in emitted if tid == trajectory.id] == ["contact_failed"] * 3
    assert emitted[-1][2] == {"attempts": 3}
    unreachable = html_of(client.get("/aanmeldingen/?lijst=niet-bereikt"))
    assert "Ahmed" in unreachable
    assert count(db, ContactAttempt) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "contact_attempt")) == 3


def test_reached_makes_contacted_sets_last_contact_and_asks_to_plan(client, auth, db, frozen,
                                                                    emitted):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()

    response = _attempt(client, trajectory, result="reached", note="Blij met het telefoontje")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/aanmeldingen/{trajectory.id}/intake"
    db.session.expire_all()
    assert trajectory.status == "contacted"
    assert trajectory.last_contact_at == NOW
    assert trajectory.referral.result == "reached"
    assert trajectory.referral.result_on == TODAY
    assert ("contact_made", trajectory.id, {}) in emitted
    attempt = db.session.scalars(sa.select(ContactAttempt)).one()
    assert attempt.reached and attempt.by_id == staff.id
    assert attempt.note == "Blij met het telefoontje"


def test_later_success_brings_an_unreachable_referral_back(app, db, emitted):
    staff = factories.user("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    for hour in range(3):
        log_contact_attempt(trajectory, reached=False, channel="phone", note=None,
                            user=staff, now=NOW + timedelta(hours=hour))
    assert trajectory.status == "unreachable"
    log_contact_attempt(trajectory, reached=True, channel="whatsapp", note="Toch gelukt",
                        user=staff, now=NOW + timedelta(days=2))
    assert trajectory.status == "contacted"
    assert trajectory.referral.result == "reached"
    assert trajectory.last_contact_at == NOW + timedelta(days=2)
    assert [e for e, _tid, _c in emitted] == ["contact_failed"] * 3 + ["contact_made"]


@pytest.mark.parametrize("result", ["declined", "forwarded"])
def test_declined_or_forwarded_ends_the_trajectory(client, auth, db, frozen, emitted, result):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()
    response = _attempt(client, trajectory, result=result, forwarded_to="ROC Midden")
    assert response.status_code == 302
    db.session.expire_all()
    assert trajectory.status == "ended"
    assert trajectory.ended_on == TODAY
    assert trajectory.outcome == result
    assert trajectory.referral.result == result
    assert ("trajectory_ended", trajectory.id, {"outcome": result}) in emitted
    assert "contact_made" not in [e for e, _t, _c in emitted]
    page = html_of(client.get(f"/aanmeldingen/{trajectory.id}/contact"))
    assert "Dit traject is al verder of afgesloten" in page
    assert _attempt(client, trajectory).status_code == 302
    assert count(db, ContactAttempt) == 1


def test_forwarded_needs_where_to(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()
    html = html_of(_attempt(client, trajectory, result="forwarded", note="naar school"))
    assert "Schrijf op naar welke organisatie" in html
    assert "naar school" in html
    assert count(db, ContactAttempt) == 0


def test_contact_page_shows_what_is_needed_to_call(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    trajectory.referral.best_moment = "na 15.00 uur"
    db.session.commit()
    response = client.get(f"/aanmeldingen/{trajectory.id}/contact")
    html = html_of(response)
    assert response.status_code == 200
    assert 'href="tel:0611111111"' in html
    assert "na 15.00 uur" in html and "Beter lezen" in html
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.object_id == trajectory.id,
        AuditEvent.object_type == "trajectory")) is not None


# --- Planning the intake -------------------------------------------------------------------

def test_plan_intake_stores_utc_and_moves_status(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY, status="contacted")
    db.session.commit()
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data={"day": "2026-12-01", "time": "10:30"})
    assert response.status_code == 302
    db.session.expire_all()
    assert trajectory.status == "intake_planned"
    assert trajectory.intake_planned_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert trajectory.referral.intake_scheduled_at == NOW
    assert trajectory.referral.intake_scheduled_by_id == staff.id
    assert "gepland op" in html_of(client.get("/aanmeldingen/"))
    # Moving the intake: the form shows the planned moment in local time.
    html = html_of(client.get(f"/aanmeldingen/{trajectory.id}/intake"))
    assert 'value="2026-12-01"' in html and 'value="10:30"' in html


def test_planning_straight_from_the_queue_counts_as_first_contact(client, auth, db, frozen,
                                                                   emitted):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data={"day": "2026-11-26", "time": "14:00"})
    assert response.status_code == 302
    db.session.expire_all()
    assert trajectory.status == "intake_planned"
    assert trajectory.referral.result == "reached"
    assert trajectory.last_contact_at == NOW
    assert ("contact_made", trajectory.id, {}) in emitted
    queue = html_of(client.get("/aanmeldingen/"))
    assert "Intake met Ahmed Test gepland op donderdag 26 november om 14:00" in queue
    assert f"/aanmeldingen/{trajectory.id}/contact" not in queue  # off the call list


def test_intake_in_the_past_is_refused(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY, status="contacted")
    db.session.commit()
    # 09:30 local is 08:30 UTC: half an hour ago.
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data={"day": TODAY.isoformat(), "time": "09:30"})
    html = html_of(response)
    assert response.status_code == 200
    assert "Dit moment is al voorbij" in html
    db.session.expire_all()
    assert trajectory.status == "contacted" and trajectory.intake_planned_at is None


def test_plan_intake_needs_date_and_time(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY, status="contacted")
    db.session.commit()
    html = html_of(client.post(f"/aanmeldingen/{trajectory.id}/intake",
                               data={"day": "", "time": ""}))
    assert "Kies een datum." in html or "Ongeldige datum." in html
    db.session.expire_all()
    assert trajectory.status == "contacted"


# --- Who may do what ----------------------------------------------------------------------

@pytest.mark.parametrize("role", ["volunteer", "partner"])
@pytest.mark.parametrize("path", ["/aanmeldingen/", "/aanmeldingen/nieuw"])
def test_volunteers_and_partners_may_not_use_referrals(client, auth, role, path):
    auth.as_role(role)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_volunteers_and_partners_cannot_post_a_referral(client, auth, db, role, frozen):
    auth.as_role(role)
    location = factories.location()
    db.session.commit()
    assert client.post("/aanmeldingen/nieuw",
                       data=referral_form(location)).status_code == 403
    assert count(db, Participant) == 0


def test_staff_of_another_location_gets_404(client, auth, db, frozen):
    auth.as_role("staff")
    theirs = _referred(factories.location("Andere bieb"), "Ahmed", TODAY)
    db.session.commit()
    assert client.get(f"/aanmeldingen/{theirs.id}/contact").status_code == 404
    assert _attempt(client, theirs, result="reached").status_code == 404
    assert client.get(f"/aanmeldingen/{theirs.id}/intake").status_code == 404
    assert client.post(f"/aanmeldingen/{theirs.id}/intake",
                       data={"day": "2026-12-01", "time": "10:00"}).status_code == 404
    db.session.expire_all()
    assert theirs.status == "referred" and count(db, ContactAttempt) == 0


def test_admin_sees_every_location(client, auth, db, frozen):
    auth.as_role("admin")
    trajectory = _referred(factories.location("Ergens"), "Ahmed", TODAY)
    db.session.commit()
    assert "Ahmed" in html_of(client.get("/aanmeldingen/"))
    assert client.get(f"/aanmeldingen/{trajectory.id}/contact").status_code == 200


# --- Participant page: timeline and what is due -------------------------------------------

def test_timeline_and_due_items_for_the_participant_page(app, db):
    staff = factories.user("staff")
    partner_user = factories.user("partner")
    uwv = factories.partner("UWV")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY, partner=uwv)
    log_contact_attempt(trajectory, reached=False, channel="phone", note="voicemail",
                        user=staff, now=NOW)
    due = next_due([trajectory], staff)
    assert [(d.due_on, d.title) for d in due] == [(TODAY, "Eerste contact met de deelnemer")]

    log_contact_attempt(trajectory, reached=True, channel="phone", note="Gaat goed",
                        user=staff, now=NOW + timedelta(hours=2))
    from app.referrals.service import plan_intake

    plan_intake(trajectory, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff,
                NOW + timedelta(hours=3))
    items = timeline([trajectory], staff)
    titles = [i.title for i in items]
    assert titles == ["Intake gepland op dinsdag 1 december 2026 om 10:30",
                      "Gebeld: bereikt", "Gebeld: niet bereikt", "Aangemeld door UWV"]
    assert [i.detail for i in items][1:3] == ["Gaat goed", "voicemail"]
    assert [(d.due_on, d.title) for d in next_due([trajectory], staff)] == [
        (date(2026, 12, 1), "Intake om 10:30")]
    # A partner never sees notes.
    assert all(i.detail is None for i in timeline([trajectory], partner_user))


def test_timeline_names_walk_ins(app, db):
    staff = factories.user("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    assert [i.title for i in timeline([trajectory], staff)] == [
        "Aangemeld (zelfmelder/balie)"]


def test_participant_page_shows_the_referral_and_the_first_contact_due(client, auth, db,
                                                                        frozen):
    staff = auth.as_role("staff")
    uwv = factories.partner("UWV Utrecht")
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], partner_id=str(uwv.id)), follow_redirects=True)
    html = html_of(response)
    assert response.status_code == 200
    assert "De aanmelding van Fatima El Amrani is opgeslagen" in html
    assert "Aangemeld door UWV Utrecht" in html
    assert "Eerste contact met de deelnemer" in html
