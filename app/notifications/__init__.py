from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/berichten")


def connect_hooks() -> None:
    """The built-in sections of the daily digest and the volunteers' reminder."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.notifications import digest
    from app.notifications.service import digest_section

    digest_section(digest.checkins_section, order=10)
    digest_section(digest.late_referrals_section, order=20)
    digest_section(digest.out_of_view_section, order=30)
    digest_section(digest.waiting_section, order=40)
    digest_section(digest.checkin_concerns_section, order=42)
    digest_section(digest.volunteer_checkins_section, order=10, roles=("volunteer",))
