"""Messages to participants that are due by the clock: the intake reminder and the group
reminder the day before (from 10:00 local time), and "wij zijn u niet vergeten" for people
waiting too long. What and how: app/messaging/kinds.py; the claims are unique in the
ledger, so any number of runs (or schedulers) claim each message once. The "deliver" job
sends them (SMS and WhatsApp outside the quiet hours)."""

from datetime import datetime

from app.extensions import db
from app.messaging.kinds import due_now
from app.notifications.models import Notification


def job(now: datetime) -> list[Notification]:
    claimed = due_now(now)
    db.session.commit()
    return claimed
