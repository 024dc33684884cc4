"""Demo data of the follow-up settings: someone who waits again after a group place ended, so
the waiting list shows "in totaal N dagen" since the first wait."""

import sqlalchemy as sa

from app.extensions import db
from app.matching.models import Enrollment, Match
from app.matching.service import end_enrollment
from app.participants.models import TrajectoryStatus


def seed_waiting_again(ctx) -> None:
    # After the volunteers' step: only a group place ends, nobody's match is undone, and the
    # random choices of the steps before stay the same.
    for trajectory in sorted(ctx.trajectories.get(TrajectoryStatus.ACTIVE, []),
                             key=lambda t: t.id):
        if not trajectory.is_active:
            continue
        enrollments = db.session.scalars(
            sa.select(Enrollment).where(Enrollment.trajectory_id == trajectory.id,
                                        Enrollment.is_active)).all()
        matched = db.session.scalar(
            sa.select(sa.func.count(Match.id)).where(Match.trajectory_id == trajectory.id))
        if len(enrollments) == 1 and not matched:
            by = trajectory.owner or ctx.users["coordinator"]
            end_enrollment(enrollments[0], by=by, now=ctx.moment(5, 11))
            return
