from flask import Blueprint

bp = Blueprint("checkins", __name__)


def connect_hooks() -> None:
    """Plan check-ins on trajectory events; show them on the participant page."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.checkins import nextstep, service, timeline
    from app.checkins.seed import seed_contacts, seed_waiting_again
    from app.core.events import subscribe
    from app.notifications.service import digest_section
    from app.participants.timeline import due_provider, timeline_provider
    from app.seed import seed_step

    subscribe(service.on_event)
    timeline_provider(timeline.checkin_timeline)
    due_provider(timeline.checkin_due)
    # Only coordinators (followup.overview) get it; staff get None from the section.
    digest_section(nextstep.without_next_step_section, order=35)
    # After the volunteers' step: it reports on their matches.
    seed_step(seed_contacts)
    seed_step(seed_waiting_again)
