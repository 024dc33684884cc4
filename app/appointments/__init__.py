from flask import Blueprint

bp = Blueprint("appointments", __name__, url_prefix="/agenda")


def connect_hooks() -> None:
    """Appointments on the participant page, in the digest, and following the trajectory."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.appointments import service, timeline
    from app.core.events import subscribe
    from app.notifications.service import digest_section
    from app.participants.timeline import timeline_provider

    subscribe(service.on_event)
    timeline_provider(timeline.appointment_timeline)
    # Right after the check-ins: both are "what to do today".
    digest_section(service.intakes_section, order=12)
