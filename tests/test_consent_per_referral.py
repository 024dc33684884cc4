"""Consent to share belongs to one referral: a referrer the person refused sees only
"aangemeld" and gets no mail, whatever other referrers were told (issue 13)."""

import logging
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.api.service import create_token
from app.audit.models import AuditEvent
from app.notifications.models import Notification
from app.notifications.service import deliver_pending
from app.participants.models import Consent
from app.participants.service import (
    consents_in_force,
    set_consent,
    share_in_force,
    shares_in_force,
)
from app.portal.service import partner_view, signal_out_of_view
from app.referrals.models import Referral
from app.referrals.service import (
    PersonInput,
    ReferralInput,
    add_referral_to_trajectory,
    attach_to_known_person,
    log_contact_attempt,
)

from . import factories

NOW = factories.aware(2026, 11, 23, 9, 0)  # a Monday
pytestmark = pytest.mark.usefixtures("frozen")

GEMEENTE_MAIL = "piet@gemeente.example"
UWV_MAIL = "sanne@uwv.example"


@pytest.fixture
def world(db):
    centrum = factories.location("Bibliotheek Centrum")
    oost = factories.location("Bibliotheek Oost")
    staff = factories.user("staff", locations=[centrum, oost], name="Els Visser",
                           email="els@taalhuis.example")
    gemeente = factories.partner("Gemeente Utrecht")
    uwv = factories.partner("UWV", kind="uwv")
    gemeente_user = factories.user("partner", partner=gemeente, email=GEMEENTE_MAIL,
                                   name="Piet Jansen")
    uwv_user = factories.user("partner", partner=uwv, email=UWV_MAIL, name="Sanne de Vries")
    db.session.commit()
    return {"centrum": centrum, "oost": oost, "staff": staff, "gemeente": gemeente,
            "uwv": uwv, "gemeente_user": gemeente_user, "uwv_user": uwv_user}


def _portal_referral(client, auth, user, location, *, share: bool) -> Referral:
    """The partner refers through the portal; `share`: what the person told this referrer."""
    auth.login(user)
    data = {"first_name": "Fatima", "last_name": "El Amrani", "phone": "06-12345678",
            "preferred_channel": "phone", "question": "Brieven van de gemeente lezen",
            "location_id": str(location.id), "agreed": "y"}
    if share:
        data["share"] = "y"
    assert client.post("/partner/aanmelden", data=data).status_code == 302
    auth.logout()
    return factories.db.session.scalar(
        sa.select(Referral).where(Referral.partner_id == user.partner_id)
        .order_by(Referral.id.desc()).limit(1))


def _intake_form(trajectory, **answers) -> dict:
    data = {
        "held_on": "2026-11-23", "scale": "nt2", "level_speaking": "A1",
        "level_listening": "A1", "level_reading": "A0", "level_writing": "A0",
        "knows_latin_alphabet": "yes", "digital_level": "basic", "numeracy_level": "1F",
        "screening_tool": "", "screening_result": "", "availability": ["mon-morning"],
        "volunteer_preferences": "", "motivation": "Zelf post lezen",
        "advised_offer": "taalmaatje", "wished_offer": "taalmaatje",
        "offer_difference_reason": "", "consent_processing": "yes",
        "consent_method": "verbal",
        "goals-0-goal_id": "", "goals-0-subject": "lezen", "goals-0-context": "geld",
        "goals-0-own_words": "Brieven van de gemeente kunnen lezen",
        "goals-0-target_date": "",
    }
    for i in (1, 2):
        data.update({f"goals-{i}-{name}": "" for name in
                     ("goal_id", "subject", "context", "own_words", "target_date")})
    data.update(answers)
    return data


def _share(referral: Referral) -> str:
    return f"consent_share_{referral.id}"


def _portal_detail(client, auth, user, referral) -> str:
    auth.login(user)
    html = client.get(f"/partner/aanmeldingen/{referral.id}").get_data(as_text=True)
    listing = client.get("/partner/").get_data(as_text=True)
    auth.logout()
    return html + listing


def _api_view(client, db, partner, referral) -> dict:
    _record, token = create_token(partner, "Zaaksysteem", None, NOW)
    db.session.commit()
    response = client.get(f"/api/v1/referrals/{referral.id}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.get_json()


def _signals(db) -> list[Notification]:
    return db.session.scalars(sa.select(Notification).where(
        Notification.kind == "referrer_signal").order_by(Notification.id)).all()


def _second_referral_uwv(trajectory, world, now) -> Referral:
    """UWV refers the same person while the trajectory is open: a second referral on it."""
    return add_referral_to_trajectory(
        trajectory, person=PersonInput(first_name="Fatima", last_name="El Amrani"),
        referral=ReferralInput(location_id=trajectory.location_id, question="Werk zoeken",
                               channel="phone", referred_on=now.date(),
                               share_with_referrer=None, consent_method="verbal",
                               partner_id=world["uwv"].id, referrer_name="Sanne de Vries",
                               referrer_email=UWV_MAIL),
        user=world["staff"], now=now)


# --- The case ------------------------------------------------------------------------

def test_nee_to_the_gemeente_holds_when_uwv_gets_ja_at_the_intake_of_the_same_trajectory(
        client, auth, db, world, smtp_server):
    gemeente_referral = _portal_referral(client, auth, world["gemeente_user"],
                                         world["centrum"], share=False)
    trajectory = gemeente_referral.trajectory
    uwv_referral = _second_referral_uwv(trajectory, world, NOW + timedelta(hours=1))
    db.session.commit()

    # The intake asks it per referrer, each named; the person says "ja" to UWV only.
    auth.login(world["staff"])
    page = client.get(f"/intake/{trajectory.id}").get_data(as_text=True)
    assert "Verwijzer hoort hoe het gaat: Gemeente Utrecht – Piet Jansen" in page
    assert "Verwijzer hoort hoe het gaat: UWV – Sanne de Vries" in page
    response = client.post(f"/intake/{trajectory.id}", data=_intake_form(
        trajectory, **{_share(gemeente_referral): "no", _share(uwv_referral): "yes"}))
    assert response.status_code == 302
    auth.logout()
    deliver_pending(NOW + timedelta(minutes=5))

    # The Gemeente: only "aangemeld", in the portal and the API, and no mail.
    html = _portal_detail(client, auth, world["gemeente_user"], gemeente_referral)
    assert "Intake gedaan" not in html and "Contact gehad" not in html
    assert "geen toestemming" in html
    got = _api_view(client, db, world["gemeente"], gemeente_referral)
    assert (got["stage"], got["status_shared"]) == ("aangemeld", False)
    assert got["stage_date"] == got["referred_on"]
    assert [m["To"] for m in smtp_server.messages if m["To"] == GEMEENTE_MAIL] == []
    assert [n.email for n in _signals(db)] == []  # the Gemeente is the primary referrer

    # UWV sees the stage, in the portal and the API.
    html = _portal_detail(client, auth, world["uwv_user"], uwv_referral)
    assert "Intake gedaan" in html
    got = _api_view(client, db, world["uwv"], uwv_referral)
    assert (got["stage"], got["status_shared"]) == ("intake_gedaan", True)
    assert got["referred_on"] == "2026-11-23"


def test_nee_to_the_gemeente_holds_when_uwv_gets_ja_on_a_new_trajectory(
        client, auth, db, world, smtp_server):
    gemeente_referral = _portal_referral(client, auth, world["gemeente_user"],
                                         world["centrum"], share=False)
    person = gemeente_referral.trajectory.participant

    # UWV refers through the API at another location; staff find it is the same person.
    _record, token = create_token(world["uwv"], "Zaaksysteem", None, NOW)
    db.session.commit()
    created = client.post("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"},
                          json={"first_name": "Fatima", "last_name": "El Amrani",
                                "phone": "06-12345678", "question": "Werk zoeken",
                                "location_id": world["oost"].id, "consent_referral": True,
                                "consent_share_status": False, "referrer_name": "Sanne",
                                "referrer_email": UWV_MAIL}).get_json()
    uwv_referral = db.session.get(Referral, created["id"])
    attach_to_known_person(uwv_referral.trajectory, person, user=world["staff"],
                           now=NOW + timedelta(hours=1))
    db.session.commit()
    uwv_trajectory = uwv_referral.trajectory
    assert uwv_trajectory.participant_id == person.id

    # At UWV's intake the person says "ja" to UWV; the Gemeente's referral is not asked.
    auth.login(world["staff"])
    page = client.get(f"/intake/{uwv_trajectory.id}").get_data(as_text=True)
    assert "Verwijzer hoort hoe het gaat: UWV" in page
    assert "Gemeente Utrecht" not in page
    assert client.post(f"/intake/{uwv_trajectory.id}", data=_intake_form(
        uwv_trajectory, **{_share(uwv_referral): "yes"})).status_code == 302
    auth.logout()

    # Later the Gemeente's person is reached: before, this mailed the Gemeente "contact gehad".
    log_contact_attempt(gemeente_referral.trajectory, reached=True, channel="phone",
                        note=None, user=world["staff"], now=NOW + timedelta(days=1))
    db.session.commit()
    deliver_pending(NOW + timedelta(days=1, minutes=5))

    assert [(m["To"], m["Subject"]) for m in smtp_server.messages] == [
        (UWV_MAIL, "Aanmelding Fatima E.: intake gedaan")]
    assert [(n.email, n.status) for n in _signals(db)] == [(UWV_MAIL, "sent")]
    html = _portal_detail(client, auth, world["gemeente_user"], gemeente_referral)
    assert "Contact gehad" not in html and "geen toestemming" in html
    got = _api_view(client, db, world["gemeente"], gemeente_referral)
    assert (got["stage"], got["status_shared"]) == ("aangemeld", False)
    html = _portal_detail(client, auth, world["uwv_user"], uwv_referral)
    assert "Intake gedaan" in html


def test_withdrawing_for_one_referrer_stops_only_their_queued_signal(
        client, auth, db, world, smtp_server):
    gemeente_referral = _portal_referral(client, auth, world["gemeente_user"],
                                         world["centrum"], share=True)
    person = gemeente_referral.trajectory.participant
    uwv_trajectory = factories.trajectory(person, location_obj=world["oost"],
                                          referred_on=date(2026, 11, 23))
    uwv_referral = uwv_trajectory.referral
    uwv_referral.partner, uwv_referral.referrer_email = world["uwv"], UWV_MAIL
    factories.consent(person, "share_with_referrer", True, referral=uwv_referral,
                      recorded_at=NOW)
    db.session.commit()
    for trajectory in (gemeente_referral.trajectory, uwv_trajectory):
        log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                            user=world["staff"], now=NOW + timedelta(hours=1))
    db.session.commit()
    assert sorted(n.email for n in _signals(db)) == [GEMEENTE_MAIL, UWV_MAIL]

    # On the participant page: "nee" to the Gemeente from now on.
    auth.login(world["staff"])
    response = client.post(f"/deelnemers/{person.id}/toestemming", data={
        "kind": "share_with_referrer", "referral_id": str(gemeente_referral.id),
        "given": "no", "method": "verbal"})
    assert response.status_code == 302
    deliver_pending(NOW + timedelta(hours=1, minutes=5))

    assert [m["To"] for m in smtp_server.messages] == [UWV_MAIL]
    assert {n.email: n.status for n in _signals(db)} == {GEMEENTE_MAIL: "skipped",
                                                         UWV_MAIL: "sent"}
    db.session.expire_all()
    assert share_in_force(db.session.get(Referral, uwv_referral.id)) is True
    assert share_in_force(db.session.get(Referral, gemeente_referral.id)) is False


def test_the_out_of_view_job_reads_the_consent_of_the_referrer_it_would_tell(db, world):
    def flagged(first_name, location, shares):
        person = factories.participant(first_name=first_name, last_name="Jansen")
        trajectory = factories.trajectory(person, location_obj=location, status="active",
                                          out_of_view_since=factories.aware(2027, 1, 4, 6))
        trajectory.referral.partner = world["gemeente"]
        trajectory.referral.referrer_email = GEMEENTE_MAIL
        second = _second_referral_uwv(trajectory, world, NOW)
        for referral, given in zip((trajectory.referral, second), shares, strict=True):
            if given is not None:
                factories.consent(person, "share_with_referrer", given, referral=referral,
                                  recorded_at=NOW)
        return trajectory

    # The Gemeente (primary) said "nee", UWV "ja": nobody is told, the Gemeente least of all.
    flagged("Amina", world["centrum"], (False, True))
    told = flagged("Bram", world["oost"], (True, None))
    db.session.commit()
    claimed = signal_out_of_view(factories.aware(2027, 1, 4, 7))
    assert [(n.subject_key, n.email) for n in claimed] == [
        (f"trajectory:{told.id}", GEMEENTE_MAIL)]


# --- Asking it -------------------------------------------------------------------------------

def test_the_intake_asks_each_referrer_and_records_only_what_changed(client, auth, db, world):
    gemeente_referral = _portal_referral(client, auth, world["gemeente_user"],
                                         world["centrum"], share=True)
    trajectory = gemeente_referral.trajectory
    uwv_referral = _second_referral_uwv(trajectory, world, NOW)
    # A self-registration on the same trajectory: nobody to tell, so nothing to ask.
    zelf = factories.partner("Zelfmelder", kind="zelfmelder")
    selfreg = Referral(trajectory=trajectory, is_primary=False, partner=zelf,
                       referrer_name="buurvrouw", referred_on=date(2026, 11, 23),
                       question="Lezen", channel="form", first_contact_due=date(2026, 11, 30))
    db.session.add(selfreg)
    db.session.commit()
    before = factories.count(Consent)

    auth.login(world["staff"])
    page = client.get(f"/intake/{trajectory.id}").get_data(as_text=True)
    assert page.count("Verwijzer hoort hoe het gaat:") == 2
    assert f'name="{_share(selfreg)}"' not in page
    # What is in force is ticked: "ja" for the Gemeente, nothing yet for UWV.
    assert re.search(rf'<input[^>]* checked [^>]*name="{_share(gemeente_referral)}"'
                     r'[^>]*value="yes"', page)
    assert not re.search(rf'<input[^>]* checked [^>]*name="{_share(uwv_referral)}"', page)

    # Every referrer must be answered: a clear message next to the one left open.
    html = client.post(f"/intake/{trajectory.id}", data=_intake_form(
        trajectory, **{_share(gemeente_referral): "yes"})).get_data(as_text=True)
    assert f'id="{_share(uwv_referral)}-error"' in html and "Kies ja of nee." in html
    assert factories.count(Consent) == before

    # The Gemeente's "ja" unchanged, UWV "nee": one new row, about UWV.
    assert client.post(f"/intake/{trajectory.id}", data=_intake_form(
        trajectory, **{_share(gemeente_referral): "yes", _share(uwv_referral): "no"}),
    ).status_code == 302
    new = db.session.scalars(sa.select(Consent).order_by(Consent.id)).all()[before:]
    assert [(c.kind, c.referral_id, c.given) for c in new] == [
        ("share_with_referrer", uwv_referral.id, False)]
    summary = db.session.scalar(sa.select(AuditEvent.summary).where(
        AuditEvent.object_type == "consent", AuditEvent.object_id == new[0].id))
    assert summary == ("toestemming verwijzer hoort hoe het gaat (UWV – Sanne de Vries, "
                       f"aanmelding {uwv_referral.id}): ingetrokken")


def test_registration_records_the_share_answer_for_that_referral_only(client, auth, db, world):
    first = _portal_referral(client, auth, world["gemeente_user"], world["centrum"],
                             share=False)
    second = _portal_referral(client, auth, world["uwv_user"], world["oost"], share=True)
    shares = db.session.scalars(sa.select(Consent).where(
        Consent.kind == "share_with_referrer").order_by(Consent.id)).all()
    assert [(c.referral_id, c.given) for c in shares] == [(first.id, False), (second.id, True)]
    assert partner_view(first).shared is False and partner_view(second).shared is True


def test_the_consent_page_asks_which_referrer_and_refuses_share_without_one(
        client, auth, db, world):
    referral = _portal_referral(client, auth, world["gemeente_user"], world["centrum"],
                                share=False)
    person = referral.trajectory.participant
    other = factories.trajectory(location_obj=world["centrum"])
    other.referral.partner = world["uwv"]
    db.session.commit()
    auth.login(world["staff"])
    url = f"/deelnemers/{person.id}/toestemming"
    page = client.get(url).get_data(as_text=True)
    assert "Over welke verwijzer?" in page
    assert "Verwijzer hoort hoe het gaat: Gemeente Utrecht – Piet Jansen" in page
    before = factories.count(Consent)

    html = client.post(url, data={"kind": "share_with_referrer", "referral_id": "0",
                                  "given": "yes", "method": "verbal",
                                  "note": "Vraag het later"}).get_data(as_text=True)
    assert 'id="referral_id-error"' in html and "Kies over welke verwijzer dit gaat." in html
    assert "Vraag het later" in html  # what was typed stays
    # Someone else's referral is no choice here.
    html = client.post(url, data={"kind": "share_with_referrer",
                                  "referral_id": str(other.referral.id), "given": "yes",
                                  "method": "verbal"}).get_data(as_text=True)
    assert "Kies een verwijzer uit de lijst." in html
    assert factories.count(Consent) == before

    # Another kind needs no referrer; a referrer chosen by mistake is not stored with it.
    assert client.post(url, data={"kind": "messages", "referral_id": str(referral.id),
                                  "given": "yes", "method": "verbal"}).status_code == 302
    newest = db.session.scalars(sa.select(Consent).order_by(Consent.id.desc())).first()
    assert (newest.kind, newest.referral_id) == ("messages", None)

    # A person without any referrer: sharing is refused with a reason.
    alone = factories.trajectory(location_obj=world["centrum"]).participant
    db.session.commit()
    html = client.post(f"/deelnemers/{alone.id}/toestemming", data={
        "kind": "share_with_referrer", "referral_id": "0", "given": "yes",
        "method": "verbal"}).get_data(as_text=True)
    assert 'id="kind-error"' in html and "heeft geen verwijzer" in html


def test_the_participant_page_shows_share_per_referrer_and_old_rows_count_for_none(
        client, auth, db, world):
    gemeente_referral = _portal_referral(client, auth, world["gemeente_user"],
                                         world["centrum"], share=False)
    trajectory = gemeente_referral.trajectory
    uwv_referral = _second_referral_uwv(trajectory, world, NOW)
    person = trajectory.participant
    # A "ja" from before consent was kept per referral, not traceable to one: it counts for
    # nobody, so the Gemeente still sees nothing and UWV has not been asked.
    factories.consent(person, "share_with_referrer", True, recorded_at=NOW + timedelta(hours=2))
    db.session.commit()
    assert partner_view(gemeente_referral).shared is False
    assert partner_view(uwv_referral).shared is False
    assert set(shares_in_force(person.consents)) == {gemeente_referral.id}
    assert "share_with_referrer" not in consents_in_force(person.consents)

    auth.login(world["staff"])
    html = client.get(f"/deelnemers/{person.id}").get_data(as_text=True)
    section = html[html.index('id="toestemming"'):html.index("</section>",
                                                             html.index('id="toestemming"'))]
    gemeente = section.index("Verwijzer hoort hoe het gaat: Gemeente Utrecht – Piet Jansen")
    uwv = section.index("Verwijzer hoort hoe het gaat: UWV – Sanne de Vries")
    assert "Nee" in section[gemeente:uwv]
    assert "Nog niet gevraagd" in section[uwv:]
    assert "oude vastlegging, geldt voor geen verwijzer" in html  # the timeline says so
    history = client.get(f"/deelnemers/{person.id}/toestemming").get_data(as_text=True)
    assert "oude vastlegging, geldt voor geen verwijzer" in history


def test_set_consent_keeps_share_and_person_kinds_apart(db, world):
    trajectory = factories.trajectory(location_obj=world["centrum"])
    trajectory.referral.partner = world["gemeente"]
    stranger = factories.trajectory(location_obj=world["centrum"])
    person, staff = trajectory.participant, world["staff"]
    with pytest.raises(ValueError, match="needs the referral"):
        set_consent(person, "share_with_referrer", True, "verbal", staff, NOW)
    with pytest.raises(ValueError, match="belongs to the person"):
        set_consent(person, "processing", True, "verbal", staff, NOW,
                    referral=trajectory.referral)
    with pytest.raises(ValueError, match="not one of this person's"):
        set_consent(person, "share_with_referrer", True, "verbal", staff, NOW,
                    referral=stranger.referral)
    consent = set_consent(person, "share_with_referrer", True, "verbal", staff, NOW,
                          referral=trajectory.referral)
    assert consent.referral_id == trajectory.referral.id
    summary = db.session.scalar(sa.select(AuditEvent.summary).where(
        AuditEvent.object_type == "consent", AuditEvent.object_id == consent.id))
    assert "Gemeente Utrecht" in summary and summary.endswith(": gegeven")


# --- The migration ---------------------------------------------------------------------------

def test_migration_0017_assigns_old_share_consents_only_to_the_referral_of_the_same_action(
        app, db, world):
    """Rows as the code before 0017 wrote them (a person-level share decision), then the
    migration run again: only a decision recorded with a referral, in one action by the same
    user, goes to that referral; every other counts for none."""
    staff, other_staff = world["staff"], factories.user("staff", locations=[world["centrum"]])
    at = factories.aware(2026, 3, 2, 10)

    def referred(first_name, when, by, partner, location=world["centrum"]):
        person = factories.participant(first_name=first_name, last_name="Jansen")
        trajectory = factories.trajectory(person, location_obj=location)
        trajectory.referral.partner = partner
        trajectory.referral.created_at, trajectory.referral.created_by = when, by
        return person, trajectory.referral

    def share(person, when, by, given=True):
        return factories.consent(person, "share_with_referrer", given, recorded_at=when, by=by)

    # Registered by staff with the answer: the same moment, the same user.
    fatima, fatima_gemeente = referred("Fatima", at, staff, world["gemeente"])
    with_referral = share(fatima, at, staff, given=False)
    # Her later "ja" at an intake (for which referrer?): none.
    at_intake = share(fatima, at + timedelta(days=20), staff)
    # Through the API (no user): a clock read twice, half a second apart.
    bram, bram_uwv = referred("Bram", at, None, world["uwv"])
    via_api = share(bram, at + timedelta(milliseconds=500), None)
    # Recorded by someone else at that moment: not the same action.
    cor, _ = referred("Cor", at, staff, world["gemeente"])
    by_other = share(cor, at, other_staff)
    # Two referrals of one person in one action cannot be told apart.
    dewi, _ = referred("Dewi", at, staff, world["gemeente"])
    second = factories.trajectory(dewi, location_obj=world["oost"])
    second.referral.created_at, second.referral.created_by = at, staff
    ambiguous = share(dewi, at, staff)
    db.session.commit()
    ids = [c.id for c in (with_referral, at_intake, via_api, by_other, ambiguous)]
    gemeente_id, uwv_id = fatima_gemeente.id, bram_uwv.id
    partners = world["gemeente"].name, world["uwv"].name
    db.session.remove()

    # The migration's report, read by a filter: alembic's logging set-up replaces the
    # handlers of its loggers at every run, but leaves their filters.
    seen: list[str] = []

    def keep(record):
        seen.append(record.getMessage())
        return True

    migration_log = logging.getLogger("alembic.runtime.migration")
    migration_log.addFilter(keep)
    try:
        downgrade(revision="0016")
        upgrade()
    finally:
        migration_log.removeFilter(keep)

    assigned = [db.session.get(Consent, i).referral_id for i in ids]
    assert assigned == [gemeente_id, None, uwv_id, None, None]
    assert ("share consents: 2 assigned to the referral they were recorded with, 3 left "
            "without a referral (they count for none: ask again)") in seen
    for partner in partners:
        assert f"share consents: 1 assigned to referrals of {partner}" in seen
    # The Gemeente's "nee" holds; Fatima's later "ja" tells nobody.
    assert share_in_force(db.session.get(Referral, gemeente_id)) is False


def test_a_referral_without_a_referrer_records_no_share_decision(db, world):
    """The staff form's default "nee" for a walk-in is about nobody: nothing is kept."""
    from app.referrals.service import PersonInput, ReferralInput, register_referral

    def register(first_name, **referrer):
        return register_referral(
            person=PersonInput(first_name=first_name, phone="0612345678"),
            referral=ReferralInput(location_id=world["centrum"].id, question="Lezen",
                                   channel="desk", referred_on=date(2026, 11, 2),
                                   share_with_referrer=False, consent_method="verbal",
                                   **referrer),
            user=world["staff"], now=factories.aware(2026, 11, 2, 10))

    walk_in = register("Zelf")
    named = register("Verwezen", referrer_name="Sanne de Vries")
    db.session.commit()
    shares = db.session.scalars(sa.select(Consent).where(
        Consent.kind == "share_with_referrer")).all()
    assert [(c.participant_id, c.given) for c in shares] == [(named.participant_id, False)]
    assert walk_in.participant_id != named.participant_id
