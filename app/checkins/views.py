import secrets

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.appointments import service as appointments
from app.audit import service as audit
from app.auth.permissions import (
    allowed_locations,
    can_log_contact,
    checkin_assignees,
    get_checkin_or_404,
    get_editable_trajectory_or_404,
    has,
    location_checkin_condition,
    my_checkin_condition,
    next_step_locations,
    require,
    trajectory_scope,
)
from app.checkins import bp, contacts, nextstep, service
from app.checkins.forms import (
    CompleteCheckInForm,
    LogContactForm,
    NewRuleForm,
    NextStepFilterForm,
    PlanCheckInForm,
    RuleForm,
    ThresholdsForm,
    decode_values,
    encode_values,
)
from app.checkins.models import FollowUpRule
from app.core.choices import ANY_CONTACT_CHANNELS
from app.core.errors import domain_action
from app.core.followup import THRESHOLDS, amount_text, thresholds
from app.core.timeutil import local_date, local_datetime, utcnow
from app.extensions import db
from app.messaging import inbox


def _per_page() -> int:
    return current_app.config.get("PER_PAGE", 25)


@bp.get("/taken")
@require("tasks.view")
def tasks():
    now = utcnow()
    today = local_date(now)
    scope = request.args.get("van", "mij")
    if scope == "vestiging" and has(current_user, "tasks.location"):
        # The location's whole list: everything still open, also beyond this week.
        condition, through = location_checkin_condition(current_user), None
    else:
        scope = "mij"
        condition, through = my_checkin_condition(current_user), service.end_of_week(today)
    # The list shows names (and for staff phone numbers), so looking at it is logged.
    # Committed first: a commit after loading would expire every row shown.
    audit.record(current_user, "view", "task_list", None, now=now,
                 summary=f"{scope}, pagina {request.args.get('page', 1, type=int)}")
    db.session.commit()
    page = service.task_page(condition, through=through, per_page=_per_page())
    # Appointments are tasks too: today's intakes to hold, and passed ones still to record.
    intakes_today, intakes_late = (appointments.task_lists(current_user, now)
                                   if scope == "mij" else ([], []))
    # Answers of participants that are not JA, NEE or STOP: the owner reads them.
    answers = inbox.to_read(current_user) if scope == "mij" else []
    return render_template(
        "checkins/tasks.html", page=page, scope=scope, now=now,
        intakes_today=intakes_today, intakes_late=intakes_late, answers=answers,
        local_datetime=local_datetime,
        groups=service.group_tasks(page.items, today), today=today,
        full_view=has(current_user, "participants.view"),
    )


def _back_to_tasks():
    target = request.form.get("next", "")
    # Only our own task pages, so the form cannot redirect anywhere else.
    if target.startswith("/taken") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("checkins.tasks"))


@bp.post("/taken/<int:checkin_id>/afronden")
@require("tasks.view")
def complete(checkin_id: int):
    now = utcnow()
    checkin = get_checkin_or_404(current_user, checkin_id)
    form = CompleteCheckInForm()
    if not form.validate():
        flash(_("Kies hoe het ging: gaat goed, zorgen, dreigt te stoppen of niet bereikt."),
              "error")
        return _back_to_tasks()
    if not checkin.is_open:
        flash(_("Dit contactmoment was al afgerond."), "info")
        return _back_to_tasks()
    with domain_action():
        next_checkin = service.complete_checkin(checkin, outcome=form.outcome.data,
                                                note=form.note.data, user=current_user, now=now)
        db.session.commit()
        if next_checkin is not None:
            flash(_("Opgeslagen. Het volgende contactmoment is op %(day)s.",
                    day=format_date(next_checkin.due_on, "EEEE d MMMM")), "success")
        else:
            flash(_("Opgeslagen."), "success")
    return _back_to_tasks()


def _record_list_view(kind: str, now) -> None:
    """A list of participants was seen: log which page, by whom."""
    audit.record(current_user, "view", kind, None, now=now,
                 summary=f"pagina {request.args.get('page', 1, type=int)}")
    db.session.commit()


@bp.get("/buiten-beeld")
@require("followup.overview")
def out_of_view():
    now = utcnow()
    _record_list_view("out_of_view_list", now)
    scope = trajectory_scope(current_user)
    flagged = db.paginate(service.out_of_view_query(scope), per_page=_per_page(),
                          error_out=False)
    waiting_page = request.args.get("wachtpagina", 1, type=int)
    waiting = db.paginate(service.waiting_too_long_query(now, scope), page=waiting_page,
                          per_page=_per_page(), error_out=False)
    return render_template("checkins/out_of_view.html", flagged=flagged, waiting=waiting,
                           today=local_date(now), now=now, days_silent=service.days_silent,
                           limits=thresholds())


@bp.get("/beheer/opvolgregels")
@require("rules.manage")
def rules():
    rows = db.session.scalars(
        sa.select(FollowUpRule).order_by(FollowUpRule.sort_order, FollowUpRule.id)
    ).all()
    return render_template("checkins/rules.html", rules=rows)


def _rule_data(form: RuleForm) -> dict:
    return {
        "name": form.name.data.strip(),
        "offset": form.offset.data,
        "offset_unit": form.offset_unit.data,
        "assignee": form.assignee.data,
        "repeat_every": form.repeat_every.data or None,
        "active": form.active.data,
    }


@bp.route("/beheer/opvolgregels/nieuw", methods=["GET", "POST"])
@require("rules.manage")
def new_rule():
    form = NewRuleForm()
    if request.method == "GET":
        form.active.data = True
    if form.validate_on_submit():
        data = _rule_data(form) | {"event": form.event.data,
                                   "checkin_kind": form.checkin_kind.data}
        service.create_rule(data, current_user, utcnow())
        db.session.commit()
        flash(_("De regel is toegevoegd. Hij plant contactmomenten vanaf nu."), "success")
        return redirect(url_for("checkins.rules"))
    return render_template("checkins/rule_form.html", form=form, rule=None)


@bp.route("/beheer/opvolgregels/<int:rule_id>", methods=["GET", "POST"])
@require("rules.manage")
def edit_rule(rule_id: int):
    rule = db.session.get(FollowUpRule, rule_id)
    if rule is None:
        abort(404)
    form = RuleForm(obj=rule, event=rule.event)
    if form.validate_on_submit():
        changed = service.update_rule(rule, _rule_data(form), current_user, utcnow())
        db.session.commit()
        flash(_("De regel is opgeslagen. Nieuwe contactmomenten volgen de nieuwe regel.")
              if changed else _("Er was niets veranderd."), "success")
        return redirect(url_for("checkins.rules"))
    return render_template("checkins/rule_form.html", form=form, rule=rule)


# --- Any contact, any time (issue 11) ----------------------------------------------------------

def _participant_page(trajectory):
    return redirect(url_for("participants.show", participant_id=trajectory.participant_id,
                            _anchor=f"traject-{trajectory.id}"))


def _contact_trajectory_or_404(trajectory_id: int):
    """An open trajectory the user may log contacts on (their location's staff)."""
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    if not can_log_contact(current_user, trajectory):
        abort(404)
    return trajectory


def _fresh_key(form) -> None:
    if not form.form_key.data:
        form.form_key.data = secrets.token_urlsafe(24)


def _commit_once() -> bool:
    """Commit; False when the form's one-time key was saved meanwhile (a double submit that
    raced the first one): nothing of this second one is kept."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return False
    return True


@bp.route("/traject/<int:trajectory_id>/contact", methods=["GET", "POST"])
@require("participants.edit")
def log_contact(trajectory_id: int):
    now = utcnow()
    trajectory = _contact_trajectory_or_404(trajectory_id)
    participant = trajectory.participant
    form = LogContactForm(today=local_date(now))
    if request.method == "GET":
        _fresh_key(form)
        form.on.data = local_date(now)
        if participant.preferred_channel in ANY_CONTACT_CHANNELS:
            form.channel.data = participant.preferred_channel
    if form.validate_on_submit():
        if contacts.saved_attempt(form.form_key.data) is not None:
            flash(_("Dit contact was al opgeslagen."), "info")
            return _participant_page(trajectory)
        reached = form.reached.data == "yes"
        with domain_action(field=form.on):
            contacts.log_contact(trajectory, channel=form.channel.data, reached=reached,
                                 note=form.note.data, user=current_user, now=now,
                                 on=form.on.data,
                                 form_key=form.form_key.data or None)
            if not _commit_once():
                flash(_("Dit contact was al opgeslagen."), "info")
                return _participant_page(trajectory)
            flash(_("Contact met %(name)s vastgelegd.", name=participant.full_name)
                  if reached else _("Niet bereikt vastgelegd."), "success")
            return _participant_page(trajectory)
    if request.method == "GET":
        audit.record(current_user, "view", "trajectory", trajectory.id,
                     participant_id=participant.id, summary="contact vastleggen", now=now)
        db.session.commit()
    return render_template("checkins/log_contact.html", form=form, trajectory=trajectory,
                           participant=participant, today=local_date(now))


def _assignee_options(trajectory, form: PlanCheckInForm) -> None:
    options = [SelectChoice(value="", label=_("Kies…"))]
    for user, match_id in checkin_assignees(trajectory):
        label = (_("%(name)s (vrijwilliger van de koppeling)", name=user.name)
                 if match_id is not None else user.name)
        options.append(SelectChoice(value=str(user.id), label=label))
    form.assignee.choices = options


@bp.route("/traject/<int:trajectory_id>/contactmoment", methods=["GET", "POST"])
@require("participants.edit")
def plan_checkin(trajectory_id: int):
    now = utcnow()
    today = local_date(now)
    trajectory = _contact_trajectory_or_404(trajectory_id)
    participant = trajectory.participant
    form = PlanCheckInForm(today=today)
    _assignee_options(trajectory, form)
    if request.method == "GET":
        _fresh_key(form)
        form.assignee.data = str(trajectory.owner_id or current_user.id)
    if form.validate_on_submit():
        if contacts.saved_checkin(form.form_key.data) is not None:
            flash(_("Dit contactmoment was al gepland."), "info")
            return _participant_page(trajectory)
        with domain_action(field=form.due_on):
            checkin = contacts.plan_checkin(
                trajectory, due_on=form.due_on.data, assignee_id=int(form.assignee.data),
                topic=form.topic.data, user=current_user, now=now,
                form_key=form.form_key.data or None)
            day = format_date(checkin.due_on, "EEEE d MMMM")
            if not _commit_once():
                flash(_("Dit contactmoment was al gepland."), "info")
                return _participant_page(trajectory)
            flash(_("Contactmoment gepland op %(day)s.", day=day), "success")
            return _participant_page(trajectory)
    if request.method == "GET":
        audit.record(current_user, "view", "trajectory", trajectory.id,
                     participant_id=participant.id, summary="contactmoment plannen", now=now)
        db.session.commit()
    return render_template("checkins/plan_checkin.html", form=form, trajectory=trajectory,
                           participant=participant, today=today)


@bp.get("/zonder-volgende-stap")
@require("followup.overview")
def without_next_step():
    now = utcnow()
    _record_list_view("without_next_step_list", now)
    # One location at a time when the coordinator has several (or an admin picks one); the
    # choice is only ever one of the user's own locations.
    scope = next_step_locations(current_user)
    options = [loc for loc in allowed_locations(current_user)
               if scope is None or loc.id in scope]
    form = NextStepFilterForm(request.args)
    form.location.choices = [SelectChoice(value="", label=_("Alle locaties"))] + [
        SelectChoice(value=str(loc.id), label=loc.name) for loc in options]
    chosen = next((loc.id for loc in options if str(loc.id) == form.location.data), None)
    if chosen is not None:
        scope = [chosen]
    page = db.paginate(nextstep.without_next_step_query(now, scope),
                       per_page=_per_page(), error_out=False)
    return render_template("checkins/without_next_step.html", page=page, form=form,
                           filters={"location": str(chosen)} if chosen else {},
                           show_filter=len(options) > 1,
                           last=nextstep.last_steps(page.items), now=now,
                           days_silent=service.days_silent)


@bp.route("/beheer/opvolgregels/termijnen", methods=["GET", "POST"])
@require("rules.manage")
def thresholds_page():
    in_force = vars(thresholds()).copy()
    form = ThresholdsForm(data=in_force if request.method == "GET" else None)
    if request.method == "GET":
        form.opened.data = encode_values(in_force)
    if form.validate_on_submit():
        values = {t.key: form[t.key].data for t in THRESHOLDS}
        with domain_action():
            changed = service.save_thresholds(values, decode_values(form.opened.data),
                                              current_user, utcnow())
            db.session.commit()
            flash(_("De termijnen zijn opgeslagen. Ze gelden vanaf nu.") if changed
                  else _("Er was niets veranderd."), "success")
            return redirect(url_for("checkins.thresholds_page"))
        # Saved by someone else meanwhile: what was typed stays, the page shows the values
        # now in force, and saving again is a deliberate choice.
        in_force = vars(thresholds()).copy()
        form.opened.data = encode_values(in_force)
    return render_template("checkins/thresholds.html", form=form, thresholds=THRESHOLDS,
                           in_force=in_force, amount_text=amount_text,
                           first_contact=service.first_contact_rule())
