from flask import Blueprint

bp = Blueprint("checkins", __name__)


def connect_hooks() -> None:
    """Plan check-ins on trajectory events; show them on the participant page."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.checkins import service, timeline
    from app.checkins.seed import seed_waiting_again
    from app.core.events import subscribe
    from app.participants.timeline import due_provider, timeline_provider
    from app.seed import seed_step

    subscribe(service.on_event)
    timeline_provider(timeline.checkin_timeline)
    due_provider(timeline.checkin_due)
    seed_step(seed_waiting_again)
