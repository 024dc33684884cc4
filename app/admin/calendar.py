"""The Taalhuis's closed days (Beheer > Sluitingsdagen): which public holidays count, and
its own closed days. Working-day deadlines and the daily digests read them through
app/core/timeutil.py, which this module feeds (connected in app/admin/__init__.py)."""

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.admin.models import CalendarSettings, ClosedDay
from app.audit import service as audit
from app.core.errors import DomainError
from app.core.timeutil import PUBLIC_HOLIDAYS, ClosedDays
from app.extensions import db

# A range of own closed days longer than this is a typo, not a holiday.
MAX_RANGE_DAYS = 62
_DATE = r"(\d{1,2})-(\d{1,2})-(\d{4})"
_LINE = re.compile(rf"^{_DATE}(?:\s*(?:t/m|tot en met|-)\s*{_DATE})?$")


_CACHE_KEY = "houvast_closed_days"


def current() -> ClosedDays:
    """The closed days in force, read once per transaction: the daily jobs ask for every
    user's digest, a page for every deadline it shows."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is None:
        cached = db.session.info[_CACHE_KEY] = _read()
    return cached


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget_at_transaction_end(session: Session) -> None:
    session.info.pop(_CACHE_KEY, None)


@sa.event.listens_for(Session, "before_flush")
def _forget_on_change(session: Session, _context, _instances) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, CalendarSettings | ClosedDay) for obj in changed):
        session.info.pop(_CACHE_KEY, None)


def _read() -> ClosedDays:
    settings = db.session.scalar(sa.select(CalendarSettings).limit(1))
    own = frozenset(db.session.scalars(sa.select(ClosedDay.day)))
    if settings is None:
        return ClosedDays(own=own)
    keys = frozenset(k for k in settings.closed_holidays.split(",") if k in PUBLIC_HOLIDAYS)
    return ClosedDays(holidays=keys, liberation_day=settings.liberation_day, own=own)


class ClosedDaysError(DomainError):
    pass


def parse_days(text: str) -> set[date]:
    """One day (28-12-2026) or one range (28-12-2026 t/m 31-12-2026) per line."""
    days: set[date] = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = _LINE.match(line)
        try:
            if not found:
                raise ValueError
            first = date(int(found[3]), int(found[2]), int(found[1]))
            last = (date(int(found[6]), int(found[5]), int(found[4]))
                    if found[4] else first)
        except ValueError:
            raise ClosedDaysError(_(
                "Regel %(number)d is geen datum. Schrijf bijvoorbeeld 28-12-2026 of "
                "28-12-2026 t/m 31-12-2026.", number=number)) from None
        if not first <= last <= first + timedelta(days=MAX_RANGE_DAYS):
            raise ClosedDaysError(_(
                "Regel %(number)d: de tweede datum moet na de eerste komen, binnen "
                "%(max)d dagen.", number=number, max=MAX_RANGE_DAYS))
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return days


def format_days(days) -> str:
    return "\n".join(f"{day:%d-%m-%Y}" for day in sorted(days))


def save(*, holidays: list[str], liberation_day: str, own_days: set[date], by,
         now: datetime) -> None:
    settings = db.session.scalar(sa.select(CalendarSettings).limit(1))
    if settings is None:
        settings = CalendarSettings()
        db.session.add(settings)
    settings.closed_holidays = ",".join(k for k in PUBLIC_HOLIDAYS if k in holidays)
    settings.liberation_day = liberation_day
    settings.updated_at = now
    db.session.flush()
    kept = set(db.session.scalars(sa.select(ClosedDay.day)))
    if kept - own_days:
        db.session.execute(sa.delete(ClosedDay).where(ClosedDay.day.in_(kept - own_days)))
    db.session.add_all(ClosedDay(day=day) for day in sorted(own_days - kept))
    db.session.info.pop(_CACHE_KEY, None)
    audit.record(by, "update", "calendar_settings", settings.id,
                 summary=_("Sluitingsdagen gewijzigd"), now=now)
