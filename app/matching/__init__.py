from flask import Blueprint

bp = Blueprint("matching", __name__)


def connect_hooks() -> None:
    """Matching's digest sections and participant-page providers."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.matching import digest, timeline
    from app.notifications.service import digest_section
    from app.participants.timeline import due_provider, timeline_provider

    digest_section(digest.concerns_section, order=40)
    digest_section(digest.silent_matches_section, order=45)
    timeline_provider(timeline.matching_timeline)
    due_provider(timeline.matching_due)
