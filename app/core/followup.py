"""The thresholds of DESIGN.md's follow-up table that are not check-in rules of their own.

One home for each number. A row in `followup_settings` holds a changed value (the admin page
under Beheer is still to come); a missing row means the default of DESIGN.md. The scans, the
digests and the pages read `thresholds()`, never a constant.
"""

from dataclasses import dataclass
from types import SimpleNamespace

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


# Unit and bounds say what a valid value is; the order is the order to show them in.
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
    # This many group meetings in a row absent without notice: a check-in for the owner.
    Threshold("group_absent_in_a_row", 2, "times", 1, 10),
    # A volunteer reports this many sessions in a row where the participant did not come
    # ("niet gekomen"): a concern for the coordinator.
    Threshold("session_no_shows_in_a_row", 2, "times", 1, 10),
)

_CACHE_KEY = "houvast_followup_thresholds"


def thresholds() -> SimpleNamespace:
    """The thresholds in force as attributes (`thresholds().out_of_view_days`), read once per
    transaction (one small query)."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is not None:
        return cached
    stored = dict(db.session.execute(sa.select(FollowUpSetting.key, FollowUpSetting.value)).all())
    values = {t.key: int(stored.get(t.key, t.default)) for t in THRESHOLDS}
    current = SimpleNamespace(**values)
    db.session.info[_CACHE_KEY] = current
    return current


# A value saved here or by another process is seen from the next transaction on: a long-running
# scheduler must not keep yesterday's thresholds.
@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget_at_transaction_end(session: Session) -> None:
    session.info.pop(_CACHE_KEY, None)
