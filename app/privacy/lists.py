"""The people whose processing is restricted: the one place a coordinator finds them again
(every other list leaves them out), to record consent anew or to ask for an erasure."""

import sqlalchemy as sa
from flask import current_app, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import participant_scope, require
from app.extensions import db
from app.participants.models import Participant
from app.privacy import bp


@bp.get("/deelnemers/beperkt")
@require("privacy.erase_request")
def restricted():
    """Newest restriction first (ix_participants_restricted_at); only names, as the banner."""
    query = (sa.select(Participant)
             .where(Participant.restricted_at.is_not(None), Participant.anonymised_at.is_(None),
                    participant_scope(current_user, include_restricted=True))
             .options(joinedload(Participant.restricted_by).lazyload(User.locations))
             .order_by(Participant.restricted_at.desc(), Participant.id.desc()))
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    audit.record_views(current_user, "restricted_list",
                       [(p.id, p.id) for p in page.items], summary="lijst beperkt")
    html = render_template("privacy/restricted.html", page=page)
    db.session.commit()
    return html
