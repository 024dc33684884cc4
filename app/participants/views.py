import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, lazyload, selectinload
from werkzeug.routing import BuildError
from wtforms import SelectChoice

from app.admin.models import Location
from app.admin.service import reference_choices
from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import (
    allowed_locations,
    can_edit_trajectory,
    can_move_trajectory,
    coordinators_at,
    coordinators_by_location,
    get_editable_trajectory_or_404,
    get_participant_or_404,
    get_unrestricted_participant_or_404,
    handover_candidates,
    has,
    owner_candidates,
    posted_ids_or_404,
    require,
    trajectory_scope,
    visible_participants,
    visible_trajectories,
)
from app.core import choices
from app.core.errors import domain_action
from app.core.records import show_newest_version, unchanged_since_opened
from app.core.timeutil import utcnow
from app.extensions import db
from app.intakes.forms import GoalStatusForm
from app.messaging.staff import panel as messaging_panel
from app.participants import bp
from app.participants.forms import (
    ConsentForm,
    HandoverForm,
    ListFilterForm,
    MoveForm,
    OwnerForm,
    ParticipantForm,
    referral_labels,
)
from app.participants.models import Trajectory, TrajectoryStatus
from app.participants.owners import OwnershipError, hand_over, move_trajectory
from app.participants.service import (
    LETTERS,
    LIST_LIMIT,
    PERSON_FIELDS,
    bounded_page,
    consent_history,
    consents_in_force,
    from_letter,
    has_referrer,
    newest_trajectories_for,
    participant_list_query,
    referrer_name,
    set_consent,
    set_owner,
    shares_in_force,
    update_participant,
)
from app.participants.timeline import next_due, timeline
from app.referrals.models import Referral


def _filter_choices(form: ListFilterForm, locations, owners) -> None:
    form.status.choices = [
        SelectChoice(value="", label=_("Alle")),
        SelectChoice(value="open", label=_("Alle open trajecten")),
        SelectChoice(value="out_of_view", label=_("Buiten beeld")),
    ] + [SelectChoice(value=code, label=str(label))
         for code, label in choices.TRAJECTORY_STATUS.items()]
    form.location.choices = [SelectChoice(value="", label=_("Alle locaties"))] + [
        SelectChoice(value=str(loc.id), label=loc.name) for loc in locations]
    owner_choices = [SelectChoice(value="", label=_("Iedereen"))]
    if has(current_user, "trajectories.own"):
        owner_choices.append(SelectChoice(value="me", label=_("Mijn deelnemers")))
    owner_choices.append(SelectChoice(value="none", label=_("Zonder eigenaar")))
    owner_choices += [SelectChoice(value=str(u.id), label=u.name) for u in owners]
    form.owner.choices = owner_choices


def _allowed(field) -> str:
    """The chosen filter value when it is one of the options; otherwise no filter."""
    return field.data if field.data in {c.value for c in field.choices} else ""


@bp.get("/")
@require("participants.view")
def index():
    locations = allowed_locations(current_user)
    owners = coordinators_at([loc.id for loc in locations])
    form = ListFilterForm(request.args)
    _filter_choices(form, locations, owners)
    filters = {"q": (form.q.data or "").strip()[:100], "status": _allowed(form.status),
               "location": _allowed(form.location), "owner": _allowed(form.owner)}
    # The people listed are never restricted (visible_participants): the restriction test
    # need not be repeated for each of their trajectories, and leaving it out of the
    # trajectory condition keeps the database's estimates (and so its plan) right.
    scope = trajectory_scope(current_user, include_restricted=True)
    query = participant_list_query(
        visible_participants(current_user), scope, q=filters["q"], status=filters["status"],
        location_id=int(filters["location"]) if filters["location"] else None,
        owner=filters["owner"], viewer_id=current_user.id,
    )
    letter = request.args.get("vanaf", "").lower()
    if len(letter) == 1 and letter in LETTERS:
        query = from_letter(query, letter)
    else:
        letter = ""
    limit = current_app.config.get("PARTICIPANT_LIST_LIMIT", LIST_LIMIT)
    page = bounded_page(query, request.args.get("page", 1, type=int),
                        current_app.config["PER_PAGE"], limit)
    newest = newest_trajectories_for([p.id for p in page.items], scope)
    # The bulk hand-over: the rows whose trajectory this user may hand to a colleague.
    handover = None
    if has(current_user, "trajectories.own"):
        handover = HandoverForm()
        handover.new_owner_id.choices = [
            SelectChoice(value="", label=_("Kies een coördinator"))] + [
            SelectChoice(value=str(u.id), label=u.name) for u in owners]
        handover.ids = {t.id for t in newest.values()
                        if t.is_open and can_edit_trajectory(current_user, t)}
    # The list shows names and phone numbers, so looking at it is logged too.
    audit.record(current_user, "view", "participant_list",
                 summary=f"pagina {page.page}" + (", gezocht" if filters["q"] else ""))
    filters = {k: v for k, v in filters.items() if v}
    html = render_template("participants/index.html", page=page, newest=newest, form=form,
                           filters=filters, handover=handover, letter=letter,
                           letters=LETTERS, limit=format_decimal(limit),
                           paging=dict(filters, vanaf=letter) if letter else filters)
    db.session.commit()
    return html


def _link(endpoint: str, **values) -> str | None:
    """A URL when that page exists (features are built in parallel), else None."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _actions(trajectory: Trajectory) -> list[tuple[str, str]]:
    if not can_edit_trajectory(current_user, trajectory) or not trajectory.is_open:
        return []
    actions = []
    if trajectory.before_intake and has(current_user, "referrals.contact"):
        actions.append((_("Contact vastleggen"),
                        _link("referrals.contact", trajectory_id=trajectory.id)))
        actions.append((_("Intake verzetten")
                        if trajectory.status == TrajectoryStatus.INTAKE_PLANNED
                        else _("Intake plannen"),
                        _link("referrals.plan_intake", trajectory_id=trajectory.id)))
    elif has(current_user, "participants.edit"):
        # After the first-contact step: any contact, on any open trajectory.
        actions.append((_("Contact vastleggen"),
                        _link("checkins.log_contact", trajectory_id=trajectory.id)))
    if has(current_user, "participants.edit"):
        actions.append((_("Contactmoment plannen"),
                        _link("checkins.plan_checkin", trajectory_id=trajectory.id)))
    if has(current_user, "intakes.edit"):
        actions.append((_("Intake bijwerken") if trajectory.intake else _("Intake invullen"),
                        _link("intakes.edit", trajectory_id=trajectory.id)))
    if trajectory.can_get_volunteer and has(current_user, "matches.manage"):
        actions.append((_("Koppel een vrijwilliger"),
                        _link("matching.candidates", trajectory_id=trajectory.id)))
    if trajectory.can_enroll and has(current_user, "enrollments.manage"):
        actions.append((_("Begeleiding en groepen"),
                        _link("matching.trajectory", trajectory_id=trajectory.id)))
    if can_move_trajectory(current_user, trajectory):
        actions.append((_("Naar een andere locatie"),
                        _link("participants.move", trajectory_id=trajectory.id)))
    if has(current_user, "trajectories.end"):
        actions.append((_("Traject afsluiten"),
                        _link("matching.end_trajectory", trajectory_id=trajectory.id)))
    return [(label, url) for label, url in actions if url]


# The participant page shows the newest 50 moments of the timeline, and 50 more each time
# "Meer tonen" is chosen.
TIMELINE_STEP = 50
TIMELINE_MAX = 5000


@bp.get("/<int:participant_id>")
@require("participants.view")
def show(participant_id: int):
    participant = get_participant_or_404(current_user, participant_id)
    if participant.restricted_at is not None:
        # AVG art. 18: only the name, the banner and the choices; no other data is read.
        audit.record(current_user, "view", "participant", participant.id,
                     participant_id=participant.id, summary="beperkt: alleen de melding")
        html = render_template("participants/show.html", participant=participant,
                               restricted=True)
        db.session.commit()
        return html
    trajectories = db.session.scalars(
        visible_trajectories(current_user)
        .where(Trajectory.participant_id == participant.id)
        .options(
            joinedload(Trajectory.location),
            joinedload(Trajectory.owner).lazyload(User.locations),
            joinedload(Trajectory.referral).joinedload(Referral.partner),
            selectinload(Trajectory.referrals).joinedload(Referral.partner),
            selectinload(Trajectory.referrals).joinedload(Referral.partner_contact),
            joinedload(Trajectory.intake),
            selectinload(Trajectory.goals),
            lazyload(Trajectory.participant),
        )
        .order_by(Trajectory.referred_on.desc(), Trajectory.id.desc())
    ).all()
    consents = consent_history(participant)
    due = next_due(trajectories, current_user)
    # The newest part of the timeline, "Meer tonen" for more: one more item is read, to
    # know whether there is more.
    shown = min(max(request.args.get("tijdlijn", TIMELINE_STEP, type=int), TIMELINE_STEP),
                TIMELINE_MAX)
    items = timeline(trajectories, current_user, limit=shown + 1)
    audit.record(current_user, "view", "participant", participant.id,
                 participant_id=participant.id)
    html = render_template(
        "participants/show.html",
        participant=participant,
        trajectories=trajectories,
        consents_now=consents_in_force(consents),
        shares_now=shares_in_force(consents),
        share_referrals=referral_labels(
            [r for t in trajectories for r in t.referrals if has_referrer(r)]),
        timeline=items[:shown],
        timeline_more=len(items) > shown,
        timeline_next=min(shown + TIMELINE_STEP, TIMELINE_MAX),
        due={t.id: [item for item in due if item.trajectory_id == t.id] for t in trajectories},
        actions={t.id: _actions(t) for t in trajectories},
        owners={t.id: owner_candidates(current_user, t) for t in trajectories if t.is_open},
        can_edit={t.id: can_edit_trajectory(current_user, t) for t in trajectories},
        goal_status_form=GoalStatusForm(),
        many=len(trajectories) > 1,
        where={t.id: t.location.name for t in trajectories},
        messaging=messaging_panel(participant, current_user),
    )
    db.session.commit()
    return html


@bp.route("/<int:participant_id>/bewerken", methods=["GET", "POST"])
@require("participants.edit")
def edit(participant_id: int):
    participant = get_unrestricted_participant_or_404(current_user, participant_id)
    form = ParticipantForm(obj=participant, found_via_choices=reference_choices("found_via"))
    if request.method == "GET":
        form.sex.data = participant.sex or ""
        form.found_via.data = participant.found_via or ""
        form.message_language.data = participant.message_language or ""
    if form.validate_on_submit():
        with domain_action(), unchanged_since_opened(participant, form):
            data = {name: form[name].data for name in PERSON_FIELDS}
            changed = update_participant(participant, data, current_user, utcnow())
            db.session.commit()
            if changed:
                flash(_("De gegevens zijn opgeslagen."), "success")
            else:
                flash(_("Er was niets veranderd."), "info")
            return redirect(url_for("participants.show", participant_id=participant.id))
        show_newest_version(participant, form)
    if request.method == "GET":
        audit.record(current_user, "view", "participant", participant.id,
                     participant_id=participant.id, summary="bewerken")
        db.session.commit()
    return render_template("participants/edit.html", form=form, participant=participant)


def _share_referrals(participant) -> list[Referral]:
    """The referrals a share decision can be about: those with a referrer, on the person's
    trajectories the user may see."""
    visible = (visible_trajectories(current_user)
               .where(Trajectory.participant_id == participant.id)
               .with_only_columns(Trajectory.id))
    rows = db.session.scalars(
        sa.select(Referral).where(Referral.trajectory_id.in_(visible))
        .options(joinedload(Referral.partner), joinedload(Referral.partner_contact),
                 joinedload(Referral.trajectory).lazyload(Trajectory.participant))
        .order_by(Referral.referred_on, Referral.id)
    ).all()
    return [r for r in rows if has_referrer(r)]


@bp.route("/<int:participant_id>/toestemming", methods=["GET", "POST"])
@require("consents.edit")
def consents(participant_id: int):
    participant = get_participant_or_404(current_user, participant_id)
    referrals = _share_referrals(participant)
    form = ConsentForm(referrals=referrals)
    if request.method == "GET" and request.args.get("soort") in choices.CONSENT_KIND:
        form.kind.data = request.args["soort"]  # from the restriction banner: "processing"
    if form.validate_on_submit():
        given = form.given.data == "yes"
        referral = form.referral
        set_consent(participant, form.kind.data, given, form.method.data, current_user,
                    utcnow(), note=form.note.data, referral=referral)
        db.session.commit()
        kind = choices.label(choices.CONSENT_KIND, form.kind.data)
        if referral is not None:
            kind = f"{kind} ({referrer_name(referral)})"
        if given:
            flash(_("Toestemming vastgelegd: %(kind)s.", kind=kind), "success")
        else:
            flash(_("Toestemming ingetrokken: %(kind)s.", kind=kind), "success")
        return redirect(url_for("participants.show", participant_id=participant.id,
                                _anchor="toestemming"))
    history = consent_history(participant)
    if request.method == "GET":
        audit.record(current_user, "view", "consent", None, participant_id=participant.id)
    html = render_template("participants/consents.html", form=form, participant=participant,
                           history=history, consents_now=consents_in_force(history),
                           shares_now=shares_in_force(history),
                           share_referrals=referral_labels(referrals))
    db.session.commit()
    return html


@bp.post("/traject/<int:trajectory_id>/eigenaar")
@require("trajectories.own")
def set_trajectory_owner(trajectory_id: int):
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    candidates = {str(user.id): user for user in owner_candidates(current_user, trajectory)}
    if not candidates:
        abort(404)
    # Someone this user may not make owner (another location's coordinator) is not on offer.
    posted_ids_or_404([request.form.get("owner_id")], [user.id for user in candidates.values()])
    form = OwnerForm()
    may_clear = has(current_user, "trajectories.assign")
    form.owner_id.choices = [SelectChoice(value=key) for key in candidates] + (
        [SelectChoice(value="")] if may_clear else [])
    if form.validate_on_submit():
        owner = candidates.get(form.owner_id.data)
        if set_owner(trajectory, owner, current_user, utcnow()):
            db.session.commit()
            if owner is None:
                flash(_("Dit traject heeft nu geen eigenaar."), "success")
            else:
                flash(_("%(name)s is nu eigenaar van dit traject.", name=owner.name), "success")
    else:
        flash(_("Kies een coördinator van deze locatie."), "error")
    return redirect(url_for("participants.show", participant_id=trajectory.participant_id,
                            _anchor=f"traject-{trajectory.id}"))


LIST_FILTERS = ("q", "status", "location", "owner", "vanaf", "page")


@bp.post("/overdragen")
@require("trajectories.own")
def hand_over_many():
    """The bulk action of the list: the ticked trajectories to one coordinator, all or none."""
    back = url_for("participants.index", **{
        k: v for k in LIST_FILTERS if (v := (request.form.get(k) or "").strip()[:100])})
    form = HandoverForm()
    posted = request.form.getlist("trajectory_ids")
    if not all(value.isdigit() for value in posted):
        abort(404)
    ids = sorted({int(value) for value in posted})
    # Locked, so a second hand-over at the same moment waits and then sees this one's result.
    trajectories = db.session.scalars(
        visible_trajectories(current_user).where(Trajectory.id.in_(ids or [-1]))
        .options(joinedload(Trajectory.location), joinedload(Trajectory.owner))
        .order_by(Trajectory.id).with_for_update(of=Trajectory)
    ).unique().all()
    # One that this user may not change (another location, ended) is refused: nothing moves.
    if len(trajectories) != len(ids) or not all(
            t.is_open and can_edit_trajectory(current_user, t) for t in trajectories):
        abort(404)
    candidates = {}
    for trajectory in trajectories:
        candidates[trajectory.id] = {str(u.id): u for u in
                                     handover_candidates(current_user, trajectory)}
    everyone = {key: u for c in candidates.values() for key, u in c.items()}
    form.new_owner_id.choices = [SelectChoice(value=key) for key in everyone]
    if not ids:
        flash(_("Kies eerst een of meer deelnemers in de lijst."), "error")
        return redirect(back)
    if not form.validate_on_submit():
        flash(_("Kies een coördinator aan wie u de trajecten overdraagt."), "error")
        return redirect(back)
    new_owner = everyone[form.new_owner_id.data]
    elsewhere = [t for t in trajectories if form.new_owner_id.data not in candidates[t.id]]
    if elsewhere:
        flash(_("%(name)s is geen coördinator van %(location)s. Er is niets overgedragen.",
                name=new_owner.name, location=elsewhere[0].location.name), "error")
        return redirect(back)
    changed = hand_over(trajectories, new_owner, current_user, utcnow())
    db.session.commit()
    flash(_("%(n)s traject(en) overgedragen aan %(name)s.", n=changed, name=new_owner.name)
          if changed else _("%(name)s was al eigenaar van deze trajecten.", name=new_owner.name),
          "success")
    return redirect(back)


def _move_choices(form: MoveForm, trajectory: Trajectory):
    """Every open location (the current one too: choosing it gets a message at the field),
    and the coordinators grouped per location, so the form works without JavaScript (the
    view checks that the coordinator belongs to the chosen location)."""
    locations = [loc for loc in db.session.scalars(
        sa.select(Location).where(Location.active.is_(True)).order_by(Location.name))]
    form.location_id.choices = [SelectChoice(value="", label=_("Kies een locatie"))] + [
        SelectChoice(value=str(loc.id), label=loc.name) for loc in locations]
    by_location = coordinators_by_location([loc.id for loc in locations])
    owners = [SelectChoice(value="", label=_("De vaste eigenaar of wie aan de beurt is"))]
    for loc in locations:
        for coordinator in by_location.get(loc.id, []):
            owners.append(SelectChoice(value=f"{loc.id}:{coordinator.id}",
                                       label=coordinator.name, optgroup=loc.name))
    form.owner_id.choices = owners
    return {str(loc.id): loc for loc in locations}, by_location


@bp.route("/traject/<int:trajectory_id>/verhuizen", methods=["GET", "POST"])
@require("trajectories.own")
def move(trajectory_id: int):
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    if not can_move_trajectory(current_user, trajectory) or not trajectory.is_open:
        abort(404)
    participant_page = url_for("participants.show", participant_id=trajectory.participant_id,
                               _anchor=f"traject-{trajectory.id}")
    form = MoveForm()
    locations, by_location = _move_choices(form, trajectory)
    if request.method == "GET":
        form.from_location_id.data = str(trajectory.location_id)
    if form.validate_on_submit():
        target = locations.get(form.location_id.data)
        if (form.from_location_id.data and form.from_location_id.data != str(
                trajectory.location_id) and target is not None
                and target.id == trajectory.location_id):
            # The same form sent twice: the first post moved it.
            return redirect(participant_page)
        owner = None
        loc_key, _sep, owner_key = (form.owner_id.data or "").partition(":")
        if owner_key:
            owner = next((c for c in by_location.get(int(loc_key), [])
                          if str(c.id) == owner_key), None) if loc_key.isdigit() else None
            if owner is None or target is None or int(loc_key) != target.id:
                form.owner_id.errors.append(_(
                    "Kies een coördinator van de nieuwe locatie, of laat dit leeg."))
        if target is None:
            form.location_id.errors.append(_("Kies de nieuwe locatie."))
        if not form.errors:
            try:
                result = move_trajectory(trajectory, target, reason=form.reason.data,
                                         owner=owner, user=current_user, now=utcnow())
            except OwnershipError as error:
                db.session.rollback()
                getattr(form, error.field or "location_id").errors.append(str(error))
            else:
                db.session.commit()
                flash(_("Het traject is verhuisd naar %(location)s.", location=target.name)
                      + " " + (_("Eigenaar: %(name)s.", name=result.owner.name)
                               if result.owner else _("Er is daar nog geen eigenaar.")),
                      "success")
                if db.session.scalar(visible_trajectories(current_user).where(
                        Trajectory.id == trajectory.id)) is None:
                    # Moved out of this coordinator's locations: no longer theirs to see.
                    return redirect(url_for("participants.index"))
                return redirect(participant_page)
    if request.method == "GET":
        audit.record(current_user, "view", "trajectory", trajectory.id,
                     participant_id=trajectory.participant_id, summary="verhuizen")
        db.session.commit()
    return render_template("participants/move.html", form=form, trajectory=trajectory,
                           participant=trajectory.participant, back=participant_page)


@bp.app_template_filter("status_class")
def status_class(trajectory: Trajectory | None) -> str:
    if trajectory is None:
        return ""
    if (trajectory.out_of_view_since is not None
            or trajectory.status == TrajectoryStatus.UNREACHABLE):
        return "badge-alert"
    if trajectory.status == TrajectoryStatus.ACTIVE:
        return "badge-ok"
    return ""
