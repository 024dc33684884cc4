"""The core of messages to participants: the channel decides what happens, consent and STOP
are checked at the claim and again at sending, quiet hours make SMS and WhatsApp wait, and
the ledger sends each message once."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.checkins.models import CheckIn
from app.messaging.answers import interpret, receive
from app.messaging.gateway import Inbound
from app.messaging.models import AnswerMeaning, InboundMessage, MessageStop
from app.messaging.service import queue_message, reach
from app.messaging.texts import say_moment, sms_parts
from app.notifications.service import deliver_pending

from . import factories

# Wednesday 25 November 2026, 10:00 in Amsterdam.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _person(channel="whatsapp", consent=True, phone="06-12345678", **kwargs):
    location = factories.location()
    location.phone = "+31302345678"
    owner = factories.user("coordinator", locations=[location])
    person = factories.participant(preferred_channel=channel, phone=phone, **kwargs)
    if consent is not None:
        factories.consent(person, kind="messages", given=consent)
    trajectory = factories.trajectory(person, location_obj=location, owner=owner)
    return person, trajectory


def _queue(person, trajectory, now=NOW, key="t:1", **kwargs):
    return queue_message(participant=person, trajectory=trajectory, code="free",
                         subject_key=key, period_key="once",
                         values={"tekst": "Wij bellen u morgen.", "afzender": "Sanne"},
                         now=now, call_topic="Bel Fatima: over het bericht", **kwargs)


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


def _outbox(app):
    folder = Path(app.instance_path) / "outbox"
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.json"))]


def test_whatsapp_goes_through_the_outbox_once(app, db, outbox):
    person, trajectory = _person()
    note = _queue(person, trajectory)
    assert note is not None and note.channel == "whatsapp" and note.phone == "+31612345678"
    assert "Hallo Fatima. Wij bellen u morgen." in note.body and "030 234 5678" in note.body
    assert _queue(person, trajectory) is None  # the same message twice is one claim
    deliver_pending(NOW)
    deliver_pending(NOW + timedelta(minutes=5))
    sent = _outbox(app)
    assert len(sent) == 1 and sent[0]["to"] == "+31612345678" and sent[0]["channel"] == "whatsapp"
    db.session.refresh(note)
    assert note.status == "sent" and note.provider_message_id.startswith("outbox-")


def test_nothing_without_consent_and_the_page_says_why(app, db):
    person, trajectory = _person(consent=None)
    assert _queue(person, trajectory) is None
    info = reach(person)
    assert not info.sends and "geen toestemming" in info.note


def test_consent_withdrawn_after_the_claim_stops_the_message(app, db, outbox):
    person, trajectory = _person()
    note = _queue(person, trajectory)
    factories.consent(person, kind="messages", given=False, recorded_at=NOW)
    db.session.commit()
    deliver_pending(NOW)
    db.session.refresh(note)
    assert note.status == "skipped" and _outbox(app) == []


def test_quiet_hours_make_an_sms_wait_until_eight(app, db, outbox):
    person, trajectory = _person(channel="sms")
    evening = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 22:30 in Amsterdam
    note = _queue(person, trajectory, now=evening)
    assert note.not_before == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 08:00 local
    deliver_pending(evening)
    deliver_pending(datetime(2026, 11, 26, 6, 30, tzinfo=UTC))  # 07:30 local
    assert _outbox(app) == []
    deliver_pending(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    assert len(_outbox(app)) == 1


def test_a_landline_gets_a_note_instead_of_silent_failure(app, db):
    person, trajectory = _person(channel="sms", phone="030-2345678")
    info = reach(person)
    assert not info.sends and info.problem and "kan geen sms ontvangen" in info.note
    assert _queue(person, trajectory) is None


def test_prefers_phone_gives_the_owner_a_call_task_once(app, db):
    person, trajectory = _person(channel="phone")
    note = _queue(person, trajectory)
    assert note.channel == "call" and note.status == "sent"
    assert _queue(person, trajectory) is None
    tasks = db.session.scalars(sa.select(CheckIn).where(
        CheckIn.trajectory_id == trajectory.id)).all()
    assert [(t.kind, t.topic, t.assignee_id) for t in tasks] == [
        ("call_instead", "Bel Fatima: over het bericht", trajectory.owner_id)]


def test_letter_lands_on_the_print_list_not_in_any_outbox(app, db, outbox):
    person, trajectory = _person(channel="letter", consent=None)
    note = _queue(person, trajectory)
    deliver_pending(NOW)
    db.session.refresh(note)
    assert note.channel == "letter" and note.status == "pending" and _outbox(app) == []


def test_answers_are_read_for_their_meaning():
    assert interpret(" Ja! ") == AnswerMeaning.CONFIRM
    assert interpret("👍") == AnswerMeaning.CONFIRM
    assert interpret("kan niet") == AnswerMeaning.DECLINE
    assert interpret("STOP") == AnswerMeaning.STOP
    assert interpret("afmelden.") == AnswerMeaning.STOP
    assert interpret("Ik ben ziek, mag het volgende week?") == AnswerMeaning.OTHER
    # A few words that say yes or no are read as that; both at once go to the owner.
    assert interpret("Ja 👍🏽") == AnswerMeaning.CONFIRM
    assert interpret("ja ik kom") == AnswerMeaning.CONFIRM
    assert interpret("Oké, tot dan!") == AnswerMeaning.CONFIRM
    assert interpret("ik kom niet") == AnswerMeaning.DECLINE
    assert interpret("Nee sorry") == AnswerMeaning.DECLINE
    assert interpret("ja maar ik kan niet") == AnswerMeaning.OTHER
    assert interpret("Ja ik kom maar mijn zoon is ziek, kan ik later?") == AnswerMeaning.OTHER
    # STOP only as the whole answer: "ik wil niet stoppen" is no STOP.
    assert interpret("ik wil niet stoppen") != AnswerMeaning.STOP


def test_stop_ends_whatsapp_at_once_with_one_last_message(app, db, outbox):
    person, trajectory = _person()
    queued = _queue(person, trajectory)  # claimed before the STOP, not yet sent
    row = receive(Inbound("SM1", "whatsapp", "+31612345678", "STOP"), "outbox", NOW)
    assert row.meaning == "stop" and row.participant_id == person.id
    # A resent webhook is stored once and does nothing more.
    assert receive(Inbound("SM1", "whatsapp", "+31612345678", "STOP"), "outbox", NOW) is None
    assert factories.count(MessageStop) == 1 and factories.count(InboundMessage) == 1
    db.session.commit()
    deliver_pending(NOW)
    sent = _outbox(app)
    assert len(sent) == 1 and "geen berichten meer via WhatsApp" in sent[0]["body"]
    db.session.refresh(queued)
    assert queued.status == "skipped"
    assert _queue(person, trajectory, key="t:2") is None
    assert "STOP" in reach(person).note


def test_an_answer_counts_as_contact(app, db):
    person, trajectory = _person()
    trajectory.out_of_view_since = NOW - timedelta(days=3)
    receive(Inbound("SM2", "sms", "+31612345678", "ok"), "outbox", NOW)
    assert trajectory.last_contact_at == NOW and trajectory.out_of_view_since is None


def test_an_unknown_number_is_kept_but_acts_on_nobody(app, db):
    _person()
    row = receive(Inbound("SM3", "sms", "+31687654321", "JA"), "outbox", NOW)
    assert row.participant_id is None and row.meaning == "unknown"


def test_dates_are_said_as_people_say_them():
    # Tuesday 8 December 2026, 10:30 in Amsterdam.
    assert say_moment(datetime(2026, 12, 8, 9, 30, tzinfo=UTC)) == "dinsdag 8 december, 10.30 uur"


def test_sms_parts_count_the_alphabet():
    assert sms_parts("a" * 160) == (1, "gsm")
    assert sms_parts("a" * 161) == (2, "gsm")
    assert sms_parts("€" * 80) == (1, "gsm")
    assert sms_parts("€" * 81) == (2, "gsm")
    assert sms_parts("ë" * 70) == (1, "ucs2")
    assert sms_parts("ë" * 71) == (2, "ucs2")
