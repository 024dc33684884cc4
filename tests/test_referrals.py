"""Referrals: registering (with the duplicate check), the work queue, first-contact attempts,
planning the intake, and what the participant page gets from all that."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.admin.models import Location
from app.audit.models import AuditEvent
from app.participants.models import Consent, Participant, Trajectory
from app.participants.timeline import next_due, timeline
from app.partners.models import Partner
from app.referrals.models import ContactAttempt, Referral
from app.referrals.service import log_contact_attempt

from . import factories

# Wednesday 25 November 2026, 10:00 in Amsterdam (UTC+1 in winter).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


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
    assert participant.phone == participant.phone_normalised == "+31612345678"
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
    assert consents["share_with_referrer"].referral_id == referral.id  # about UWV only
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
        staff.locations[0], referrer_name="Buurvrouw Ans", referrer_phone="06 58765432",
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
    assert "Dit is geen telefoonnummer. Schrijf het zo: 06 12345678" in html
    assert 'value="bel me"' in html
    assert 'value="Fatima"' in html and 'value="Tigrinya"' in html
    assert 'value="85"' in html
    for model in (Participant, Trajectory, Referral, Consent, ContactAttempt):
        assert factories.count(model) == 0


def test_implausible_birth_year_and_missing_reach_are_refused(client, auth, db, frozen):
    staff = auth.as_role("staff")
    html = html_of(client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], birth_year="2020", phone="", email="")))
    assert "Dit geboortejaar kan niet kloppen" in html
    assert "Vul een telefoonnummer of e-mailadres in" in html
    assert factories.count(Participant) == 0


def test_contact_person_of_another_partner_is_refused(client, auth, db, frozen):
    staff = auth.as_role("staff")
    uwv, gemeente = factories.partner("UWV"), factories.partner("Gemeente")
    contact = factories.partner_contact(gemeente)
    db.session.commit()
    html = html_of(client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], partner_id=str(uwv.id), partner_contact_id=str(contact.id))))
    assert "hoort niet bij de gekozen verwijzer" in html
    assert factories.count(Referral) == 0


def test_sharing_with_a_referrer_needs_a_referrer(client, auth, db, frozen):
    staff = auth.as_role("staff")
    html = html_of(client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], share_with_referrer="yes")))
    assert "Er is geen verwijzer" in html
    assert factories.count(Consent) == 0


def test_location_outside_the_users_locations_is_refused(client, auth, db, frozen):
    """The form never offers another location: one posted anyway is an edited form (404)."""
    auth.as_role("staff")
    elsewhere = factories.location("Elders")
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(elsewhere))
    assert response.status_code == 404
    assert factories.count(Trajectory) == 0


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


def test_phone_numbers_are_stored_e164_and_shown_the_dutch_way(client, auth, db, frozen):
    staff = auth.as_role("staff")
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], phone="(030) 123 45 67", referrer_name="Buurvrouw Ans",
        referrer_phone="+32 470 12 34 56"))
    assert response.status_code == 302
    participant = db.session.get(Participant, participant_id_from(response))
    assert participant.phone == "+31301234567"
    assert participant.trajectories[0].referral.referrer_phone == "+32470123456"
    html = html_of(client.get(f"/deelnemers/{participant.id}"))
    assert '<a href="tel:+31301234567">030 123 4567</a>' in html


@pytest.mark.parametrize("typed", ["--------", "abc", "06 1234"])
def test_what_cannot_be_a_phone_number_gets_the_dutch_error_and_keeps_the_input(
        client, auth, db, frozen, typed):
    staff = auth.as_role("staff")
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], phone=typed, referrer_phone=typed))
    html = html_of(response)
    assert response.status_code == 200
    for name in ("phone", "referrer_phone"):
        assert (f'<small id="{name}-error" class="field-error">Dit is geen telefoonnummer. '
                f'Schrijf het zo: 06 12345678</small>') in html
        assert f'name="{name}" type="tel" value="{typed}"' in html
    assert factories.count(Participant) == 0


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
    assert "•••••••678" in html  # the known number stays hidden: only the typed one is shown
    assert html.count("06 12345678") == 1 and "+31612345678" not in html
    assert "1985" in html and "Afgesloten" in html
    assert f'value="attach:{known.id}"' in html and 'value="new"' in html
    assert "Voeg toe aan deze persoon" in html and "Het is een ander persoon" in html
    assert 'value="fatima"' in html and "Wil leren lezen" in html
    assert factories.count(Participant) == 1 and factories.count(Trajectory) == 1
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.participant_id == known.id)) is not None


def test_the_same_phone_in_another_spelling_is_a_possible_duplicate(client, auth, db, frozen):
    staff = auth.as_role("staff")
    known = factories.participant("Fatima", "El Amrani", phone="06-12 34 56 78", birth_year=None)
    factories.trajectory(known, location_obj=staff.locations[0], status="ended")
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], phone="+31 6 12345678", birth_year="1990"))
    assert response.status_code == 200
    assert "Is dit iemand die we al kennen?" in html_of(response)
    assert factories.count(Participant) == 1


def test_same_name_with_other_phone_and_birth_year_is_no_duplicate(client, auth, db, frozen):
    staff = auth.as_role("staff")
    _known_person(staff.locations[0])
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], phone="06-55555555", birth_year="1970"))
    assert response.status_code == 302
    assert factories.count(Participant) == 2


def test_other_person_choice_creates_a_new_participant(client, auth, db, frozen):
    staff = auth.as_role("staff")
    _known_person(staff.locations[0])
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw",
                           data=referral_form(staff.locations[0], decision="new"))
    assert response.status_code == 302
    assert factories.count(Participant) == 2
    assert factories.count(Trajectory) == 2


def test_attach_to_known_person_adds_a_trajectory_to_that_person(client, auth, db, frozen):
    staff = auth.as_role("staff")
    known = _known_person(staff.locations[0], status="ended", email=None)
    db.session.commit()
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], decision=f"attach:{known.id}", email="fatima@example.org"))
    assert response.status_code == 302
    assert participant_id_from(response) == known.id
    assert factories.count(Participant) == 1
    db.session.expire_all()
    assert [t.status for t in known.trajectories] == ["referred", "ended"]
    assert known.email == "fatima@example.org"  # a blank was filled in, nothing overwritten
    assert known.phone == "+31612345678"


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
    assert factories.count(Trajectory) == 1 and factories.count(Referral) == 1


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
    assert 'href="tel:+31611111111"' in html

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


def test_queue_uses_the_same_number_of_queries_for_3_or_15_referrals(client, auth, db, frozen,
                                                                     count_queries):
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
    with count_queries() as few:
        assert client.get("/aanmeldingen/").status_code == 200
    add(12)
    db.session.expunge_all()
    with count_queries() as many:
        html = html_of(client.get("/aanmeldingen/"))
    assert html.count("Contact vastleggen") == 15
    assert len(many) == len(few), "\n\n".join(many)


# --- A person registered twice (portal, API and self-registration never check) -------------

def _twice(location, *, known_location=None, known_status="ended", **person):
    """A person known from before (at `known_location`) and a new referral of the same
    person as a new participant at `location`, as the portal and the API register it."""
    details = {"phone": "06 1234 5678", "birth_year": 1985, **person}
    known = factories.participant("Fatima", "El Amrani", **details)
    factories.trajectory(known, location_obj=known_location or location, status=known_status,
                         referred_on=date(2025, 3, 2))
    again = factories.participant("Fatima", "El Amrani", phone="06-12345678",
                                  birth_year=None, email="fatima@example.org")
    new = factories.trajectory(again, location_obj=location, referred_on=TODAY)
    factories.consent(again, "share_with_referrer", True, method="digital",
                      referral=new.referral)
    return known, new


def test_queue_marks_a_new_referral_of_a_known_person(client, auth, db, frozen):
    staff = auth.as_role("staff")
    known, new = _twice(staff.locations[0])
    _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()
    html = html_of(client.get("/aanmeldingen/"))
    row = html[html.index("Fatima El Amrani"):]
    row = row[:row.index("</tr>")]
    assert "Mogelijk al bekend" in row
    assert f'href="/aanmeldingen/{new.id}/bekend"' in row
    ahmed = html[html.index("Ahmed Test"):]
    assert "Mogelijk al bekend" not in ahmed[:ahmed.index("</tr>")]


def test_queue_only_hints_at_a_match_at_a_location_the_user_cannot_see(client, auth, db,
                                                                       frozen):
    staff = auth.as_role("staff")
    known, new = _twice(staff.locations[0],
                        known_location=factories.location("Bibliotheek Elders"),
                        known_status="active")
    db.session.commit()
    html = html_of(client.get("/aanmeldingen/"))
    assert "Mogelijk al bekend bij een andere locatie; vraag de coördinator" in html
    assert "/bekend" not in html and "Bibliotheek Elders" not in html
    page = html_of(client.get(f"/aanmeldingen/{new.id}/bekend"))
    assert "Mogelijk al bekend bij een andere locatie; vraag de coördinator" in page
    assert "Bibliotheek Elders" not in page and "1985" not in page
    # Posting the other person's id anyway: not a person this user may attach to.
    response = client.post(f"/aanmeldingen/{new.id}/bekend",
                           data={"participant_id": str(known.id)})
    assert response.status_code == 404
    assert factories.count(Participant) == 2


def test_queue_hints_cost_one_query_for_3_or_15_rows(client, auth, db, frozen, count_queries):
    staff = auth.as_role("staff")
    location_id = staff.locations[0].id

    def add(n, start):
        location = db.session.get(Location, location_id)
        for i in range(start, start + n):
            known = factories.participant(f"P{i}", "Twee", phone=f"06-1000{i:04d}")
            factories.trajectory(known, location_obj=location, status="ended")
            _referred(location, f"P{i}", TODAY + timedelta(days=i),
                      phone=f"06-1000{i:04d}").participant.last_name = "Twee"
        db.session.commit()

    add(3, 0)
    db.session.expunge_all()
    with count_queries() as few:
        assert html_of(client.get("/aanmeldingen/")).count("Mogelijk al bekend") == 3
    add(12, 3)
    db.session.expunge_all()
    with count_queries() as many:
        assert html_of(client.get("/aanmeldingen/")).count("Mogelijk al bekend") == 15
    assert len(many) == len(few), "\n\n".join(many)


def test_showing_a_possible_match_is_in_that_persons_audit_log(client, auth, db, frozen):
    staff = auth.as_role("staff")
    known, new = _twice(staff.locations[0])
    db.session.commit()
    page = html_of(client.get(f"/aanmeldingen/{new.id}/bekend"))
    assert "Is dit iemand die we al kennen?" in page
    log = auth.audit_log(known.id)
    assert f"deelnemer: {known.full_name}<br><small>getoond als mogelijke dubbele" in log
    assert f'?deelnemer={known.id}">{known.full_name}</a>' in log


def test_attach_moves_the_trajectory_and_removes_the_duplicate(client, auth, db, frozen):
    staff = auth.as_role("staff")
    known, new = _twice(staff.locations[0], email=None)
    duplicate_id = new.participant_id
    db.session.commit()

    page = html_of(client.get(f"/aanmeldingen/{new.id}/bekend"))
    assert "Is dit iemand die we al kennen?" in page
    assert "•••••••678" in page and "06 1234 5678" not in page  # masked
    assert f'name="participant_id" value="{known.id}"' in page
    response = client.post(f"/aanmeldingen/{new.id}/bekend",
                           data={"participant_id": str(known.id)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/aanmeldingen/"

    db.session.expire_all()
    assert db.session.get(Participant, duplicate_id) is None
    assert factories.count(Participant) == 1
    assert [t.id for t in known.trajectories][0] == new.id
    assert len(known.trajectories) == 2
    assert known.email == "fatima@example.org"  # a blank filled in
    assert known.phone == "+31612345678"  # nothing overwritten
    # Moved along, still about the referral it was given with.
    assert [(c.kind, c.referral_id) for c in known.consents] == [
        ("share_with_referrer", new.referral.id)]
    merged = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "update", AuditEvent.participant_id == known.id))
    assert f"traject {new.id} toegevoegd" in merged.summary
    assert merged.user_id == staff.id and merged.at == NOW
    removed = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "delete", AuditEvent.participant_id == duplicate_id))
    assert f"samengevoegd met deelnemer {known.id}" in removed.summary
    # Nothing left to hint at.
    assert "Mogelijk al bekend" not in html_of(client.get("/aanmeldingen/"))


def test_attach_to_an_open_trajectory_at_the_desk_makes_it_a_second_referral(
        client, auth, db, frozen):
    """A portal or API referral of someone already open here: not a second trajectory, but
    a second referral on the one there is (issue 11, "a second referrer")."""
    staff = auth.as_role("staff")
    known, new = _twice(staff.locations[0], known_status="waiting")
    duplicate_id, new_id = new.participant_id, new.id
    open_id = known.trajectories[0].id
    db.session.commit()
    page = html_of(client.get(f"/aanmeldingen/{new.id}/bekend"))
    assert "Heeft al een open traject op deze vestiging" in page
    assert "Voeg deze aanmelding toe aan dat traject" in page

    response = client.post(f"/aanmeldingen/{new.id}/bekend",
                           data={"participant_id": str(known.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Trajectory, new_id) is None
    assert db.session.get(Participant, duplicate_id) is None
    trajectory = db.session.get(Trajectory, open_id)
    assert [r.is_primary for r in trajectory.referrals] == [True, False]
    assert db.session.get(Participant, known.id).email == "fatima@example.org"  # filled in


def test_attach_is_refused_when_the_duplicate_has_a_history_at_the_desk(client, auth, db,
                                                                        frozen):
    staff = auth.as_role("staff")
    known, new = _twice(staff.locations[0], known_status="waiting")
    duplicate_id = new.participant_id
    log_contact_attempt(new, reached=False, channel="phone", note=None, user=staff, now=NOW)
    db.session.commit()
    response = client.post(f"/aanmeldingen/{new.id}/bekend",
                           data={"participant_id": str(known.id)})
    html = html_of(response)
    assert response.status_code == 200
    assert "Twee open trajecten voor één persoon op één vestiging kan niet" in html
    db.session.expire_all()
    assert db.session.get(Trajectory, new.id).participant_id == duplicate_id
    assert factories.count(Participant) == 2


def test_attach_to_a_person_open_at_another_desk_is_fine(client, auth, db, frozen):
    north, south = factories.location("Noord"), factories.location("Zuid")
    auth.as_role("staff", locations=[north, south])
    known, new = _twice(north, known_location=south, known_status="active")
    db.session.commit()
    response = client.post(f"/aanmeldingen/{new.id}/bekend",
                           data={"participant_id": str(known.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert sorted(t.location.name for t in known.trajectories) == ["Noord", "Zuid"]


def test_attach_refuses_a_duplicate_with_a_history_of_its_own(app, db):
    from app.referrals.service import MergeError, attach_to_known_person

    staff = factories.user("staff")
    known, new = _twice(staff.locations[0])
    factories.trajectory(new.participant, location_obj=staff.locations[0], status="ended")
    with pytest.raises(MergeError, match="nog andere trajecten"):
        attach_to_known_person(new, known, user=staff, now=NOW)
    with pytest.raises(MergeError, match="dezelfde persoon"):
        attach_to_known_person(new, new.participant, user=staff, now=NOW)


def test_attach_page_of_another_location_is_404(client, auth, db, frozen):
    auth.as_role("staff")
    known, theirs = _twice(factories.location("Andere bieb"))
    db.session.commit()
    assert client.get(f"/aanmeldingen/{theirs.id}/bekend").status_code == 404
    assert client.post(f"/aanmeldingen/{theirs.id}/bekend",
                       data={"participant_id": str(known.id)}).status_code == 404
    assert factories.count(Participant) == 2


def test_without_a_last_name_first_name_and_phone_must_match(app, db):
    from app.auth.permissions import visible_participants
    from app.referrals.service import find_possible_duplicates

    admin = factories.user("admin")
    known = factories.participant("Fatima", "El Amrani", phone="06 1234 5678",
                                  birth_year=1985)
    scope = visible_participants(admin)
    # A self-registration: first name and phone only.
    assert find_possible_duplicates(scope, "fatima", "", "06-12345678", None) == [known]
    assert find_possible_duplicates(scope, "Fatima", "", "06-55555555", None) == []
    # A birth year is not enough when the last name is missing.
    nameless = factories.participant("Ahmed", "", phone=None, birth_year=1970)
    assert find_possible_duplicates(scope, "Ahmed", "Bakker", None, 1970) == []
    assert find_possible_duplicates(scope, "Ahmed", "Bakker", "06-1", 1970) == []
    assert nameless not in find_possible_duplicates(scope, "Ahmed", "", None, 1970)


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
    assert factories.count(ContactAttempt) == 3
    assert factories.count(AuditEvent, AuditEvent.object_type == "contact_attempt") == 3


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
    assert factories.count(ContactAttempt) == 1


def test_forwarded_needs_where_to(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()
    html = html_of(_attempt(client, trajectory, result="forwarded", note="naar school"))
    assert "Schrijf op naar welke organisatie" in html
    assert "naar school" in html
    assert factories.count(ContactAttempt) == 0


def test_contact_page_shows_what_is_needed_to_call(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    trajectory.referral.best_moment = "na 15.00 uur"
    db.session.commit()
    response = client.get(f"/aanmeldingen/{trajectory.id}/contact")
    html = html_of(response)
    assert response.status_code == 200
    assert 'href="tel:+31611111111"' in html
    assert "na 15.00 uur" in html and "Beter lezen" in html
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.object_id == trajectory.id,
        AuditEvent.object_type == "trajectory")) is not None


# --- Planning the intake -------------------------------------------------------------------

def test_opening_the_intake_planning_page_is_logged(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY)
    db.session.commit()
    assert client.get(f"/aanmeldingen/{trajectory.id}/intake").status_code == 200
    log = auth.audit_log(trajectory.participant_id)
    assert "traject<br><small>intake plannen" in log


def _plan_intake(client, auth, db, day: str, time: str, status: str = "contacted"):
    """A staff member plans the intake of Ahmed's referral. Returns the staff member, the
    response and the trajectory, expired so that it reads what the request stored."""
    staff = auth.as_role("staff")
    trajectory = _referred(staff.locations[0], "Ahmed", TODAY, status=status)
    db.session.commit()
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data={"day": day, "time": time, "room": "Spreekkamer 2",
                                 "location_id": staff.locations[0].id,
                                 "with_user_id": staff.id})
    db.session.expire_all()
    return staff, response, trajectory


def test_plan_intake_stores_utc_and_moves_status(client, auth, db, frozen):
    staff, response, trajectory = _plan_intake(client, auth, db, "2026-12-01", "10:30")
    assert response.status_code == 302
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
    _staff, response, trajectory = _plan_intake(client, auth, db, "2026-11-26", "14:00",
                                                status="referred")
    assert response.status_code == 302
    assert trajectory.status == "intake_planned"
    assert trajectory.referral.result == "reached"
    assert trajectory.last_contact_at == NOW
    assert ("contact_made", trajectory.id, {}) in emitted
    queue = html_of(client.get("/aanmeldingen/"))
    assert "Intake met Ahmed Test gepland op donderdag 26 november om 14:00" in queue
    assert f"/aanmeldingen/{trajectory.id}/contact" not in queue  # off the call list


def test_intake_in_the_past_is_refused(client, auth, db, frozen):
    # 09:30 local is 08:30 UTC: half an hour ago.
    _staff, response, trajectory = _plan_intake(client, auth, db, TODAY.isoformat(), "09:30")
    assert response.status_code == 200
    assert "Dit moment is al voorbij" in html_of(response)
    assert trajectory.status == "contacted" and trajectory.intake_planned_at is None


def test_plan_intake_needs_date_and_time(client, auth, db, frozen):
    _staff, response, trajectory = _plan_intake(client, auth, db, "", "")
    html = html_of(response)
    assert "Kies een datum." in html or "Ongeldige datum." in html
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
    assert factories.count(Participant) == 0


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
    assert theirs.status == "referred" and factories.count(ContactAttempt) == 0


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


# --- The same form posted twice ------------------------------------------------------------

def _form_key(client) -> str:
    page = html_of(client.get("/aanmeldingen/nieuw"))
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def test_the_same_referral_form_posted_twice_makes_one_referral(client, auth, db, frozen):
    staff = auth.as_role("staff")
    form = referral_form(staff.locations[0], form_key=_form_key(client))
    first = client.post("/aanmeldingen/nieuw", data=form)
    again = client.post("/aanmeldingen/nieuw", data=form)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert factories.count(Participant) == factories.count(Trajectory) == 1
    # A new form is a new key: the next person is registered as usual.
    other = referral_form(staff.locations[0], first_name="Ahmed", last_name="Yilmaz",
                          phone="06-87654321", form_key=_form_key(client))
    assert client.post("/aanmeldingen/nieuw", data=other).status_code == 302
    assert factories.count(Trajectory) == 2


def test_a_double_click_on_the_referral_form_at_once_makes_one_referral(app, auth, db,
                                                                         frozen):
    """Both posts arrive before either is saved: the form key's unique constraint decides."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    staff = auth.as_role("staff")
    location_id = staff.locations[0].id
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        client.post("/inloggen", data={"email": staff.email, "password": factories.PASSWORD})
    form = referral_form(Location(id=location_id), form_key=_form_key(clients[0]))
    barrier = Barrier(2)

    def post(client):
        barrier.wait()
        response = client.post("/aanmeldingen/nieuw", data=form)
        return response.status_code, response.headers.get("Location")

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(post, clients))
    assert [status for status, _ in answers] == [302, 302]
    assert answers[0][1] == answers[1][1]
    assert factories.count(Participant) == factories.count(Trajectory) == 1



def test_a_form_key_of_another_users_referral_gets_the_form_again_not_an_error(client, auth,
                                                                                 db, frozen):
    first = auth.as_role("staff")
    key = _form_key(client)
    client.post("/aanmeldingen/nieuw", data=referral_form(first.locations[0], form_key=key))
    auth.logout()
    other = auth.as_role("staff", locations=[first.locations[0]])
    response = client.post("/aanmeldingen/nieuw", data=referral_form(
        other.locations[0], first_name="Ahmed", last_name="Yilmaz", phone="06-87654321",
        form_key=key))
    html = html_of(response)
    assert response.status_code == 200
    assert "Dit formulier kon niet worden opgeslagen" in html
    assert 'value="Ahmed"' in html
    assert factories.count(Trajectory) == 1
