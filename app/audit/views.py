import sqlalchemy as sa
from flask import render_template, request
from sqlalchemy.orm import joinedload

from app.audit import bp
from app.audit.models import AuditEvent
from app.auth.permissions import require
from app.extensions import db


@bp.get("/")
@require("audit.view")
def index():
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.user)).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc()
    )
    participant_id = request.args.get("deelnemer", type=int)
    if participant_id:
        query = query.where(AuditEvent.participant_id == participant_id)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("audit/index.html", page=page, participant_id=participant_id)
