"""The partner portal: refer someone, see the stage move only while consent holds, and never
see anything of another partner."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.intakes.service import save_intake
from app.participants.service import set_consent
from app.portal.service import partner_stage
from app.referrals.models import Referral
from app.referrals.service import log_contact_attempt

from . import factories

NOW = factories.aware(2026, 11, 23, 9, 0)
# The requests record their own "now"; the staff steps below happen a day or two later.
pytestmark = pytest.mark.usefixtures("frozen")


def _refer(client, location, *, share: bool, first_name="Fatima", last_name="El Amrani"):
    data = {"first_name": first_name, "last_name": last_name, "phone": "06-12345678",
            "preferred_channel": "phone", "question": "Brieven van de gemeente lezen",
            "best_moment": "dinsdagochtend", "location_id": str(location.id), "agreed": "y"}
    if share:
        data["share"] = "y"
    return client.post("/partner/aanmelden", data=data)


def _only_referral(db) -> Referral:
    return db.session.scalar(sa.select(Referral))


def _intake(trajectory, staff, now):
    save_intake(trajectory, {"held_on": date(2026, 11, 24), "scale": "nt2"},
                [{"subject": "lezen", "context": "geld", "own_words": "Brieven lezen",
                  "target_date": None}], staff, now)


def test_partner_refers_and_sees_stages_move_while_consent_holds(client, auth, db):
    location = factories.location("Bibliotheek Centrum")
    staff = factories.user("staff", locations=[location])
    partner_user = auth.as_role("partner")

    response = _refer(client, location, share=True)
    assert response.status_code == 302
    referral = _only_referral(db)
    assert referral.partner_id == partner_user.partner_id
    assert referral.trajectory.location_id == location.id
    page = client.get("/partner/").get_data(as_text=True)
    assert "Fatima E." in page
    assert "El Amrani" not in page  # first name and initial only
    assert "Aangemeld" in page

    # Staff reach the person: the partner sees "contact gehad".
    log_contact_attempt(referral.trajectory, reached=True, channel="phone",
                        note="Heel aardig gesprek, zorgen over schulden", user=staff,
                        now=factories.aware(2026, 11, 24, 9))
    db.session.commit()
    detail = client.get(f"/partner/aanmeldingen/{referral.id}").get_data(as_text=True)
    assert "Contact gehad" in detail
    assert "schulden" not in detail  # never notes

    _intake(referral.trajectory, staff, factories.aware(2026, 11, 24, 12))
    db.session.commit()
    detail = client.get(f"/partner/aanmeldingen/{referral.id}").get_data(as_text=True)
    assert "Intake gedaan" in detail
    assert "Brieven lezen" not in detail  # never goals

    # The person withdraws consent: from now on only the referral date.
    set_consent(referral.trajectory.participant, "share_with_referrer", False, "verbal",
                staff, factories.aware(2026, 11, 25, 9), referral=referral)
    db.session.commit()
    detail = client.get(f"/partner/aanmeldingen/{referral.id}").get_data(as_text=True)
    assert "Intake gedaan" not in detail
    assert "Aangemeld op" in detail
    assert "geen toestemming" in detail


def test_without_share_consent_the_partner_sees_only_the_referral_date(client, auth, db):
    location = factories.location()
    staff = factories.user("staff", locations=[location])
    auth.as_role("partner")
    _refer(client, location, share=False)
    referral = _only_referral(db)
    log_contact_attempt(referral.trajectory, reached=True, channel="phone", note=None,
                        user=staff, now=factories.aware(2026, 11, 24, 9))
    db.session.commit()
    page = client.get("/partner/").get_data(as_text=True)
    assert "Contact gehad" not in page
    assert "Aangemeld op" in page


def test_referral_form_requires_the_persons_agreement(client, auth, db):
    location = factories.location()
    auth.as_role("partner")
    response = client.post("/partner/aanmelden", data={
        "first_name": "Fatima", "phone": "06-12345678", "preferred_channel": "phone",
        "question": "Lezen", "location_id": str(location.id)})
    assert response.status_code == 200
    assert "alleen aan als die persoon" in response.get_data(as_text=True)
    assert factories.count(Referral) == 0


def test_partner_a_never_sees_partner_b(client, auth, db):
    location = factories.location()
    partner_b = factories.partner("Partner B")
    other = factories.trajectory(factories.participant(first_name="Bettie", last_name="Bos"),
                                 location_obj=location)
    other.referral.partner = partner_b
    factories.consent(other.participant, "share_with_referrer", True, referral=other.referral)
    auth.as_role("partner")
    db.session.commit()
    page = client.get("/partner/").get_data(as_text=True)
    assert "Bettie" not in page
    assert client.get(f"/partner/aanmeldingen/{other.referral.id}").status_code == 404


def test_staff_and_volunteers_cannot_open_the_portal(client, auth, db):
    auth.as_role("staff")
    assert client.get("/partner/").status_code == 403


def test_partner_is_sent_to_the_portal_after_sign_in(client, auth, db):
    auth.as_role("partner")
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/partner/")


def test_stage_mapping_follows_the_journey(db):
    t = factories.trajectory(status="referred", referred_on=date(2026, 11, 2))
    assert partner_stage(t, True) == ("aangemeld", date(2026, 11, 2))
    t.status, t.referral.result_on = "unreachable", date(2026, 11, 9)
    assert partner_stage(t, True) == ("niet_bereikt", date(2026, 11, 9))
    t.status = "active"
    t.started_on = date(2026, 11, 20)
    assert partner_stage(t, True) == ("gestart", date(2026, 11, 20))
    t.out_of_view_since = factories.aware(2026, 12, 30, 6)
    assert partner_stage(t, True) == ("buiten_beeld", date(2026, 12, 30))
    t.status, t.outcome, t.ended_on = "ended", "goal_reached", date(2027, 1, 5)
    assert partner_stage(t, True) == ("afgerond", date(2027, 1, 5))
    t.outcome = "moved"
    assert partner_stage(t, True) == ("gestopt", date(2027, 1, 5))
    assert partner_stage(t, False) == ("aangemeld", date(2026, 11, 2))


def test_portal_referral_signals_go_to_the_referring_contact_person(client, auth, db):
    from app.notifications.models import Notification

    location = factories.location()
    staff = factories.user("staff", locations=[location])
    partner = factories.partner("UWV Utrecht", kind="uwv")
    contact = factories.partner_contact(partner, name="Piet Jansen", email="Piet@UWV.example")
    auth.as_role("partner", partner=partner, email="piet@uwv.example")
    _refer(client, location, share=True)
    referral = _only_referral(db)
    assert referral.partner_contact_id == contact.id
    log_contact_attempt(referral.trajectory, reached=True, channel="phone", note=None,
                        user=staff, now=factories.aware(2026, 11, 24, 9))
    db.session.commit()
    signal = db.session.scalar(sa.select(Notification).where(
        Notification.kind == "referrer_signal"))
    assert signal.recipient_key == f"contact:{contact.id}"
    assert signal.email == "Piet@UWV.example"


def test_referring_a_known_person_reveals_nothing_but_staff_see_it(client, auth, db):
    location = factories.location("Bibliotheek Centrum")
    known = factories.participant("Fatima", "El Amrani", phone="06 1234 5678")
    factories.trajectory(known, location_obj=location, status="ended")
    staff = factories.user("staff", locations=[location])
    partner_user = auth.as_role("partner")
    response = _refer(client, location, share=True)
    assert response.status_code == 302
    portal = client.get("/partner/").get_data(as_text=True)
    assert "bekend" not in portal  # the partner never learns whether a person is known

    referral = db.session.scalar(sa.select(Referral).where(
        Referral.partner_id == partner_user.partner_id))
    assert referral.trajectory.participant_id != known.id
    auth.logout()
    auth.login(staff)
    queue = client.get("/aanmeldingen/").get_data(as_text=True)
    assert f'href="/aanmeldingen/{referral.trajectory_id}/bekend"' in queue
    assert client.post(f"/aanmeldingen/{referral.trajectory_id}/bekend",
                       data={"participant_id": str(known.id)}).status_code == 302
    db.session.expire_all()
    assert referral.trajectory.participant_id == known.id

    # The partner still sees their referral, now of the known person.
    auth.logout()
    auth.login(partner_user)
    assert "Fatima E." in client.get("/partner/").get_data(as_text=True)


def test_a_name_with_a_line_break_is_refused_with_a_dutch_message(client, auth, db):
    """A crafted post with a line break in the name would break the mail about it."""
    location = factories.location("Bibliotheek Centrum")
    auth.as_role("partner")

    response = _refer(client, location, share=True, first_name="Fatima\r\nBcc: x@evil.example")

    assert response.status_code == 200
    assert "Schrijf dit op één regel, zonder Enter." in response.get_data(as_text=True)
    assert _only_referral(db) is None
