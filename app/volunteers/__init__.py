from flask import Blueprint

bp = Blueprint("volunteers", __name__)


def connect_hooks() -> None:
    """Add demo volunteers, matches and sessions to `flask seed-demo`."""
    # Imported here: importing this package's models runs this file first, before the
    # services these modules import can load.
    from app.seed import seed_step
    from app.volunteers.seed import seed_volunteers_and_matches

    seed_step(seed_volunteers_and_matches)
