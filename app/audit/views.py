"""The audit log page: who viewed or changed what, in Dutch, with filters, paginated.

A page of 50 events costs a fixed number of queries: the events with their users, then the
names of the records they name (app/audit/names.py: one query per kind, never per row).
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from app.audit import bp, labels
from app.audit.forms import AuditFilterForm
from app.audit.models import AuditEvent
from app.audit.names import names_for
from app.auth.models import User
from app.auth.permissions import require
from app.core.limits import MAX_ID, arg_id
from app.core.timeutil import to_utc
from app.extensions import db
from app.participants.models import Participant

PER_PAGE = 50


def _choices(form: AuditFilterForm) -> None:
    users = db.session.execute(sa.select(User.id, User.name).order_by(User.name)).all()
    form.gebruiker.choices = [SelectChoice(value="", label=_("Iedereen"))] + [
        SelectChoice(value=str(uid), label=name) for uid, name in users]
    form.actie.choices = [SelectChoice(value="", label=_("Alles"))] + [
        SelectChoice(value=code, label=str(text)) for code, text in labels.ACTIONS.items()]


def _allowed(field) -> str:
    return field.data if field.data in {c.value for c in field.choices} else ""


@bp.get("/")
@require("audit.view")
def index():
    form = AuditFilterForm(request.args)
    _choices(form)
    form.validate()
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.user).lazyload(User.locations))
    filters: dict[str, str] = {}
    # The participant page links here with ?deelnemer=<id>.
    participant_id = arg_id("deelnemer")
    if participant_id:
        query = query.where(AuditEvent.participant_id == participant_id)
        filters["deelnemer"] = str(participant_id)
    person = (form.persoon.data or "").strip() if not form.persoon.errors else ""
    if person:
        filters["persoon"] = person
        if person.isascii() and person.isdigit():
            # A number no row can have finds nobody (and must not reach the database).
            number = int(person) if int(person) <= MAX_ID else -1
            query = query.where(AuditEvent.participant_id == number)
        else:
            words = [w for w in person.lower().split() if w][:4]
            full = sa.func.lower(Participant.first_name + " " + Participant.last_name)
            query = query.where(AuditEvent.participant_id.in_(
                sa.select(Participant.id).where(
                    Participant.anonymised_at.is_(None),
                    *(full.contains(word, autoescape=True) for word in words))))
    if user := _allowed(form.gebruiker):
        query = query.where(AuditEvent.user_id == int(user))
        filters["gebruiker"] = user
    if action := _allowed(form.actie):
        query = query.where(AuditEvent.action == action)
        filters["actie"] = action
    if form.van.data and not form.van.errors and not form.tot.errors:
        query = query.where(AuditEvent.at >= to_utc(form.van.data))
        filters["van"] = form.van.data.isoformat()
    if form.tot.data and not form.tot.errors:
        query = query.where(AuditEvent.at < to_utc(form.tot.data + timedelta(days=1)))
        filters["tot"] = form.tot.data.isoformat()
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template(
        "audit/index.html", page=page, form=form, filters=filters,
        names=names_for(page.items), labels=labels)
