"""The scheduled jobs at any size: the 07:00 run costs the same few queries per mail, and
the hourly tick after it costs the same queries however many people there are."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db as _db
from app.notifications.models import Notification
from jobs.scheduler import SCHEDULE
from jobs.sweeps import run_jobs

from . import factories
from .test_jobs import MONDAY, MONDAY_0700, _trajectory

DAILY, HOURLY = ([names for job_id, names, _cron in SCHEDULE if job_id == wanted][0]
                 for wanted in ("houvast-daily", "houvast-hourly"))
LATER = MONDAY_0700 + timedelta(hours=3, minutes=15)
# Queries one more mail may cost at most: building it (a digest's sections each read their
# items in a query or two) plus claiming and sending it.
PER_MAIL = 12


def _offices(n: int) -> None:
    """`n` more locations, each with a coordinator, a staff member and a volunteer who signs
    in, and work of every kind for them: a late check-in, one due today for the volunteer,
    someone waiting too long and out of view, and a match without a session for months."""
    for _i in range(n):
        number = factories._n()
        loc = factories.location(f"Bibliotheek {number}")
        coordinator = factories.user("coordinator", locations=[loc])
        factories.user("staff", locations=[loc])
        volunteer, volunteer_user = factories.volunteer_with_account(f"Vera{number}",
                                                                     locations=[loc])
        late = _trajectory(loc, f"Laat{number}", owner=coordinator)
        factories.checkin(late, due_on=MONDAY - timedelta(days=2), assignee=coordinator,
                          rule_code="match_6w_owner")
        factories.checkin(late, due_on=MONDAY, assignee=volunteer_user,
                          rule_code="match_2w_volunteer")
        waiting = _trajectory(loc, f"Wacht{number}", owner=coordinator, status="waiting",
                              waiting_since=date(2026, 10, 1))
        waiting.out_of_view_since = MONDAY_0700 - timedelta(hours=3)
        matched = _trajectory(loc, f"Stil{number}", owner=coordinator)
        factories.match(matched, volunteer, started_on=date(2026, 9, 1))
    _db.session.commit()


def _mails_sent() -> int:
    return _db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.channel == "email", Notification.status == "sent"))


def _run(moment, names, count_queries) -> tuple[int, int]:
    """(queries, mails sent) of one run of the scheduler's jobs `names` at `moment`."""
    _db.session.expire_all()
    before = _mails_sent()
    with count_queries() as statements:
        run_jobs(moment, names)
    return len(statements), _mails_sent() - before


def _morning_of_a_fresh_installation() -> None:
    # Everything decided and sent so far is forgotten: the next run at the same moment is
    # the first 07:00 run again, now for all offices.
    _db.session.execute(sa.delete(Notification))
    _db.session.commit()


def test_the_daily_run_costs_the_same_queries_per_mail_at_any_size(app, db, count_queries,
                                                                   smtp_server):
    runs = []
    for more in (3, 3, 6):  # 3, 6 and 12 offices
        _offices(more)
        _morning_of_a_fresh_installation()
        runs.append(_run(MONDAY_0700, DAILY, count_queries))
    mails = [m for _q, m in runs]
    # Per office: a digest for the coordinator and for the staff member, the volunteer's
    # reminder and their "hoe gaat het" about the silent match.
    assert mails == [12, 24, 48]
    assert len(smtp_server.messages) == 12 + 24 + 48
    (q3, m3), (q6, m6), (q12, m12) = runs
    per_mail = (q6 - q3) / (m6 - m3)
    assert (q12 - q6) / (m12 - m6) == per_mail, "each mail costs the same queries"
    assert per_mail <= PER_MAIL, f"{per_mail} queries per mail"


def test_the_hourly_tick_costs_the_same_queries_at_any_size(app, db, count_queries,
                                                          smtp_server):
    counts = []
    for more in (3, 9):  # 3 and 12 offices
        _offices(more)
        _morning_of_a_fresh_installation()
        _run(MONDAY_0700, DAILY, count_queries)
        counts.append(_run(LATER, HOURLY, count_queries))
    # Later in the day: the morning's mail is decided, nothing new is due.
    assert [m for _q, m in counts] == [0, 0]
    assert counts[0][0] == counts[1][0]
    # A working day before 07:00: no digest yet, and the scan costs the same too.
    early = []
    for more in (0, 4):
        _offices(more)
        _morning_of_a_fresh_installation()
        early.append(_run(MONDAY_0700 - timedelta(hours=2), HOURLY, count_queries))
    assert early[0] == early[1]
