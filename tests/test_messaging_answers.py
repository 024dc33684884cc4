"""Answers and the staff side of messages to participants: "JA" confirms the intake on the
agenda, "NEE" gives the owner a task to plan again, anything else waits in Mijn taken until
"Gelezen", STOP shows on the participant page until staff lift it, a free message from the
participant page, the timeline, consent at registration, and `flask messages receive`."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.appointments.models import Appointment
from app.auth.models import User
from app.checkins.models import CheckIn
from app.messaging import inbox
from app.messaging.answers import receive
from app.messaging.gateway import Inbound
from app.messaging.inbox import answers_section
from app.messaging.models import InboundMessage, MessageStop
from app.messaging.service import queue_message, reach
from app.messaging.staff import message_timeline
from app.messaging.texts import place_text, say_moment
from app.notifications.models import Notification
from app.notifications.service import deliver_pending
from app.participants.models import Consent, Participant, Trajectory
from app.referrals.service import plan_intake

from . import factories
from .test_intakes import form_data as intake_form
from .test_referrals import referral_form

# Wednesday 25 November 2026, 10:00 in Amsterdam.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# Tuesday 1 December 2026, 10.30 in Amsterdam.
INTAKE_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PHONE = "+31612345678"


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "outbox"


def _outbox(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


@pytest.fixture
def desk(db):
    """A location with its phone number, its coordinator (owner) and a staff member."""
    location = factories.location("Bibliotheek Centrum")
    location.phone = "+31302345678"
    owner = factories.user("coordinator", name="Coördinator Cor", locations=[location])
    staff = factories.user("staff", name="Sanne Baas", locations=[location])
    db.session.commit()
    return {"location": location, "owner": owner, "staff": staff}


def _person(desk, *, first_name="Fatima", phone="06-12345678", channel="whatsapp",
            consent=True, owner=None):
    person = factories.participant(first_name=first_name, phone=phone,
                                   preferred_channel=channel)
    if consent is not None:
        factories.consent(person, kind="messages", given=consent)
    trajectory = factories.trajectory(person, location_obj=desk["location"], status="contacted",
                                      owner=owner or desk["owner"])
    return person, trajectory


def _confirmation_sent(desk, person, trajectory) -> Appointment:
    """The intake planned, its WhatsApp confirmation sent (through the outbox)."""
    appointment = plan_intake(trajectory, INTAKE_AT, desk["staff"], NOW - timedelta(hours=1))
    queue_message(participant=person, trajectory=trajectory, code="intake_confirmation",
                  subject_key=f"appointment:{appointment.id}", period_key="confirmation",
                  values={"datum": say_moment(appointment.starts_at),
                          "adres": place_text(appointment.location, appointment.room)},
                  now=NOW - timedelta(hours=1))
    factories.db.session.commit()
    deliver_pending(NOW - timedelta(hours=1))
    return appointment


def _answer(body, *, msg_id="SM1", phone=PHONE, channel="whatsapp", at=NOW):
    row = receive(Inbound(msg_id, channel, phone, body), "outbox", at)
    factories.db.session.commit()
    return row


def _fresh(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


# --- JA and NEE ---------------------------------------------------------------------------

def test_ja_confirms_the_intake_on_the_agenda_and_counts_as_last_contact(
        client, auth, db, desk, outbox, frozen):
    person, trajectory = _person(desk)
    appointment = _confirmation_sent(desk, person, trajectory)
    assert "Stuur dan JA" in _outbox(outbox)[0]["body"]

    _answer("Ja!")
    appointment = _fresh(db, Appointment, appointment.id)
    assert appointment.confirmed_at == NOW and appointment.declined_at is None
    assert _fresh(db, Trajectory, trajectory.id).last_contact_at == NOW

    auth.login(desk["owner"])
    agenda = html_of(client.get("/agenda/?dag=2026-12-01"))
    row = re.search(rf'id="afspraak-{appointment.id}".*?</li>', agenda, re.S).group(0)
    assert "Bevestigd" in row and "Kan niet" not in row
    page = html_of(client.get(f"/deelnemers/{person.id}"))
    assert "Antwoord (WhatsApp): bevestigd" in page and "“Ja!”" in page
    assert "Bericht (WhatsApp): Intake: bevestiging, verstuurd" in page


def test_nee_marks_it_declined_and_gives_the_owner_a_task_to_plan_again(
        client, auth, db, desk, outbox, frozen):
    person, trajectory = _person(desk)
    appointment = _confirmation_sent(desk, person, trajectory)

    _answer("kan niet")
    _answer("NEE", msg_id="SM2")  # said twice: still one task
    assert _fresh(db, Appointment, appointment.id).declined_at == NOW
    tasks = db.session.scalars(sa.select(CheckIn).where(CheckIn.kind == "reschedule")).all()
    assert [(t.topic, t.assignee_id, t.trajectory_id) for t in tasks] == [(
        "Fatima kan niet op de intake van dinsdag 1 december, 10.30 uur: plan opnieuw",
        desk["owner"].id, trajectory.id)]

    auth.login(desk["owner"])
    assert "plan opnieuw" in html_of(client.get("/taken"))
    agenda = html_of(client.get("/agenda/?dag=2026-12-01"))
    assert "Kan niet" in re.search(rf'id="afspraak-{appointment.id}".*?</li>', agenda,
                                   re.S).group(0)

    # The owner plans it again: the task is done with that, it leaves Mijn taken.
    plan_intake(trajectory, datetime(2026, 12, 3, 13, 0, tzinfo=UTC), desk["owner"], NOW)
    db.session.commit()
    assert [t.status for t in db.session.scalars(
        sa.select(CheckIn).where(CheckIn.kind == "reschedule"))] == ["cancelled"]
    assert "plan opnieuw" not in html_of(client.get("/taken"))


def test_ja_on_a_message_that_is_not_about_an_appointment_changes_no_appointment(
        db, desk, outbox, frozen):
    person, trajectory = _person(desk)
    appointment = plan_intake(trajectory, INTAKE_AT, desk["staff"], NOW - timedelta(hours=2))
    queue_message(participant=person, trajectory=trajectory, code="free",
                  subject_key="free:abc", period_key="free",
                  values={"tekst": "Hoe gaat het?", "afzender": "Sanne"},
                  now=NOW - timedelta(hours=1))
    db.session.commit()
    deliver_pending(NOW - timedelta(hours=1))
    row = _answer("ok")
    assert _fresh(db, Appointment, appointment.id).confirmed_at is None
    # Only the owner knows what this "ok" answers: it waits in Mijn taken to be read.
    assert row.meaning == "confirm"
    assert [r.id for r in inbox.to_read(desk["owner"])] == [row.id]


def test_an_answer_on_a_trajectory_without_owner_goes_to_the_locations_coordinators(
        db, desk, outbox, frozen):
    person, trajectory = _person(desk)
    trajectory.owner = None
    elsewhere = factories.user("coordinator", name="Coördinator Elders")
    db.session.commit()
    row = _answer("Wanneer is mijn afspraak?")
    assert [r.id for r in inbox.to_read(desk["owner"])] == [row.id]
    assert inbox.to_read(desk["staff"]) == [] and inbox.to_read(elsewhere) == []


def test_nee_to_the_first_meeting_with_a_volunteer_gives_the_owner_one_task(
        db, desk, outbox, frozen):
    person, trajectory = _person(desk, channel="sms")
    trajectory.status = "active"
    match = factories.match(trajectory, factories.volunteer("Anneke",
                                                            locations=[desk["location"]]))
    queue_message(participant=person, trajectory=trajectory, code="match_first_meeting",
                  subject_key=f"match:{match.id}", period_key="first_meeting",
                  values={"vrijwilliger": "Anneke", "datum": say_moment(INTAKE_AT),
                          "adres": "Buurthuis De Pijp"}, now=NOW - timedelta(hours=1))
    db.session.commit()
    deliver_pending(NOW - timedelta(hours=1))
    _answer("Nee, kan niet", channel="sms")
    _answer("NEE", msg_id="SM2", channel="sms")
    tasks = db.session.scalars(sa.select(CheckIn).where(CheckIn.kind == "reschedule")).all()
    assert [(t.topic, t.assignee_id, t.match_id) for t in tasks] == [(
        "Fatima kan niet op de eerste afspraak met het taalmaatje: spreek een ander moment af",
        desk["owner"].id, match.id)]


# --- Anything else: to read --------------------------------------------------------------

def test_an_other_answer_waits_in_mijn_taken_of_its_owner_until_gelezen(
        client, auth, db, desk, outbox, frozen, count_queries):
    person, trajectory = _person(desk)
    _confirmation_sent(desk, person, trajectory)
    # Another coordinator's participant at the same desk answers too.
    colleague = factories.user("coordinator", name="Coördinator Ria",
                               locations=[desk["location"]])
    other, _ = _person(desk, first_name="Ahmed", phone="06-87654321", owner=colleague)
    db.session.commit()
    row = _answer("Ik ben ziek. Mag het volgende week?")
    _answer("Wie is dit?", msg_id="SM9", phone="+31687654321")
    assert row.meaning == "other"

    auth.login(desk["owner"])
    tasks = html_of(client.get("/taken"))
    assert "Antwoorden om te lezen" in tasks and "Ik ben ziek. Mag het volgende week?" in tasks
    assert "Wie is dit?" not in tasks  # Ria's participant, not mine
    # In the daily digest too, in a fixed number of queries.
    owner = _fresh(db, User, desk["owner"].id)
    assert owner.location_ids  # the user as a digest run has them loaded
    with count_queries() as statements:
        section = answers_section(owner, NOW)
    assert len(statements) == 1
    assert [text for text, _link in section.items] == [
        "Fatima E. schreef: “Ik ben ziek. Mag het volgende week?”"]

    response = client.post(f"/berichten-deelnemer/antwoord/{row.id}/gelezen")
    assert response.status_code == 302
    read = _fresh(db, InboundMessage, row.id)
    assert read.read_at == NOW and read.read_by_id == desk["owner"].id
    assert "Ik ben ziek" not in html_of(client.get("/taken"))
    assert answers_section(desk["owner"], NOW).items == []
    # Pressed twice (two tabs): nothing changes.
    client.post(f"/berichten-deelnemer/antwoord/{row.id}/gelezen")
    assert factories.count(InboundMessage, InboundMessage.read_at.is_not(None)) == 1
    assert "antwoord gelezen" in auth.audit_log(person.id)


def test_staff_who_do_not_own_it_cannot_mark_an_answer_read(client, auth, db, desk, outbox,
                                                            frozen):
    person, trajectory = _person(desk)
    _confirmation_sent(desk, person, trajectory)
    row = _answer("Wat moet ik meenemen?")
    auth.login(desk["staff"])
    assert "Wat moet ik meenemen?" not in html_of(client.get("/taken"))
    assert client.post(f"/berichten-deelnemer/antwoord/{row.id}/gelezen").status_code == 404
    assert _fresh(db, InboundMessage, row.id).read_at is None


# --- STOP on the participant page ----------------------------------------------------------

def test_stop_shows_on_the_participant_page_and_staff_can_lift_it(client, auth, db, desk,
                                                                   outbox, frozen):
    person, trajectory = _person(desk)
    _confirmation_sent(desk, person, trajectory)
    _answer("STOP")
    [stop] = db.session.scalars(sa.select(MessageStop)).all()

    auth.login(desk["staff"])
    page = html_of(client.get(f"/deelnemers/{person.id}"))
    block = re.search(r'<section id="berichten".*?</section>', page, re.S).group(0)
    assert "WhatsApp is gestopt" in block and "flash-warning" in block
    assert "Weer berichten sturen" in block
    assert "U kunt nu geen bericht sturen" in block and 'name="tekst"' not in block
    assert "Antwoord (WhatsApp): STOP" in page

    response = client.post(f"/berichten-deelnemer/stop/{stop.id}/opheffen")
    assert response.status_code == 302
    stop = _fresh(db, MessageStop, stop.id)
    assert stop.lifted_at == NOW and stop.lifted_by_id == desk["staff"].id
    assert reach(db.session.get(Participant, person.id)).sends
    page = html_of(client.get(f"/deelnemers/{person.id}"))
    assert "Weer berichten sturen" not in page and 'name="tekst"' in page
    assert "berichten via whatsapp weer aan" in auth.audit_log(person.id)


def test_the_page_says_why_nothing_can_be_sent(client, auth, db, desk, frozen):
    person, _t = _person(desk, channel="sms", consent=None)
    db.session.commit()
    auth.login(desk["staff"])
    page = html_of(client.get(f"/deelnemers/{person.id}"))
    block = re.search(r'<section id="berichten".*?</section>', page, re.S).group(0)
    assert "geen toestemming voor berichten" in block and 'name="tekst"' not in block
    send = html_of(client.get(f"/berichten-deelnemer/deelnemer/{person.id}/sturen"))
    assert "geen toestemming" in send and 'name="tekst"' not in send


# --- A free message ------------------------------------------------------------------------

def _send_page_key(client, person) -> str:
    page = html_of(client.get(f"/berichten-deelnemer/deelnemer/{person.id}/sturen"))
    return re.search(r'id="form_key" name="form_key" type="hidden" value="([^"]+)"',
                     page).group(1)


def test_a_free_message_preview_shows_the_text_and_its_sms_parts_and_sends_once(
        client, auth, db, desk, outbox, frozen):
    person, _t = _person(desk, channel="sms")
    db.session.commit()
    auth.login(desk["staff"])
    key = _send_page_key(client, person)
    data = {"tekst": "Wij bellen u morgen over de taalgroep.", "afzender": "Sanne",
            "form_key": key}

    preview = html_of(client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                                  data={**data, "preview": "Voorbeeld"}))
    assert ("Hallo Fatima. Wij bellen u morgen over de taalgroep. Vragen? Bel 030 234 5678. "
            "Groet, Sanne") in preview
    assert "Dit is 1 sms." in preview
    assert factories.count(Notification) == 0  # a preview sends nothing
    long = html_of(client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                               data={**data, "tekst": "Wij zoeken een plek. " * 10,
                                     "preview": "Voorbeeld"}))
    assert "Dit zijn 2 sms" in long

    first = client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                        data={**data, "submit": "Versturen"})
    again = client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                        data={**data, "submit": "Versturen"})
    assert first.status_code == again.status_code == 302
    [note] = db.session.scalars(sa.select(Notification)).all()
    assert note.kind == "msg_free" and note.channel == "sms" and note.subject_key == f"free:{key}"
    assert "Wij bellen u morgen over de taalgroep." in note.body
    page = html_of(client.get(f"/deelnemers/{person.id}"))
    assert "Bericht (sms): Eigen bericht (begintekst), wordt verstuurd" in page
    assert "Dit bericht was al verstuurd." in page  # the flash of the second click
    deliver_pending(NOW)
    assert len(_outbox(outbox)) == 1
    assert "Bericht (sms): Eigen bericht (begintekst), verstuurd" in html_of(
        client.get(f"/deelnemers/{person.id}"))


def test_a_free_message_in_the_quiet_hours_waits_until_eight_on_the_timeline(
        client, auth, db, desk, outbox, frozen):
    frozen.move_to(datetime(2026, 11, 25, 21, 30, tzinfo=UTC))  # 22:30 in Amsterdam
    person, _t = _person(desk, channel="whatsapp")
    db.session.commit()
    auth.login(desk["staff"])
    key = _send_page_key(client, person)
    client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                data={"tekst": "Tot morgen.", "afzender": "Sanne", "form_key": key,
                      "submit": "Versturen"})
    assert "wacht tot 08.00" in html_of(client.get(f"/deelnemers/{person.id}"))


def test_bad_input_on_the_free_message_gets_a_dutch_message_at_the_field(
        client, auth, db, desk, frozen):
    person, _t = _person(desk, channel="sms")
    db.session.commit()
    auth.login(desk["staff"])
    key = _send_page_key(client, person)
    page = html_of(client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                               data={"tekst": "  ", "afzender": "Sanne", "form_key": key,
                                     "submit": "Versturen"}))
    assert re.search(r'id="tekst-error"[^>]*>Schrijf eerst wat u de deelnemer wilt zeggen',
                     page)
    page = html_of(client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                               data={"tekst": "x" * 301, "afzender": "Sanne", "form_key": key,
                                     "submit": "Versturen"}))
    assert "Het bericht is te lang. Gebruik hoogstens 300 tekens." in page
    page = html_of(client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen",
                               data={"tekst": "Hallo daar", "afzender": "Sanne",
                                     "form_key": "kort", "submit": "Versturen"}))
    assert "Het formulier was verlopen" in page and "Hallo daar" in page
    assert factories.count(Notification) == 0
    # Opening the form shows the person's number and channel: it is in the audit log.
    assert "bericht sturen" in auth.audit_log(person.id)


def test_volunteers_and_partners_get_none_of_the_message_pages(client, auth, db, desk,
                                                                outbox, frozen):
    person, trajectory = _person(desk)
    _confirmation_sent(desk, person, trajectory)
    row = _answer("Wat moet ik meenemen?", msg_id="SM3")
    _answer("STOP", msg_id="SM4")
    stop = db.session.scalar(sa.select(MessageStop))
    volunteer, volunteer_user = factories.volunteer_with_account(locations=[desk["location"]])
    factories.match(trajectory, volunteer)
    db.session.commit()
    for login in (volunteer_user, None):
        if login is None:
            auth.logout()
            auth.as_role("partner")
        else:
            auth.login(login)
        assert client.get(
            f"/berichten-deelnemer/deelnemer/{person.id}/sturen").status_code == 404
        assert client.post(f"/berichten-deelnemer/deelnemer/{person.id}/sturen", data={
            "tekst": "x", "afzender": "x", "form_key": "a" * 20,
            "submit": "Versturen"}).status_code == 404
        assert client.post(f"/berichten-deelnemer/stop/{stop.id}/opheffen").status_code == 404
        assert client.post(
            f"/berichten-deelnemer/antwoord/{row.id}/gelezen").status_code == 404
    assert _fresh(db, MessageStop, stop.id).lifted_at is None
    # The timeline provider gives a volunteer nothing, whatever page asks it.
    assert message_timeline([db.session.get(Trajectory, trajectory.id)], volunteer_user) == []


def test_the_timeline_reads_messages_and_answers_in_two_queries(db, desk, outbox, frozen,
                                                                 count_queries):
    person, trajectory = _person(desk)
    _confirmation_sent(desk, person, trajectory)
    for n in range(5):
        _answer(f"Antwoord {n}", msg_id=f"SM{n}", at=NOW + timedelta(minutes=n))
    owner = _fresh(db, User, desk["owner"].id)
    trajectory = db.session.get(Trajectory, trajectory.id)
    assert owner.active and trajectory.participant_id  # loaded, as on the page
    with count_queries() as statements:
        items = message_timeline([trajectory], owner)
    assert len(statements) == 2 and len(items) == 6


# --- Consent and language ------------------------------------------------------------------

def test_the_messages_consent_asked_at_registration_is_stored_and_shown(client, auth, db,
                                                                         frozen):
    staff = auth.as_role("staff")
    form = referral_form(staff.locations[0], preferred_channel="whatsapp",
                         messages_consent="yes", referred_on=NOW.date().isoformat())
    response = client.post("/aanmeldingen/nieuw", data=form)
    assert response.status_code == 302, html_of(response)
    person = db.session.scalar(sa.select(Participant))
    [consent] = db.session.scalars(sa.select(Consent).where(Consent.kind == "messages")).all()
    assert consent.given and consent.method == "verbal" and consent.recorded_by_id == staff.id
    page = html_of(client.get(f"/deelnemers/{person.id}/toestemming"))
    assert "Berichten sturen via sms, WhatsApp of e-mail" in page
    assert "Berichten gaan via WhatsApp naar" in html_of(client.get(f"/deelnemers/{person.id}"))
    # Not answered: nothing is recorded ("nog niet gevraagd").
    client.post("/aanmeldingen/nieuw", data=referral_form(
        staff.locations[0], first_name="Ahmed", last_name="Yilmaz", phone="06-87654321",
        referred_on=NOW.date().isoformat()))
    assert factories.count(Consent, Consent.kind == "messages") == 1


def test_the_messages_consent_at_the_intake_is_saved(client, auth, db, frozen):
    location = factories.location()
    staff = auth.as_role("staff", locations=[location])
    person = factories.participant(preferred_channel="sms")
    trajectory = factories.trajectory(person, location_obj=location, status="contacted")
    db.session.commit()
    response = client.post(f"/intake/{trajectory.id}",
                           data=intake_form(held_on="2026-11-24", consent_messages="yes"))
    assert response.status_code == 302, html_of(response)
    consent = db.session.scalar(sa.select(Consent).where(Consent.kind == "messages"))
    assert consent.given and consent.recorded_by_id == staff.id
    assert "Berichten gaan via sms naar 06 12345678" in html_of(
        client.get(f"/deelnemers/{person.id}"))


def test_the_participant_edit_form_keeps_the_message_language(client, auth, db, desk, frozen):
    person, _t = _person(desk)
    db.session.commit()
    auth.login(desk["staff"])
    page = html_of(client.get(f"/deelnemers/{person.id}/bewerken"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"version": version, "first_name": "Fatima", "last_name": "El Amrani",
            "phone": "06-12345678", "email": "", "preferred_channel": "whatsapp",
            "message_language": "ar", "birth_year": "1985", "language_background": "nt2",
            "native_language": "", "other_languages": "", "sex": "", "postcode4": "",
            "found_via": ""}
    assert client.post(f"/deelnemers/{person.id}/bewerken", data=data).status_code == 302
    assert _fresh(db, Participant, person.id).message_language == "ar"
    assert "Arabisch" in html_of(client.get(f"/deelnemers/{person.id}"))
    page = html_of(client.get(f"/deelnemers/{person.id}/bewerken"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    client.post(f"/deelnemers/{person.id}/bewerken",
                data={**data, "version": version, "message_language": ""})
    assert _fresh(db, Participant, person.id).message_language is None


# --- Development: the CLI and the demo ------------------------------------------------------

def test_flask_messages_receive_stores_the_answer_and_says_what_it_did(
        app, runner, db, desk, outbox, frozen):
    person, trajectory = _person(desk)
    appointment = _confirmation_sent(desk, person, trajectory)
    result = runner.invoke(args=["messages", "receive", "--from", "0612345678",
                                 "--channel", "whatsapp", "JA"])
    assert result.exit_code == 0, result.output
    assert "Fatima El Amrani" in result.output and "bevestigd" in result.output
    assert _fresh(db, Appointment, appointment.id).confirmed_at == NOW
    unknown = runner.invoke(args=["messages", "receive", "--from", "0611112222", "hoi"])
    assert unknown.exit_code == 0 and "Onbekend nummer" in unknown.output
    bad = runner.invoke(args=["messages", "receive", "--from", "abc", "hoi"])
    assert bad.exit_code != 0 and "geen telefoonnummer" in bad.output
    assert factories.count(InboundMessage) == 2


def test_the_demo_has_a_confirmed_intake_an_answer_to_read_and_a_stop(demo_data, db):
    meanings = {row.meaning for row in db.session.scalars(sa.select(InboundMessage))}
    assert {"confirm", "other", "stop"} <= meanings
    assert db.session.scalar(sa.select(Appointment).where(
        Appointment.confirmed_at.is_not(None))) is not None
    channels = set(db.session.scalars(sa.select(Participant.preferred_channel)))
    assert {"whatsapp", "sms", "email", "letter", "phone"} <= channels
    assert factories.count(MessageStop) >= 1
