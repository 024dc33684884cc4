"""The thresholds of DESIGN.md's follow-up table that are not check-in rules of their own.

One home for each number. An admin changes them under Beheer; a row in `followup_settings`
holds a changed value, a missing row means the default of DESIGN.md. The scans, the digests,
the deadlines, the pages and their texts all read `thresholds()`, never a constant.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.checkins.models import FollowUpSetting
from app.extensions import db


@dataclass(frozen=True)
class Threshold:
    key: str
    default: int
    # "days", "working_days", "times" or "years": how the admin page and texts say it.
    unit: str
    minimum: int
    maximum: int


# The order is the order on the admin page. Labels and explanations are in the admin form,
# where Flask-Babel finds them.
THRESHOLDS: tuple[Threshold, ...] = (
    # No contact for this long, and an open trajectory is "buiten beeld".
    Threshold("out_of_view_days", 42, "days", 7, 365),
    # Or this many check-ins in a row not reached.
    Threshold("not_reached_in_a_row", 2, "times", 1, 10),
    # Waiting for an offer longer than this: an alert to the coordinator.
    Threshold("waiting_too_long_days", 21, "days", 1, 365),
    # No session logged on an active match: a reminder to the volunteer, then an alert to the
    # coordinator.
    Threshold("volunteer_silence_reminder_days", 21, "days", 1, 365),
    Threshold("volunteer_silence_alert_days", 42, "days", 1, 365),
)

BY_KEY = {threshold.key: threshold for threshold in THRESHOLDS}

_CACHE_KEY = "houvast_followup_thresholds"


class Thresholds:
    """The current values, read as attributes: `thresholds().out_of_view_days`."""

    def __init__(self, values: dict[str, int]):
        self._values = values

    def __getattr__(self, key: str) -> int:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> int:
        return self._values[key]

    def is_default(self, key: str) -> bool:
        return self._values[key] == BY_KEY[key].default


def thresholds() -> Thresholds:
    """The thresholds in force, read once per transaction (one small query)."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is not None:
        return cached
    stored = dict(db.session.execute(sa.select(FollowUpSetting.key, FollowUpSetting.value)).all())
    values = {t.key: int(stored.get(t.key, t.default)) for t in THRESHOLDS}
    current = Thresholds(values)
    db.session.info[_CACHE_KEY] = current
    return current


def forget_cached() -> None:
    """After an admin saved new values: the next `thresholds()` reads them again."""
    db.session.info.pop(_CACHE_KEY, None)


# A value another process saved is seen from the next transaction on: a long-running
# scheduler must not keep yesterday's thresholds.
@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget_at_transaction_end(session: Session) -> None:
    session.info.pop(_CACHE_KEY, None)
