"""Demo data for retention: a few people whose trajectory ended well over 24 months ago.

The scheduler's nightly retention job (or `flask jobs tick`) anonymises them on its first
run, so the demo shows what retention does: the names are gone from Deelnemers, while the
municipality report of their year keeps its numbers.
"""

import sqlalchemy as sa

from app.checkins.models import CheckIn, CheckInStatus
from app.checkins.service import complete_checkin
from app.core.timeutil import to_utc
from app.extensions import db
from app.intakes.models import GoalStatus
from app.matching.service import end_trajectory
from app.seed import SeedContext, _coordinator, _to_waiting

# (location, days since the intake, days since the end, outcome, end reason): ended
# 26 to 31 months before the demo's day, well past the 24 months of DESIGN.md.
OLD_TRAJECTORIES = [
    ("centrum", 1010, 930, "goal_reached", "doel_behaald"),
    ("centrum", 960, 890, "non_formal", "doel_behaald"),
    ("noord", 990, 860, "work", "werk_gevonden"),
    ("noord", 900, 820, "moved", "verhuisd"),
    ("leidsche_rijn", 940, 800, "stopped", "te_moeilijk"),
]


def seed_old_trajectories(ctx: SeedContext) -> None:
    for location_key, intake_ago, end_ago, outcome, end_reason in OLD_TRAJECTORIES:
        trajectory = _to_waiting(ctx, location_key, intake_ago)
        reached = outcome in ("goal_reached", "non_formal", "work")
        result = GoalStatus.ACHIEVED if reached else GoalStatus.STOPPED
        end_trajectory(trajectory, outcome=outcome, end_reason=end_reason,
                       goal_results={goal.id: result for goal in trajectory.goals},
                       by=_coordinator(ctx, trajectory),
                       now=ctx.moment(end_ago, 14))
        # The aftercare call was made back then: nothing of theirs is on a task list now.
        for checkin in db.session.scalars(sa.select(CheckIn).where(
                CheckIn.trajectory_id == trajectory.id,
                CheckIn.status == CheckInStatus.PLANNED).order_by(CheckIn.id)).all():
            complete_checkin(checkin, outcome="going_well", note=None,
                             user=_coordinator(ctx, trajectory), now=to_utc(checkin.due_on, 11))
        ctx.add_trajectory(trajectory)
