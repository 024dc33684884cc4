"""Inzage (the person's right to see their data) and "Wie keek er?": a coordinator gets
everything Houvast holds about one person as a print view, a PDF and a JSON file, all three
from the same data and logged; the "who looked" page lists every view and change of the
person's record, with who, role, when and what in Dutch."""

import html
import io
import json
from datetime import UTC, date, datetime

import pypdf
import pytest
import sqlalchemy as sa

from app.appointments.models import Appointment
from app.audit.models import AuditEvent
from app.checkins.models import CheckIn
from app.groups.models import Attendance, GroupMeeting
from app.matching.models import Enrollment
from app.messaging.models import InboundMessage, MessageStop
from app.notifications.models import Notification
from app.participants.models import Consent
from app.referrals.models import ContactAttempt

from . import factories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# One value from each area of the record, as the person would recognise it.
AREAS = {
    "person": "Fatima",
    "phone": "06 12345678",
    "native language": "Tamazight",
    "referrer": "Gemeente Utrecht",
    "contact person": "Sanne de Vries",
    "question": "Wil de brieven van de gemeente zelf lezen",
    "contact attempt": "Gebeld, ze wil graag komen",
    "intake": "Ik wil mijn kinderen helpen met school",
    "goal": "Brieven van de gemeente kunnen lezen",
    "volunteer": "Anneke de Boer",
    "session": "Een brief over de huurtoeslag gelezen",
    "group": "Taalcafé woensdag",
    "checkin": "Het klikt goed met Anneke",
    "appointment": "Spreekkamer 2",
    "consent note": "Gevraagd bij de balie",
    "message to her": "Hallo Fatima, tot dinsdag in de bibliotheek",
    "message about her": "Fatima is buiten beeld",
    "her answer": "JA graag",
}


def html_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _person(sessions: int = 1, messages: int = 1, tag: str = ""):
    """A demo-like person with something in every area, at one location."""
    db = factories.db
    here = factories.location(f"Bibliotheek Centrum{tag}")
    coordinator = factories.user("coordinator", locations=[here], name="Carla Coördinator")
    staff = factories.user("staff", locations=[here], name="Bart Balie")
    gemeente = factories.partner(f"Gemeente Utrecht{tag}")
    contact = factories.partner_contact(gemeente, name="Sanne de Vries")
    person = factories.participant(first_name="Fatima", last_name="El Amrani",
                                   email="fatima@example.org", native_language="Tamazight")
    trajectory = factories.trajectory(person, location_obj=here, status="active",
                                      owner=coordinator, started_on=date(2026, 11, 12))
    referral = trajectory.referral
    referral.partner, referral.partner_contact = gemeente, contact
    referral.question = AREAS["question"]
    db.session.add(ContactAttempt(trajectory_id=trajectory.id, reached=True, channel="phone",
                                  note=AREAS["contact attempt"], by_id=staff.id,
                                  at=datetime(2026, 11, 4, 9, 0, tzinfo=UTC)))
    factories.intake(trajectory, motivation=AREAS["intake"], by=staff)
    goal = factories.learning_goal(trajectory, own_words=AREAS["goal"])
    volunteer = factories.volunteer("Anneke", "de Boer", locations=[here])
    match = factories.match(trajectory, volunteer)
    for n in range(sessions):
        factories.match_session(match, held_on=date(2026, 11, 20 - n % 19),
                                practised=AREAS["session"] if n == 0 else f"Oefening {n}")
    offer = factories.offer(here, name=AREAS["group"], kind="taalcafe", domain="language")
    enrollment = Enrollment(trajectory=trajectory, offer=offer, status="active",
                            started_on=date(2026, 11, 13))
    meeting = GroupMeeting(offer=offer, held_on=date(2026, 11, 18))
    db.session.add_all([enrollment, meeting])
    db.session.flush()
    db.session.add(Attendance(meeting_id=meeting.id, enrollment_id=enrollment.id,
                              status="present"))
    factories.checkin(trajectory, due_on=date(2026, 11, 19), status="done",
                      outcome="going_well", note=AREAS["checkin"], rule_code=None,
                      kind="match_2w", done_by_id=coordinator.id,
                      done_at=datetime(2026, 11, 19, 10, 0, tzinfo=UTC))
    db.session.add(Appointment(trajectory=trajectory, starts_at=datetime(2026, 11, 10, 9, 30,
                                                                         tzinfo=UTC),
                               location=here, room=AREAS["appointment"],
                               with_user_id=staff.id, status="held"))
    factories.consent(person, by=staff)
    share = factories.consent(person, kind="share_with_referrer", by=staff)
    share.referral_id, share.note = referral.id, AREAS["consent note"]
    for n in range(messages):
        db.session.add(Notification(
            kind="msg_free", subject_key=f"free:k{n}{tag}",
            recipient_key=f"participant:{person.id}", period_key="free", channel="sms",
            participant_id=person.id, trajectory_id=trajectory.id, subject="Bericht",
            body=AREAS["message to her"] if n == 0 else f"Bericht {n}", status="sent",
            created_at=datetime(2026, 11, 9, 9, n % 60, tzinfo=UTC)))
    db.session.add(Notification(
        kind="out_of_view", subject_key=f"trajectory:{trajectory.id}",
        recipient_key=f"user:{coordinator.id}", period_key="2026-11-21", channel="app",
        user_id=coordinator.id, subject=AREAS["message about her"], body="Geen contact",
        status="sent", created_at=datetime(2026, 11, 21, 6, 0, tzinfo=UTC)))
    db.session.add(InboundMessage(provider="outbox", provider_message_id=f"in-1{tag}",
                                  channel="sms", from_phone="+31612345678",
                                  body=AREAS["her answer"],
                                  participant_id=person.id, trajectory_id=trajectory.id,
                                  meaning="confirm",
                                  received_at=datetime(2026, 11, 9, 10, 0, tzinfo=UTC)))
    db.session.add(MessageStop(participant_id=person.id, channel="whatsapp",
                               phone="+31612345678",
                               stopped_at=datetime(2026, 11, 15, 10, 0, tzinfo=UTC)))
    db.session.flush()
    return {"here": here, "coordinator": coordinator, "staff": staff, "person": person,
            "trajectory": trajectory, "goal": goal, "match": match}


@pytest.fixture
def world(db, frozen):
    return _person()


def _seen_by_staff(client, auth, world):
    """Bart of the desk opens the person's page: a view the inzage must show."""
    auth.login(world["staff"])
    assert client.get(f"/deelnemers/{world['person'].id}").status_code == 200
    auth.logout()


def test_the_print_view_holds_every_area_and_who_looked(client, auth, world):
    _seen_by_staff(client, auth, world)
    auth.login(world["coordinator"])
    response = client.get(f"/deelnemers/{world['person'].id}/inzage")
    assert response.status_code == 200
    page = html_of(response)
    for area, value in AREAS.items():
        assert value in page, area
    assert "Wat het Taalhuis over u weet" in page
    assert "Wie keek of veranderde er iets?" in page
    # Bart's view, in Dutch, with his role and the local time (10:00 in Amsterdam).
    assert "Bart Balie" in page and "Medewerker Taalhuis" in page
    assert "deelnemer bekeken" in page
    assert "23 nov 2026 10:00" in page
    assert "print-inzage.css" in page
    assert "Download als PDF" in page


def test_the_json_file_holds_the_same(client, auth, world):
    _seen_by_staff(client, auth, world)
    auth.login(world["coordinator"])
    response = client.get(f"/deelnemers/{world['person'].id}/inzage.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["format"] == "houvast-inzage/1" and data["complete"] is True
    assert data["person"]["first_name"] == "Fatima"
    assert data["person"]["phone"] == "+31612345678"
    (t,) = data["trajectories"]
    assert t["referrals"][0]["partner"] == "Gemeente Utrecht"
    assert t["referrals"][0]["contact_person"] == "Sanne de Vries"
    assert t["referrals"][0]["question"] == AREAS["question"]
    assert t["contact_attempts"][0]["note"] == AREAS["contact attempt"]
    assert t["intake"]["motivation"] == AREAS["intake"]
    assert t["learning_goals"][0]["own_words"] == AREAS["goal"]
    assert t["matches"][0]["volunteer"] == "Anneke de Boer"
    assert t["matches"][0]["sessions"][0]["practised"] == AREAS["session"]
    assert t["group_enrollments"][0]["group"] == AREAS["group"]
    assert t["group_enrollments"][0]["attendance"] == [
        {"meeting_on": "2026-11-18", "status": "present"}]
    assert t["checkins"][0]["note"] == AREAS["checkin"]
    assert t["appointments"][0]["place"].endswith(AREAS["appointment"])
    kinds = [(c["kind"], c["referral_id"]) for c in data["consents"]]
    assert kinds == [("processing", None), ("share_with_referrer", t["referrals"][0]["id"])]
    bodies = {m["body"]: m["to"] for m in data["messages"]}
    assert bodies[AREAS["message to her"]] == "participant"
    assert "staff" in {m["to"] for m in data["messages"]
                       if m["subject"] == AREAS["message about her"]}
    assert data["answers"][0]["body"] == AREAS["her answer"]
    assert data["message_stops"][0]["channel"] == "whatsapp"
    views = [e for e in data["audit"] if e["user"] == "Bart Balie"]
    assert views and views[0]["action"] == "view" and views[0]["role"] == "staff"
    assert views[0]["at"] == "2026-11-23T09:00:00+00:00"
    assert views[0]["text"] == "deelnemer bekeken"


def test_the_pdf_is_a_pdf_with_her_name_and_data(client, auth, world):
    auth.login(world["coordinator"])
    response = client.get(f"/deelnemers/{world['person'].id}/inzage.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Fatima El Amrani" in text
    assert AREAS["goal"] in text
    assert "Wie keek of veranderde er iets?" in text


@pytest.mark.parametrize("form", ["", ".pdf", ".json"])
def test_each_inzage_is_logged(client, auth, db, world, form):
    auth.login(world["coordinator"])
    assert client.get(f"/deelnemers/{world['person'].id}/inzage{form}").status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "inzage"))
    assert event.action == "export" and event.participant_id == world["person"].id
    assert event.user_id == world["coordinator"].id
    assert event.summary == {"": "om te printen", ".pdf": "als PDF",
                             ".json": "als JSON-bestand"}[form]


@pytest.mark.parametrize("role", ["staff", "volunteer", "partner"])
@pytest.mark.parametrize("path", ["inzage", "inzage.pdf", "inzage.json", "wie-keek-er"])
def test_who_may_not_gets_404(client, auth, db, world, role, path):
    locations = [world["here"]] if role == "staff" else None
    auth.as_role(role, locations=locations)
    assert client.get(f"/deelnemers/{world['person'].id}/{path}").status_code == 404
    assert factories.count(AuditEvent, AuditEvent.object_type.in_(
        ("inzage", "audit_trail"))) == 0


def test_admin_gets_the_inzage_and_the_page_links_to_it(client, auth, world):
    auth.as_role("admin")
    assert client.get(f"/deelnemers/{world['person'].id}/inzage").status_code == 200
    auth.logout()
    auth.login(world["coordinator"])
    page = html_of(client.get(f"/deelnemers/{world['person'].id}"))
    assert f"/deelnemers/{world['person'].id}/inzage" in page
    assert f"/deelnemers/{world['person'].id}/wie-keek-er" in page
    auth.logout()
    auth.login(world["staff"])
    page = html_of(client.get(f"/deelnemers/{world['person'].id}"))
    assert "/inzage" not in page and "wie-keek-er" not in page


def test_a_trajectory_elsewhere_stays_out_and_the_document_says_so(client, auth, db, world):
    elsewhere = factories.location("Bibliotheek Elders")
    other = factories.trajectory(world["person"], location_obj=elsewhere,
                                 referred_on=date(2025, 3, 1))
    other.referral.question = "Geheime vraag elders"
    auth.login(world["coordinator"])
    page = html_of(client.get(f"/deelnemers/{world['person'].id}/inzage"))
    assert "Geheime vraag elders" not in page
    assert "Vraag een beheerder om de volledige inzage" in page
    data = json.loads(client.get(f"/deelnemers/{world['person'].id}/inzage.json").data)
    assert data["complete"] is False and len(data["trajectories"]) == 1


def test_the_inzage_takes_a_fixed_number_of_queries(client, auth, db, frozen, count_queries):
    small = _person(sessions=1, messages=1)
    db.session.commit()
    auth.login(small["coordinator"])
    with count_queries() as few:
        assert client.get(f"/deelnemers/{small['person'].id}/inzage.json").status_code == 200
    big = _person(sessions=15, messages=12, tag=" 2")
    for n in range(10):
        factories.learning_goal(big["trajectory"], own_words=f"Doel {n}")
        factories.checkin(big["trajectory"], due_on=date(2026, 12, 1 + n), rule_code=None)
    db.session.commit()
    auth.logout()
    auth.login(big["coordinator"])
    with count_queries() as many:
        assert client.get(f"/deelnemers/{big['person'].id}/inzage.json").status_code == 200
    assert len(many) == len(few), (len(few), len(many))
    assert len(few) < 40


# --- Wie keek er? -------------------------------------------------------------------------

def test_who_looked_lists_the_views_of_the_test_with_role_and_dutch_action(client, auth,
                                                                          world):
    _seen_by_staff(client, auth, world)
    auth.login(world["coordinator"])
    person = world["person"].id
    assert client.get(f"/intake/{world['trajectory'].id}").status_code == 200
    response = client.get(f"/deelnemers/{person}/wie-keek-er")
    assert response.status_code == 200
    page = html_of(response)
    assert "Wie keek er?" in page and "Fatima El Amrani" in page
    assert "Bart Balie" in page and "Medewerker Taalhuis" in page
    assert "Carla Coördinator" in page and "Coördinator</td>" in page
    assert "deelnemer bekeken" in page and "intake bekeken" in page
    assert "23 nov 2026 10:00" in page
    # Looking at the list is a view of the person's data too.
    again = html_of(client.get(f"/deelnemers/{person}/wie-keek-er"))
    assert "wie keek er bekeken: pagina 1" in again


def test_who_looked_is_newest_first_and_paginated(client, auth, db, world):
    person = world["person"]
    for n in range(55):
        db.session.add(AuditEvent(user_id=world["staff"].id, action="view",
                                  object_type="participant", object_id=person.id,
                                  participant_id=person.id, summary=f"keer {n}",
                                  at=datetime(2026, 10, 1, 8, 0, tzinfo=UTC).replace(
                                      minute=n)))
    auth.login(world["coordinator"])
    first = html_of(client.get(f"/deelnemers/{person.id}/wie-keek-er"))
    assert "Pagina 1 van 2" in first
    assert first.index("keer 54") < first.index("keer 53")
    assert "keer 4<" not in first
    second = html_of(client.get(f"/deelnemers/{person.id}/wie-keek-er?page=2"))
    assert "keer 4<" in second and "keer 54" not in second


def test_who_looked_takes_a_fixed_number_of_queries(client, auth, db, world, count_queries):
    person = world["person"]
    auth.login(world["coordinator"])
    client.get(f"/deelnemers/{person.id}")
    with count_queries() as few:
        client.get(f"/deelnemers/{person.id}/wie-keek-er")
    others = [factories.user("staff", locations=[world["here"]]) for _ in range(8)]
    for n, user in enumerate(others * 5):
        db.session.add(AuditEvent(user_id=user.id, action="update", object_type="trajectory",
                                  participant_id=person.id, summary=f"gewijzigd: owner {n}"))
    db.session.commit()
    with count_queries() as many:
        client.get(f"/deelnemers/{person.id}/wie-keek-er")
    assert len(many) == len(few)


def test_a_demo_person_gets_all_three(client, auth, db, demo_data):
    from app.auth.models import User
    from app.participants.models import Participant, Trajectory

    admin = db.session.scalar(sa.select(User).where(User.role == "admin").limit(1))
    person = db.session.scalar(
        sa.select(Participant).join(Trajectory).where(Trajectory.status == "active")
        .order_by(Participant.id).limit(1))
    auth.login(admin.email, demo_data.password)
    page = html_of(client.get(f"/deelnemers/{person.id}/inzage"))
    assert person.full_name in page
    data = json.loads(client.get(f"/deelnemers/{person.id}/inzage.json").data)
    assert data["person"]["id"] == person.id and data["trajectories"]
    assert sum(len(t["learning_goals"]) for t in data["trajectories"]) > 0
    reader = pypdf.PdfReader(io.BytesIO(client.get(f"/deelnemers/{person.id}/inzage.pdf").data))
    assert person.first_name in reader.pages[0].extract_text()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Consent).where(
        Consent.participant_id == person.id)) == len(data["consents"])
    visible = [t.id for t in person.trajectories]
    assert sum(len(t["checkins"]) for t in data["trajectories"]) == factories.count(
        CheckIn, CheckIn.trajectory_id.in_(visible))
