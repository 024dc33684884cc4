import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import service as audit
from app.auth.permissions import (
    get_checkin_or_404,
    has,
    location_checkins,
    my_checkins,
    require,
    trajectory_scope,
)
from app.checkins import bp, service
from app.checkins.forms import (
    CompleteCheckInForm,
    NewRuleForm,
    RuleForm,
    ThresholdsForm,
    decode_values,
    encode_values,
)
from app.checkins.models import FollowUpRule
from app.core.errors import domain_action
from app.core.followup import THRESHOLDS, amount_text, thresholds
from app.core.timeutil import local_date, utcnow
from app.extensions import db


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
        query = service.task_query(location_checkins(current_user), now)
    else:
        scope = "mij"
        query = service.task_query(my_checkins(current_user), now,
                                   through=service.end_of_week(today))
    # The list shows names (and for staff phone numbers), so looking at it is logged.
    # Committed first: a commit after loading would expire every row shown.
    audit.record(current_user, "view", "task_list", None, now=now,
                 summary=f"{scope}, pagina {request.args.get('page', 1, type=int)}")
    db.session.commit()
    page = db.paginate(query, per_page=_per_page(), error_out=False)
    return render_template(
        "checkins/tasks.html", page=page, scope=scope,
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


@bp.get("/buiten-beeld")
@require("followup.overview")
def out_of_view():
    now = utcnow()
    audit.record(current_user, "view", "out_of_view_list", None, now=now,
                 summary=f"pagina {request.args.get('page', 1, type=int)}")
    db.session.commit()
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
