"""Time helpers: UTC storage, local Dutch dates, working days.

Domain code takes `now` as a parameter; only views and the CLI call `utcnow()`.
"""

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from flask import current_app

from app.core.db import utcnow

__all__ = [
    "utcnow", "local_tz", "local_date", "local_datetime", "to_utc",
    "is_working_day", "add_working_days", "next_working_day",
]


def local_tz() -> ZoneInfo:
    try:
        name = current_app.config["HOUVAST_TIMEZONE"]
    except RuntimeError:
        name = "Europe/Amsterdam"
    return ZoneInfo(name)


def local_datetime(moment: datetime) -> datetime:
    return moment.astimezone(local_tz())


def local_date(moment: datetime) -> date:
    """The calendar date in the Taalhuis' time zone at `moment` (aware)."""
    return moment.astimezone(local_tz()).date()


def to_utc(local_day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time on a local date, as an aware UTC datetime (DST-correct)."""
    naive = datetime(local_day.year, local_day.month, local_day.day, hour, minute)
    return naive.replace(tzinfo=local_tz()).astimezone(UTC)


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (weekends and Dutch public holidays skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
