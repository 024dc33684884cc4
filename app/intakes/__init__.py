from flask import Blueprint

bp = Blueprint("intakes", __name__, url_prefix="/intake")


def connect_hooks() -> None:
    """Show the intake, learning goals and target dates on the participant page."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.intakes.timeline import goal_target_dates, intake_timeline
    from app.participants.timeline import due_provider, timeline_provider

    timeline_provider(intake_timeline)
    due_provider(goal_target_dates)
