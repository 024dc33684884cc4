"""Time helpers: UTC storage, local Dutch dates, working days.

Domain code takes `now` as a parameter; only views and the CLI call `utcnow()`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

from app.core.db import utcnow

__all__ = [
    "utcnow", "local_tz", "local_date", "local_datetime", "to_utc",
    "is_working_day", "add_working_days", "next_working_day", "ClosedDays", "closed_days",
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


# The Dutch public holidays on weekdays an admin can count as closed days (Beheer >
# Sluitingsdagen), by key: (Dutch name, name in the `holidays` calendar). Easter Sunday and
# Whit Sunday are Sundays anyway; Bevrijdingsdag is computed here (yearly or every five years).
PUBLIC_HOLIDAYS: dict[str, tuple[str, str | None]] = {
    "nieuwjaarsdag": ("Nieuwjaarsdag", "New Year's Day"),
    "goede_vrijdag": ("Goede Vrijdag", "Good Friday"),
    "tweede_paasdag": ("Tweede paasdag", "Easter Monday"),
    "koningsdag": ("Koningsdag", "King's Day"),
    "bevrijdingsdag": ("Bevrijdingsdag", None),
    "hemelvaartsdag": ("Hemelvaartsdag", "Ascension Day"),
    "tweede_pinksterdag": ("Tweede pinksterdag", "Pentecost Monday"),
    "eerste_kerstdag": ("Eerste kerstdag", "Christmas Day"),
    "tweede_kerstdag": ("Tweede kerstdag", "Second Day of Christmas"),
}
# Most libraries are open on Goede Vrijdag.
DEFAULT_CLOSED_HOLIDAYS = frozenset(PUBLIC_HOLIDAYS) - {"goede_vrijdag"}
LIBERATION_YEARLY, LIBERATION_LUSTRUM = "yearly", "every_five_years"


@dataclass(frozen=True)
class ClosedDays:
    """The days the Taalhuis is closed, besides weekends: the chosen public holidays and
    its own closed days (e.g. between Christmas and New Year)."""

    holidays: frozenset[str] = DEFAULT_CLOSED_HOLIDAYS
    liberation_day: str = LIBERATION_LUSTRUM
    own: frozenset[date] = frozenset()

    def is_closed(self, day: date) -> bool:
        return day in self.own or day in _closed_holidays(day.year, self.holidays,
                                                          self.liberation_day)


@lru_cache(maxsize=256)
def _closed_holidays(year: int, keys: frozenset[str], liberation_day: str) -> frozenset[date]:
    # Imported here: the holidays package is only needed once per year asked (cached above).
    import holidays

    by_name = {name: key for key, (_dutch, name) in PUBLIC_HOLIDAYS.items() if name}
    calendar = holidays.country_holidays("NL", years=year, language="en_US")
    closed = {day for day, name in calendar.items() if by_name.get(name) in keys}
    if "bevrijdingsdag" in keys and (liberation_day == LIBERATION_YEARLY or year % 5 == 0):
        closed.add(date(year, 5, 5))
    return frozenset(closed)


# Where the closed days come from (the admin feature's settings, app/admin/__init__.py);
# without one, the defaults.
_closed_days_source: list[Callable[[], ClosedDays]] = []


def closed_days_source(source: Callable[[], ClosedDays]) -> None:
    _closed_days_source[:] = [source]


def closed_days() -> ClosedDays:
    return _closed_days_source[0]() if _closed_days_source else ClosedDays()


def is_working_day(day: date, closed: ClosedDays | None = None) -> bool:
    if day.weekday() >= 5:
        return False
    return not (closed or closed_days()).is_closed(day)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (weekends and closed days skipped)."""
    closed = closed_days()
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, closed):
            remaining -= 1
    return current


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    closed = closed_days()
    while not is_working_day(day, closed):
        day += timedelta(days=1)
    return day
