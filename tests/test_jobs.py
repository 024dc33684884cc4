"""The scheduled jobs, called with an explicit `now`: digest, volunteer reminders, scan."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.core.timeutil import local_date, to_utc
from app.extensions import db as _db
from app.notifications.models import Notification
from app.participants.service import record_contact
from jobs.digest import daily_digest, volunteer_reminders
from jobs.scan import out_of_view_scan
from jobs.sweeps import run_all

from . import factories
from .conftest import DEMO_NOW

MONDAY = date(2026, 11, 23)
MONDAY_0700 = to_utc(MONDAY, 7)  # 06:00 UTC in winter
BASE = "http://127.0.0.1:5000"


def _ledger(kind: str | None = None, *, with_nothing_to_send: bool = False
            ) -> list[Notification]:
    """Messages in the ledger; with `with_nothing_to_send` also the days decided empty."""
    query = sa.select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    if not with_nothing_to_send:
        query = query.where(Notification.status != "skipped")
    return list(_db.session.scalars(query))


def _person(first: str, last: str = "Jansen"):
    return factories.participant(first, last)


def _trajectory(loc, first: str, *, owner=None, status="active", with_referral=False,
                last_contact: datetime | None = None, **kwargs):
    return factories.trajectory(
        _person(first), location_obj=loc, owner=owner, status=status,
        with_referral=with_referral, referred_on=kwargs.pop("referred_on", date(2026, 10, 1)),
        last_contact_at=last_contact or to_utc(date(2026, 11, 16), 10), **kwargs)


def _ahead(*trajectories):
    """A check-in weeks ahead: a next step, so "Zonder volgende stap" leaves them out."""
    for t in trajectories:
        factories.checkin(t, due_on=MONDAY + timedelta(days=30), assignee=t.owner)


class Desk:
    """A small Taalhuis: one location, a coordinator, staff member and volunteer."""

    def __init__(self, today: date = MONDAY):
        self.loc = factories.location("Bibliotheek Oost")
        self.coordinator = factories.user("coordinator", locations=[self.loc],
                                          name="Noor Bakker", email="noor@taalhuis.example")
        self.staff = factories.user("staff", locations=[self.loc], name="Sem de Wit",
                                    email="sem@taalhuis.example")
        self.volunteer = factories.user("volunteer", name="Kees Vos",
                                        email="kees@vrijwilliger.example")
        self.today = today

    def overdue_checkin(self, first: str = "Fatima", days_late: int = 3, assignee=None):
        t = _trajectory(self.loc, first, owner=self.coordinator)
        return factories.checkin(t, due_on=self.today - timedelta(days=days_late),
                                 assignee=assignee or self.coordinator, rule_code="match_6w_owner")


def test_digest_lists_every_kind_of_item_with_a_link_to_act_on(app, db):
    desk = Desk()
    c = desk.coordinator
    late = desk.overdue_checkin("Fatima", days_late=3)
    today_t = _trajectory(desk.loc, "Ahmed", owner=c)
    factories.checkin(today_t, due_on=MONDAY, assignee=c, rule_code="match_2w_owner")
    later = _trajectory(desk.loc, "Nog Niet", owner=c)
    factories.checkin(later, due_on=MONDAY + timedelta(days=2), assignee=c)
    referral_t = _trajectory(desk.loc, "Olga", status="referred", with_referral=True,
                             referred_on=date(2026, 11, 16), last_contact=None)
    referral_t.referral.first_contact_due = date(2026, 11, 20)
    waiting = _trajectory(desk.loc, "Yusuf", owner=c, status="waiting",
                          waiting_since=date(2026, 10, 20))
    silent = _trajectory(desk.loc, "Maria", owner=c,
                         last_contact=MONDAY_0700 - timedelta(days=43))
    db.session.commit()

    run_all(MONDAY_0700)

    digest = {n.user_id: n for n in _ledger("digest")}
    body = digest[c.id].body
    assert "Fatima J.: Hoe gaat het? (6 weken na de start) (te laat, was 20 november)" in body
    assert "Ahmed J.: Klikt het? (2 weken na de start) (vandaag)" in body
    assert "Nog N." not in body, "not due yet: not in the digest"
    assert "Olga J.: eerste contact had er 20 november moeten zijn" in body
    assert "Yusuf J.: wacht al 34 dagen op een aanbod" in body
    assert "Maria J.: buiten beeld sinds 23 november" in body
    for participant_id in (late.trajectory.participant_id, today_t.participant_id,
                           waiting.participant_id, silent.participant_id):
        assert f"{BASE}/deelnemers/{participant_id}\n" in body
    assert f"{BASE}/aanmeldingen/{referral_t.id}/contact" in body
    # Yusuf and Maria have nothing planned ahead (no check-in, no match): "Zonder volgende stap".
    assert "Yusuf J.: niets gepland (wacht op aanbod)" in body
    assert "Maria J.: niets gepland (actief)" in body
    assert digest[c.id].subject == "Houvast: 7 dingen voor vandaag (maandag 23 november)"
    assert digest[c.id].link == f"{BASE}/taken"

    # Staff: the location's referrals, buiten beeld and waiting, not the coordinator's tasks.
    staff_body = digest[desk.staff.id].body
    assert "Olga J." in staff_body and "Yusuf J." in staff_body and "Maria J." in staff_body
    assert "Fatima J." not in staff_body
    assert desk.volunteer.id not in digest, "volunteers get their own reminder, not the digest"


def test_nothing_to_report_means_no_digest(app, db, smtp_server):
    desk = Desk()
    # A next step ahead, not due yet: otherwise "Zonder volgende stap" would report it.
    _ahead(_trajectory(desk.loc, "Rustig", owner=desk.coordinator))
    db.session.commit()

    assert run_all(MONDAY_0700) == []

    assert smtp_server.messages == [] and _ledger() == []
    # The day's decision is kept, as "nothing to send": not a message, not in the app.
    assert {(n.user_id, n.status, n.period_key)
            for n in _ledger(with_nothing_to_send=True)} == {
        (desk.coordinator.id, "skipped", "2026-11-23"), (desk.staff.id, "skipped", "2026-11-23"),
        (desk.volunteer.id, "skipped", "2026-11-23")}


def test_an_empty_morning_means_no_digest_later_that_day(app, db, client, auth, smtp_server):
    """A digest is the morning's list: something that turns up at 10:00 is in tomorrow's
    digest, not in a second "daily" mail at 11:00."""
    desk = Desk()
    t = _trajectory(desk.loc, "Fatima", owner=desk.coordinator)
    _ahead(t)
    db.session.commit()
    assert run_all(MONDAY_0700) == []

    # During the morning a check-in for today is planned, for the coordinator and volunteer.
    factories.checkin(t, due_on=MONDAY, assignee=desk.coordinator, rule_code="match_2w_owner")
    factories.checkin(t, due_on=MONDAY, assignee=desk.volunteer,
                      rule_code="match_2w_volunteer")
    db.session.commit()
    for hour in range(10, 18):
        assert run_all(to_utc(MONDAY, hour)) == []
    assert smtp_server.messages == []

    tuesday = run_all(to_utc(date(2026, 11, 24), 7))

    assert sorted(tuesday) == [
        "sent: digest → noor@taalhuis.example: "
        "Houvast: 1 ding voor vandaag (dinsdag 24 november)",
        "sent: volunteer_reminder → kees@vrijwilliger.example: "
        "Houvast: 1 ding voor vandaag (dinsdag 24 november)"]
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "kees@vrijwilliger.example", "noor@taalhuis.example"]
    # The empty Monday is not a message in the coordinator's list.
    auth.login(desk.coordinator)
    inbox = client.get("/berichten/").get_data(as_text=True)
    assert "niets te melden" not in inbox
    assert inbox.count("1 ding voor vandaag") == 1


def test_inactive_users_and_admins_get_no_digest(app, db):
    desk = Desk()
    desk.overdue_checkin()
    desk.coordinator.active = False
    factories.user("admin")
    db.session.commit()

    daily_digest(MONDAY_0700)

    assert _ledger("digest") == []


def test_first_contact_is_not_listed_twice(app, db):
    """The first-contact check-in and the late referral are one piece of work."""
    desk = Desk()
    t = _trajectory(desk.loc, "Olga", status="referred", with_referral=True, owner=desk.coordinator,
                    referred_on=date(2026, 11, 13), last_contact=None)
    t.referral.first_contact_due = date(2026, 11, 20)
    factories.checkin(t, due_on=date(2026, 11, 20), assignee=desk.coordinator,
                      rule_code="first_contact")
    db.session.commit()

    daily_digest(MONDAY_0700)

    by_user = {n.user_id: n.body for n in _ledger("digest")}
    assert by_user[desk.coordinator.id].count("Olga J.") == 1
    assert f"{BASE}/aanmeldingen/{t.id}/contact" in by_user[desk.coordinator.id]
    assert by_user[desk.staff.id].count("Olga J.") == 1


# --- 07:00 local time, DST, working days --------------------------------------------------------

@pytest.mark.parametrize(("moment", "due"), [
    # Friday before summer time: 07:00 CET is 06:00 UTC.
    (datetime(2026, 3, 27, 5, 30, tzinfo=UTC), False),
    (datetime(2026, 3, 27, 6, 0, tzinfo=UTC), True),
    # Monday after the change: 07:00 CEST is 05:00 UTC.
    (datetime(2026, 3, 30, 4, 30, tzinfo=UTC), False),
    (datetime(2026, 3, 30, 5, 0, tzinfo=UTC), True),
    (datetime(2026, 3, 30, 6, 30, tzinfo=UTC), True),
    # Friday before winter time: still CEST.
    (datetime(2026, 10, 23, 4, 59, tzinfo=UTC), False),
    (datetime(2026, 10, 23, 5, 0, tzinfo=UTC), True),
    # Monday after: CET again, 06:30 local is 05:30 UTC.
    (datetime(2026, 10, 26, 5, 30, tzinfo=UTC), False),
    (datetime(2026, 10, 26, 6, 0, tzinfo=UTC), True),
])
def test_digest_at_seven_local_time_on_both_sides_of_dst(app, db, moment, due):
    desk = Desk(today=local_date(moment))
    desk.overdue_checkin()
    db.session.commit()

    sent = daily_digest(moment)

    assert bool(sent) is due
    if due:
        assert sent[0].period_key == local_date(moment).isoformat()


@pytest.mark.parametrize("day", [
    date(2026, 11, 21),  # Saturday
    date(2026, 11, 22),  # Sunday
    date(2026, 4, 6),    # Tweede Paasdag (Monday)
    date(2026, 4, 27),   # Koningsdag (Monday)
    date(2026, 5, 14),   # Hemelvaartsdag (Thursday)
    date(2026, 12, 25),  # Eerste Kerstdag (Friday)
    date(2026, 12, 26),  # Tweede Kerstdag
])
def test_no_digest_on_weekends_and_dutch_public_holidays(app, db, day):
    desk = Desk(today=day)
    desk.overdue_checkin()
    db.session.commit()

    for hour in (7, 9, 13, 18):
        assert daily_digest(to_utc(day, hour)) == []
        assert volunteer_reminders(to_utc(day, hour)) == []
    assert _ledger(with_nothing_to_send=True) == [], "no decision on a day off"


def test_the_working_day_after_koningsdag_has_its_digest(app, db):
    desk = Desk(today=date(2026, 4, 28))
    desk.overdue_checkin()
    db.session.commit()

    assert daily_digest(to_utc(date(2026, 4, 27), 7)) == []
    assert [n.period_key for n in daily_digest(to_utc(date(2026, 4, 28), 7))] == ["2026-04-28"]


def test_a_weekend_of_missed_runs_is_one_digest_on_monday(app, db):
    desk = Desk(today=date(2026, 11, 20))
    desk.overdue_checkin(days_late=1)
    db.session.commit()
    friday = date(2026, 11, 20)
    run_all(to_utc(friday, 7))
    run_all(to_utc(friday, 17))  # the last run before the server goes down at 18:00

    # Down from Friday 18:00 until Monday 09:00; the first run after it, then hourly ones.
    for hour in range(9, 18):
        run_all(to_utc(MONDAY, hour))

    digests = _ledger("digest")
    assert [(n.user_id, n.period_key) for n in digests] == [
        (desk.coordinator.id, "2026-11-20"), (desk.coordinator.id, "2026-11-23")]
    assert "te laat, was 19 november" in digests[1].body


def test_second_run_sends_nothing_and_the_next_working_day_a_new_one(app, db):
    desk = Desk()
    desk.overdue_checkin()
    db.session.commit()

    first = run_all(MONDAY_0700)
    second = run_all(MONDAY_0700 + timedelta(minutes=1))
    tuesday = run_all(to_utc(date(2026, 11, 24), 7))

    assert first == ["sent: digest → noor@taalhuis.example: "
                     "Houvast: 1 ding voor vandaag (maandag 23 november)"]
    assert second == []
    assert tuesday == ["sent: digest → noor@taalhuis.example: "
                       "Houvast: 1 ding voor vandaag (dinsdag 24 november)"]


def test_the_digest_arrives_over_smtp_with_subject_recipient_and_links(app, db, smtp_server):
    desk = Desk()
    checkin = desk.overdue_checkin("Fatima")
    db.session.commit()

    run_all(MONDAY_0700)

    [msg] = smtp_server.messages
    assert msg.envelope_to == ["noor@taalhuis.example"]
    assert msg["To"] == "noor@taalhuis.example"
    assert msg["Subject"] == "Houvast: 1 ding voor vandaag (maandag 23 november)"
    link = f"{BASE}/deelnemers/{checkin.trajectory.participant_id}"
    plain = smtp_server.body(msg)
    assert plain.startswith("Goedemorgen Noor,")
    assert link in plain
    html = smtp_server.body(msg, "html")
    assert f'href="{link}"' in html and "Fatima J." in html
    assert re.search(r'href="http://127\.0\.0\.1:5000/berichten/instellingen"', html)


def test_no_email_choice_gives_the_digest_in_the_app_only(app, db, smtp_server):
    desk = Desk()
    desk.overdue_checkin()
    desk.coordinator.email_preference = "none"
    db.session.commit()

    lines = run_all(MONDAY_0700)

    assert smtp_server.messages == []
    [note] = _ledger("digest")
    assert note.channel == "app" and note.status == "sent" and note.user_id == desk.coordinator.id
    assert lines == [f"in app: digest → noor@taalhuis.example: {note.subject}"]


def test_digest_queries_do_not_grow_with_the_number_of_items(app, db, count_queries):
    desk = Desk()
    small = factories.user("coordinator", locations=[factories.location()])
    big = factories.user("coordinator", locations=[factories.location()])
    for user, count in ((small, 3), (big, 40)):
        loc = user.locations[0]
        for i in range(count):
            t = _trajectory(loc, f"P{user.id}x{i}", owner=user, status="waiting",
                            waiting_since=date(2026, 10, 1),
                            last_contact=MONDAY_0700 - timedelta(days=50))
            t.out_of_view_since = MONDAY_0700 - timedelta(hours=3)
            factories.checkin(t, due_on=MONDAY - timedelta(days=1), assignee=user)
    del desk
    db.session.commit()

    from app.notifications.service import sections_for
    from jobs.digest import render_digest

    def queries_for(user) -> tuple[int, int]:
        # Each digest is its own transaction in the job, and reads the thresholds once.
        _db.session.commit()
        user = _db.session.get(type(user), user.id)
        with count_queries() as statements:
            parts = sections_for(user, MONDAY_0700)
            render_digest(user, parts, MONDAY_0700)
        return len(statements), sum(len(p.items) for p in parts)

    small_queries, small_items = queries_for(small)
    big_queries, big_items = queries_for(big)
    assert (small_items, big_items) == (9, 120)
    assert big_queries == small_queries


# --- Concerns from check-ins -------------------------------------------------------------------

def _done_checkin(trajectory, outcome: str, *, by, at: datetime, rule_code="match_2w_volunteer"):
    from app.checkins import service as checkins

    checkin = factories.checkin(trajectory, due_on=local_date(at), assignee=by,
                                rule_code=rule_code)
    checkins.complete_checkin(checkin, outcome=outcome, note="Ze wil misschien stoppen",
                              user=by, now=at)
    return checkin


def test_concerns_from_checkins_are_in_the_coordinators_digest_once(app, db, smtp_server):
    desk = Desk()
    worried = _trajectory(desk.loc, "Fatima", owner=desk.coordinator)
    stopping = _trajectory(desk.loc, "Ahmed", owner=desk.coordinator)
    fine = _trajectory(desk.loc, "Piet", owner=desk.coordinator)
    elsewhere = _trajectory(factories.location(), "Elders")
    _ahead(worried, stopping, fine)
    # Something for staff too, so they do get a digest this morning.
    _trajectory(desk.loc, "Yusuf", owner=desk.coordinator, status="waiting",
                waiting_since=date(2026, 10, 20))
    friday_evening = to_utc(date(2026, 11, 20), 19)
    _done_checkin(worried, "concerns", by=desk.volunteer, at=friday_evening)
    _done_checkin(stopping, "may_stop", by=desk.staff, at=to_utc(date(2026, 11, 22), 12),
                  rule_code="waiting")
    _done_checkin(fine, "going_well", by=desk.volunteer, at=friday_evening)
    _done_checkin(elsewhere, "concerns", by=desk.volunteer, at=friday_evening)
    db.session.commit()

    run_all(MONDAY_0700)

    digests = {n.user_id: n for n in _ledger("digest")}
    body = digests[desk.coordinator.id].body
    section = body.split("Zorgen uit contactmomenten (2)\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        "- Fatima J.: zorgen, zegt Kees Vos (Klikt het? (2 weken na de start), 20 november)",
        f"  {BASE}/deelnemers/{worried.participant_id}",
        "- Ahmed J.: dreigt te stoppen, zegt Sem de Wit "
        "(Wacht op aanbod: even bellen hoe het gaat, 22 november)",
        f"  {BASE}/deelnemers/{stopping.participant_id}",
    ]
    assert "Piet J." not in body and "Elders" not in body
    assert "Ze wil misschien stoppen" not in body, "notes stay in Houvast"
    [mail] = [m for m in smtp_server.messages if m["To"] == "noor@taalhuis.example"]
    assert "Fatima J.: zorgen" in smtp_server.body(mail, "html")
    # Staff have no concerns list: not in their digest.
    assert "Yusuf J." in digests[desk.staff.id].body
    assert "Zorgen uit" not in digests[desk.staff.id].body

    _done_checkin(fine, "may_stop", by=desk.volunteer, at=MONDAY_0700 + timedelta(hours=4))
    db.session.commit()
    run_all(to_utc(date(2026, 11, 24), 7))
    [tuesday] = [n for n in _ledger("digest")
                 if n.user_id == desk.coordinator.id and n.period_key == "2026-11-24"]
    assert "Zorgen uit contactmomenten (1)" in tuesday.body
    assert "Piet J.: dreigt te stoppen" in tuesday.body
    assert "Fatima J." not in tuesday.body, "already in Monday's digest"


def test_checkin_concerns_cost_the_same_queries_for_few_or_many(app, db, count_queries):
    from app.notifications.digest import checkin_concerns_section

    def queries_for(count: int) -> tuple[int, int]:
        coordinator = factories.user("coordinator", locations=[factories.location()])
        for i in range(count):
            t = _trajectory(coordinator.locations[0], f"P{coordinator.id}x{i}",
                            owner=coordinator)
            # Each done by someone else: who did it must not cost a query per item.
            _done_checkin(t, "concerns", by=factories.user("volunteer"),
                          at=MONDAY_0700 - timedelta(hours=2))
        db.session.commit()
        _db.session.expire_all()
        user = _db.session.get(type(coordinator), coordinator.id)
        with count_queries() as statements:
            section = checkin_concerns_section(user, MONDAY_0700)
            texts = [text for text, _link in section.items]
        return len(statements), len(texts)

    few_queries, few = queries_for(2)
    many_queries, many = queries_for(30)
    assert (few, many) == (2, 30)
    assert many_queries == few_queries


# --- Volunteers ---------------------------------------------------------------------------------

def test_volunteer_gets_one_reminder_a_day_with_their_own_checkins(app, db):
    desk = Desk()
    other_volunteer = factories.user("volunteer")
    t = _trajectory(desk.loc, "Fatima", owner=desk.coordinator)
    mine = factories.checkin(t, due_on=MONDAY, assignee=desk.volunteer,
                             rule_code="match_2w_volunteer")
    factories.checkin(t, due_on=MONDAY + timedelta(days=3), assignee=other_volunteer,
                      rule_code="match_2w_volunteer")
    db.session.commit()

    run_all(MONDAY_0700)
    run_all(MONDAY_0700 + timedelta(hours=2))

    [reminder] = _ledger("volunteer_reminder")
    assert reminder.user_id == desk.volunteer.id
    assert "Fatima J.: Klikt het? (2 weken na de start) (vandaag)" in reminder.body
    # A volunteer cannot open the participant page: the link leads to their task list.
    assert f"{BASE}/taken#taak-{mine.id}" in reminder.body
    assert "/deelnemers/" not in reminder.body
    assert reminder.subject == "Houvast: 1 ding voor vandaag (maandag 23 november)"

    run_all(to_utc(date(2026, 11, 24), 7))
    assert len(_ledger("volunteer_reminder")) == 2, "still due the next day: a new reminder"


# --- The hourly scan ----------------------------------------------------------------------------

def test_a_trajectory_silent_for_42_days_goes_out_of_view_once(app, db):
    desk = Desk()
    silent = _trajectory(desk.loc, "Maria", owner=desk.coordinator,
                         last_contact=MONDAY_0700 - timedelta(days=42, minutes=1))
    quiet = _trajectory(desk.loc, "Piet", owner=desk.coordinator,
                        last_contact=MONDAY_0700 - timedelta(days=41))
    db.session.commit()

    lines = run_all(MONDAY_0700)
    run_all(MONDAY_0700 + timedelta(hours=1))

    db.session.refresh(silent)
    db.session.refresh(quiet)
    assert silent.out_of_view_since == MONDAY_0700 and quiet.out_of_view_since is None
    [alert] = _ledger("out_of_view")
    assert alert.user_id == desk.coordinator.id and alert.channel == "app"
    assert alert.period_key == "2026-11-23" and alert.subject == "Buiten beeld: Maria J."
    assert alert.link == f"{BASE}/deelnemers/{silent.participant_id}"
    assert "in app: out_of_view → noor@taalhuis.example: Buiten beeld: Maria J." in lines
    # It is in that morning's digest as well.
    assert "Maria J.: buiten beeld sinds 23 november" in _ledger("digest")[0].body


def test_out_of_view_again_after_contact_is_a_new_alert(app, db):
    desk = Desk()
    t = _trajectory(desk.loc, "Maria", owner=desk.coordinator,
                    last_contact=MONDAY_0700 - timedelta(days=50))
    db.session.commit()
    out_of_view_scan(MONDAY_0700)

    record_contact(t, MONDAY_0700 + timedelta(days=1))
    db.session.commit()
    again = MONDAY_0700 + timedelta(days=44)
    out_of_view_scan(again)

    assert [a.period_key for a in _ledger("out_of_view")] == [
        "2026-11-23", local_date(again).isoformat()]


def test_new_out_of_view_is_in_one_digest_only(app, db):
    desk = Desk()
    _ahead(_trajectory(desk.loc, "Maria", owner=desk.coordinator,
                       last_contact=MONDAY_0700 - timedelta(days=50)))
    desk.overdue_checkin("Fatima")
    db.session.commit()

    run_all(MONDAY_0700)
    run_all(to_utc(date(2026, 11, 24), 7))

    monday, tuesday = [n.body for n in _ledger("digest") if n.user_id == desk.coordinator.id]
    assert "Maria J." in monday and "Maria J." not in tuesday
    assert "Fatima J." in tuesday, "still overdue: still listed"


def test_unowned_trajectory_alerts_the_coordinators_of_its_location(app, db):
    desk = Desk()
    second = factories.user("coordinator", locations=[desk.loc])
    factories.user("coordinator")  # another location: not alerted
    _trajectory(desk.loc, "Maria", owner=None, last_contact=MONDAY_0700 - timedelta(days=60))
    db.session.commit()

    out_of_view_scan(MONDAY_0700)

    assert sorted(a.user_id for a in _ledger("out_of_view")) == sorted(
        [desk.coordinator.id, second.id])


def test_an_inactive_owner_is_replaced_by_the_location_coordinators(app, db):
    desk = Desk()
    gone = factories.user("coordinator", locations=[desk.loc], active=False)
    _trajectory(desk.loc, "Maria", owner=gone, last_contact=MONDAY_0700 - timedelta(days=60))
    db.session.commit()

    out_of_view_scan(MONDAY_0700)

    assert [a.user_id for a in _ledger("out_of_view")] == [desk.coordinator.id]


def test_waiting_too_long_alerts_once_per_waiting_episode(app, db):
    desk = Desk()
    t = _trajectory(desk.loc, "Yusuf", owner=desk.coordinator, status="waiting",
                    waiting_since=MONDAY - timedelta(days=21))
    db.session.commit()

    out_of_view_scan(MONDAY_0700)
    assert _ledger("waiting_too_long") == [], "21 days is not more than 21"

    for day in range(1, 4):
        out_of_view_scan(MONDAY_0700 + timedelta(days=day))
    [alert] = _ledger("waiting_too_long")
    assert alert.user_id == desk.coordinator.id
    assert alert.subject == "Yusuf J. wacht al 22 dagen"
    assert alert.period_key == (MONDAY - timedelta(days=21)).isoformat()

    # A match started and ended: a new wait, later too long again, is a new alert.
    t.waiting_since = MONDAY + timedelta(days=10)
    db.session.commit()
    out_of_view_scan(MONDAY_0700 + timedelta(days=40))
    assert len(_ledger("waiting_too_long")) == 2


# --- Done when (issue 4) ------------------------------------------------------------------------

def test_done_when_each_coordinator_gets_one_digest_matching_their_task_list(app, db, client, auth):
    """Two locations with their coordinators, demo-like work spread over them."""
    locations = [factories.location("Bibliotheek Centrum"), factories.location("Bibliotheek Zuid")]
    coordinators = [
        factories.user("coordinator", locations=[loc], name=f"Coördinator {loc.name[-5:]}",
                       email=f"coord{i}@taalhuis.example")
        for i, loc in enumerate(locations)
    ]
    names = iter(["Fatima", "Ahmed", "Olga", "Yusuf", "Maria", "Piet", "Anna", "Bilal", "Chen",
                  "Dewi", "Emre", "Farah", "Gert", "Hana", "Ivo", "Jamal"])
    offsets = (-9, -2, 0, 0, 1, 4, 20)  # overdue, today, this week, later
    for loc, coord in zip(locations, coordinators, strict=True):
        for offset in offsets[:5 if loc is locations[0] else 7]:
            t = _trajectory(loc, next(names), owner=coord)
            factories.checkin(t, due_on=MONDAY + timedelta(days=offset), assignee=coord,
                              rule_code="match_3m_owner")
        unassigned = _trajectory(loc, next(names), owner=None)
        factories.checkin(unassigned, due_on=MONDAY - timedelta(days=1), assignee=None)
    silent = _trajectory(locations[1], "Zwijger", owner=coordinators[1],
                         last_contact=MONDAY_0700 - timedelta(days=42, hours=1))
    db.session.commit()

    assert run_all(MONDAY_0700)
    assert run_all(MONDAY_0700 + timedelta(minutes=30)) == [], "a second tick sends nothing"

    digests = _ledger("digest")
    assert sorted(n.user_id for n in digests) == sorted(c.id for c in coordinators)
    with time_machine.travel(MONDAY_0700 + timedelta(minutes=5), tick=False):
        for coord, digest in zip(coordinators, sorted(digests, key=lambda n: n.user_id),
                                 strict=True):
            auth.login(coord)
            page = client.get("/taken").get_data(as_text=True)
            auth.logout()
            overdue_and_today = _names_in_groups(page, ("overdue", "today"))
            section = digest.body.split("Contactmomenten: te laat en vandaag")[1].split("\n\n")[0]
            in_digest = re.findall(r"^- (\S+) \w\.:", section, flags=re.M)
            assert sorted(in_digest) == sorted(overdue_and_today)
            assert len(in_digest) == 5  # two overdue, one unassigned overdue, two today
    db.session.refresh(silent)
    assert silent.out_of_view_since == MONDAY_0700
    assert "Zwijger J.: buiten beeld sinds 23 november" in digests[1].body

    tuesday = run_all(to_utc(date(2026, 11, 24), 7))
    assert sorted(line.split(":")[1].strip() for line in tuesday) == [
        "digest → coord0@taalhuis.example", "digest → coord1@taalhuis.example"]


def _names_in_groups(page: str, groups: tuple[str, ...]) -> list[str]:
    names = []
    for group in groups:
        match = re.search(rf'<section aria-labelledby="groep-{group}">(.*?)</section>', page,
                          flags=re.S)
        if match:
            names += re.findall(r'<a href="/deelnemers/\d+">(\S+) [^<]*</a>', match.group(1))
    return names


def test_done_when_with_the_demo_data(app, db, runner, client, auth, demo_data):
    """`flask seed-demo`, then `jobs tick` at a working-day 07:00 (issue 4, "Done when")."""
    from app.auth.models import User
    from app.participants.models import Trajectory

    assert DEMO_NOW == "2026-11-20T09:00", "seeded on the Friday before MONDAY_0700"
    coordinators = list(db.session.scalars(
        sa.select(User).where(User.role == "coordinator").order_by(User.id)))
    # One open trajectory of the second coordinator goes silent for exactly 42 days.
    silent = db.session.scalar(
        sa.select(Trajectory).where(Trajectory.owner_id == coordinators[1].id,
                                    Trajectory.status == "active",
                                    Trajectory.out_of_view_since.is_(None))
        .order_by(Trajectory.id).limit(1))
    silent.last_contact_at = MONDAY_0700 - timedelta(days=42, minutes=1)
    db.session.commit()

    first = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T07:00"])
    second = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T07:30"])

    assert first.exit_code == 0, first.output
    assert "nothing to send" in second.output
    db.session.expire_all()
    digests = {n.user_id: n for n in _ledger("digest")}
    for coord in coordinators:
        assert coord.id in digests, f"{coord.email} gets a digest"
        body = digests[coord.id].body
        counted = int(re.search(r"Contactmomenten: te laat en vandaag \((\d+)\)", body)[1])
        listed = re.findall(r"^- (\S+) .*\((?:te laat, was [^)]*|vandaag)\)",
                            body.split("Contactmomenten: te laat en vandaag")[1].split("\n\n")[0],
                            flags=re.M)
        with time_machine.travel(MONDAY_0700 + timedelta(minutes=5), tick=False):
            auth.login(coord.email, demo_data.password)
            on_task_list = []
            for page in range(1, 10):
                html = client.get(f"/taken?page={page}").get_data(as_text=True)
                names = _names_in_groups(html, ("overdue", "today"))
                if not names:
                    break
                on_task_list += names
            auth.logout()
        assert counted == len(on_task_list)
        assert listed == on_task_list[:len(listed)]
    first_lines = first.output.splitlines()
    assert sum(line.startswith("sent: digest → ") for line in first_lines) == len(
        [u for u in db.session.scalars(sa.select(User).where(
            User.role.in_(("coordinator", "staff")), User.active.is_(True)))])
    name = silent.participant.short_name
    assert f"in app: out_of_view → {coordinators[1].email}: Buiten beeld: {name}" in first_lines
    assert f"{name}: buiten beeld sinds 23 november" in digests[coordinators[1].id].body

    tuesday = runner.invoke(args=["jobs", "tick", "--at", "2026-11-24T07:00"])
    for coord in coordinators:
        assert f"sent: digest → {coord.email}: " in tuesday.output
