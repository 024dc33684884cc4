"""What is sent to the participant and when: the intake confirmation at planning and its
reminder the day before, the first meeting with a volunteer or a group, a reminder after a
missed group meeting, and "wij zijn u niet vergeten" for a long wait. Each kind: claimed
when due and only once, SMS and WhatsApp never in the quiet hours, nothing after STOP or
without consent, a letter on the print list, a call task for who prefers to be phoned."""

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.checkins.models import CheckIn
from app.core.timeutil import to_utc
from app.extensions import db as _db
from app.groups import service as groups
from app.groups.models import GroupMeeting
from app.matching import service as matching
from app.matching.models import Match
from app.messaging.answers import stop_channel
from app.notifications.models import Notification
from app.notifications.service import deliver_pending
from app.referrals.service import plan_intake
from jobs.participant_messages import job
from jobs.sweeps import run_jobs

from . import factories

# Wednesday 25 November 2026, 10:00 in Amsterdam (UTC+1).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# The intake: Tuesday 1 December, 10.30 local.
INTAKE_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
# Monday 30 November, the day before: 07:15 and 10:15 local.
DAY_BEFORE_EARLY = datetime(2026, 11, 30, 6, 15, tzinfo=UTC)
DAY_BEFORE = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
TEN_DAY_BEFORE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(day, hour, minute)


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


def _outbox(app) -> list[dict]:
    folder = Path(app.instance_path) / "outbox"
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.json"))]


def _ledger(code: str) -> list[Notification]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(Notification).where(
        Notification.kind == f"msg_{code}").order_by(Notification.id)))


def _person(channel="whatsapp", consent=True, status="contacted", owner_name="Sanne Bakker",
            location=None, **kwargs):
    if location is None:
        location = factories.location(name="Bibliotheek Centrum")
    location.phone = "+31302345678"
    location.address = "Oudegracht 12, Utrecht"
    owner = factories.user("coordinator", name=owner_name, locations=[location])
    person = factories.participant(preferred_channel=channel, phone="06-12345678")
    if consent is not None:
        factories.consent(person, kind="messages", given=consent)
    if status == "waiting":
        kwargs.setdefault("waiting_since", date(2026, 10, 20))
    trajectory = factories.trajectory(person, location_obj=location, owner=owner,
                                      status=status, **kwargs)
    return person, trajectory, owner


def _tuesday_group(location, by):
    """A Tuesday 10:00 group from 3 November to 22 December."""
    offer = factories.offer(location, name="Klik & Tik dinsdag")
    groups.save_schedule(offer, weekday=1, at=time(10, 0), starts_on=date(2026, 11, 3),
                         ends_on=date(2026, 12, 22), by=by, now=NOW)
    return offer


def _meeting(offer, day) -> GroupMeeting:
    return _db.session.scalar(sa.select(GroupMeeting).where(
        GroupMeeting.offer_id == offer.id, GroupMeeting.held_on == day))


# --- Each kind: how it becomes due ------------------------------------------------------
# A scenario sets up what makes its message due and claims it at `at` (default: its own
# moment); it returns the moment of the claim. Job kinds claim in the job.

def intake_confirmation(person, trajectory, owner, at=None):
    at = at or NOW
    # A colleague at the desk plans it (the owner planning it gets no call task: see
    # test_the_owner_who_plans_the_intake_gets_no_call_task).
    colleague = factories.user("staff", locations=[trajectory.location])
    plan_intake(trajectory, INTAKE_AT, colleague, at, room="Spreekkamer 2")
    _db.session.commit()
    return at


def intake_reminder(person, trajectory, owner, at=None):
    plan_intake(trajectory, INTAKE_AT, owner, NOW, room="Spreekkamer 2")
    _db.session.commit()
    at = at or DAY_BEFORE
    job(at)
    return at


def match_first_meeting(person, trajectory, owner, at=None):
    at = at or NOW
    volunteer = factories.volunteer("Anneke", "de Boer", locations=[trajectory.location])
    match = factories.match(trajectory, volunteer, status="proposed")
    matching.start_match(match, start_on=date(2026, 11, 25), by=owner, now=at,
                         first_meeting_at=local(date(2026, 12, 2), 14, 0),
                         first_meeting_place="Buurthuis De Pijp")
    _db.session.commit()
    return at


def group_first_meeting(person, trajectory, owner, at=None):
    at = at or NOW
    offer = _tuesday_group(trajectory.location, owner)
    matching.enroll(trajectory, offer, start_on=date(2026, 11, 25), by=owner, now=at)
    _db.session.commit()
    return at


def group_reminder(person, trajectory, owner, at=None):
    offer = _tuesday_group(trajectory.location, owner)
    enrollment = matching.enroll(trajectory, offer, start_on=date(2026, 11, 3), by=owner,
                                 now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    groups.record_attendance(_meeting(offer, date(2026, 11, 24)), enrollment, "absent",
                             by=owner, now=NOW)
    _db.session.commit()
    at = at or DAY_BEFORE
    job(at)
    return at


def waiting_not_forgotten(person, trajectory, owner, at=None):
    at = at or NOW
    job(at)
    return at


SCENARIOS = {
    "intake_confirmation": (intake_confirmation, "contacted"),
    "intake_reminder": (intake_reminder, "contacted"),
    "match_first_meeting": (match_first_meeting, "waiting"),
    "group_first_meeting": (group_first_meeting, "waiting"),
    "group_reminder": (group_reminder, "waiting"),
    "waiting_not_forgotten": (waiting_not_forgotten, "waiting"),
}
# What each message says (the A2 text filled in).
SAYS = {
    "intake_confirmation": ("dinsdag 1 december, 10.30 uur",
                            "Bibliotheek Centrum, Spreekkamer 2, Oudegracht 12, Utrecht"),
    "intake_reminder": ("Morgen heeft u een afspraak", "dinsdag 1 december, 10.30 uur",
                        "Bibliotheek Centrum, Spreekkamer 2, Oudegracht 12, Utrecht"),
    "match_first_meeting": ("U krijgt hulp van Anneke.", "woensdag 2 december, 14.00 uur",
                            "Buurthuis De Pijp"),
    "group_first_meeting": ("de groep Klik & Tik dinsdag", "dinsdag 1 december, 10.00 uur",
                            "Bibliotheek Centrum, Oudegracht 12, Utrecht"),
    "group_reminder": ("was u er niet", "dinsdag 1 december, 10.00 uur"),
    "waiting_not_forgotten": ("Wij zijn u niet vergeten", "Sanne helpt u."),
}
CALL_TOPICS = {
    "intake_confirmation": "Bel Fatima: vertel de intake op dinsdag 1 december, 10.30 uur",
    "intake_reminder": "Bel Fatima: herinner aan de intake morgen 10.30",
    "match_first_meeting": "Bel Fatima: vertel de eerste afspraak met Anneke op "
                           "woensdag 2 december, 14.00 uur",
    "group_first_meeting": "Bel Fatima: vertel de eerste les van Klik & Tik dinsdag op "
                           "dinsdag 1 december, 10.00 uur",
    "group_reminder": "Bel Fatima: de vorige les van Klik & Tik dinsdag was Fatima er niet; "
                      "herinner aan de les morgen",
}
ALL = list(SCENARIOS)


def _run(code, channel="whatsapp", consent=True, at=None):
    scenario, status = SCENARIOS[code]
    person, trajectory, owner = _person(channel, consent, status)
    moment = scenario(person, trajectory, owner, at)
    return person, trajectory, owner, moment


@pytest.mark.parametrize("code", ALL)
def test_claimed_when_due_once_and_sent_once(app, db, outbox, code):
    person, trajectory, owner, at = _run(code)

    [note] = _ledger(code)
    assert note.channel == "whatsapp" and note.phone == "+31612345678"
    assert note.subject_key.split(":")[0] in ("appointment", "match", "enrollment",
                                              "trajectory")
    for words in SAYS[code]:
        assert words in note.body, (words, note.body)
    # Two job runs and a whole scheduler tick later: still the one message.
    job(at + timedelta(minutes=5))
    job(at + timedelta(hours=1))
    run_jobs(at + timedelta(hours=1, minutes=15))
    assert len(_ledger(code)) == 1
    deliver_pending(at + timedelta(hours=2))
    deliver_pending(at + timedelta(hours=3))
    sent = [m for m in _outbox(app) if SAYS[code][0] in m["body"]]
    assert len(sent) == 1 and sent[0]["to"] == "+31612345678"


@pytest.mark.parametrize("code", ["intake_confirmation", "match_first_meeting",
                                  "group_first_meeting", "waiting_not_forgotten"])
@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_made_at_half_past_ten_in_the_evening_it_waits_until_eight(app, db, outbox, code,
                                                                     channel):
    evening = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 22:30 in Amsterdam
    _run(code, channel=channel, at=evening)
    [note] = _ledger(code)
    assert note.not_before == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)

    deliver_pending(evening)
    deliver_pending(datetime(2026, 11, 26, 6, 45, tzinfo=UTC))  # 07:45
    assert _outbox(app) == []
    deliver_pending(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))  # 08:00
    assert [m["channel"] for m in _outbox(app)] == [channel]


@pytest.mark.parametrize("code", ["intake_reminder", "group_reminder"])
def test_a_reminder_goes_the_day_before_from_ten(app, db, outbox, code):
    # The job at 07:15 the day before claims it for 10:00 (not in the quiet hours, and
    # not at breakfast either).
    _run(code, channel="sms", at=DAY_BEFORE_EARLY)
    [note] = _ledger(code)
    assert note.not_before == TEN_DAY_BEFORE

    deliver_pending(DAY_BEFORE_EARLY)
    deliver_pending(TEN_DAY_BEFORE - timedelta(minutes=10))
    assert [m for m in _outbox(app) if "Morgen" in m["body"] or "volgende les" in m["body"]] \
        == []
    deliver_pending(TEN_DAY_BEFORE)
    assert len([m for m in _outbox(app) if m["channel"] == "sms"
                and note.body == m["body"]]) == 1


@pytest.mark.parametrize("code", ["intake_reminder", "group_reminder"])
def test_a_reminder_that_would_wait_for_the_day_itself_is_not_claimed(app, db, outbox, code):
    """Claimed at 22:30 the day before (the scheduler was down all day), it would go at
    08:00 on the day itself and say "morgen": it is left out."""
    _run(code, channel="whatsapp", at=datetime(2026, 11, 30, 21, 30, tzinfo=UTC))
    assert _ledger(code) == []


@pytest.mark.parametrize("code", ALL)
def test_nothing_after_stop(app, db, outbox, code):
    scenario, status = SCENARIOS[code]
    person, trajectory, owner = _person("whatsapp", True, status)
    stop_channel(person, "whatsapp", person.phone, NOW - timedelta(days=1), trajectory)
    _db.session.commit()
    at = scenario(person, trajectory, owner)
    assert _ledger(code) == []
    deliver_pending(at + timedelta(hours=2))
    # Only the one message that confirms the STOP went.
    assert [m["body"][:40] for m in _outbox(app)] == [
        "U krijgt geen berichten meer via WhatsAp"]


@pytest.mark.parametrize("code", ALL)
@pytest.mark.parametrize("consent", [None, False])
def test_nothing_without_the_messages_consent(app, db, outbox, code, consent):
    person, trajectory, owner, at = _run(code, consent=consent)
    assert _ledger(code) == []
    deliver_pending(at + timedelta(hours=2))
    assert _outbox(app) == []


@pytest.mark.parametrize("code", ALL)
def test_a_letter_person_is_on_the_print_list(app, db, outbox, code):
    person, trajectory, owner, at = _run(code, channel="letter", consent=None)
    [note] = _ledger(code)
    assert note.channel == "letter" and note.status == "pending"
    assert SAYS[code][0] in note.body
    deliver_pending(at + timedelta(hours=2))
    assert _outbox(app) == []


@pytest.mark.parametrize("code", sorted(CALL_TOPICS))
def test_a_person_who_prefers_a_call_gives_the_owner_a_call_task(app, db, outbox, code):
    person, trajectory, owner, at = _run(code, channel="phone", consent=None)
    [note] = _ledger(code)
    assert note.channel == "call"
    tasks = db.session.scalars(sa.select(CheckIn).where(
        CheckIn.trajectory_id == trajectory.id, CheckIn.kind == "call_instead")).all()
    # (The group reminder's person was told of the first lesson at enrolment too.)
    assert [(t.topic, t.assignee_id) for t in tasks
            if t.topic == CALL_TOPICS[code]] == [(CALL_TOPICS[code], owner.id)]
    job(at + timedelta(hours=1))
    assert factories.count(CheckIn, CheckIn.kind == "call_instead") == len(tasks)
    assert _outbox(app) == []


def test_the_owner_who_plans_the_intake_gets_no_call_task(app, db):
    """The owner arranged the intake with the person: no task to call and tell them; the
    reminder the day before still becomes a call."""
    person, trajectory, owner = _person("phone", None)
    plan_intake(trajectory, INTAKE_AT, owner, NOW, room="Spreekkamer 2")
    _db.session.commit()
    assert factories.count(CheckIn, CheckIn.kind == "call_instead") == 0
    job(DAY_BEFORE)
    tasks = _db.session.scalars(sa.select(CheckIn).where(CheckIn.kind == "call_instead")).all()
    assert [t.topic for t in tasks] == [CALL_TOPICS["intake_reminder"]]


def _call_tasks(trajectory):
    return [(t.topic, t.status) for t in _db.session.scalars(
        sa.select(CheckIn).where(CheckIn.trajectory_id == trajectory.id,
                                 CheckIn.kind.in_(("call_instead", "reschedule")))
        .order_by(CheckIn.id))]


def test_call_tasks_lapse_when_the_intake_is_held(app, db):
    """A task "herinner aan de intake" left open after the intake was held would stay in
    Mijn taken for ever: it lapses with its appointment."""
    from app.intakes.service import save_intake

    person, trajectory, owner = _person("phone", None)
    colleague = factories.user("staff", locations=[trajectory.location])
    plan_intake(trajectory, INTAKE_AT, colleague, NOW, room="Spreekkamer 2")
    job(DAY_BEFORE)
    assert [status for _topic, status in _call_tasks(trajectory)] == ["planned", "planned"]
    save_intake(trajectory, {"held_on": date(2026, 12, 1), "scale": "nt2"},
                [{"subject": "lezen", "context": "geld", "own_words": "Brieven lezen",
                  "target_date": None}], owner, INTAKE_AT + timedelta(hours=1))
    assert [status for _topic, status in _call_tasks(trajectory)] == ["cancelled", "cancelled"]


def test_moving_the_intake_lapses_the_old_call_task_and_makes_a_new_one(app, db):
    person, trajectory, owner = _person("phone", None)
    colleague = factories.user("staff", locations=[trajectory.location])
    plan_intake(trajectory, INTAKE_AT, colleague, NOW)
    plan_intake(trajectory, datetime(2026, 12, 3, 13, 0, tzinfo=UTC), colleague,
                NOW + timedelta(minutes=5))
    assert _call_tasks(trajectory) == [
        ("Bel Fatima: vertel de intake op dinsdag 1 december, 10.30 uur", "cancelled"),
        ("Bel Fatima: vertel de intake op donderdag 3 december, 14.00 uur", "planned")]


def test_waiting_by_phone_is_left_to_the_waiting_checkins(app, db):
    """The follow-up rule "waiting" already has the owner call people on the waiting list:
    no second task (it would also hide them from "zonder volgende stap")."""
    person, trajectory, owner, at = _run("waiting_not_forgotten", channel="phone",
                                         consent=None)
    assert _ledger("waiting_not_forgotten") == []
    assert factories.count(CheckIn, CheckIn.kind == "call_instead") == 0


# --- Intake: planning, moving ------------------------------------------------------------

def test_done_when_planning_on_the_page_queues_confirmation_and_reminder(
        app, client, auth, db, outbox, frozen):
    staff = auth.as_role("staff")
    person, trajectory, _owner = _person("whatsapp", location=staff.locations[0])
    factories.db.session.commit()
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake", data={
        "day": "2026-12-01", "time": "10:30", "location_id": trajectory.location_id,
        "room": "Spreekkamer 2", "with_user_id": staff.id})
    assert response.status_code == 302
    assert response.headers["Location"] == "/aanmeldingen/"

    [confirmation] = _ledger("intake_confirmation")
    assert confirmation.channel == "whatsapp" and confirmation.created_at == NOW
    deliver_pending(NOW)
    assert [m["body"].split(". ")[1] for m in _outbox(app)] == [
        "U heeft een afspraak bij het Taalhuis"]

    # Nothing more in the days between; the reminder on Monday from 10:00.
    for day in range(25, 30):
        job(datetime(2026, 11, day, 9, 15, tzinfo=UTC))
    assert _ledger("intake_reminder") == []
    job(DAY_BEFORE_EARLY)
    [reminder] = _ledger("intake_reminder")
    assert reminder.not_before == TEN_DAY_BEFORE
    assert reminder.subject_key == f"appointment:{confirmation.subject_key.split(':')[1]}"
    deliver_pending(DAY_BEFORE_EARLY)
    assert len(_outbox(app)) == 1
    deliver_pending(TEN_DAY_BEFORE)
    [sent] = [m for m in _outbox(app) if "Morgen heeft u een afspraak" in m["body"]]
    assert "dinsdag 1 december, 10.30 uur" in sent["body"] and sent["channel"] == "whatsapp"


def test_moving_the_intake_confirms_the_new_one_and_stops_the_old_ones_messages(
        app, db, outbox):
    person, trajectory, owner = _person("sms")
    evening = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 22:30: both wait for 08:00
    first = plan_intake(trajectory, INTAKE_AT, owner, evening)
    db.session.commit()
    second = plan_intake(trajectory, datetime(2026, 12, 3, 13, 0, tzinfo=UTC), owner,
                         evening + timedelta(minutes=10))
    db.session.commit()

    old, new = _ledger("intake_confirmation")
    assert (old.subject_key, new.subject_key) == (f"appointment:{first.id}",
                                                  f"appointment:{second.id}")
    deliver_pending(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    sent = _outbox(app)
    assert len(sent) == 1 and "donderdag 3 december, 14.00 uur" in sent[0]["body"]
    assert [n.status for n in _ledger("intake_confirmation")] == ["skipped", "sent"]
    # The day before the old date: nothing; the day before the new one: its reminder.
    job(DAY_BEFORE)
    assert _ledger("intake_reminder") == []
    job(datetime(2026, 12, 2, 9, 15, tzinfo=UTC))
    assert [n.subject_key for n in _ledger("intake_reminder")] == [f"appointment:{second.id}"]


def test_a_reminder_claimed_early_does_not_go_when_the_intake_moved_meanwhile(app, db, outbox):
    person, trajectory, owner, at = _run("intake_reminder", channel="sms",
                                         at=DAY_BEFORE_EARLY)
    plan_intake(trajectory, datetime(2026, 12, 8, 9, 30, tzinfo=UTC), owner,
                DAY_BEFORE_EARLY + timedelta(minutes=30))
    db.session.commit()
    deliver_pending(TEN_DAY_BEFORE)
    [reminder] = _ledger("intake_reminder")
    assert reminder.status == "skipped"
    assert not [m for m in _outbox(app) if "Morgen" in m["body"]]


def test_an_intake_planned_the_day_before_gets_no_separate_reminder(app, db):
    person, trajectory, owner = _person("whatsapp")
    plan_intake(trajectory, INTAKE_AT, owner, DAY_BEFORE_EARLY)
    db.session.commit()
    job(DAY_BEFORE)
    assert len(_ledger("intake_confirmation")) == 1 and _ledger("intake_reminder") == []


# --- Match: the start form's first meeting ------------------------------------------------

def _proposal(auth, db):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    location.address = "Oudegracht 12, Utrecht"
    person = factories.participant(preferred_channel="sms", phone="06-12345678")
    factories.consent(person, kind="messages")
    trajectory = factories.trajectory(person, location_obj=location, status="waiting",
                                      waiting_since=date(2026, 11, 10), owner=coordinator)
    volunteer = factories.volunteer("Anneke", "de Boer", locations=[location])
    match = factories.match(trajectory, volunteer, status="proposed")
    db.session.commit()
    return location, match


def test_the_start_form_takes_the_first_meeting_and_tells_only_the_first_name(
        client, auth, db, frozen):
    location, match = _proposal(auth, db)
    page = client.get(f"/trajecten/{match.trajectory_id}/begeleiding").get_data(as_text=True)
    assert "Eerste afspraak (mag leeg blijven)" in page
    assert f'value="{location.name}, Oudegracht 12, Utrecht"' in page

    response = client.post(f"/koppelingen/{match.id}/starten", data={
        "start_on": "2026-11-25", "first_meeting_on": "2026-12-02",
        "first_meeting_time": "14:00", "first_meeting_place": f"{location.name}, Oudegracht "
                                                             "12, Utrecht"})
    assert response.status_code == 302
    db.session.expire_all()
    match = db.session.get(Match, match.id)
    assert match.status == "active"
    assert match.first_meeting_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert match.first_meeting_place is None  # the default: the location itself
    [note] = _ledger("match_first_meeting")
    assert "U ziet Anneke op woensdag 2 december, 14.00 uur" in note.body
    assert f"{location.name}, Oudegracht 12, Utrecht" in note.body
    assert "de Boer" not in note.body


def test_without_a_first_meeting_the_match_starts_and_nothing_is_sent(client, auth, db,
                                                                        frozen):
    _location, match = _proposal(auth, db)
    client.post(f"/koppelingen/{match.id}/starten", data={"start_on": "2026-11-25"})
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "active"
    assert _ledger("match_first_meeting") == []


@pytest.mark.parametrize("data, message", [
    ({"first_meeting_on": "2026-11-20", "first_meeting_time": "14:00"},
     "Deze datum en tijd zijn al voorbij. Kies een moment dat nog komt."),
    ({"first_meeting_on": "2026-12-02"}, "Vul ook de tijd van de eerste afspraak in."),
    ({"first_meeting_place": "Buurthuis De Pijp"},
     "Vul ook de datum van de eerste afspraak in."),
    ({"first_meeting_on": "2026-11-30", "first_meeting_time": "14:00",
      "start_on": "2026-12-01"}, "De eerste afspraak ligt voor de startdatum."),
])
def test_a_wrong_first_meeting_is_said_next_to_the_field_and_keeps_the_input(
        client, auth, db, frozen, data, message):
    _location, match = _proposal(auth, db)
    form = {"start_on": "2026-11-25", "first_meeting_place": "Buurthuis De Pijp", **data}
    response = client.post(f"/koppelingen/{match.id}/starten", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'class="field-error">{message}</small>' in html
    assert 'value="Buurthuis De Pijp"' in html
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "proposed"
    assert _ledger("match_first_meeting") == []


# --- Groups -------------------------------------------------------------------------------

def test_the_first_group_message_skips_a_cancelled_meeting(app, db):
    person, trajectory, owner = _person("whatsapp", status="waiting")
    offer = _tuesday_group(trajectory.location, owner)
    groups.set_cancelled(_meeting(offer, date(2026, 12, 1)), True, by=owner, now=NOW)
    matching.enroll(trajectory, offer, start_on=date(2026, 11, 25), by=owner, now=NOW)
    db.session.commit()
    [note] = _ledger("group_first_meeting")
    assert "dinsdag 8 december, 10.00 uur" in note.body
    assert note.period_key == f"meeting:{_meeting(offer, date(2026, 12, 8)).id}"


def test_group_reminder_only_after_an_absence_and_once_per_meeting(app, db):
    person, trajectory, owner = _person("whatsapp", status="waiting")
    offer = _tuesday_group(trajectory.location, owner)
    enrollment = matching.enroll(trajectory, offer, start_on=date(2026, 11, 3), by=owner,
                                 now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    groups.record_attendance(_meeting(offer, date(2026, 11, 24)), enrollment, "present",
                             by=owner, now=NOW)
    db.session.commit()
    job(DAY_BEFORE)
    assert _ledger("group_reminder") == []  # came last time: no reminder
    groups.record_attendance(_meeting(offer, date(2026, 12, 1)), enrollment, "absent",
                             by=owner, now=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    db.session.commit()
    for hours in (0, 1, 2):
        job(datetime(2026, 12, 7, 9 + hours, 15, tzinfo=UTC))
    [note] = _ledger("group_reminder")
    assert note.period_key == f"meeting:{_meeting(offer, date(2026, 12, 8)).id}"
    assert "dinsdag 8 december, 10.00 uur" in note.body


def test_a_group_reminder_does_not_go_when_the_meeting_is_called_off(app, db, outbox):
    person, trajectory, owner, at = _run("group_reminder", channel="sms",
                                         at=DAY_BEFORE_EARLY)
    offer_id = _ledger("group_reminder")[0].period_key.split(":")[1]
    meeting = db.session.get(GroupMeeting, int(offer_id))
    groups.set_cancelled(meeting, True, by=owner, now=DAY_BEFORE_EARLY)
    db.session.commit()
    deliver_pending(TEN_DAY_BEFORE)
    assert _ledger("group_reminder")[0].status == "skipped"


# --- Waiting ------------------------------------------------------------------------------

def test_waiting_counts_from_the_first_day_and_names_who_helps(app, db):
    location = factories.location(name="Bibliotheek Oost")
    long_ago, _traj, _o = _person("sms", status="waiting", location=location,
                                  waiting_since=date(2026, 11, 20),
                                  first_waiting_since=date(2026, 10, 1))
    recent, _t2, _o2 = _person("sms", status="waiting", location=location,
                               waiting_since=date(2026, 11, 10))
    nobody = factories.participant(preferred_channel="sms", phone="06-87654321")
    factories.consent(nobody, kind="messages")
    unowned = factories.trajectory(nobody, location_obj=location, status="waiting",
                                   waiting_since=date(2026, 10, 2))
    db.session.commit()

    job(NOW)
    notes = {n.participant_id: n for n in _ledger("waiting_not_forgotten")}
    assert set(notes) == {long_ago.id, nobody.id}  # waited 55 and 54 days; 15 is not long
    assert "Sanne helpt u." in notes[long_ago.id].body
    assert notes[long_ago.id].period_key == "wait:2026-10-01"
    assert "Bibliotheek Oost helpt u." in notes[nobody.id].body
    assert notes[nobody.id].subject_key == f"trajectory:{unowned.id}"


def test_the_waiting_scan_asks_the_same_number_of_queries_for_few_or_many(
        app, db, count_queries):
    location = factories.location()

    def scan_again(people):
        for _ in range(people):
            _person("sms", status="waiting", location=location)
        db.session.commit()
        job(NOW)  # the claims
        with count_queries() as statements:
            job(NOW + timedelta(hours=1))
        return len(statements)

    assert scan_again(2) == scan_again(6)
