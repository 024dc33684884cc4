"""The group pages: a group's participants and meetings, its schedule, and the attendance
register of one meeting (made for a phone: one tap per participant, saved at once)."""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.auth.permissions import (
    can_manage_group,
    get_group_or_404,
    get_managed_group_or_404,
    get_meeting_or_404,
    get_volunteer_or_404,
    group_scope,
    has,
    posted_ids_or_404,
    require,
    trajectory_not_restricted,
    visible_volunteers,
)
from app.core.errors import DomainError, domain_action
from app.core.forms import select_choices
from app.core.timeutil import local_date, utcnow
from app.extensions import db
from app.groups import bp
from app.groups import service as groups
from app.groups.forms import (
    ATTENDANCE_LABELS,
    WEEKDAY_CHOICES,
    AttendanceForm,
    ExtraMeetingForm,
    ScheduleForm,
    VolunteerLinkForm,
)
from app.groups.models import GroupMeeting
from app.matching.forms import ButtonForm
from app.matching.models import Enrollment, Offer
from app.participants.models import Trajectory
from app.volunteers.models import Volunteer, VolunteerStatus, volunteer_locations


def _is_volunteer(user) -> bool:
    return has(user, "volunteer.own")


@bp.get("/groepen/")
@require("groups.run")
def mine():
    """The groups this user runs: for a volunteer the linked ones, for staff their locations'."""
    query = (sa.select(Offer).where(group_scope(current_user), Offer.active.is_(True))
             .options(joinedload(Offer.location)).order_by(Offer.name, Offer.id))
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    today = local_date(utcnow())
    upcoming = {}
    ids = [o.id for o in page.items]
    if ids:
        # The next meeting of each group on the page, in one query.
        rows = db.session.execute(
            sa.select(GroupMeeting.offer_id, sa.func.min(GroupMeeting.held_on))
            .where(GroupMeeting.offer_id.in_(ids), GroupMeeting.held_on >= today,
                   GroupMeeting.cancelled.is_(False))
            .group_by(GroupMeeting.offer_id)).all()
        upcoming = dict(rows)
    return render_template("groups/mine.html", page=page, upcoming=upcoming, today=today)


@bp.get("/groepen/<int:offer_id>")
@require("groups.run")
def group(offer_id: int):
    offer = get_group_or_404(current_user, offer_id)
    today = local_date(utcnow())
    volunteer_view = _is_volunteer(current_user)
    enrollments = [] if volunteer_view else db.session.scalars(
        sa.select(Enrollment).where(Enrollment.offer_id == offer.id, Enrollment.is_active,
                                    trajectory_not_restricted(Enrollment.trajectory_id))
        .options(joinedload(Enrollment.trajectory).joinedload(Trajectory.participant))
        .order_by(Enrollment.started_on, Enrollment.id)
        .limit(offer.capacity + 50)
    ).unique().all()
    past = db.paginate(groups.past_meetings_query(offer, today),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    upcoming = groups.next_meetings(offer, today)
    counts = groups.attendance_counts([m.id for m in past.items])
    audit.record_views(current_user, "enrollment",
                       [(e.id, e.trajectory.participant_id) for e in enrollments],
                       summary="groep")
    manage = can_manage_group(current_user, offer)
    html = render_template(
        "groups/group.html", offer=offer, enrollments=enrollments, past=past,
        upcoming=upcoming, counts=counts, today=today, manage=manage,
        helpers=groups.group_volunteers(offer), button=ButtonForm(),
        link_form=_link_form(offer) if manage else None, labels=ATTENDANCE_LABELS,
        weekday_name=lambda n: dict(WEEKDAY_CHOICES).get(n, ""))
    db.session.commit()
    return html


# --- Schedule and dates --------------------------------------------------------------------------

def _schedule_page(offer, form, extra_form, status=200):
    return render_template("groups/schedule.html", offer=offer, form=form,
                           extra_form=extra_form, button=ButtonForm()), status


@bp.route("/groepen/<int:offer_id>/rooster", methods=["GET", "POST"])
@require("groups.manage")
def schedule(offer_id: int):
    offer = get_managed_group_or_404(current_user, offer_id)
    form = ScheduleForm(formdata=request.form if request.method == "POST" else None,
                        data={"weekday": offer.schedule_weekday, "at": offer.schedule_time,
                              "starts_on": offer.schedule_starts_on,
                              "ends_on": offer.schedule_ends_on})
    extra_form = ExtraMeetingForm(formdata=None, prefix="extra")
    if form.validate_on_submit():
        try:
            added, removed = groups.save_schedule(
                offer, weekday=form.weekday.data, at=form.at.data,
                starts_on=form.starts_on.data, ends_on=form.ends_on.data, by=current_user,
                now=utcnow())
        except groups.GroupError as error:
            db.session.rollback()
            getattr(form, error.field or "ends_on").errors.append(str(error))
            return _schedule_page(offer, form, extra_form)
        db.session.commit()
        flash(_("Het rooster is opgeslagen: %(added)s bijeenkomsten erbij, %(removed)s "
                "eraf.", added=added, removed=removed), "success")
        return redirect(url_for("groups.group", offer_id=offer.id))
    return _schedule_page(offer, form, extra_form)


@bp.post("/groepen/<int:offer_id>/rooster/extra")
@require("groups.manage")
def extra_meeting(offer_id: int):
    offer = get_managed_group_or_404(current_user, offer_id)
    form = ScheduleForm(formdata=None, data={
        "weekday": offer.schedule_weekday, "at": offer.schedule_time,
        "starts_on": offer.schedule_starts_on, "ends_on": offer.schedule_ends_on})
    extra_form = ExtraMeetingForm(prefix="extra")
    if extra_form.validate_on_submit():
        try:
            meeting = groups.add_extra_meeting(offer, held_on=extra_form.held_on.data,
                                               at=extra_form.at.data, by=current_user,
                                               now=utcnow())
        except groups.GroupError as error:
            db.session.rollback()
            getattr(extra_form, error.field or "held_on").errors.append(str(error))
            return _schedule_page(offer, form, extra_form)
        db.session.commit()
        flash(_("De bijeenkomst van %(day)s staat erbij.",
                day=meeting.held_on.strftime("%d-%m-%Y")), "success")
        return redirect(url_for("groups.group", offer_id=offer.id))
    return _schedule_page(offer, form, extra_form)


@bp.post("/bijeenkomsten/<int:meeting_id>/afgelast")
@require("groups.manage")
def cancel_meeting(meeting_id: int):
    meeting = get_meeting_or_404(current_user, meeting_id)
    if not can_manage_group(current_user, meeting.offer):
        abort(404)
    if ButtonForm().validate_on_submit():
        cancelled = request.form.get("cancelled") == "1"
        with domain_action():
            groups.set_cancelled(meeting, cancelled, by=current_user, now=utcnow())
            db.session.commit()
            flash(_("De bijeenkomst gaat niet door.") if cancelled
                  else _("De bijeenkomst gaat toch door."), "success")
    return redirect(url_for("groups.group", offer_id=meeting.offer_id))


# --- Volunteers who run the group ----------------------------------------------------------------

def _link_form(offer, formdata=None) -> VolunteerLinkForm:
    form = VolunteerLinkForm(formdata=formdata)
    linked = {v.id for v in groups.group_volunteers(offer)}
    candidates = db.session.scalars(
        visible_volunteers(current_user)
        .join(volunteer_locations, volunteer_locations.c.volunteer_id == Volunteer.id)
        .where(volunteer_locations.c.location_id == offer.location_id,
               Volunteer.status != VolunteerStatus.STOPPED)
        .order_by(Volunteer.first_name, Volunteer.last_name, Volunteer.id)
        .limit(500)).all()
    form.volunteer_id.choices = select_choices(
        ((v.id, v.full_name) for v in candidates if v.id not in linked),
        blank=_("Kies een vrijwilliger"))
    return form


@bp.post("/groepen/<int:offer_id>/begeleiders")
@require("groups.manage")
def link_volunteer(offer_id: int):
    offer = get_managed_group_or_404(current_user, offer_id)
    form = _link_form(offer, request.form)
    # A volunteer not offered here (another location's, or not in scope): 404.
    posted_ids_or_404([request.form.get("volunteer_id")],
                      [c.value for c in form.volunteer_id.choices if c.value != ""])
    if form.validate_on_submit():
        volunteer = get_volunteer_or_404(current_user, form.volunteer_id.data)
        with domain_action():
            groups.link_volunteer(offer, volunteer, by=current_user, now=utcnow())
            db.session.commit()
            flash(_("%(name)s begeleidt nu deze groep en kan de aanwezigheid bijhouden.",
                    name=volunteer.full_name), "success")
    else:
        flash(_("Kies een vrijwilliger."), "error")
    return redirect(url_for("groups.group", offer_id=offer.id))


@bp.post("/groepen/<int:offer_id>/begeleiders/<int:volunteer_id>/weg")
@require("groups.manage")
def unlink_volunteer(offer_id: int, volunteer_id: int):
    offer = get_managed_group_or_404(current_user, offer_id)
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    if ButtonForm().validate_on_submit():
        groups.unlink_volunteer(offer, volunteer, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("%(name)s begeleidt deze groep niet meer.", name=volunteer.full_name),
              "success")
    return redirect(url_for("groups.group", offer_id=offer.id))


# --- The register --------------------------------------------------------------------------------

def _row_anchor(enrollment_id: int) -> str:
    return f"deelnemer-{enrollment_id}"


@bp.get("/bijeenkomsten/<int:meeting_id>")
@require("groups.run")
def meeting(meeting_id: int):
    meeting = get_meeting_or_404(current_user, meeting_id)
    rows = groups.register(meeting)
    audit.record_views(current_user, "enrollment",
                       [(row.enrollment.id, row.enrollment.trajectory.participant_id)
                        for row in rows], summary=f"presentielijst {meeting.held_on}")
    today = local_date(utcnow())
    html = render_template(
        "groups/meeting.html", meeting=meeting, offer=meeting.offer, rows=rows,
        form=AttendanceForm(formdata=None), labels=ATTENDANCE_LABELS,
        can_keep=not meeting.cancelled and meeting.held_on <= today,
        short_names=_is_volunteer(current_user))
    db.session.commit()
    return html


@bp.post("/bijeenkomsten/<int:meeting_id>/deelnemers/<int:enrollment_id>")
@require("groups.run")
def keep_attendance(meeting_id: int, enrollment_id: int):
    meeting = get_meeting_or_404(current_user, meeting_id)
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.id == enrollment_id,
                                    Enrollment.offer_id == meeting.offer_id,
                                    groups.enrolled_on(meeting.held_on)))
    if enrollment is None:
        abort(404)
    form = AttendanceForm()
    # The page's script asks for JSON and updates the row in place; without it the browser
    # posts the form and comes back to the same row.
    wants_json = request.accept_mimetypes.best == "application/json"
    problem = None
    if not form.validate_on_submit():
        problem = _("Niet opgeslagen. Kies aanwezig, afgemeld of niet gekomen.")
    else:
        try:
            groups.record_attendance(meeting, enrollment, form.status.data, by=current_user,
                                     now=utcnow())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            problem = str(error)
    if wants_json:
        if problem:
            return {"error": problem}, 409
        return {"status": form.status.data, "label": str(ATTENDANCE_LABELS[form.status.data])}
    if problem:
        flash(problem, "error")
    return redirect(url_for("groups.meeting", meeting_id=meeting.id,
                            _anchor=_row_anchor(enrollment.id)))

