from flask import Blueprint

bp = Blueprint("participants", __name__, url_prefix="/deelnemers")


def connect_hooks() -> None:
    """Show consent decisions and moves to another location on the participant page."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.participants.timeline import consent_timeline, move_timeline, timeline_provider

    timeline_provider(consent_timeline)
    timeline_provider(move_timeline)
