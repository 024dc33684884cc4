from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/partner")


def connect_hooks() -> None:
    """Signal the referrer on trajectory events; re-check consent before a signal goes out."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.core.events import subscribe
    from app.notifications.service import delivery_guard
    from app.portal import service

    subscribe(service.on_trajectory_event)
    delivery_guard(service.SIGNAL_KIND)(service.still_allowed)
