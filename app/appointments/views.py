from datetime import date, timedelta

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.appointments import bp, service
from app.appointments.forms import NoShowForm
from app.appointments.models import Appointment, AppointmentStatus
from app.audit import service as audit
from app.auth.permissions import (
    agenda_locations,
    appointment_scope,
    get_appointment_or_404,
    get_visible_appointment_or_404,
    has,
    require,
)
from app.core.errors import domain_action
from app.core.timeutil import local_date, local_datetime, utcnow
from app.extensions import db
from app.messaging import cards
from app.participants.models import Trajectory

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
    shown_id = location.id
    db.session.commit()
    # The commit expired the locations of the menu: one query loads them again (the page
    # would otherwise reload each one, every location for an admin).
    locations = agenda_locations(current_user)
    location = next((loc for loc in locations if loc.id == shown_id), locations[0])
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


# --- Appointment cards on paper --------------------------------------------------------------

# A day's planned intakes at one location fit far below this; it bounds a forged request.
MAX_CARDS = 200


@bp.get("/<int:appointment_id>/kaart")
@require("agenda.view")
def card(appointment_id: int):
    appointment = get_visible_appointment_or_404(current_user, appointment_id)
    card = cards.card_for(appointment)
    participant_id = appointment.trajectory.participant_id
    audit.record(current_user, "view", "appointment_card", appointment.id,
                 participant_id=participant_id, now=utcnow())
    db.session.commit()
    back = url_for("appointments.agenda", locatie=appointment.location_id,
                   dag=local_date(appointment.starts_at).isoformat())
    return render_template("messaging/card.html", card=card, back=back)


@bp.get("/kaarten.pdf")
@require("agenda.view")
def cards_pdf():
    """ "Kaarten voor <dag>": the cards of all planned intakes of one day at one location."""
    now = utcnow()
    locations = agenda_locations(current_user)
    location_id = request.args.get("locatie", type=int)
    location = next((loc for loc in locations if loc.id == location_id), None)
    if location is None:
        abort(404)
    day = _day_argument(local_date(now))
    start, end = service.day_bounds(day, 1)
    query = service.agenda_query(location.id, start, end, current_user).where(
        Appointment.status == AppointmentStatus.PLANNED)
    appointments = db.session.scalars(query.limit(MAX_CARDS)).all()
    # Made before the audit's commit expires the loaded rows (one query for all cards).
    day_cards = [cards.card_for(a) for a in appointments]
    audit.record_views(current_user, "appointment_card",
                       [(a.id, a.trajectory.participant_id) for a in appointments],
                       summary=f"kaarten {location.name} {day.isoformat()}", now=now)
    db.session.commit()
    if not day_cards:
        flash(_("Op deze dag staan geen geplande intakes. Er zijn geen kaarten."), "info")
        return redirect(url_for("appointments.agenda", locatie=location.id,
                                dag=day.isoformat()))
    body = cards.cards_pdf(day_cards)
    filename = f"kaarten-{day.isoformat()}.pdf"
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"'})


@bp.app_context_processor
def _planned_intakes():
    # The participant page's intake section links the card of a planned intake. The first
    # trajectory asked loads those of all the person's trajectories: one query per page.
    def planned_intakes(trajectory) -> list[Appointment]:
        if not has(current_user, "agenda.view"):
            return []
        loaded = g.setdefault("planned_intakes", {})
        if trajectory.participant_id not in loaded:
            per_trajectory: dict[int, list[Appointment]] = {}
            for appointment in db.session.scalars(
                sa.select(Appointment)
                .where(Appointment.trajectory_id.in_(sa.select(Trajectory.id).where(
                           Trajectory.participant_id == trajectory.participant_id)),
                       Appointment.status == AppointmentStatus.PLANNED,
                       appointment_scope(current_user))
                .options(joinedload(Appointment.location))
                .order_by(Appointment.starts_at, Appointment.id)):
                per_trajectory.setdefault(appointment.trajectory_id, []).append(appointment)
            loaded[trajectory.participant_id] = per_trajectory
        return loaded[trajectory.participant_id].get(trajectory.id, [])[:5]

    return {"planned_intakes": planned_intakes}
