from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.service import reference_choices
from app.audit import service as audit
from app.auth.permissions import (
    get_editable_goal_or_404,
    get_editable_trajectory_or_404,
    posted_ids_or_404,
    require,
)
from app.core import choices
from app.core.errors import domain_action
from app.core.records import show_newest_version, unchanged_since_opened
from app.core.timeutil import local_date, utcnow
from app.extensions import db
from app.intakes import bp
from app.intakes.forms import GoalStatusForm, IntakeForm, share_field
from app.intakes.service import INTAKE_FIELDS, save_intake, set_goal_status
from app.participants.service import consent_state, has_referrer, share_state

_YES_NO = {True: "yes", False: "no", None: None}


def _initial(trajectory, today, consents: dict, shares: dict) -> dict:
    intake = trajectory.intake
    data = {f"consent_{kind}": _YES_NO[given] for kind, given in consents.items()}
    data.update({share_field(rid): _YES_NO[given] for rid, given in shares.items()})
    data["goals"] = [
        {"goal_id": str(goal.id), "subject": goal.subject, "context": goal.context,
         "own_words": goal.own_words, "target_date": goal.target_date}
        for goal in trajectory.goals
    ]
    if intake is None:
        background = trajectory.participant.language_background
        data.update(held_on=today, scale=background if background in ("nt1", "nt2") else "nt2")
        return data
    data["version"] = str(intake.version)
    for name in INTAKE_FIELDS:
        data[name] = getattr(intake, name)
    data["knows_latin_alphabet"] = _YES_NO[intake.knows_latin_alphabet] or "unknown"
    data["screening_tool"] = intake.screening_tool or ""
    data["advised_offer"] = intake.advised_offer or ""
    data["wished_offer"] = intake.wished_offer or ""
    data["availability"] = list(intake.availability or [])
    return data


@bp.route("/<int:trajectory_id>", methods=["GET", "POST"])
@require("intakes.edit")
def edit(trajectory_id: int):
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    participant = trajectory.participant
    now = utcnow()
    today = local_date(now)
    consents = consent_state(participant)
    # One share question per referrer of this trajectory (a self-registration has none).
    asked = [r for r in trajectory.referrals if has_referrer(r)]
    shares = {rid: given for rid, given in share_state(participant).items()
              if rid in {r.id for r in asked}}
    form = IntakeForm.asking_share_for(asked)(
        data=None if request.method == "POST" else _initial(trajectory, today, consents,
                                                               shares),
        offer_choices=reference_choices("offer"),
        subject_choices=reference_choices("goal_subject"),
        context_choices=reference_choices("goal_context"),
        current_consents=consents,
        current_shares=shares,
        today=today,
        goal_target_dates={str(goal.id): goal.target_date for goal in trajectory.goals},
    )
    if request.method == "POST":
        # A goal row names an existing goal by a hidden id: one of this trajectory's only.
        posted_ids_or_404([row.goal_id.data for row in form.goals],
                          [goal.id for goal in trajectory.goals])
    if form.validate_on_submit():
        data = {name: form[name].data for name in INTAKE_FIELDS}
        data["knows_latin_alphabet"] = {"yes": True, "no": False}.get(
            form.knows_latin_alphabet.data)
        existing = {str(goal.id): goal.id for goal in trajectory.goals}
        goals = [
            {"id": existing.get(row.goal_id.data), "subject": row.subject.data,
             "context": row.context.data, "own_words": row.own_words.data,
             "target_date": row.target_date.data}
            for row in form.filled_goals()
        ]
        was_waiting = trajectory.is_waiting
        with domain_action(), unchanged_since_opened(trajectory.intake, form):
            save_intake(trajectory, data, goals, current_user, now,
                        consents=form.consent_changes(), shares=form.share_changes(),
                        consent_method=form.consent_method.data or None)
            db.session.commit()
            if trajectory.is_waiting and not was_waiting:
                flash(_("De intake is opgeslagen. %(name)s wacht nu op een aanbod.",
                        name=participant.full_name), "success")
            else:
                flash(_("De intake is opgeslagen."), "success")
            return redirect(url_for("participants.show", participant_id=participant.id))
        show_newest_version(trajectory.intake, form)
    if request.method == "GET":
        audit.record(current_user, "view", "intake", getattr(trajectory.intake, "id", None),
                     participant_id=participant.id)
        db.session.commit()
    return render_template("intakes/edit.html", form=form, trajectory=trajectory,
                           participant=participant, consents=consents,
                           skills=choices.SKILLS)


@bp.post("/leerdoel/<int:goal_id>/status")
@require("intakes.edit")
def goal_status(goal_id: int):
    goal = get_editable_goal_or_404(current_user, goal_id)
    trajectory = goal.trajectory
    form = GoalStatusForm()
    if form.validate_on_submit():
        if set_goal_status(goal, form.status.data, current_user, utcnow()):
            db.session.commit()
            flash(_("De status van het leerdoel is nu: %(status)s.",
                    status=choices.label(choices.GOAL_STATUS, goal.status)), "success")
    else:
        flash(_("Kies een status voor het leerdoel."), "error")
    return redirect(url_for("participants.show", participant_id=trajectory.participant_id,
                            _anchor=f"leerdoel-{goal.id}"))
