"""The one place that decides who may do what, and which records a user may see.

Views ask `require(...)`/`has(...)` for actions and use the scoped queries below for data.
Records outside a user's scope are reported as 404, never 403, so ids leak nothing.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import lazyload

from app.admin.models import Location
from app.appointments.models import Appointment
from app.auth.models import Role, User, user_locations
from app.checkins.models import CheckIn
from app.extensions import db
from app.groups.models import GroupMeeting, offer_volunteers
from app.intakes.models import LearningGoal
from app.matching.models import Enrollment, Match, MatchSession, Offer
from app.notifications.models import Notification
from app.participants.models import Participant, Trajectory
from app.referrals.models import Referral
from app.selfreg.models import SelfRegistration
from app.volunteers.models import Volunteer, VolunteerStatus, volunteer_locations

_STAFF_WORK = {
    "participants.view", "participants.edit", "referrals.create", "referrals.contact",
    "intakes.edit", "consents.edit", "partners.view", "tasks.view", "agenda.view",
    # Messages to the participant: see them (and the answers), send one, lift a STOP.
    "messages.view", "messages.send",
    "letters.print",
}

CAPABILITIES: dict[Role, set[str]] = {
    Role.ADMIN: _STAFF_WORK | {
        "users.manage", "locations.manage", "partners.manage", "audit.view",
        "reference.manage", "participants.all_locations", "trajectories.own",
        "trajectories.assign", "tasks.location", "followup.overview", "rules.manage",
        "volunteers.manage", "matches.manage", "offers.manage", "enrollments.manage",
        "trajectories.end", "concerns.view", "reports.view", "reports.export_personal",
        "mail.manage", "offers.view", "groups.manage", "groups.run", "messages.manage",
        # The person's rights (app/privacy): inzage, who looked, asking an erasure, and the
        # second pair of eyes that confirms it.
        "privacy.inzage", "privacy.who_looked", "privacy.erase_request", "privacy.erase_confirm",
    },
    Role.COORDINATOR: _STAFF_WORK | {
        "trajectories.own", "tasks.location", "followup.overview", "volunteers.manage",
        "matches.manage", "enrollments.manage", "trajectories.end", "concerns.view",
        "reports.view", "reports.export_personal", "offers.view", "groups.manage",
        "groups.run", "privacy.inzage", "privacy.who_looked", "privacy.erase_request",
    },
    Role.STAFF: _STAFF_WORK | {"enrollments.manage", "offers.view", "groups.run"},
    # Volunteers see their own matched participants only (through their own pages), and
    # keep the register of the groups they are linked to.
    Role.VOLUNTEER: {"tasks.view", "volunteer.own", "groups.run"},
    # Partners see the status of their own referrals only (through the partner portal).
    Role.PARTNER: {"portal.view", "portal.refer"},
}


def has(user, capability: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return capability in CAPABILITIES.get(user.role, set())


def require(capability: str) -> Callable:
    """View decorator: 403 unless the signed-in user has `capability`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not has(current_user, capability):
                # A page about one record (an id in the URL) answers 404, like a record out
                # of scope: whether the id exists is none of this user's business.
                abort(404 if kwargs else 403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def restricted_ids() -> sa.Select:
    """The people nobody works with: restricted (AVG art. 18) or anonymised. Few, and found
    by ix_participants_restricted_at."""
    return sa.select(Participant.id).where(sa.or_(Participant.restricted_at.is_not(None),
                                                  Participant.anonymised_at.is_not(None)))


def not_restricted(participant_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: the person `participant_id` points at is not restricted (nor anonymised). For
    every list, task list, digest, export, proposal and job; NOT IN the few, so it stays
    cheap at any scale."""
    return participant_id.not_in(restricted_ids())


def trajectory_not_restricted(trajectory_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: the trajectory `trajectory_id` points at is not of a restricted (or anonymised)
    person. NOT IN the few trajectories of the restricted, rather than IN all the others."""
    return trajectory_id.not_in(
        sa.select(Trajectory.id).where(Trajectory.participant_id.in_(restricted_ids())))


def trajectory_scope(user, *, include_restricted: bool = False) -> sa.ColumnElement[bool]:
    """SQL condition on Trajectory: the trajectories `user` may see.

    Restricted (and anonymised) people are left out (AVG art. 18): every list, task list,
    digest and proposal builds on this scope. Only the lookup of the person's own page
    (`get_participant_or_404`) passes `include_restricted`, for the restriction banner."""
    scope = _trajectory_scope(user)
    if include_restricted:
        return scope
    return sa.and_(scope, not_restricted(Trajectory.participant_id))


def _trajectory_scope(user) -> sa.ColumnElement[bool]:
    if has(user, "participants.all_locations"):
        return sa.true()
    if has(user, "participants.view"):
        ids = user.location_ids
        return Trajectory.location_id.in_(ids) if ids else sa.false()
    if has(user, "volunteer.own"):
        return Trajectory.id.in_(own_match_trajectory_ids(user))
    return sa.false()


def participant_scope(user, participant=Participant, *,
                      include_restricted: bool = False) -> sa.ColumnElement[bool]:
    """SQL condition on Participant (or an alias of it, to compare two people in one query):
    people with at least one trajectory `user` may see (not restricted ones, unless
    `include_restricted`)."""
    # The person's own row says whether they are restricted: tested on its columns, not
    # with NOT IN (restricted_ids()), because PostgreSQL guesses that NOT IN leaves half of
    # the people and then plans a list of 25 as if it had to read 45,000 (issue 14).
    usable = sa.true() if include_restricted else sa.and_(
        participant.restricted_at.is_(None), participant.anonymised_at.is_(None))
    if has(user, "participants.all_locations"):
        return usable
    return sa.and_(usable, sa.exists().where(
        Trajectory.participant_id == participant.id,
        trajectory_scope(user, include_restricted=True)
    ))


def _one_or_404(query: sa.Select):
    """The one row `query` finds, or 404: out of scope and not there look the same."""
    row = db.session.scalar(query)
    if row is None:
        abort(404)
    return row


def visible_participants(user) -> sa.Select:
    return sa.select(Participant).where(participant_scope(user))


def visible_trajectories(user) -> sa.Select:
    return sa.select(Trajectory).where(trajectory_scope(user))


def get_participant_or_404(user, participant_id: int) -> Participant:
    """For the staff pages about a person. Volunteers see their own participants only on
    their own pages (first name, phone, goals), never the full record: 404 for them."""
    if not has(user, "participants.view"):
        abort(404)
    # Restricted people too: their page shows the restriction banner and nothing else.
    return _one_or_404(sa.select(Participant).where(
        participant_scope(user, include_restricted=True), Participant.id == participant_id))


def get_unrestricted_participant_or_404(user, participant_id: int) -> Participant:
    """For the person's other staff pages (edit, messages, ...): a restricted person's data
    is not worked with, so those pages send the user to the banner on the person's page."""
    participant = get_participant_or_404(user, participant_id)
    if participant.restricted_at is not None or participant.anonymised_at is not None:
        _to_restriction_banner(participant.id)
    return participant


def _to_restriction_banner(participant_id: int):
    from flask import flash, redirect, url_for
    from flask_babel import gettext

    flash(gettext("De verwerking van de gegevens van deze persoon is beperkt. "
                  "U kunt er nu niet mee werken."), "info")
    abort(redirect(url_for("participants.show", participant_id=participant_id)))


def get_trajectory_or_404(user, trajectory_id: int) -> Trajectory:
    trajectory = db.session.scalar(
        visible_trajectories(user).where(Trajectory.id == trajectory_id))
    if trajectory is None:
        # The trajectory of a restricted person: a calm word on their page, not a 404.
        participant_id = db.session.scalar(
            sa.select(Trajectory.participant_id).where(
                Trajectory.id == trajectory_id,
                trajectory_scope(user, include_restricted=True)))
        if participant_id is not None and has(user, "participants.view"):
            _to_restriction_banner(participant_id)
        abort(404)
    return trajectory


def can_edit_trajectory(user, trajectory: Trajectory) -> bool:
    return has(user, "participants.edit") and (
        has(user, "participants.all_locations") or trajectory.location_id in user.location_ids
    )


def get_editable_trajectory_or_404(user, trajectory_id: int) -> Trajectory:
    """A trajectory `user` may change. One they may only see answers 404 as well: a page
    that changes a record is not there for someone who may not change it."""
    trajectory = get_trajectory_or_404(user, trajectory_id)
    if not can_edit_trajectory(user, trajectory):
        abort(404)
    return trajectory


def get_editable_goal_or_404(user, goal_id: int):
    """A learning goal of a trajectory `user` may change."""

    goal = db.session.get(LearningGoal, goal_id)
    if goal is None:
        abort(404)
    get_editable_trajectory_or_404(user, goal.trajectory_id)
    return goal


def posted_ids_or_404(values: Iterable, allowed: Iterable[int]) -> list[int]:
    """The record ids a form posts (hidden fields, select values), each one `allowed`.

    Called before the form is validated: an edited id is a record this user may not touch,
    and answers 404 whatever else is wrong with the form. Empty values are left out.
    """
    allowed = set(allowed)
    ids = []
    for value in values:
        if value in (None, ""):
            continue
        text = str(value)
        if not text.isdigit() or int(text) not in allowed:
            abort(404)
        ids.append(int(text))
    return ids


def allowed_locations(user):
    """Locations where `user` may register or move trajectories."""

    query = sa.select(Location).where(Location.active.is_(True)).order_by(Location.name)
    if not has(user, "participants.all_locations"):
        query = query.where(Location.id.in_(user.location_ids or {-1}))
    return db.session.scalars(query).all()


# --- The coordinators of a location -------------------------------------------------------------
# The one definition of "the coordinators of this location": active users with the coordinator
# role linked to it. They own its trajectories and hear about the ones nobody owns. Admins are
# not among them, even when linked to a location: an admin may hand a trajectory to a
# coordinator but does not own trajectories or get their alerts (DESIGN: the owner is a
# coordinator; the coordinator gets the daily follow-up digest).

def coordinators_by_location(location_ids: Iterable[int]) -> dict[int, list[User]]:
    """The coordinators per location, in one query (for jobs that alert many trajectories)."""
    result: dict[int, list[User]] = defaultdict(list)
    location_ids = set(location_ids)
    if not location_ids:
        return result
    rows = db.session.execute(
        sa.select(user_locations.c.location_id, User)
        .join(user_locations, user_locations.c.user_id == User.id)
        .where(User.active.is_(True), User.role == Role.COORDINATOR,
               user_locations.c.location_id.in_(location_ids))
        .options(lazyload(User.locations))
        .order_by(User.id)
    ).all()
    for location_id, coordinator in rows:
        result[location_id].append(coordinator)
    return result


def coordinators_at(location_ids: Iterable[int]) -> list[User]:
    """The coordinators of any of these locations, each once, by name (lists and filters)."""
    unique = {c.id: c for users in coordinators_by_location(location_ids).values() for c in users}
    return sorted(unique.values(), key=lambda c: (c.name, c.id))


def unowned_locations(trajectories: Iterable[Trajectory]) -> set[int]:
    """The locations of those trajectories that have no active owner."""
    return {t.location_id for t in trajectories if t.owner is None or not t.owner.active}


def responsible_users(trajectory: Trajectory, coordinators: dict[int, list[User]]) -> list[User]:
    """Who hears about `trajectory`: its owner; without an active owner, the coordinators of
    its location (`coordinators` from `coordinators_by_location`)."""
    owner = trajectory.owner
    if owner is not None and owner.active:
        return [owner]
    return coordinators.get(trajectory.location_id, [])


def owner_candidates(user, trajectory: Trajectory) -> list[User]:
    """Whom `user` may make owner of `trajectory`: a coordinator of its location.

    A coordinator takes ownership themselves; an admin may hand it to any of them.
    """
    if not can_edit_trajectory(user, trajectory):
        return []
    if has(user, "trajectories.assign"):
        return coordinators_at([trajectory.location_id])
    if has(user, "trajectories.own") and trajectory.location_id in user.location_ids:
        return [user]
    return []


def owner_on_registration(user):
    """Who owns a trajectory `user` registers when the location names no owner
    (app/participants/owners.py): a coordinator takes it on; when staff or an admin
    registers, the coordinator of the location picks it up later."""
    return user if getattr(user, "role", None) == Role.COORDINATOR else None


# --- Appointments (the agenda) -----------------------------------------------------------------

APPOINTMENT_HOST_ROLES = (Role.STAFF, Role.COORDINATOR)


def appointment_hosts(location_ids: Iterable[int]) -> dict[int, list[User]]:
    """Who may hold an appointment at each location: its active staff and coordinators
    (one query). An intake is done at the desk, so by the people who work there."""
    result: dict[int, list[User]] = defaultdict(list)
    location_ids = set(location_ids)
    if not location_ids:
        return result
    rows = db.session.execute(
        sa.select(user_locations.c.location_id, User)
        .join(user_locations, user_locations.c.user_id == User.id)
        .where(User.active.is_(True), User.role.in_(APPOINTMENT_HOST_ROLES),
               user_locations.c.location_id.in_(location_ids))
        .options(lazyload(User.locations))
        .order_by(User.name, User.id)
    ).all()
    for location_id, host in rows:
        result[location_id].append(host)
    return result


def agenda_locations(user):
    """The locations whose agenda `user` may see: where they work (an admin: all)."""
    if not has(user, "agenda.view"):
        return []
    return allowed_locations(user)


def appointment_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Appointment: appointments at a location `user` works at, of a
    trajectory they may see."""
    if not has(user, "agenda.view"):
        return sa.false()
    at_location = (sa.true() if has(user, "participants.all_locations")
                   else Appointment.location_id.in_(user.location_ids or {-1}))
    return sa.and_(at_location, Appointment.trajectory_id.in_(
        sa.select(Trajectory.id).where(trajectory_scope(user))))


def get_appointment_or_404(user, appointment_id: int):
    appointment = _one_or_404(sa.select(Appointment).where(
        Appointment.id == appointment_id, appointment_scope(user)))
    # Recording what came of it changes the trajectory: only for who may change that.
    if not can_edit_trajectory(user, appointment.trajectory):
        abort(404)
    return appointment


def get_visible_appointment_or_404(user, appointment_id: int):
    """An appointment `user` may look at (its card), without the right to change it."""
    return _one_or_404(sa.select(Appointment).where(
        Appointment.id == appointment_id, appointment_scope(user)))


def letter_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Notification: the letters to print that `user` may see, those of
    participants in trajectories of their locations."""
    if not has(user, "letters.print"):
        return sa.false()
    return sa.and_(
        Notification.participant_id.is_not(None),
        sa.or_(Notification.trajectory_id.in_(sa.select(Trajectory.id)
                                              .where(trajectory_scope(user))),
               sa.and_(Notification.trajectory_id.is_(None),
                       Notification.participant_id.in_(
                           sa.select(Participant.id).where(participant_scope(user))))))


def handover_candidates(user, trajectory: Trajectory) -> list[User]:
    """To whom `user` may hand `trajectory` over (the bulk "Overdragen aan", a move): any
    coordinator of its location, for a coordinator or admin who may change it."""
    if not has(user, "trajectories.own") or not can_edit_trajectory(user, trajectory):
        return []
    return coordinators_at([trajectory.location_id])


def can_move_trajectory(user, trajectory: Trajectory) -> bool:
    """Moving a trajectory out of its location: its coordinators and admins."""
    return has(user, "trajectories.own") and can_edit_trajectory(user, trajectory)


# --- User accounts ------------------------------------------------------------------------------

def free_volunteer_accounts() -> sa.Select:
    """Active volunteer accounts not yet linked to a volunteer profile."""

    return sa.select(User).where(
        User.role == Role.VOLUNTEER, User.active.is_(True),
        ~User.id.in_(sa.select(Volunteer.user_id).where(Volunteer.user_id.is_not(None))))


def get_volunteer_account_or_404(user_id) -> User:
    """A volunteer account to link to a profile: any other account (a coordinator's, say)
    would hand a volunteer's pages to someone else."""
    account = db.session.get(User, user_id) if str(user_id or "").isdigit() else None
    if account is None or not account.is_volunteer:
        abort(404)
    return account


def own_notifications(user) -> sa.Select:
    """Messages addressed to `user`: everyone sees only their own."""

    if user is None or not getattr(user, "is_authenticated", False):
        return sa.select(Notification).where(sa.false())
    return sa.select(Notification).where(Notification.user_id == user.id)


def get_notification_or_404(user, notification_id: int):

    return _one_or_404(own_notifications(user).where(Notification.id == notification_id))


# --- Self-registrations ------------------------------------------------------------------------
# A self-registration names no location (the public form does not ask for one: people do not
# know which desk is theirs), so until staff accept it at a location, staff of every location
# share one queue. Viewing it is logged, as it shows names and phone numbers.

def visible_self_registrations(user) -> sa.Select:
    """Pending self-registrations `user` may see and decide on, oldest first."""

    query = (sa.select(SelfRegistration).where(SelfRegistration.is_pending)
             .order_by(SelfRegistration.created_at, SelfRegistration.id))
    if not has(user, "referrals.create"):
        return query.where(sa.false())
    return query


def get_self_registration_or_404(user, registration_id: int):

    return _one_or_404(
        visible_self_registrations(user).where(SelfRegistration.id == registration_id))


# --- Check-ins (tasks) ------------------------------------------------------------------------

def checkin_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on CheckIn joined with Trajectory: the check-ins `user` may see and do.

    Everyone sees the check-ins assigned to them (a volunteer: only those); a coordinator
    also those of the trajectories of their locations, assigned or not.
    """

    if not has(user, "tasks.view"):
        return sa.false()
    mine = CheckIn.assignee_id == user.id
    if has(user, "tasks.location"):
        return sa.or_(mine, trajectory_scope(user))
    return mine


def visible_checkins(user) -> sa.Select:

    # The check-ins of a restricted person leave every task list (they are kept: lifting
    # the restriction brings them back), also the ones assigned to the user.
    return (sa.select(CheckIn)
            .join(Trajectory, CheckIn.trajectory_id == Trajectory.id)
            .where(checkin_scope(user), not_restricted(Trajectory.participant_id)))


def my_checkins(user) -> sa.Select:
    """The user's own tasks. A coordinator also gets the unassigned check-ins of their own
    locations: a check-in nobody owns would otherwise reach nobody."""

    mine = CheckIn.assignee_id == user.id
    if has(user, "tasks.location") and user.location_ids:
        mine = sa.or_(mine, sa.and_(CheckIn.assignee_id.is_(None),
                                    Trajectory.location_id.in_(user.location_ids)))
    return visible_checkins(user).where(mine)


def location_checkins(user) -> sa.Select:
    """All check-ins of the trajectories of the user's locations, including unassigned."""
    if not has(user, "tasks.location"):
        abort(404)
    return visible_checkins(user).where(trajectory_scope(user))


def my_checkin_condition(user) -> sa.ColumnElement[bool]:
    """SQL condition on CheckIn alone, the same rows as `my_checkins`: no join with every
    trajectory, so counting a coordinator's thousands of tasks reads the check-ins only.
    Restricted people are left out by the few trajectories of theirs (NOT IN)."""
    if not has(user, "tasks.view"):
        return sa.false()
    mine = CheckIn.assignee_id == user.id
    if has(user, "tasks.location") and user.location_ids:
        # Unassigned check-ins of the own locations are in the trajectory scope as well.
        mine = sa.or_(mine, sa.and_(
            CheckIn.assignee_id.is_(None),
            CheckIn.trajectory_id.in_(sa.select(Trajectory.id).where(
                Trajectory.location_id.in_(user.location_ids)))))
    return sa.and_(mine, trajectory_not_restricted(CheckIn.trajectory_id))


def location_checkin_condition(user) -> sa.ColumnElement[bool]:
    """SQL condition on CheckIn alone, the same rows as `location_checkins` (404 without
    "tasks.location")."""
    if not has(user, "tasks.location"):
        abort(404)
    condition = trajectory_not_restricted(CheckIn.trajectory_id)
    if has(user, "participants.all_locations"):
        return condition
    return sa.and_(CheckIn.trajectory_id.in_(
        sa.select(Trajectory.id).where(_trajectory_scope(user))), condition)


def get_checkin_or_404(user, checkin_id: int):

    return _one_or_404(visible_checkins(user).where(CheckIn.id == checkin_id))


# --- Volunteers, matches, sessions, offers -----------------------------------------------------
# Volunteers reach their participants only through their own open matches. They do not get
# "participants.view": the staff pages stay closed to them; their own pages use these scopes.

SESSION_EDIT_DAYS = 7


def own_match_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Match: the open (active, paused) matches of volunteer `user`."""

    if not has(user, "volunteer.own"):
        return sa.false()
    return sa.and_(
        Match.is_open,
        Match.volunteer_id.in_(sa.select(Volunteer.id).where(Volunteer.user_id == user.id)),
        # A volunteer's pages leave out a restricted person's match (AVG art. 18). NOT IN
        # the trajectories of the restricted (a few), not IN every other trajectory.
        trajectory_not_restricted(Match.trajectory_id),
    )


def own_match_trajectory_ids(user) -> sa.Select:

    return sa.select(Match.trajectory_id).where(own_match_scope(user))


def own_matches(user) -> sa.Select:

    return sa.select(Match).where(own_match_scope(user))


def get_own_match_or_404(user, match_id: int):

    return _one_or_404(own_matches(user).where(Match.id == match_id))


def get_own_session_or_404(user, session_id: int):
    """A session on one of the volunteer's own open matches."""

    return _one_or_404(
        sa.select(MatchSession).join(Match, MatchSession.match_id == Match.id)
        .where(MatchSession.id == session_id, own_match_scope(user))
    )


def can_edit_session(user, session, now) -> bool:
    """Volunteers correct their own sessions for 7 days after logging them."""

    # A "ging niet door" is not corrected into a session: the volunteer logs the session.
    return (has(user, "volunteer.own") and session.created_by_id == user.id
            and session.not_held_reason is None
            and now - session.created_at <= timedelta(days=SESSION_EDIT_DAYS))


def match_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Match for staff pages: matches on trajectories `user` may see."""

    if not has(user, "matches.manage"):
        return sa.false()
    return Match.trajectory_id.in_(sa.select(Trajectory.id).where(trajectory_scope(user)))


def get_match_or_404(user, match_id: int):

    return _one_or_404(sa.select(Match).where(Match.id == match_id, match_scope(user)))


def session_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on MatchSession for staff pages (the "Zorgen" list, a trajectory's log)."""

    if not has(user, "concerns.view"):
        return sa.false()
    return MatchSession.match_id.in_(sa.select(Match.id).where(match_scope(user)))


def session_scope_by_row(user) -> sa.ColumnElement[bool]:
    """`session_scope`, checked session by session: for the few sessions an index picks out
    (the open concerns) two look-ups by primary key each, where joining the scope would
    read every match and trajectory on every page (the menu's count)."""
    if not has(user, "concerns.view") or not has(user, "matches.manage"):
        return sa.false()
    # A scalar subquery the planner cannot turn into a join: it runs once per session.
    return (sa.select(sa.func.count()).select_from(Match)
            .join(Trajectory, Trajectory.id == Match.trajectory_id)
            .where(Match.id == MatchSession.match_id, trajectory_scope(user))
            .correlate(MatchSession).scalar_subquery()) > 0


def get_session_or_404(user, session_id: int):

    return _one_or_404(
        sa.select(MatchSession).where(MatchSession.id == session_id, session_scope(user)))


def volunteer_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Volunteer: profiles `user` may see and manage (by location)."""

    if not has(user, "volunteers.manage"):
        return sa.false()
    if has(user, "participants.all_locations"):
        return sa.true()
    ids = user.location_ids
    if not ids:
        return sa.false()
    return Volunteer.id.in_(
        sa.select(volunteer_locations.c.volunteer_id)
        .where(volunteer_locations.c.location_id.in_(ids))
    )


def visible_volunteers(user) -> sa.Select:

    return sa.select(Volunteer).where(volunteer_scope(user))


def get_volunteer_or_404(user, volunteer_id: int):

    return _one_or_404(visible_volunteers(user).where(Volunteer.id == volunteer_id))


def offer_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Offer: offers at the user's locations (admins: all)."""

    if not (has(user, "offers.manage") or has(user, "enrollments.manage")
            or has(user, "offers.view")):
        return sa.false()
    if has(user, "participants.all_locations"):
        return sa.true()
    ids = user.location_ids
    return Offer.location_id.in_(ids) if ids else sa.false()


def get_offer_or_404(user, offer_id: int):

    return _one_or_404(sa.select(Offer).where(Offer.id == offer_id, offer_scope(user)))


# --- Groups: who runs a group and keeps its register -------------------------------------------
# Staff and coordinators run the groups of their locations (an admin: all); a volunteer only
# the groups they are linked to (offer_volunteers), and sees nothing else of them.

def own_group_ids(user) -> sa.Select:
    """Ids of the offers volunteer `user` is linked to (a stopped volunteer runs none)."""
    return (sa.select(offer_volunteers.c.offer_id)
            .join(Volunteer, Volunteer.id == offer_volunteers.c.volunteer_id)
            .where(Volunteer.user_id == user.id, Volunteer.status != VolunteerStatus.STOPPED))


def group_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Offer: the groups `user` may run (open the register of)."""
    if not has(user, "groups.run"):
        return sa.false()
    if has(user, "volunteer.own"):
        return Offer.id.in_(own_group_ids(user))
    return offer_scope(user)


def get_group_or_404(user, offer_id: int):
    return _one_or_404(sa.select(Offer).where(Offer.id == offer_id, group_scope(user)))


def can_manage_group(user, offer) -> bool:
    """Change a group's schedule, dates and volunteers: an admin, or a coordinator there."""
    return has(user, "groups.manage") and (
        has(user, "participants.all_locations") or offer.location_id in user.location_ids)


def get_managed_group_or_404(user, offer_id: int):
    offer = get_group_or_404(user, offer_id)
    if not can_manage_group(user, offer):
        abort(404)
    return offer


def get_meeting_or_404(user, meeting_id: int):
    return _one_or_404(
        sa.select(GroupMeeting).join(Offer, Offer.id == GroupMeeting.offer_id)
        .where(GroupMeeting.id == meeting_id, group_scope(user)))


def get_editable_match_or_404(user, match_id: int):
    """A match on a trajectory `user` may change (start, pause, end it)."""
    match = get_match_or_404(user, match_id)
    if not can_edit_trajectory(user, match.trajectory):
        abort(404)
    return match


def get_enrollment_or_404(user, enrollment_id: int):

    if not has(user, "enrollments.manage"):
        abort(404)
    return _one_or_404(
        sa.select(Enrollment).where(
            Enrollment.id == enrollment_id,
            Enrollment.trajectory_id.in_(sa.select(Trajectory.id).where(trajectory_scope(user))),
        )
    )


def get_editable_enrollment_or_404(user, enrollment_id: int):
    enrollment = get_enrollment_or_404(user, enrollment_id)
    if not can_edit_trajectory(user, enrollment.trajectory):
        abort(404)
    return enrollment


# --- Reports ------------------------------------------------------------------------------------

def report_locations(user) -> list:
    """Locations `user` may see figures of: an admin all (also closed ones, for past years),
    a coordinator their own."""

    if not has(user, "reports.view"):
        return []
    query = sa.select(Location).order_by(Location.name)
    if not has(user, "participants.all_locations"):
        query = query.where(Location.id.in_(user.location_ids or {-1}))
    return db.session.scalars(query).all()


# --- Partner portal and API -------------------------------------------------------------------
# A partner sees only the referrals of their own organisation, and of those only the stage.

def partner_referrals(partner_id: int | None) -> sa.Select:
    """Referrals made by partner organisation `partner_id` (for the portal and the API)."""

    if partner_id is None:
        return sa.select(Referral).where(sa.false())
    return sa.select(Referral).where(Referral.partner_id == partner_id)


def visible_partner_referrals(user) -> sa.Select:
    if not has(user, "portal.view"):
        return partner_referrals(None)
    return partner_referrals(user.partner_id)


def get_partner_referral_or_404(user, referral_id: int):

    return _one_or_404(
        visible_partner_referrals(user).where(Referral.id == referral_id))


# --- Contacts and check-ins planned by hand (issue 11) -----------------------------------------

def can_log_contact(user, trajectory: Trajectory) -> bool:
    """"Contact vastleggen" and "Contactmoment plannen": the staff of the trajectory's
    location (volunteers log sessions on their own pages; partners never)."""
    return trajectory.is_open and can_edit_trajectory(user, trajectory)


def checkin_assignees(trajectory: Trajectory) -> list[tuple[User, int | None]]:
    """Whom a check-in planned by hand may be for: an active staff member, coordinator or
    admin of the trajectory's location, or the volunteer of its active match (with that
    match's id). Two queries."""
    staff_roles = [role for role, caps in CAPABILITIES.items() if "participants.view" in caps]
    users = db.session.scalars(
        sa.select(User).join(user_locations, user_locations.c.user_id == User.id)
        .where(user_locations.c.location_id == trajectory.location_id,
               User.active.is_(True), User.role.in_(staff_roles))
        .options(lazyload(User.locations))
        .order_by(User.name, User.id)
    ).unique().all()
    result: list[tuple[User, int | None]] = [(u, None) for u in users]
    volunteers = db.session.execute(
        sa.select(User, Match.id)
        .join(Volunteer, Volunteer.user_id == User.id)
        .join(Match, Match.volunteer_id == Volunteer.id)
        .where(Match.trajectory_id == trajectory.id, Match.is_active, User.active.is_(True))
        .options(lazyload(User.locations))
        .order_by(Match.id)
    ).all()
    result += [(u, match_id) for u, match_id in volunteers]
    return result


def next_step_locations(user) -> list[int] | None:
    """Locations whose "zonder volgende stap" list `user` sees: None for all (admins)."""
    if not has(user, "followup.overview"):
        return []
    if has(user, "participants.all_locations"):
        return None
    return sorted(user.location_ids)


# --- Messages to the participant and their answers (issue 12) ----------------------------------
# Staff, coordinators and admins of the person's location; never volunteers or partners.
# The models are imported inside: the messaging package imports its views, which import this.

def get_messaging_participant_or_404(user, participant_id: int) -> Participant:
    """A person `user` may send a message to, or lift a STOP of."""
    if not has(user, "messages.send"):
        abort(404)
    return get_unrestricted_participant_or_404(user, participant_id)


def get_stop_or_404(user, stop_id: int):
    from app.messaging.models import MessageStop

    if not has(user, "messages.send"):
        abort(404)
    return _one_or_404(sa.select(MessageStop).where(
        MessageStop.id == stop_id, MessageStop.participant_id.in_(
            sa.select(Participant.id).where(participant_scope(user)))))


def answer_reader_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on InboundMessage joined with Trajectory: answers `user` may mark as
    read: those of trajectories they own, and (a coordinator, an admin) of their locations."""
    from app.messaging.models import InboundMessage

    if not has(user, "messages.view"):
        return sa.false()
    mine = Trajectory.owner_id == user.id
    if has(user, "tasks.location"):
        mine = sa.or_(mine, trajectory_scope(user))
    return sa.and_(InboundMessage.trajectory_id == Trajectory.id, trajectory_scope(user), mine)


def get_readable_answer_or_404(user, inbound_id: int):
    from app.messaging.models import InboundMessage

    return _one_or_404(sa.select(InboundMessage).join(
        Trajectory, InboundMessage.trajectory_id == Trajectory.id)
        .where(InboundMessage.id == inbound_id, answer_reader_scope(user)))
