"""The person's rights under the AVG: restriction, retention, erasure, inzage, who looked.

Consent per purpose lives with the participant (app/participants/models.py Consent); this
package holds what happens when it is withdrawn, how long data is kept, and what a person
(or a privacy officer) may ask of the Taalhuis.
"""

from flask import Blueprint

bp = Blueprint("privacy", __name__)


def connect_hooks() -> None:
    """The retention job, restriction on withdrawal, and the privacy parts of the
    participant page."""
    from app.notifications.service import global_delivery_guard
    from app.privacy import restriction
    from app.privacy.seed import seed_old_trajectories
    from app.seed import seed_step

    global_delivery_guard(restriction.delivery_allowed)
    # Last: people from long ago, for the retention job to anonymise.
    seed_step(seed_old_trajectories)


from app.privacy import views  # noqa: E402,F401  (routes on bp)
