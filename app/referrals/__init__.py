from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/aanmeldingen")


def connect_hooks() -> None:
    """Show the referral and first contact on the participant page."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.participants.timeline import due_provider, timeline_provider
    from app.referrals.timeline import referral_due, referral_timeline

    timeline_provider(referral_timeline)
    due_provider(referral_due)
