from datetime import date, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from app.appointments import bp, service
from app.appointments.forms import NoShowForm
from app.audit import service as audit
from app.auth.permissions import (
    agenda_locations,
    get_appointment_or_404,
    has,
    require,
)
from app.core.errors import domain_action
from app.core.timeutil import local_date, local_datetime, utcnow
from app.extensions import db

VIEWS = ("dag", "week")


def _day_argument(today: date) -> date:
    try:
        return date.fromisoformat(request.args.get("dag", ""))
    except ValueError:
        return today


@bp.get("/")
@require("agenda.view")
def agenda():
    now = utcnow()
    today = local_date(now)
    locations = agenda_locations(current_user)
    if not locations:
        abort(404)
    location_id = request.args.get("locatie", type=int)
    location = next((loc for loc in locations if loc.id == location_id), locations[0])
    view = request.args.get("weergave", "dag")
    if view not in VIEWS:
        view = "dag"
    day = _day_argument(today)
    if view == "week":
        first, days = day - timedelta(days=day.weekday()), 7
    else:
        first, days = day, 1
    start, end = service.day_bounds(first, days)

    # The agenda names people: looking at it is logged. Committed first, so the rows shown
    # are not expired by a later commit.
    audit.record(current_user, "view", "agenda", location.id, now=now,
                 summary=f"{view} {first.isoformat()}, pagina "
                         f"{request.args.get('page', 1, type=int)}")
    db.session.commit()
    page = db.paginate(service.agenda_query(location.id, start, end, current_user),
                       per_page=current_app.config.get("PER_PAGE", 25), error_out=False)
    by_day: dict[date, list] = {}
    for appointment in page.items:
        by_day.setdefault(local_date(appointment.starts_at), []).append(appointment)
    step = timedelta(days=days)
    return render_template(
        "appointments/agenda.html", page=page, by_day=by_day, location=location,
        locations=locations, view=view, first=first, last=first + step - timedelta(days=1),
        previous=first - step, next=first + step, today=today, now=now,
        no_show_form=NoShowForm(), local_datetime=local_datetime,
        long_day=lambda d: format_date(d, "EEEE d MMMM yyyy"))


@bp.post("/afspraak/<int:appointment_id>/niet-gekomen")
@require("agenda.view")
def no_show(appointment_id: int):
    now = utcnow()
    appointment = get_appointment_or_404(current_user, appointment_id)
    trajectory = appointment.trajectory
    back = request.form.get("next", "")
    if not (back.startswith("/agenda") or back.startswith("/taken")) or back.startswith("//"):
        back = url_for("appointments.agenda", locatie=appointment.location_id)
    if not NoShowForm().validate_on_submit():
        flash(_("Dit formulier is verlopen. Probeer het nog eens."), "error")
        return redirect(back)
    name = trajectory.participant.full_name
    with domain_action():
        service.mark_no_show(appointment, current_user, now)
        db.session.commit()
        if trajectory.before_intake and has(current_user, "referrals.contact"):
            flash(_("Vastgelegd: %(name)s is niet gekomen. Dat telt als een contactpoging "
                    "zonder resultaat. Plan de intake opnieuw.", name=name), "success")
            return redirect(url_for("referrals.plan_intake", trajectory_id=trajectory.id))
        flash(_("Vastgelegd: %(name)s is niet gekomen.", name=name), "success")
    return redirect(back)
