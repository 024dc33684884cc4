import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.admin.service import list_labels, reference_choices
from app.audit import service as audit
from app.auth.permissions import (
    allowed_locations,
    can_edit_trajectory,
    get_editable_enrollment_or_404,
    get_editable_match_or_404,
    get_editable_trajectory_or_404,
    get_offer_or_404,
    get_session_or_404,
    get_trajectory_or_404,
    get_volunteer_or_404,
    has,
    offer_scope,
    posted_ids_or_404,
    require,
    session_scope_by_row,
    visible_trajectories,
    volunteer_scope,
)
from app.core.errors import domain_action
from app.core.followup import thresholds
from app.core.forms import select_choices
from app.core.timeutil import local_date, utcnow
from app.extensions import db
from app.intakes.models import GoalStatus
from app.matching import bp, scoring
from app.matching import service as matching
from app.matching.forms import (
    ButtonForm,
    EndMatchForm,
    EndTrajectoryForm,
    EnrollForm,
    MatchForm,
    OfferForm,
    StartForm,
)
from app.matching.models import Enrollment, Match, MatchSession, Offer
from app.messaging.texts import place_text
from app.participants.models import Trajectory, TrajectoryStatus

RANKING_PER_PAGE = 20
APART_SHOWN = 15


@dataclass
class ListPage:
    """A page of an already computed list, with what the `pager` macro needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _page_of(items: list, per_page: int) -> ListPage:
    page = max(request.args.get("page", 1, type=int), 1)
    start = (page - 1) * per_page
    return ListPage(items[start:start + per_page], page, per_page, len(items))


def _viewed(trajectory: Trajectory, summary: str) -> None:
    """A form page about one trajectory shows the participant: log the view. Called after
    rendering (the commit would expire what the template reads) and only when nothing else
    was changed in this request."""
    audit.record(current_user, "view", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id, summary=summary)
    db.session.commit()


# --- Waiting list and ranking ----------------------------------------------------------------

@bp.get("/koppelen/")
@require("matches.manage")
def waiting():
    """Everyone waiting for an offer in the user's locations, longest wait first."""
    query = (
        visible_trajectories(current_user)
        .where(Trajectory.status == TrajectoryStatus.WAITING)
        .options(selectinload(Trajectory.participant), selectinload(Trajectory.location))
        .order_by(Trajectory.first_waiting_since.asc().nulls_last(), Trajectory.id)
    )
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    # The names on this page are personal data: one "view" row per person shown (one
    # statement for the whole page).
    audit.record_views(current_user, "trajectory",
                       [(t.id, t.participant_id) for t in page.items], summary="wachtlijst")
    html = render_template("matching/waiting.html", page=page, today=local_date(utcnow()),
                           limit=thresholds().waiting_too_long_days)
    db.session.commit()
    return html


@bp.get("/trajecten/<int:trajectory_id>/koppelen")
@require("matches.manage")
def candidates(trajectory_id: int):
    now = utcnow()
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    today = local_date(now)
    ranking = matching.rank_volunteers(trajectory, scope=volunteer_scope(current_user),
                                       today=today)
    audit.record(current_user, "view", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id, summary="koppelen: ranglijst")
    page = _page_of(ranking.proposed, RANKING_PER_PAGE)
    page.items = ranking.explained(page.items)
    html = render_template(
        "matching/candidates.html", trajectory=trajectory, ranking=ranking,
        page=page, apart=ranking.apart[:APART_SHOWN],
        labels=list_labels("goal_subject"), describe=scoring.describe,
        describe_blocker=scoring.describe_blocker, vog_years=matching.vog_max_age_years(),
        can_match=trajectory.can_get_volunteer,
    )
    db.session.commit()
    return html


@bp.route("/trajecten/<int:trajectory_id>/koppelen/<int:volunteer_id>",
          methods=["GET", "POST"])
@require("matches.manage")
def confirm(trajectory_id: int, volunteer_id: int):
    now = utcnow()
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    today = local_date(now)
    form = MatchForm()
    if request.method == "GET":
        form.start_on.data = today
    fit = matching.fit_of(trajectory, volunteer, today)
    if form.validate_on_submit():
        with domain_action():
            match = matching.propose_match(
                trajectory, volunteer, by=current_user, now=now,
                start_on=form.start_on.data if form.start.data else None,
                planned_end_on=form.planned_end_on.data)
            db.session.commit()
            if match.is_active:
                flash(_("%(volunteer)s is gekoppeld aan %(name)s.", volunteer=volunteer.full_name,
                        name=trajectory.participant.first_name), "success")
            else:
                flash(_("De koppeling is voorgesteld. Start hem als beide kanten ja zeggen."),
                      "success")
            return redirect(url_for("matching.trajectory", trajectory_id=trajectory.id))
    html = render_template(
        "matching/confirm.html", trajectory=trajectory, volunteer=volunteer, fit=fit,
        form=form, labels=list_labels("goal_subject"), describe=scoring.describe,
        describe_blocker=scoring.describe_blocker, vog_years=matching.vog_max_age_years())
    _viewed(trajectory, "koppelen: bevestigen")
    return html


# --- One trajectory: matches, groups, sessions -----------------------------------------------

@bp.get("/trajecten/<int:trajectory_id>/begeleiding")
@require("enrollments.manage")
def trajectory(trajectory_id: int):
    trajectory = get_trajectory_or_404(current_user, trajectory_id)
    html = _trajectory_page(trajectory)
    db.session.commit()
    return html


def _trajectory_page(trajectory: Trajectory, start_form: StartForm | None = None,
                     start_match_id: int | None = None) -> str:
    """The page of one trajectory's guidance; with `start_form`, the start form of match
    `start_match_id` shows what was typed and its errors."""
    matches = db.session.scalars(
        sa.select(Match).where(Match.trajectory_id == trajectory.id)
        .options(selectinload(Match.volunteer))
        .order_by(Match.id.desc())
    ).all()
    enrollments = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.trajectory_id == trajectory.id)
        .options(selectinload(Enrollment.offer))
        .order_by(Enrollment.id.desc())
    ).all()
    sessions = db.paginate(
        sa.select(MatchSession)
        .join(Match, MatchSession.match_id == Match.id)
        .where(Match.trajectory_id == trajectory.id)
        .options(selectinload(MatchSession.goal_marks),
                 selectinload(MatchSession.match).selectinload(Match.volunteer))
        .order_by(MatchSession.held_on.desc(), MatchSession.id.desc()),
        per_page=current_app.config["PER_PAGE"], error_out=False)
    goals = {g.id: g for g in trajectory.goals}
    audit.record(current_user, "view", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id, summary="begeleiding")
    fresh = StartForm(formdata=None, start_on=local_date(utcnow()))
    return render_template(
        "matching/trajectory.html", trajectory=trajectory, matches=matches,
        enrollments=enrollments, sessions=sessions, goals=goals,
        can_edit=can_edit_trajectory(current_user, trajectory), button=ButtonForm(),
        start_form=fresh, failed_form=start_form, failed_match_id=start_match_id,
        default_place=place_text(trajectory.location))


@bp.post("/koppelingen/<int:match_id>/starten")
@require("matches.manage")
def start(match_id: int):
    match = get_editable_match_or_404(current_user, match_id)
    form = StartForm()
    if not form.validate_on_submit():
        # Shown again with what was typed and the message next to the field.
        html = _trajectory_page(match.trajectory, form, match.id)
        db.session.commit()
        return html, 422
    place = form.first_meeting_place.data
    if place == place_text(match.trajectory.location):
        place = None  # the default shown: the location itself
    with domain_action():
        matching.start_match(match, start_on=form.start_on.data, by=current_user,
                             now=utcnow(), first_meeting_at=form.first_meeting_at(),
                             first_meeting_place=place)
        db.session.commit()
        flash(_("De koppeling is gestart."), "success")
    return redirect(url_for("matching.trajectory", trajectory_id=match.trajectory_id))


@bp.post("/koppelingen/<int:match_id>/pauzeren")
@require("matches.manage")
def pause(match_id: int):
    match = get_editable_match_or_404(current_user, match_id)
    if ButtonForm().validate_on_submit():
        with domain_action():
            matching.pause_match(match, by=current_user, now=utcnow())
            db.session.commit()
            flash(_("De koppeling staat op pauze."), "success")
    return redirect(url_for("matching.trajectory", trajectory_id=match.trajectory_id))


@bp.route("/koppelingen/<int:match_id>/beeindigen", methods=["GET", "POST"])
@require("matches.manage")
def end(match_id: int):
    match = get_editable_match_or_404(current_user, match_id)
    trajectory = match.trajectory
    if not match.can_end:
        flash(_("Deze koppeling is al beëindigd."), "info")
        return redirect(url_for("matching.trajectory", trajectory_id=trajectory.id))
    form = EndMatchForm()
    form.reason.choices = select_choices(reference_choices("match_end_reason"))
    if form.validate_on_submit():
        with domain_action():
            matching.end_match(match, reason=form.reason.data, note=form.note.data,
                               by=current_user, now=utcnow())
            db.session.commit()
            if trajectory.is_waiting:
                flash(_("De koppeling is beëindigd. %(name)s staat weer op de wachtlijst.",
                        name=trajectory.participant.first_name), "success")
            else:
                flash(_("De koppeling is beëindigd."), "success")
        return redirect(url_for("matching.trajectory", trajectory_id=trajectory.id))
    html = render_template("matching/end_match.html", match=match, trajectory=trajectory,
                           form=form)
    _viewed(trajectory, "koppeling beëindigen")
    return html


# --- Group offers ----------------------------------------------------------------------------

@bp.route("/trajecten/<int:trajectory_id>/inschrijven", methods=["GET", "POST"])
@require("enrollments.manage")
def enroll(trajectory_id: int):
    now = utcnow()
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    offers = db.session.scalars(
        sa.select(Offer).where(offer_scope(current_user), Offer.active.is_(True),
                               Offer.location_id == trajectory.location_id)
        .order_by(Offer.name)
    ).all()
    taken = matching.offer_taken([o.id for o in offers])
    form = EnrollForm()
    form.offer_id.choices = select_choices(
        (o.id, _("%(name)s (nog %(free)s plaatsen)", name=o.name,
                 free=max(o.capacity - taken.get(o.id, 0), 0)))
        for o in offers
    )
    if request.method == "GET":
        form.start_on.data = local_date(now)
    else:
        # An offer of another location is not on offer here, whatever else the form says.
        posted_ids_or_404([request.form.get("offer_id")], [o.id for o in offers])
    if form.validate_on_submit():
        offer = get_offer_or_404(current_user, form.offer_id.data)
        with domain_action(field=form.offer_id):
            matching.enroll(trajectory, offer, start_on=form.start_on.data, by=current_user,
                            now=now)
            db.session.commit()
            flash(_("%(name)s is ingeschreven voor %(offer)s.",
                    name=trajectory.participant.first_name, offer=offer.name), "success")
            return redirect(url_for("matching.trajectory", trajectory_id=trajectory.id))
    html = render_template("matching/enroll.html", trajectory=trajectory, form=form,
                           offers=offers)
    _viewed(trajectory, "inschrijven")
    return html


@bp.post("/deelnames/<int:enrollment_id>/stoppen")
@require("enrollments.manage")
def end_enrollment(enrollment_id: int):
    enrollment = get_editable_enrollment_or_404(current_user, enrollment_id)
    if ButtonForm().validate_on_submit():
        with domain_action():
            matching.end_enrollment(enrollment, by=current_user, now=utcnow())
            db.session.commit()
            flash(_("De deelname is gestopt."), "success")
    return redirect(url_for("matching.trajectory", trajectory_id=enrollment.trajectory_id))


@bp.get("/aanbod/")
@require("offers.view")
def offers():
    query = (sa.select(Offer).where(offer_scope(current_user))
             .options(selectinload(Offer.location))
             .order_by(Offer.active.desc(), Offer.name, Offer.id))
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    taken = matching.offer_taken([o.id for o in page.items])
    return render_template("matching/offers.html", page=page, taken=taken)


def _offer_form(offer: Offer | None) -> OfferForm:
    form = OfferForm(obj=offer)
    form.location_id.choices = select_choices(
        (loc.id, loc.name) for loc in allowed_locations(current_user))
    form.kind.choices = select_choices(reference_choices("offer"))
    return form


@bp.route("/aanbod/nieuw", methods=["GET", "POST"])
@require("offers.manage")
def new_offer():
    return _save_offer(None)


@bp.route("/aanbod/<int:offer_id>", methods=["GET", "POST"])
@require("offers.manage")
def edit_offer(offer_id: int):
    return _save_offer(get_offer_or_404(current_user, offer_id))


def _save_offer(offer: Offer | None):
    form = _offer_form(offer)
    if form.validate_on_submit():
        offer = matching.save_offer(
            offer, location_id=form.location_id.data, kind=form.kind.data, name=form.name.data,
            domain=form.domain.data, formal=form.formal.data, capacity=form.capacity.data,
            schedule=form.schedule.data, active=form.active.data, by=current_user,
            now=utcnow())
        db.session.commit()
        flash(_("Het aanbod is opgeslagen."), "success")
        return redirect(url_for("matching.offers"))
    taken = matching.offer_taken([offer.id]).get(offer.id, 0) if offer else 0
    return render_template("matching/offer_form.html", form=form, offer=offer, taken=taken)


# --- Ending a trajectory ---------------------------------------------------------------------

@bp.route("/trajecten/<int:trajectory_id>/afsluiten", methods=["GET", "POST"])
@require("trajectories.end")
def end_trajectory(trajectory_id: int):
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    if trajectory.is_ended:
        flash(_("Dit traject is al afgesloten."), "info")
        return redirect(url_for("matching.trajectory", trajectory_id=trajectory.id))
    goals = list(trajectory.goals)
    form = EndTrajectoryForm()
    form.end_reason.choices = select_choices(reference_choices("end_reason"))
    if request.method == "GET":
        for goal in goals:
            form.goals.append_entry({"goal_id": str(goal.id),
                                     "result": GoalStatus.ACHIEVED if goal.is_achieved
                                     else None})
    goals_by_id = {g.id: g for g in goals}
    if request.method == "POST":
        posted = posted_ids_or_404([entry.goal_id.data for entry in form.goals], goals_by_id)
        if len(posted) != len(form.goals) or set(posted) != set(goals_by_id):
            # Edited hidden fields: a goal left out or emptied (someone else's: caught above).
            abort(404)
    if form.validate_on_submit():
        results = form.goal_results()
        with domain_action():
            matching.end_trajectory(trajectory, outcome=form.outcome.data,
                                    end_reason=form.end_reason.data, goal_results=results,
                                    by=current_user, now=utcnow())
            db.session.commit()
            flash(_("Het traject van %(name)s is afgesloten.",
                    name=trajectory.participant.first_name), "success")
        return redirect(url_for("matching.trajectory", trajectory_id=trajectory.id))
    rows = [(entry, goals_by_id[int(entry.goal_id.data)]) for entry in form.goals]
    html = render_template("matching/end_trajectory.html", trajectory=trajectory, form=form,
                           rows=rows)
    _viewed(trajectory, "afsluiten")
    return html


# --- Concerns --------------------------------------------------------------------------------

@bp.get("/zorgen")
@require("concerns.view")
def concerns():
    page = db.paginate(matching.open_concerns(session_scope_by_row(current_user)),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    audit.record_views(current_user, "session",
                       [(s.id, s.match.trajectory.participant_id) for s in page.items],
                       summary="zorgen")
    html = render_template("matching/concerns.html", page=page, button=ButtonForm())
    db.session.commit()
    return html


@bp.post("/zorgen/<int:session_id>/opgepakt")
@require("concerns.view")
def handle_concern(session_id: int):
    session = get_session_or_404(current_user, session_id)
    if ButtonForm().validate_on_submit():
        matching.handle_concern(session, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Gemarkeerd als opgepakt."), "success")
    return redirect(url_for("matching.concerns"))


def concern_count(user) -> int:
    """For the menu: open concerns the user should see."""
    if not has(user, "concerns.view"):
        return 0
    # Found by the partial index of open concerns, each checked against the scope by
    # primary key: the cost follows the open concerns, not all sessions and matches.
    return db.session.scalar(
        sa.select(sa.func.count(MatchSession.id))
        .where(MatchSession.concern.is_(True), MatchSession.concern_handled_at.is_(None),
               session_scope_by_row(user))
    ) or 0


@bp.app_context_processor
def _menu_counts():
    # Called only by the menu, for users who may see the "Zorgen" list.
    return {"open_concern_count": lambda: concern_count(current_user)}
