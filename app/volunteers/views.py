import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.admin.service import list_labels, reference_choices, send_password_link
from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import (
    allowed_locations,
    can_edit_session,
    free_volunteer_accounts,
    get_own_match_or_404,
    get_own_session_or_404,
    get_volunteer_account_or_404,
    get_volunteer_or_404,
    own_matches,
    posted_ids_or_404,
    require,
    trajectory_scope,
    volunteer_scope,
)
from app.core.errors import domain_action
from app.core.forms import select_choices
from app.core.limits import arg_id
from app.core.mail import MailError
from app.core.records import show_newest_version, unchanged_since_opened
from app.core.timeutil import local_date, utcnow
from app.extensions import db
from app.matching import scoring
from app.matching import service as matching
from app.matching.models import Match, MatchSession, MatchStatus
from app.participants.models import Trajectory, TrajectoryStatus
from app.volunteers import bp
from app.volunteers import service as volunteers
from app.volunteers.forms import (
    ButtonForm,
    LinkAccountForm,
    SessionForm,
    SessionNotHeldForm,
    StatusForm,
    TrainingForm,
    VolunteerForm,
)
from app.volunteers.models import Volunteer, VolunteerStatus, VolunteerTraining

SUGGESTIONS_SHOWN = 20
# The "wie past?" list looks at this many of the longest waiting people.
SUGGESTION_POOL = 200


# --- Coordinators: profiles ------------------------------------------------------------------

@bp.get("/vrijwilligers/")
@require("volunteers.manage")
def index():
    status = request.args.get("status") or None
    if status not in (None, *VolunteerStatus):
        status = None
    location_id = arg_id("locatie")
    with_room = request.args.get("ruimte") == "1"
    search = (request.args.get("zoek") or "").strip() or None
    query = volunteers.overview_query(volunteer_scope(current_user), status=status,
                                      location_id=location_id, with_room=with_room,
                                      search=search)
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    load = volunteers.loads([v.id for v in page.items])
    today = local_date(utcnow())
    years = matching.vog_max_age_years()
    return render_template(
        "volunteers/index.html", page=page, load=load, today=today,
        vog_state=lambda v: volunteers.vog_state(v.vog_on, today, years),
        locations=allowed_locations(current_user),
        filters={"status": status, "locatie": location_id, "ruimte": "1" if with_room else None,
                 "zoek": search})


def _volunteer_form(volunteer: Volunteer | None) -> VolunteerForm:
    form = VolunteerForm(obj=volunteer)
    form.locations.choices = select_choices(
        (loc.id, loc.name) for loc in allowed_locations(current_user))
    form.domains.choices = select_choices(reference_choices("goal_subject"))
    if request.method == "GET" and volunteer is not None:
        form.locations.data = [loc.id for loc in volunteer.locations]
        form.languages.data = ", ".join(volunteer.languages or [])
        form.sex.data = volunteer.sex or ""
    return form


def _save(volunteer: Volunteer | None):
    form = _volunteer_form(volunteer)
    if form.validate_on_submit():
        with domain_action(), unchanged_since_opened(volunteer, form):
            chosen = set(form.locations.data)
            locations = [loc for loc in allowed_locations(current_user) if loc.id in chosen]
            if volunteer is not None:
                # Keep locations this user cannot manage (another coordinator's).
                locations += [loc for loc in volunteer.locations
                              if loc.id not in {a.id for a in allowed_locations(current_user)}]
            saved = volunteers.save_volunteer(
                volunteer, first_name=form.first_name.data, last_name=form.last_name.data,
                email=form.email.data, phone=form.phone.data, sex=form.sex.data,
                locations=locations,
                availability=[s for s in form.availability.data or []],
                capacity=form.capacity.data, domains=form.domains.data or [],
                languages=scoring.split_languages(form.languages.data),
                vog_on=form.vog_on.data, by=current_user, now=utcnow())
            db.session.commit()
            flash(_("De gegevens van %(name)s zijn opgeslagen.", name=saved.full_name),
                  "success")
            return redirect(url_for("volunteers.show", volunteer_id=saved.id))
        show_newest_version(volunteer, form)
    return render_template("volunteers/form.html", form=form, volunteer=volunteer)


@bp.route("/vrijwilligers/nieuw", methods=["GET", "POST"])
@require("volunteers.manage")
def new():
    return _save(None)


@bp.route("/vrijwilligers/<int:volunteer_id>/wijzigen", methods=["GET", "POST"])
@require("volunteers.manage")
def edit(volunteer_id: int):
    return _save(get_volunteer_or_404(current_user, volunteer_id))


@bp.get("/vrijwilligers/<int:volunteer_id>")
@require("volunteers.manage")
def show(volunteer_id: int):
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    matches = db.session.scalars(
        sa.select(Match).where(Match.volunteer_id == volunteer.id,
                               Match.trajectory_id.in_(
                                   sa.select(Trajectory.id).where(
                                       trajectory_scope(current_user))))
        .options(selectinload(Match.trajectory).selectinload(Trajectory.participant))
        .order_by(Match.status == MatchStatus.ENDED, Match.id.desc())
        .limit(50)
    ).all()
    today = local_date(utcnow())
    years = matching.vog_max_age_years()
    accounts = db.session.scalars(
        free_volunteer_accounts().order_by(User.name).limit(200)).all()
    link_form = LinkAccountForm(prefix="account")
    link_form.user_id.choices = select_choices((u.id, f"{u.name} ({u.email})") for u in accounts)
    status_form = StatusForm(formdata=None, prefix="status", status=volunteer.status,
                             reason=volunteer.status_reason)
    # The volunteer's matches name their participants: one "view" row each.
    audit.record_views(current_user, "trajectory",
                       [(m.trajectory_id, m.trajectory.participant_id) for m in matches],
                       summary="vrijwilliger: koppelingen")
    html = render_template(
        "volunteers/show.html", volunteer=volunteer, matches=matches,
        load=volunteers.loads([volunteer.id]).get(volunteer.id, 0),
        vog=volunteers.vog_state(volunteer.vog_on, today, years), vog_years=years,
        labels=list_labels("goal_subject"), status_form=status_form,
        training_form=TrainingForm(formdata=None, prefix="training"), link_form=link_form,
        button=ButtonForm())
    db.session.commit()
    return html


@bp.post("/vrijwilligers/<int:volunteer_id>/status")
@require("volunteers.manage")
def set_status(volunteer_id: int):
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    form = StatusForm(prefix="status")
    if form.validate_on_submit():
        with domain_action():
            ended = volunteers.set_status(volunteer, status=form.status.data,
                                          reason=form.reason.data, by=current_user,
                                          now=utcnow())
            db.session.commit()
            flash(_("De status is opgeslagen."), "success")
            if ended:
                flash(_("%(num)s koppeling(en) zijn beëindigd. Die deelnemers staan weer op "
                        "de wachtlijst.", num=len(ended)), "info")
        return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))
    for error in form.errors.values():
        flash(" ".join(str(e) for e in error), "error")
    return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))


@bp.post("/vrijwilligers/<int:volunteer_id>/trainingen")
@require("volunteers.manage")
def add_training(volunteer_id: int):
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    form = TrainingForm(prefix="training")
    if form.validate_on_submit():
        volunteers.add_training(volunteer, name=form.name.data, done_on=form.done_on.data,
                                by=current_user, now=utcnow())
        db.session.commit()
        flash(_("De training is toegevoegd."), "success")
    else:
        for error in form.errors.values():
            flash(" ".join(str(e) for e in error), "error")
    return redirect(url_for("volunteers.show", volunteer_id=volunteer.id) + "#trainingen")


@bp.post("/vrijwilligers/<int:volunteer_id>/trainingen/<int:training_id>/weg")
@require("volunteers.manage")
def remove_training(volunteer_id: int, training_id: int):
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    training = db.session.get(VolunteerTraining, training_id)
    if training is None or training.volunteer_id != volunteer.id:
        abort(404)
    if ButtonForm().validate_on_submit():
        volunteers.remove_training(training, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("De training is weggehaald."), "success")
    return redirect(url_for("volunteers.show", volunteer_id=volunteer.id) + "#trainingen")


@bp.post("/vrijwilligers/<int:volunteer_id>/account/uitnodigen")
@require("volunteers.manage")
def invite(volunteer_id: int):

    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))
    with domain_action():
        user = volunteers.invite_account(volunteer, by=current_user, now=utcnow())
        db.session.commit()
        try:
            send_password_link(user, inviter=current_user)
        except MailError:
            flash(_("Het account is gemaakt, maar de uitnodiging kon niet worden verstuurd. "
                    "Vraag de beheerder om een nieuwe link te sturen."), "warning")
        else:
            flash(_("%(name)s krijgt een e-mail om een wachtwoord te kiezen.",
                    name=volunteer.first_name), "success")
    return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))


@bp.post("/vrijwilligers/<int:volunteer_id>/account/koppelen")
@require("volunteers.manage")
def link_account(volunteer_id: int):
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    form = LinkAccountForm(prefix="account")
    user = get_volunteer_account_or_404(request.form.get("account-user_id"))
    form.user_id.choices = select_choices([(user.id, user.name)])
    if not form.validate_on_submit():
        return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))
    with domain_action():
        volunteers.link_account(volunteer, user, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Het account is gekoppeld."), "success")
    return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))


@bp.post("/vrijwilligers/<int:volunteer_id>/account/loskoppelen")
@require("volunteers.manage")
def unlink_account(volunteer_id: int):
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    if ButtonForm().validate_on_submit():
        volunteers.unlink_account(volunteer, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Het account is losgekoppeld."), "success")
    return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))


@bp.get("/vrijwilligers/<int:volunteer_id>/wie-past")
@require("matches.manage")
def suggestions(volunteer_id: int):
    """Waiting people who fit this volunteer best: for a volunteer who has room again."""
    volunteer = get_volunteer_or_404(current_user, volunteer_id)
    today = local_date(utcnow())
    location_ids = volunteer.location_ids
    waiting = db.session.scalars(
        sa.select(Trajectory).where(trajectory_scope(current_user),
                                    Trajectory.status == TrajectoryStatus.WAITING,
                                    Trajectory.location_id.in_(location_ids or {-1}))
        .options(selectinload(Trajectory.participant))
        .order_by(Trajectory.first_waiting_since.asc().nulls_last(), Trajectory.id)
        .limit(SUGGESTION_POOL)
    ).all()
    ranked = matching.rank_waiting_for_volunteer(volunteer, waiting, today)[:SUGGESTIONS_SHOWN]
    audit.record_views(current_user, "trajectory",
                       [(t.id, t.participant_id) for t, _fit in ranked], summary="wie past")
    html = render_template("volunteers/suggestions.html", volunteer=volunteer, ranked=ranked,
                           labels=list_labels("goal_subject"), describe=scoring.describe,
                           describe_blocker=scoring.describe_blocker,
                           vog_years=matching.vog_max_age_years())
    db.session.commit()
    return html


# --- The volunteer's own pages (phone first) -------------------------------------------------

@bp.get("/mijn/deelnemers")
@require("volunteer.own")
def mine():
    matches = volunteers.own_open_matches(own_matches(current_user))
    today = local_date(utcnow())
    cards = volunteers.my_participants(matches, current_user, today)
    audit.record_views(current_user, "participant",
                       [(m.trajectory.participant_id, m.trajectory.participant_id)
                        for m in matches], summary="mijn deelnemers")
    html = render_template("volunteers/mine.html", cards=cards, labels=list_labels("goal_subject"),
                           profile=volunteers.volunteer_for_user(current_user))
    db.session.commit()
    return html


@bp.get("/mijn/koppelingen/<int:match_id>")
@require("volunteer.own")
def my_match(match_id: int):
    match = get_own_match_or_404(current_user, match_id)
    cards = volunteers.my_participants([match], current_user, local_date(utcnow()))
    sessions = db.paginate(
        sa.select(MatchSession).where(MatchSession.match_id == match.id)
        .options(selectinload(MatchSession.goal_marks))
        .order_by(MatchSession.held_on.desc(), MatchSession.id.desc()),
        per_page=current_app.config["PER_PAGE"], error_out=False)
    goals = {g.id: g for g in match.trajectory.goals}
    now = utcnow()
    audit.record(current_user, "view", "participant", match.trajectory.participant_id,
                 participant_id=match.trajectory.participant_id, summary="koppeling")
    html = render_template("volunteers/my_match.html", card=cards[0], match=match,
                           sessions=sessions, goals=goals, labels=list_labels("goal_subject"),
                           editable=lambda s: can_edit_session(current_user, s, now))
    db.session.commit()
    return html


def _session_form(match: Match, session: MatchSession | None) -> tuple[SessionForm, dict]:
    goals = {g.id: g for g in matching.workable_goals(match.trajectory_id)}
    if session is not None:
        # A goal reached since can still be corrected on the session it was marked in.
        for mark in session.goal_marks:
            goals.setdefault(mark.goal_id, mark.goal)
    form = SessionForm(obj=session)
    if request.method == "GET":
        marks = {m.goal_id: m.progress for m in session.goal_marks} if session else {}
        while len(form.goals):
            form.goals.pop_entry()
        for goal_id in goals:
            form.goals.append_entry({"goal_id": str(goal_id), "progress": marks.get(goal_id, "")})
        if session is None:
            form.held_on.data = local_date(utcnow())
    return form, goals


def _check_posted_goals(form: SessionForm, match: Match) -> None:
    """Before the form is validated: every goal row names a goal of this match's trajectory
    (404 otherwise), so an edited id never gets a friendly form error instead."""
    if request.method == "POST":
        posted_ids_or_404([entry.goal_id.data or "x" for entry in form.goals],
                          [goal.id for goal in match.trajectory.goals])


@contextmanager
def _foreign_goal_is_404() -> Iterator[None]:
    """The service's LookupError: a goal id from someone else's trajectory, an edited form."""
    try:
        yield
    except LookupError:
        db.session.rollback()
        abort(404)


def _goal_rows(form: SessionForm, goals: dict) -> list:
    rows = []
    for entry in form.goals:
        goal_id = int(entry.goal_id.data) if (entry.goal_id.data or "").isdigit() else None
        rows.append((entry, goals.get(goal_id)))
    return rows


def _saved_session(key: str | None) -> bool:
    """A session (or "ging niet door") was already saved from the form with this key."""
    return bool(key) and db.session.scalar(
        sa.select(MatchSession.id).where(MatchSession.form_key == key)) is not None


@bp.route("/mijn/koppelingen/<int:match_id>/bijeenkomst", methods=["GET", "POST"])
@require("volunteer.own")
def log_session(match_id: int):
    match = get_own_match_or_404(current_user, match_id)
    form, goals = _session_form(match, None)
    if request.method == "GET":
        form.form_key.data = secrets.token_urlsafe(24)
    _check_posted_goals(form, match)
    if form.validate_on_submit():
        key = form.form_key.data or None
        if _saved_session(key):
            flash(_("Dit was al opgeslagen."), "info")
            return redirect(url_for("volunteers.mine"))
        with domain_action(field=form.held_on), _foreign_goal_is_404():
            try:
                matching.log_session(
                    match, held_on=form.held_on.data, minutes=form.minutes.data,
                    practised=form.practised.data, goal_marks=form.goal_marks(),
                    remark=form.remark.data, concern=form.concern.data, by=current_user,
                    now=utcnow(), form_key=key)
                db.session.commit()
            except sa.exc.IntegrityError:
                # The same form sent twice at once: the first one is kept.
                db.session.rollback()
                if not _saved_session(key):
                    raise
                flash(_("Dit was al opgeslagen."), "info")
                return redirect(url_for("volunteers.mine"))
            if form.concern.data:
                flash(_("Opgeslagen. De coördinator ziet uw zorgen en neemt contact op."),
                      "success")
            else:
                flash(_("Opgeslagen. Dank u wel!"), "success")
            return redirect(url_for("volunteers.mine"))
    elif request.method == "POST" and form.goals.errors:
        abort(404)
    html = render_template("volunteers/session_form.html", form=form, match=match,
                           rows=_goal_rows(form, goals), labels=list_labels("goal_subject"),
                           session=None)
    _viewed(match, "bijeenkomst vastleggen")
    return html


@bp.route("/mijn/koppelingen/<int:match_id>/ging-niet-door", methods=["GET", "POST"])
@require("volunteer.own")
def session_not_held(match_id: int):
    """The volunteer reports that a session did not happen (their own matches only)."""
    match = get_own_match_or_404(current_user, match_id)
    form = SessionNotHeldForm()
    now = utcnow()
    if request.method == "GET":
        form.held_on.data = local_date(now)
        form.form_key.data = secrets.token_urlsafe(24)
    if form.validate_on_submit():
        key = form.form_key.data or None
        if _saved_session(key):
            flash(_("Dit was al opgeslagen."), "info")
            return redirect(url_for("volunteers.my_match", match_id=match.id))
        with domain_action(field=form.held_on):
            session = matching.log_session_not_held(
                match, held_on=form.held_on.data, reason=form.reason.data,
                remark=form.remark.data, by=current_user, now=now, form_key=key)
            concern = session.concern
            try:
                db.session.commit()
            except sa.exc.IntegrityError:
                # The same form sent twice at once: the first one is kept.
                db.session.rollback()
                flash(_("Dit was al opgeslagen."), "info")
                return redirect(url_for("volunteers.my_match", match_id=match.id))
            if concern:
                flash(_("Opgeslagen. Twee keer achter elkaar niet gekomen: de coördinator "
                        "hoort het en neemt contact op."), "success")
            else:
                flash(_("Opgeslagen. Dank u wel voor het doorgeven."), "success")
            return redirect(url_for("volunteers.my_match", match_id=match.id))
    html = render_template("volunteers/session_not_held.html", form=form, match=match)
    _viewed(match, "bijeenkomst ging niet door")
    return html


@bp.route("/mijn/bijeenkomsten/<int:session_id>", methods=["GET", "POST"])
@require("volunteer.own")
def edit_session(session_id: int):
    session = get_own_session_or_404(current_user, session_id)
    now = utcnow()
    if not can_edit_session(current_user, session, now):
        flash(_("Een bijeenkomst kunt u tot 7 dagen na het vastleggen aanpassen. Klopt er "
                "iets niet? Vraag het de coördinator."), "info")
        return redirect(url_for("volunteers.my_match", match_id=session.match_id))
    match = session.match
    form, goals = _session_form(match, session)
    _check_posted_goals(form, match)
    if form.validate_on_submit():
        with domain_action(field=form.held_on), _foreign_goal_is_404():
            matching.update_session(
                session, held_on=form.held_on.data, minutes=form.minutes.data,
                practised=form.practised.data, goal_marks=form.goal_marks(),
                remark=form.remark.data, concern=form.concern.data, by=current_user, now=now)
            db.session.commit()
            flash(_("De bijeenkomst is aangepast."), "success")
            return redirect(url_for("volunteers.my_match", match_id=match.id))
    elif request.method == "POST" and form.goals.errors:
        abort(404)
    html = render_template("volunteers/session_form.html", form=form, match=match,
                           rows=_goal_rows(form, goals), labels=list_labels("goal_subject"),
                           session=session)
    _viewed(match, "bijeenkomst aanpassen")
    return html


def _viewed(match: Match, summary: str) -> None:
    """The session forms show the participant's name and goals: log the view (after
    rendering; nothing else was changed in a request that shows a form)."""
    audit.record(current_user, "view", "participant", match.trajectory.participant_id,
                 participant_id=match.trajectory.participant_id, summary=summary)
    db.session.commit()
