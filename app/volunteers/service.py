"""Volunteer profiles, their accounts, and what the volunteer's own pages show."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.admin.service import email_taken, invite_user
from app.audit import service as audit
from app.auth.models import Role
from app.checkins.models import CheckIn, CheckInStatus
from app.core import choices
from app.core.errors import DomainError
from app.core.phone import clean_phone
from app.core.records import counts_by, existing_or_added
from app.core.timeutil import local_date
from app.extensions import db
from app.intakes.models import Intake, LearningGoal
from app.matching import scoring
from app.matching import service as matching
from app.matching.models import Match, MatchSession
from app.participants.models import Trajectory
from app.volunteers.models import (
    VogState,
    Volunteer,
    VolunteerStatus,
    VolunteerTraining,
    volunteer_locations,
)


class VolunteerError(DomainError):
    """A volunteer action that breaks a rule."""


# --- Profiles --------------------------------------------------------------------------------

def save_volunteer(volunteer: Volunteer | None, *, first_name: str, last_name: str,
                   email: str | None, phone: str | None, sex: str | None, locations,
                   availability: Sequence[str], capacity: int, domains: Sequence[str],
                   languages: Sequence[str], vog_on: date | None, by,
                   now: datetime) -> Volunteer:
    """Create (volunteer=None) or change a profile; status has its own function."""
    volunteer, action = existing_or_added(volunteer, Volunteer, status=VolunteerStatus.ACTIVE,
                                          status_changed_on=None)
    volunteer.first_name = first_name.strip()
    volunteer.last_name = (last_name or "").strip()
    volunteer.email = (email or "").strip().lower() or None
    volunteer.phone = clean_phone(phone)
    volunteer.sex = sex or None
    volunteer.locations = list(locations)
    volunteer.availability = [slot for slot in availability]
    volunteer.capacity = capacity
    volunteer.domains = list(dict.fromkeys(domains))
    seen: dict[str, str] = {}
    for language in languages:
        cleaned = " ".join(language.split())
        if cleaned:
            seen.setdefault(scoring.normalise_language(cleaned), cleaned)
    volunteer.languages = list(seen.values())
    volunteer.vog_on = vog_on
    db.session.flush()
    audit.record(by, action, "volunteer", volunteer.id, now=now, summary=volunteer.full_name)
    return volunteer


def set_status(volunteer: Volunteer, *, status: str, reason: str | None, by,
               now: datetime) -> list[Match]:
    """Active, paused or stopped, with a reason. Stopping ends the volunteer's matches (the
    participants go back to the waiting list); returns the matches that ended."""

    if status not in list(VolunteerStatus):
        raise ValueError(status)
    if status != VolunteerStatus.ACTIVE and not (reason or "").strip():
        raise VolunteerError(_("Schrijf kort op waarom."))
    ended: list[Match] = []
    if status == VolunteerStatus.STOPPED:
        for match in db.session.scalars(
            sa.select(Match).where(Match.volunteer_id == volunteer.id,
                                   Match.takes_place)
        ):
            matching.end_match(match, reason="vrijwilliger_gestopt", note=reason, by=by,
                               now=now)
            ended.append(match)
    volunteer.status = status
    volunteer.status_reason = ((reason or "").strip() or None
                               if status != VolunteerStatus.ACTIVE else None)
    volunteer.status_changed_on = local_date(now)
    audit.record(by, "update", "volunteer", volunteer.id, now=now,
                 summary=f"status {status}" + (f": {reason}" if reason else ""))
    return ended


def add_training(volunteer: Volunteer, *, name: str, done_on: date | None, by,
                 now: datetime) -> VolunteerTraining:
    training = VolunteerTraining(volunteer=volunteer, name=name.strip(), done_on=done_on)
    db.session.add(training)
    db.session.flush()
    audit.record(by, "update", "volunteer", volunteer.id, now=now,
                 summary=f"training {training.name}")
    return training


def remove_training(training: VolunteerTraining, *, by, now: datetime) -> None:
    audit.record(by, "update", "volunteer", training.volunteer_id, now=now,
                 summary=f"training {training.name} weggehaald")
    db.session.delete(training)


def vog_state(volunteer_vog_on: date | None, today: date, max_age_years: int) -> VogState:
    """Missing, expired (older than the limit), or ok."""
    if volunteer_vog_on is None:
        return VogState.MISSING
    if not scoring.vog_valid(volunteer_vog_on, today, max_age_years):
        return VogState.EXPIRED
    return VogState.OK


# --- Accounts --------------------------------------------------------------------------------

def link_account(volunteer: Volunteer, user, *, by, now: datetime) -> None:
    """Link an existing account; it must have the role volunteer and no other profile."""
    if not user.is_volunteer:
        raise VolunteerError(_("Dit account heeft niet de rol vrijwilliger."))
    other = db.session.scalar(
        sa.select(Volunteer.id).where(Volunteer.user_id == user.id, Volunteer.id != volunteer.id))
    if other is not None:
        raise VolunteerError(_("Dit account hoort al bij een andere vrijwilliger."))
    volunteer.user = user
    audit.record(by, "update", "volunteer", volunteer.id, now=now,
                 summary=f"gekoppeld aan account {user.email}")


def unlink_account(volunteer: Volunteer, *, by, now: datetime) -> None:
    if volunteer.user_id is None:
        return
    volunteer.user = None
    audit.record(by, "update", "volunteer", volunteer.id, now=now,
                 summary="account losgekoppeld")


def invite_account(volunteer: Volunteer, *, by, now: datetime):
    """Create a volunteer account for this profile, the same way an admin invites anyone.

    The invitation mail goes out after the commit (the view sends it), so a failing mail
    server never loses the account.
    """

    if volunteer.user_id is not None:
        raise VolunteerError(_("Deze vrijwilliger heeft al een account."))
    if not volunteer.email:
        raise VolunteerError(_("Vul eerst een e-mailadres in bij de vrijwilliger."))
    if email_taken(volunteer.email):
        raise VolunteerError(_("Er is al een account met dit e-mailadres. Koppel dat account."))
    # Volunteers get no locations: they see participants through their matches only.
    user = invite_user(name=volunteer.full_name, email=volunteer.email, role=Role.VOLUNTEER,
                       locations=[], partner=None, by=by, now=now)
    volunteer.user = user
    audit.record(by, "update", "volunteer", volunteer.id, now=now,
                 summary=f"account aangemaakt: {user.email}")
    return user


def volunteer_for_user(user) -> Volunteer | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))


# --- Overview --------------------------------------------------------------------------------

def overview_query(scope: sa.ColumnElement[bool], *, status: str | None = None,
                   location_id: int | None = None, with_room: bool = False,
                   search: str | None = None) -> sa.Select:
    """Volunteers in `scope`, filtered; "with room" compares open matches with capacity."""

    load = (
        sa.select(sa.func.count(Match.id))
        .where(Match.volunteer_id == Volunteer.id, Match.takes_place)
        .correlate(Volunteer).scalar_subquery().label("load")
    )
    query = (sa.select(Volunteer).where(scope)
             .options(selectinload(Volunteer.locations))
             .order_by(Volunteer.last_name, Volunteer.first_name, Volunteer.id))
    if status:
        query = query.where(Volunteer.status == status)
    if location_id:
        query = query.where(Volunteer.id.in_(
            sa.select(volunteer_locations.c.volunteer_id)
            .where(volunteer_locations.c.location_id == location_id)))
    if with_room:
        query = query.where(Volunteer.capacity > load)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(Volunteer.first_name).like(like),
                                   sa.func.lower(Volunteer.last_name).like(like)))
    return query


def loads(volunteer_ids: Sequence[int]) -> dict[int, int]:
    return counts_by(Match.volunteer_id, volunteer_ids, Match.takes_place)


# --- The volunteer's own pages ---------------------------------------------------------------

@dataclass
class MyParticipant:
    """Only what a volunteer needs: no referral, no staff notes, no other participants."""

    match: Match
    first_name: str
    phone: str | None
    availability: list[str]
    goals: list
    last_session: MatchSession | None
    next_due: list  # (due date, Dutch text)


def my_participants(matches: Sequence[Match], user, today: date,
                    silence_days: int = 21) -> list[MyParticipant]:
    """Cards for "Mijn deelnemers": a fixed number of queries for any number of matches."""

    if not matches:
        return []
    trajectory_ids = [m.trajectory_id for m in matches]
    match_ids = [m.id for m in matches]
    availability = dict(db.session.execute(
        sa.select(Intake.trajectory_id, Intake.availability)
        .where(Intake.trajectory_id.in_(trajectory_ids))).all())
    goals: dict[int, list] = defaultdict(list)
    for goal in db.session.scalars(
        sa.select(LearningGoal)
        .where(LearningGoal.trajectory_id.in_(trajectory_ids),
               LearningGoal.is_workable)
        .order_by(LearningGoal.id)
    ):
        goals[goal.trajectory_id].append(goal)
    ranked = (
        sa.select(MatchSession.id, sa.func.row_number().over(
            partition_by=MatchSession.match_id,
            order_by=(MatchSession.held_on.desc(), MatchSession.id.desc())).label("n"))
        .where(MatchSession.match_id.in_(match_ids), MatchSession.was_held).subquery()
    )
    last_sessions = {s.match_id: s for s in db.session.scalars(
        sa.select(MatchSession).where(MatchSession.id.in_(
            sa.select(ranked.c.id).where(ranked.c.n == 1))))}
    due: dict[int, list] = defaultdict(list)
    for checkin in db.session.scalars(
        sa.select(CheckIn)
        .where(CheckIn.trajectory_id.in_(trajectory_ids),
               CheckIn.status == CheckInStatus.PLANNED,
               CheckIn.assignee_id == user.id)
        .order_by(CheckIn.due_on, CheckIn.id)
    ):
        due[checkin.trajectory_id].append((checkin.due_on, _checkin_title(checkin)))

    cards = []
    for match in matches:
        participant = match.trajectory.participant
        items = list(due.get(match.trajectory_id, [])[:2])
        anchor = match.last_session_on or match.started_on
        if match.is_active and anchor is not None:
            items.append((anchor + timedelta(days=silence_days),
                          _("Volgende bijeenkomst vastleggen")))
        items.sort(key=lambda item: item[0])
        cards.append(MyParticipant(
            match=match, first_name=participant.first_name, phone=participant.phone,
            availability=list(availability.get(match.trajectory_id) or []),
            goals=goals.get(match.trajectory_id, []),
            last_session=last_sessions.get(match.id), next_due=items[:2],
        ))
    return cards


def _checkin_title(checkin) -> str:

    mapping = getattr(choices, "CHECKIN_KIND", {})
    # A check-in planned by hand says what it is about.
    what = checkin.topic or choices.label(mapping, checkin.kind)
    return _("Contactmoment: %(what)s", what=what)


def own_open_matches(query: sa.Select) -> list[Match]:
    """The volunteer's open matches (from permissions.own_matches) with their participant."""
    return list(db.session.scalars(
        query.options(selectinload(Match.trajectory).selectinload(Trajectory.participant))
        .order_by(Match.status, Match.started_on, Match.id)
    ))


def open_match_count(volunteer_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Match.id))
        .where(Match.volunteer_id == volunteer_id, Match.is_open)
    ) or 0
