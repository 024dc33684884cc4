"""Issue 12's "Done when", walked through as the people involved see it, with the outbox
gateway (what `make run` uses): a WhatsApp confirmation at once and a reminder the day before
at a decent hour; "JA" confirmed on the agenda and as last contact; STOP ends WhatsApp; a
person who prefers "bellen" gives the owner a call task. (The same with the provider's own
API: tests/test_messaging_twilio.py.)"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from app.notifications.service import deliver_pending
from jobs.participant_messages import job

from . import factories

# Wednesday 25 November 2026, 10:00 in Amsterdam; the intake is Tuesday 1 December 10:30.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAY_BEFORE_MORNING = datetime(2026, 11, 30, 6, 15, tzinfo=UTC)  # Monday 07:15
DAY_BEFORE_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)       # Monday 10:00


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "outbox"


def _sent(folder: Path) -> list[dict]:
    """What the outbox got, in ledger order (the file names carry the clock of the moment,
    which the tests move)."""
    sent = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
    return sorted(sent, key=lambda m: int(m["reference"].split("|")[0]))


def _person(location, owner, channel):
    location.address = "Oudegracht 12, Utrecht"
    location.phone = "+31302345678"
    person = factories.participant(first_name="Fatima", preferred_channel=channel,
                                   phone="06-12345678")
    factories.consent(person, kind="messages", given=True)
    trajectory = factories.trajectory(person, location_obj=location, owner=owner,
                                      status="contacted")
    factories.db.session.commit()
    return person, trajectory


def _plan(client, trajectory, with_user):
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake", data={
        "day": "2026-12-01", "time": "10:30", "location_id": trajectory.location_id,
        "room": "Spreekkamer 2", "with_user_id": with_user.id})
    assert response.status_code == 302


def test_whatsapp_confirmation_reminder_ja_and_stop(app, client, auth, runner, db, outbox):
    with time_machine.travel(NOW, tick=False):
        owner = auth.as_role("coordinator")
        person, trajectory = _person(owner.locations[0], owner, "whatsapp")
        _plan(client, trajectory, owner)
        deliver_pending(NOW)
    [confirmation] = _sent(outbox)
    assert confirmation["channel"] == "whatsapp" and confirmation["to"] == "+31612345678"
    assert "dinsdag 1 december, 10.30 uur" in confirmation["body"]
    assert "Oudegracht 12, Utrecht" in confirmation["body"]
    assert "Stuur dan JA" in confirmation["body"] and "030 234 5678" in confirmation["body"]

    # The day before: claimed early in the morning, sent at ten, not before.
    job(DAY_BEFORE_MORNING)
    deliver_pending(DAY_BEFORE_MORNING)
    assert len(_sent(outbox)) == 1
    deliver_pending(DAY_BEFORE_TEN)
    reminder = _sent(outbox)[-1]
    assert len(_sent(outbox)) == 2 and "Morgen heeft u een afspraak" in reminder["body"]

    # Fatima answers "JA": confirmed on the agenda, and her last contact.
    with time_machine.travel(datetime(2026, 11, 30, 10, 5, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["messages", "receive", "--from", "06 12345678",
                                     "--channel", "whatsapp", "JA"])
        assert result.exit_code == 0, result.output
        # Days later the coordinator signs in again: a session lasts at most 12 hours.
        auth.login(owner)
        agenda = client.get(f"/agenda/?dag=2026-12-01&locatie={trajectory.location_id}")
        assert "Fatima" in agenda.get_data(as_text=True)
        assert "Bevestigd" in agenda.get_data(as_text=True)
        db.session.expire_all()
        assert trajectory.last_contact_at == datetime(2026, 11, 30, 10, 5, tzinfo=UTC)

        # She sends STOP: one last message says so, and nothing more goes by WhatsApp.
        result = runner.invoke(args=["messages", "receive", "--from", "0612345678",
                                     "--channel", "whatsapp", "stop"])
        assert result.exit_code == 0, result.output
        deliver_pending(datetime(2026, 11, 30, 10, 6, tzinfo=UTC))
        last = _sent(outbox)[-1]
        assert len(_sent(outbox)) == 3 and "geen berichten meer via WhatsApp" in last["body"]
        page = client.get(f"/deelnemers/{person.id}").get_data(as_text=True)
        assert "STOP" in page
        # A colleague tries a message of their own: refused, and the page says why.
        form = client.get(f"/berichten-deelnemer/deelnemer/{person.id}/sturen")
        assert "stuurde STOP" in form.get_data(as_text=True)

    # A later reminder (a missed group meeting, a long wait) is never sent either.
    for hour in (11, 14, 20):
        job(datetime(2026, 11, 30, hour, 0, tzinfo=UTC))
        deliver_pending(datetime(2026, 11, 30, hour, 0, tzinfo=UTC))
    assert len(_sent(outbox)) == 3


def test_a_person_who_prefers_bellen_gives_the_owner_a_call_task(app, client, auth, db,
                                                                 outbox):
    with time_machine.travel(NOW, tick=False):
        owner = auth.as_role("coordinator")
        person, trajectory = _person(owner.locations[0], owner, "phone")
        colleague = factories.user("staff", locations=[trajectory.location])
        factories.db.session.commit()
        # The owner plans it (on the phone with Fatima): no task to tell her again.
        _plan(client, trajectory, colleague)
    job(DAY_BEFORE_MORNING)
    deliver_pending(DAY_BEFORE_TEN)
    assert _sent(outbox) == []  # nothing is sent to someone who wants to be phoned
    with time_machine.travel(DAY_BEFORE_TEN, tick=False):
        # Days later the owner signs in again: a session lasts at most 12 hours.
        auth.login(owner)
        tasks = client.get("/taken").get_data(as_text=True)
    assert "Bel Fatima: herinner aan de intake morgen 10.30" in tasks
    assert "Bel Fatima: vertel de intake" not in tasks


def test_a_person_who_prefers_brief_gets_a_printable_card(app, client, auth, db, outbox):
    """No consent for messages is needed for paper: the card is handed over or posted."""
    with time_machine.travel(NOW, tick=False):
        owner = auth.as_role("coordinator")
        person, trajectory = _person(owner.locations[0], owner, "letter")
        _plan(client, trajectory, owner)
        deliver_pending(NOW)
        assert _sent(outbox) == []
        listing = client.get("/berichten-deelnemer/te-printen").get_data(as_text=True)
        assert "Fatima" in listing and "Intake: bevestiging" in listing
        note_id = int(listing.split("/berichten-deelnemer/te-printen/")[1].split('"')[0])
        card = client.get(f"/berichten-deelnemer/te-printen/{note_id}").get_data(as_text=True)
        for words in ("Fatima", "dinsdag 1 december", "10.30 uur", "Oudegracht 12, Utrecht",
                      "030 234 5678", "/static/pictograms/building.svg"):
            assert words in card, words
        marked = client.post(f"/berichten-deelnemer/te-printen/{note_id}/geprint")
        assert marked.status_code == 302
        listing = client.get("/berichten-deelnemer/te-printen").get_data(as_text=True)
        assert f"/te-printen/{note_id}" not in listing
