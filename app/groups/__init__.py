from flask import Blueprint

bp = Blueprint("groups", __name__)


def connect_hooks() -> None:
    """The group meetings on the participant page, and the demo group's meetings."""
    # Imported here, as in the other features: the services import models of this package.
    from app.groups import seed, timeline
    from app.participants.timeline import due_provider, timeline_provider
    from app.seed import seed_step

    timeline_provider(timeline.attendance_timeline)
    due_provider(timeline.next_meeting_due)
    seed_step(seed.seed_group_meetings)
