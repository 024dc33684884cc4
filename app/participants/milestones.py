"""Keeps the milestone copies on Trajectory (partner, first contact, intake) in step.

The referral and the intake stay the records of truth; the trajectory carries a copy of
their dates so a report over 100,000 trajectories reads one table. The copy is made in one
place, before every flush, so no service function can forget it.
"""

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.intakes.models import Intake
from app.participants.models import Trajectory
from app.referrals.models import Referral


def first_contact_on(referral: Referral):
    return referral.result_on if referral.first_contact_made else None


def _trajectory_of(session: Session, record) -> Trajectory | None:
    trajectory = record.trajectory
    if trajectory is None and record.trajectory_id is not None:
        # A new record given only the id: its relationship is not loaded while pending.
        trajectory = session.get(Trajectory, record.trajectory_id)
    return trajectory


def _copy(trajectory: Trajectory, **values) -> None:
    for name, value in values.items():
        # Only real changes: an assignment marks the trajectory changed (updated_at).
        if getattr(trajectory, name) != value:
            setattr(trajectory, name, value)


@event.listens_for(Session, "before_flush")
def _sync_milestones(session: Session, _context, _instances) -> None:
    with session.no_autoflush:
        for record in [*session.new, *session.dirty]:
            if isinstance(record, Referral):
                if record.is_primary is False:
                    # A second referrer: the reports count the first one (Referral.is_primary).
                    continue
                trajectory = _trajectory_of(session, record)
                if trajectory is not None:
                    _copy(trajectory, partner_id=record.partner_id,
                          first_contact_on=first_contact_on(record))
            elif isinstance(record, Intake):
                trajectory = _trajectory_of(session, record)
                if trajectory is not None:
                    _copy(trajectory, intake_on=record.held_on)
        for record in session.deleted:
            if isinstance(record, Intake):
                trajectory = _trajectory_of(session, record)
                if trajectory is not None and trajectory not in session.deleted:
                    _copy(trajectory, intake_on=None)
