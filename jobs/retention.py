"""Retention that enforces itself (nightly, and in every `jobs tick`).

- trajectories ended longer ago than the retention setting are anonymised
  (app/privacy/anonymise.py), and a person once none of their trajectories is open or
  within the setting;
- audit events older than their setting are deleted, and so are the ledger's "nothing to
  report today" rows of the daily messages;
- the bodies of sent daily messages to staff (which list the people of that day) older than
  the trajectory setting are replaced: those people's trajectories have long ended; so are
  the self-registrations that were turned down (they never got a trajectory);
- mail and message files in instance/outbox/ older than 30 days are removed.

Everything is decided from the database and `now`: a missed night is caught up by the next
one, and a second run finds nothing left to do. One audit line per run says what it did.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core.followup import thresholds
from app.core.timeutil import local_date
from app.extensions import db
from app.notifications.models import Notification, NotificationStatus
from app.participants.models import Participant, Trajectory, TrajectoryStatus
from app.privacy.anonymise import (
    ANONYMOUS_NAME,
    REMOVED,
    anonymise_people,
    anonymise_trajectories,
)
from app.selfreg.models import SelfRegistration, SelfRegistrationStatus

OUTBOX_DAYS = 30
# Trajectories per transaction: each batch commits, so a run over 100,000 holds no lock long.
RUN_BATCH = 1000
# The daily messages whose "nothing to report" rows the ledger keeps for a while only.
DAILY_KINDS = ("digest", "volunteer_reminder")


@dataclass
class RetentionResult:
    trajectories: int = 0
    participants: int = 0
    audit_events: int = 0
    skipped_rows: int = 0
    digests: int = 0
    registrations: int = 0
    outbox_files: int = 0

    @property
    def changed(self) -> bool:
        return any((self.trajectories, self.participants, self.audit_events, self.skipped_rows,
                    self.digests, self.registrations, self.outbox_files))

    def summary(self) -> str:
        return (f"bewaartermijnen: {self.trajectories} trajecten en {self.participants} "
                f"deelnemers geanonimiseerd, {self.audit_events} logboekregels, "
                f"{self.skipped_rows} lege dagberichten en {self.outbox_files} outbox-bestanden "
                f"weggehaald, {self.digests} oude dagberichten en {self.registrations} "
                f"afgewezen zelfaanmeldingen leeggemaakt")


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of a shorter month: 31 March - 1 = 28/29
    February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _moment_months_before(now: datetime, months: int) -> datetime:
    day = months_before(now.date(), months)
    return now.replace(year=day.year, month=day.month, day=day.day)


def trajectory_cutoff(now: datetime) -> date:
    """Trajectories ended before this local date are past retention."""
    return months_before(local_date(now), thresholds().retention_trajectory_months)


def _ended_before(cutoff: date) -> sa.ColumnElement[bool]:
    # ended_on first: ix_trajectories_ended_on finds the old ones, however many there are.
    return sa.and_(Trajectory.ended_on < cutoff, Trajectory.status == TrajectoryStatus.ENDED)


def _due_people(candidates: list[int], cutoff: date) -> list[int]:
    """Of `candidates`, who has no trajectory left that is open, within the setting or not
    yet anonymised."""
    if not candidates:
        return []
    still = (sa.select(Trajectory.id)
             .where(Trajectory.participant_id == Participant.id,
                    sa.or_(Trajectory.anonymised_at.is_(None), Trajectory.ended_on.is_(None),
                           Trajectory.ended_on >= cutoff,
                           Trajectory.status != TrajectoryStatus.ENDED))
             .exists())
    return list(db.session.scalars(
        sa.select(Participant.id).where(Participant.id.in_(candidates),
                                        Participant.anonymised_at.is_(None), ~still)))


def anonymise_expired(now: datetime, result: RetentionResult) -> None:
    cutoff = trajectory_cutoff(now)
    while True:
        rows = db.session.execute(
            sa.select(Trajectory.id, Trajectory.participant_id)
            .where(_ended_before(cutoff), Trajectory.anonymised_at.is_(None))
            .order_by(Trajectory.id).limit(RUN_BATCH)).all()
        if not rows:
            break
        result.trajectories += anonymise_trajectories([r.id for r in rows], now=now)
        people = _due_people(sorted({r.participant_id for r in rows}), cutoff)
        result.participants += anonymise_people(people, now=now)
        db.session.commit()


def clear_old_digests(now: datetime, result: RetentionResult) -> None:
    """A daily message lists the people of that day by name; after the trajectory setting
    its text has no use left."""
    before = _moment_months_before(now, thresholds().retention_trajectory_months)
    result.digests = db.session.execute(
        sa.update(Notification)
        .where(Notification.kind.in_(DAILY_KINDS), Notification.created_at < before,
               Notification.status != NotificationStatus.SKIPPED, Notification.body != REMOVED)
        .values(subject=REMOVED, body=REMOVED, html=None)
        .execution_options(synchronize_session=False)).rowcount or 0


def clear_rejected_registrations(now: datetime, result: RetentionResult) -> None:
    """A self-registration that was turned down never got a trajectory to be anonymised
    with: it follows the trajectory setting from the day it came in."""
    before = _moment_months_before(now, thresholds().retention_trajectory_months)
    result.registrations = db.session.execute(
        sa.update(SelfRegistration)
        .where(SelfRegistration.status == SelfRegistrationStatus.REJECTED,
               SelfRegistration.created_at < before,
               SelfRegistration.trajectory_id.is_(None),
               SelfRegistration.first_name != ANONYMOUS_NAME)
        .values(first_name=ANONYMOUS_NAME, phone="", best_moment=None, question=None,
                helped_by=None)
        .execution_options(synchronize_session=False)).rowcount or 0


def delete_old_rows(now: datetime, result: RetentionResult) -> None:
    settings = thresholds()
    audit_before = _moment_months_before(now, 12 * settings.retention_audit_years)
    result.audit_events = db.session.execute(
        sa.delete(AuditEvent).where(AuditEvent.at < audit_before)
        .execution_options(synchronize_session=False)).rowcount or 0
    skipped_before = _moment_months_before(now, settings.retention_skipped_digest_months)
    result.skipped_rows = db.session.execute(
        sa.delete(Notification)
        .where(Notification.kind.in_(DAILY_KINDS),
               Notification.status == NotificationStatus.SKIPPED,
               Notification.created_at < skipped_before)
        .execution_options(synchronize_session=False)).rowcount or 0


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / "outbox"


def clean_outbox(now: datetime, result: RetentionResult) -> None:
    """Files written by the development mail and message outboxes (app/core/mail.py,
    app/messaging/gateway.py): by the time they were last written."""
    folder = outbox_dir()
    if not folder.is_dir():
        return
    limit = (now - timedelta(days=OUTBOX_DAYS)).timestamp()
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            result.outbox_files += 1


def run_retention(now: datetime) -> RetentionResult:
    result = RetentionResult()
    anonymise_expired(now, result)
    clear_old_digests(now, result)
    clear_rejected_registrations(now, result)
    delete_old_rows(now, result)
    clean_outbox(now, result)
    # After the deletes: this line itself is never older than its setting.
    audit.record(None, "delete", "retention", summary=result.summary(), now=now)
    db.session.commit()
    return result


def job(now: datetime) -> list[str]:
    """For jobs/sweeps.py: a line for `jobs tick` when the run removed anything (the audit
    log has a line for every run)."""
    result = run_retention(now)
    return [result.summary()] if result.changed else []
