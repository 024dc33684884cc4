"""The public privacy page for participants: "Wat doen wij met uw gegevens?".

Public (no sign-in): a person who registers themselves reads it before saying yes, and staff
print it at the intake. `?locatie=<id>` puts that location's phone and address under "Wie
kunt u iets vragen?"; staff who do intakes get a link per location of theirs to print it
with. Without a location the page says to ask the Taalhuis, in general words.
"""

import sqlalchemy as sa
from flask import render_template
from flask_babel import ngettext
from flask_login import current_user

from app.admin.models import Location
from app.auth.permissions import allowed_locations, has
from app.auth.session import public
from app.core import followup
from app.core.limits import arg_id
from app.extensions import db
from app.privacy import bp

# DESIGN.md: closed trajectories are anonymised 24 months after the end, unless an admin
# sets another retention period (a follow-up threshold, when there is one).
DEFAULT_RETENTION_MONTHS = 24
# The admin setting for how long a closed trajectory is kept (app/core/followup.py).
RETENTION_KEY = "retention_trajectory_months"


def retention_threshold() -> followup.Threshold | None:
    """The admin setting for how long a closed trajectory is kept."""
    return next((t for t in followup.THRESHOLDS if t.key == RETENTION_KEY), None)


def retention_text() -> str:
    """How long after the end we keep the data, as the page says it ("24 maanden")."""
    threshold = retention_threshold()
    if threshold is None:
        months = DEFAULT_RETENTION_MONTHS
    else:
        value = getattr(followup.thresholds(), threshold.key)
        if threshold.unit != "months":
            return followup.amount_text(threshold, value)
        months = value
    return ngettext("%(num)s maand", "%(num)s maanden", months)


def _chosen_location() -> Location | None:
    location_id = arg_id("locatie")
    if location_id is None:
        return None
    return db.session.scalar(sa.select(Location).where(Location.id == location_id,
                                                       Location.active.is_(True)))


@bp.get("/privacy")
@public
def about():
    # Staff print the page at the intake, for the participant's own location.
    print_locations = allowed_locations(current_user) if has(current_user, "intakes.edit") \
        else []
    location = _chosen_location()
    if location is None and len(print_locations) == 1:
        location = print_locations[0]
    return render_template("privacy/about.html", location=location,
                           print_locations=print_locations, retention=retention_text())
