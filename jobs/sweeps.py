"""Every job in the order one tick runs them, and `run_all` for the CLI and the scheduler."""

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Notification, NotificationStatus
from app.notifications.service import SENT_CHANNELS, deliver_pending, sweep_lock
from app.portal.service import signal_out_of_view
from jobs.digest import daily_digest, volunteer_reminders
from jobs.participant_messages import job as participant_messages
from jobs.retention import job as retention
from jobs.scan import out_of_view_scan
from jobs.volunteer_silence import job as volunteer_silence


def referrer_signals(now: datetime) -> list[Notification]:

    with sweep_lock("referrer_signals") as acquired:
        if not acquired:
            return []
        return signal_out_of_view(now)


def deliver(now: datetime) -> list[Notification]:
    with sweep_lock("deliver") as acquired:
        if not acquired:
            return []
        return deliver_pending(now)


# The scan first, so a digest of the same tick already shows what it flagged.
JOBS: dict[str, Callable[[datetime], list[Notification] | list[str]]] = {
    "out_of_view_scan": out_of_view_scan,
    # After the scan: tells referrers (with consent) about people it just flagged.
    "referrer_signals": referrer_signals,
    # Reminders and "niet vergeten" to participants, before the digest: a call task it
    # makes for someone who prefers to be phoned is in the same morning's digest. The
    # delivery of the same tick sends them (or lets them wait for the quiet hours' end).
    "participant_messages": participant_messages,
    "daily_digest": daily_digest,
    "volunteer_reminders": volunteer_reminders,
    "volunteer_silence": volunteer_silence,
    "deliver": deliver,
    # Last: anonymises what is past retention and says so in one line (no messages).
    "retention": retention,
}


def describe(note: Notification) -> str:
    who = note.email or (f"participant {note.participant_id} ({note.channel})"
                         if note.participant_id is not None else f"user {note.user_id}")
    if note.channel == "app":
        return f"in app: {note.kind} → {who}: {note.subject}"
    if note.status == NotificationStatus.SENT:
        return f"sent: {note.kind} → {who}: {note.subject}"
    if note.status == NotificationStatus.SKIPPED:
        return f"skipped: {note.kind} → {who}: {note.subject} (no longer allowed)"
    if note.status == NotificationStatus.FAILED:
        return f"failed: {note.kind} → {who}: {note.subject} ({note.last_error})"
    return f"queued: {note.kind} → {who}: {note.subject}"


SKIPPED = "skipped: another process is running the jobs right now"


def run_jobs(now: datetime, names=None) -> list[str]:
    """Run the named jobs (default: all, in order) for `now`; one line per message.

    The jobs of one run hold a lock together, so a digest never overtakes the scan of
    another process that is still flagging trajectories.
    """
    selected = [name for name in JOBS if names is None or name in names]
    lines: list[str] = []
    with sweep_lock("jobs") as acquired:
        if not acquired:
            return [SKIPPED]
        for name in selected:
            results = JOBS[name](now)
            _reload([note for note in results if not isinstance(note, str)])
            for note in results:
                if isinstance(note, str):
                    lines.append(note)
                    continue
                # Claimed e-mail is reported once, when the delivery settles it.
                if name != "deliver" and note.channel in SENT_CHANNELS:
                    continue
                lines.append(describe(note))
    return lines


def _reload(notes: list[Notification]) -> None:
    """Load what the jobs' commits expired in a few queries, not one per message line."""
    ids = [sa.inspect(note).identity[0] for note in notes if sa.inspect(note).expired_attributes]
    for start in range(0, len(ids), 500):
        db.session.scalars(sa.select(Notification)
                           .where(Notification.id.in_(ids[start:start + 500]))).all()


def run_all(now: datetime) -> list[str]:
    """Run every job once for `now`; one line per message claimed or delivered."""
    return run_jobs(now)
