"""Matching volunteers, group offers, sessions and ending a trajectory (no request handling).

Every function takes `now` and the acting user (`by`) explicitly, adds and flushes, and
leaves the commit to the caller. Trajectory events go out through `app.core.events.emit`
inside the same transaction, so follow-up planning commits or rolls back with the change.
"""

import gc
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.auth.permissions import (
    coordinators_by_location,
    not_restricted,
    responsible_users,
    unowned_locations,
)
from app.core.choices import SESSION_NOT_HELD
from app.core.errors import DomainError
from app.core.events import emit
from app.core.followup import thresholds
from app.core.records import change_status, counts_by, existing_or_added
from app.core.timeutil import local_date, to_utc
from app.extensions import db
from app.intakes.models import GoalStatus, Intake, LearningGoal
from app.matching import scoring
from app.matching.models import (
    Enrollment,
    EnrollmentStatus,
    Match,
    MatchSession,
    MatchStatus,
    Offer,
    SessionGoal,
)
from app.notifications.service import absolute_url, notify
from app.participants.models import Participant, Trajectory, TrajectoryStatus
from app.participants.service import record_contact
from app.volunteers.models import Volunteer, VolunteerStatus, volunteer_locations

# Which match end reason follows from the outcome of the whole trajectory.
_MATCH_END_FOR_OUTCOME = {
    "goal_reached": "doel_behaald",
    "moved": "verhuisd",
    "stopped": "deelnemer_gestopt",
    "unreachable": "deelnemer_gestopt",
}


class MatchingError(DomainError):
    """A matching action that breaks a rule."""


def vog_max_age_years() -> int:
    return thresholds().vog_max_age_years


# --- Ranking ---------------------------------------------------------------------------------

# Volunteers kept apart (hard limits) that a ranking keeps: the page shows the best few and
# counts the rest, so thousands of them need not stay in memory.
APART_KEPT = 50


@dataclass
class Ranking:
    need: scoring.Need
    proposed: list[scoring.Fit]
    # The best APART_KEPT of those kept apart; `apart_total` counts them all.
    apart: list[scoring.Fit]
    apart_total: int
    today: date
    years: int

    def explained(self, fits: Sequence[scoring.Fit]) -> list[scoring.Fit]:
        """The same fits with their reasons (same score: one scoring function)."""
        return [scoring.score(self.need, fit.candidate, today=self.today,
                              vog_max_age_years=self.years) for fit in fits]


def trajectory_needs(trajectories: Sequence[Trajectory], today: date) -> dict[int, scoring.Need]:
    """What each trajectory asks of a volunteer, from intake, goals and participant.

    A fixed number of queries for any number of trajectories.
    """

    ids = [t.id for t in trajectories]
    if not ids:
        return {}
    intakes = {i.trajectory_id: i for i in db.session.scalars(
        sa.select(Intake).where(Intake.trajectory_id.in_(ids)))}
    participants = {p.id: p for p in db.session.scalars(
        sa.select(Participant).where(Participant.id.in_({t.participant_id for t in trajectories})))}
    subjects: dict[int, list[str]] = defaultdict(list)
    for trajectory_id, subject in db.session.execute(
        sa.select(LearningGoal.trajectory_id, LearningGoal.subject)
        .where(LearningGoal.trajectory_id.in_(ids),
               LearningGoal.is_workable)
        .order_by(LearningGoal.id)
    ):
        if subject not in subjects[trajectory_id]:
            subjects[trajectory_id].append(subject)
    matched: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for trajectory_id, volunteer_id, status in db.session.execute(
        sa.select(Match.trajectory_id, Match.volunteer_id, Match.status)
        .where(Match.trajectory_id.in_(ids))
    ):
        matched[trajectory_id].append((volunteer_id, status))

    needs = {}
    for trajectory in trajectories:
        intake = intakes.get(trajectory.id)
        participant = participants[trajectory.participant_id]
        languages = scoring.split_languages(participant.native_language) + \
            scoring.split_languages(participant.other_languages)
        preferences = (intake.volunteer_preferences or "") if intake else ""
        beginner = intake is not None and scoring.is_nt2_beginner(
            intake.scale, (intake.level_speaking, intake.level_listening),
            intake.knows_latin_alphabet)
        waiting = trajectory.waiting_days(today) or 0
        earlier = matched.get(trajectory.id, [])
        needs[trajectory.id] = scoring.Need(
            location_id=trajectory.location_id,
            availability=frozenset(intake.availability or ()) if intake else frozenset(),
            goal_subjects=tuple(subjects.get(trajectory.id, ())),
            languages=frozenset(scoring.normalise_language(lang) for lang in languages),
            nt2_beginner=beginner,
            preferences=preferences.lower(),
            preferred_sex=scoring.preferred_sex(preferences),
            waiting_days=max(waiting, 0),
            current_volunteer_ids=frozenset(v for v, st in earlier if st in MatchStatus.LOAD),
            earlier_volunteer_ids=frozenset(v for v, st in earlier if st == MatchStatus.ENDED),
        )
    return needs


def trajectory_need(trajectory: Trajectory, today: date) -> scoring.Need:
    return trajectory_needs([trajectory], today)[trajectory.id]


def _json_lists(*columns) -> sa.ColumnElement[str]:
    """Several JSON list columns as one JSON text "[[...],[...]]", decoded once per row.

    One short text per row decodes several times faster than letting the driver decode each
    JSON column; with 5,000 volunteers that was most of the ranking time. A column may also
    be a comma-separated text of numbers (an aggregate): it becomes a JSON list as well.
    """
    text = sa.literal("[")
    for n, column in enumerate(columns):
        if isinstance(column, _CommaList):
            part = sa.literal("[").concat(sa.func.coalesce(column.text, "")).concat("]")
        else:
            part = sa.func.coalesce(sa.cast(column, sa.Text), "[]")
        text = text.concat(part) if n == 0 else text.concat(",").concat(part)
    return text.concat("]")


@dataclass(frozen=True)
class _CommaList:
    """A comma-separated list of numbers ("3,17"), NULL for none (for `_json_lists`)."""

    text: sa.ColumnElement[str]


def load_candidates(scope: sa.ColumnElement[bool], *,
                    few: bool = False) -> list[scoring.Candidate]:
    """Every volunteer in `scope` who has not stopped, in one query.

    The database does the counting and collecting: the places each volunteer has taken (one
    grouped count over the matches that take a place) and their locations come along in the
    same row. Plain rows through the connection instead
    of ORM objects, and tuples instead of classes: ranking thousands of volunteers must stay
    fast.
    """
    in_scope = sa.and_(scope, Volunteer.status != VolunteerStatus.STOPPED)
    # A ranking groups over all volunteers (the outer join keeps those in scope): repeating
    # the scope inside cost more than the rows it saves. `few` (one volunteer): only theirs.
    of_scope_match = Match.volunteer_id.in_(sa.select(Volunteer.id).where(in_scope)) \
        if few else sa.true()
    of_scope_location = volunteer_locations.c.volunteer_id.in_(
        sa.select(Volunteer.id).where(in_scope)) if few else sa.true()
    loads = (
        sa.select(Match.volunteer_id, sa.func.count().label("load"))
        .where(Match.takes_place, of_scope_match)
        .group_by(Match.volunteer_id)
        .subquery()
    )
    locations = (
        sa.select(volunteer_locations.c.volunteer_id,
                  sa.func.aggregate_strings(sa.cast(volunteer_locations.c.location_id,
                                                    sa.Text), ",").label("ids"))
        .where(of_scope_location)
        .group_by(volunteer_locations.c.volunteer_id)
        .subquery()
    )
    rows = db.session.connection().execute(
        sa.select(Volunteer.id, Volunteer.first_name, Volunteer.last_name, Volunteer.status,
                  Volunteer.capacity, Volunteer.vog_on, Volunteer.sex,
                  sa.func.coalesce(loads.c.load, 0),
                  _json_lists(Volunteer.availability, Volunteer.domains, Volunteer.languages,
                              _CommaList(locations.c.ids)))
        .outerjoin(loads, loads.c.volunteer_id == Volunteer.id)
        .outerjoin(locations, locations.c.volunteer_id == Volunteer.id)
        .where(in_scope)
        # A fixed order: among equal scores and names the ranking keeps this order.
        .order_by(Volunteer.id)
    ).all()
    # One decode for all rows: json.loads costs more per call than per character.
    decoded = json.loads("[" + ",".join(row[8] for row in rows) + "]")
    candidate = scoring.Candidate
    candidates = []
    for (vid, first, last, status, capacity, vog_on, sex, load, _lists), lists in zip(
            rows, decoded, strict=True):
        availability, domains, languages, location_ids = lists
        candidates.append(candidate(
            vid, f"{first} {last}" if last else first, status, capacity, load,
            # Short lists as they come: membership tests on 2-5 items cost what a set
            # would, without building thousands of sets.
            vog_on, location_ids, availability, domains,
            # Stored cleaned up by save_volunteer: lower case is all the comparison needs.
            {lang.lower(): lang for lang in languages} if languages else {}, sex,
        ))
    return candidates


@contextmanager
def _gc_paused():
    """Ranking makes tens of thousands of small objects that all live until the page is done;
    the cyclic garbage collector would scan the whole process over and over meanwhile (more
    than half of the time with 5,000 volunteers). Nothing here makes reference cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def rank_volunteers(trajectory: Trajectory, *, scope: sa.ColumnElement[bool],
                    today: date) -> Ranking:
    """Every volunteer in scope, scored; best first. Only the score is worked out for all of
    them: `Ranking.explained()` adds the reasons for the ones on screen."""
    need = trajectory_need(trajectory, today)
    years = vog_max_age_years()
    with _gc_paused():
        fits = [scoring.score(need, c, today=today, vog_max_age_years=years, explain=False)
                for c in load_candidates(scope)]
        proposed, apart = scoring.rank(fits)
        apart_total = len(apart)
        # Let go of what the page will not show before the collector runs again.
        del fits, apart[APART_KEPT:]
    return Ranking(need=need, proposed=proposed, apart=apart, apart_total=apart_total,
                   today=today, years=years)


def fit_of(trajectory: Trajectory, volunteer: Volunteer, today: date) -> scoring.Fit:
    """The fit of one volunteer (the confirmation page, and the check before matching)."""
    candidates = load_candidates(Volunteer.id == volunteer.id, few=True)
    candidate = candidates[0] if candidates else scoring.Candidate(
        id=volunteer.id, name=volunteer.full_name, status=volunteer.status,
        capacity=volunteer.capacity, load=0, vog_on=volunteer.vog_on)
    return scoring.score(trajectory_need(trajectory, today), candidate, today=today,
                         vog_max_age_years=vog_max_age_years())


def rank_waiting_for_volunteer(volunteer: Volunteer, trajectories: Sequence[Trajectory],
                               today: date) -> list[tuple[Trajectory, scoring.Fit]]:
    """The other way round: which waiting people fit this volunteer best (a long wait helps)."""
    candidates = load_candidates(Volunteer.id == volunteer.id, few=True)
    if not candidates:
        return []
    years = vog_max_age_years()
    needs = trajectory_needs(trajectories, today)
    scored = [(t, scoring.score(needs[t.id], candidates[0], today=today,
                                vog_max_age_years=years)) for t in trajectories]
    scored.sort(key=lambda pair: (-pair[1].score, pair[0].waited_from or today, pair[0].id))
    return scored


# --- Match lifecycle -------------------------------------------------------------------------

def _open_matches(trajectory: Trajectory) -> list[Match]:
    return list(db.session.scalars(
        sa.select(Match).where(Match.trajectory_id == trajectory.id,
                               Match.is_open)
    ))


def _active_enrollments(trajectory: Trajectory) -> list[Enrollment]:
    return list(db.session.scalars(
        sa.select(Enrollment).where(Enrollment.trajectory_id == trajectory.id,
                                    Enrollment.is_active)
    ))


def _make_active(trajectory: Trajectory, start_on: date) -> None:
    if trajectory.status != TrajectoryStatus.ACTIVE:
        trajectory.status = TrajectoryStatus.ACTIVE
        trajectory.started_on = trajectory.started_on or start_on
        trajectory.waiting_since = None


def _back_to_waiting_if_nothing_left(trajectory: Trajectory, today: date) -> bool:
    """Without an open match or group the person waits again: never silently "active".

    True when the trajectory went back to waiting; the caller emits "waiting" after its
    own event, so the waiting check-ins are planned again.
    """
    if trajectory.status != TrajectoryStatus.ACTIVE:
        return False
    if _open_matches(trajectory) or _active_enrollments(trajectory):
        return False
    trajectory.status = TrajectoryStatus.WAITING
    # A new wait for the waiting check-ins; the total keeps counting from the first one.
    trajectory.waiting_since = today
    trajectory.first_waiting_since = trajectory.first_waiting_since or today
    return True


def propose_match(trajectory: Trajectory, volunteer: Volunteer, *, by, now: datetime,
                  start_on: date | None = None, planned_end_on: date | None = None) -> Match:
    """Couple a volunteer; with `start_on` the match starts at once, otherwise it is proposed.

    Hard limits (inactive, full, no valid VOG) are checked here too, not only on the page.
    """
    if not trajectory.can_get_volunteer:
        raise MatchingError(_("Alleen iemand die wacht of al meedoet kan een vrijwilliger "
                              "krijgen."))
    today = local_date(now)
    fit = fit_of(trajectory, volunteer, today)
    if fit.blockers:
        reasons = ", ".join(scoring.describe_blocker(b, vog_max_age_years())
                            for b in fit.blockers)
        raise MatchingError(_("Deze vrijwilliger kan nu niet gekoppeld worden: %(why)s.",
                              why=reasons))
    match = Match(trajectory=trajectory, volunteer=volunteer, status=MatchStatus.PROPOSED,
                  proposed_on=today, planned_end_on=planned_end_on, created_by_id=by.id)
    db.session.add(match)
    db.session.flush()
    audit.record(by, "create", "match", match.id, participant_id=trajectory.participant_id,
                 now=now, summary=f"koppeling met vrijwilliger {volunteer.id} voorgesteld")
    if start_on is not None:
        start_match(match, start_on=start_on, by=by, now=now)
    return match


def start_blockers(match: Match, today: date) -> list[tuple[str, object]]:
    """The hard limits that stop this match from starting today: a proposal can wait weeks,
    and meanwhile the VOG may have expired or the volunteer taken on other people.

    The match itself already counts towards the volunteer's load (a proposal holds a place),
    so the volunteer is full when their other matches fill their capacity.
    """
    volunteer = match.volunteer
    blockers: list[tuple[str, object]] = []
    if not scoring.vog_valid(volunteer.vog_on, today, vog_max_age_years()):
        blockers.append(("no_vog", None) if volunteer.vog_on is None
                        else ("old_vog", volunteer.vog_on))
    others = db.session.scalar(
        sa.select(sa.func.count(Match.id))
        .where(Match.volunteer_id == volunteer.id, Match.id != match.id,
               Match.takes_place)
    ) or 0
    if others >= volunteer.capacity:
        blockers.append(("full", (others + 1, volunteer.capacity)))
    return blockers


def start_match(match: Match, *, start_on: date, by, now: datetime,
                first_meeting_at: datetime | None = None,
                first_meeting_place: str | None = None) -> None:
    """Proposed → active, or paused → active again. The trajectory becomes active.

    The first meeting (when agreed) is kept on the match; the participant's confirmation
    follows the "match_started" event (app/messaging/kinds.py).
    """
    if not match.can_start:
        raise MatchingError(_("Deze koppeling is al gestart of beëindigd."))
    if first_meeting_at is not None and first_meeting_at <= now:
        raise MatchingError(_("De eerste afspraak ligt in het verleden. Kies een moment dat "
                              "nog komt."))
    if not match.volunteer.is_available:
        raise MatchingError(_("De vrijwilliger is niet actief. Zet de vrijwilliger eerst "
                              "weer op actief."))
    blockers = start_blockers(match, local_date(now))
    if blockers:
        reasons = ", ".join(scoring.describe_blocker(b, vog_max_age_years()) for b in blockers)
        raise MatchingError(_("Deze koppeling kan nu niet starten: %(why)s. Pas eerst het "
                              "profiel van de vrijwilliger aan, of kies een andere "
                              "vrijwilliger.", why=reasons))
    resumed = match.is_paused
    if not change_status(match, MatchStatus.ACTIVE, Match.status.in_(MatchStatus.STARTABLE)):
        raise MatchingError(_("Deze koppeling is net al gestart of beëindigd."))
    match.paused_on = None
    if not resumed:
        match.started_on = start_on
    if first_meeting_at is not None:
        match.first_meeting_at = first_meeting_at
        match.first_meeting_place = (first_meeting_place or "").strip() or None
    trajectory = match.trajectory
    _make_active(trajectory, start_on)
    audit.record(by, "update", "match", match.id, participant_id=trajectory.participant_id,
                 now=now, summary="koppeling weer gestart" if resumed else "koppeling gestart")
    db.session.flush()
    emit("match_started", trajectory, now, match=match, resumed=resumed)


def pause_match(match: Match, *, by, now: datetime) -> None:
    if not match.can_pause:
        raise MatchingError(_("Alleen een actieve koppeling kan op pauze."))
    match.status = MatchStatus.PAUSED
    match.paused_on = local_date(now)
    audit.record(by, "update", "match", match.id,
                 participant_id=match.trajectory.participant_id, now=now,
                 summary="koppeling gepauzeerd")
    db.session.flush()
    emit("match_paused", match.trajectory, now, match=match)


def end_match(match: Match, *, reason: str, note: str | None, by, now: datetime,
              trajectory_ends: bool = False) -> None:
    """End a match (or withdraw a proposal). The last one ending puts the person back on the
    waiting list, unless the whole trajectory ends."""
    if not match.can_end:
        raise MatchingError(_("Deze koppeling is al beëindigd."))
    started = match.started_on is not None
    if not change_status(match, MatchStatus.ENDED, Match.status != MatchStatus.ENDED):
        raise MatchingError(_("Deze koppeling is net al beëindigd."))
    match.ended_on = local_date(now)
    match.end_reason = reason
    match.end_note = (note or "").strip() or None
    trajectory = match.trajectory
    audit.record(by, "update", "match", match.id, participant_id=trajectory.participant_id,
                 now=now, summary=f"koppeling beëindigd: {reason}")
    db.session.flush()
    waiting = not trajectory_ends and _back_to_waiting_if_nothing_left(trajectory,
                                                                       local_date(now))
    if started:
        # A proposal that never started needs no end interview.
        emit("match_ended", trajectory, now, match=match)
    if waiting:
        emit("waiting", trajectory, now)


# --- Group offers ----------------------------------------------------------------------------

def save_offer(offer: Offer | None, *, location_id: int, kind: str, name: str, domain: str,
               formal: bool, capacity: int, schedule: str | None, active: bool, by,
               now: datetime) -> Offer:
    offer, action = existing_or_added(offer, Offer)
    offer.location_id = location_id
    offer.kind = kind
    offer.name = name.strip()
    offer.domain = domain
    offer.formal = formal
    offer.capacity = capacity
    offer.schedule = (schedule or "").strip() or None
    offer.active = active
    db.session.flush()
    audit.record(by, action, "offer", offer.id, now=now, summary=offer.name)
    return offer


def offer_taken(offer_ids: Sequence[int]) -> dict[int, int]:
    """Active enrolments per offer (one query)."""
    return counts_by(Enrollment.offer_id, offer_ids, Enrollment.is_active)


def enroll(trajectory: Trajectory, offer: Offer, *, start_on: date, by,
           now: datetime) -> Enrollment:
    """Enrol in a group offer within its capacity. The trajectory becomes active."""
    if not trajectory.can_enroll:
        raise MatchingError(_("Alleen iemand die wacht of al meedoet kan worden ingeschreven."))
    if not offer.active:
        raise MatchingError(_("Dit aanbod is gestopt."))
    # Lock the offer row so two staff members cannot both take the last place (PostgreSQL;
    # SQLite writes one at a time anyway).
    db.session.execute(sa.select(Offer.id).where(Offer.id == offer.id).with_for_update())
    already = db.session.scalar(
        sa.select(Enrollment.id).where(Enrollment.trajectory_id == trajectory.id,
                                       Enrollment.offer_id == offer.id,
                                       Enrollment.is_active))
    if already:
        raise MatchingError(_("Deze deelnemer doet al mee aan dit aanbod."))
    if offer_taken([offer.id]).get(offer.id, 0) >= offer.capacity:
        raise MatchingError(_("Dit aanbod is vol. Kies een ander aanbod of wacht op een "
                              "plek."))
    enrollment = Enrollment(trajectory=trajectory, offer=offer, status=EnrollmentStatus.ACTIVE,
                            started_on=start_on, created_by_id=by.id)
    db.session.add(enrollment)
    _make_active(trajectory, start_on)
    db.session.flush()
    audit.record(by, "create", "enrollment", enrollment.id,
                 participant_id=trajectory.participant_id, now=now,
                 summary=f"ingeschreven voor {offer.name}")
    emit("enrolled", trajectory, now, enrollment=enrollment)
    return enrollment


def end_enrollment(enrollment: Enrollment, *, by, now: datetime,
                   trajectory_ends: bool = False) -> None:
    if not enrollment.is_active:
        raise MatchingError(_("Deze deelname is al gestopt."))
    enrollment.status = EnrollmentStatus.ENDED
    enrollment.ended_on = local_date(now)
    trajectory = enrollment.trajectory
    audit.record(by, "update", "enrollment", enrollment.id,
                 participant_id=trajectory.participant_id, now=now, summary="deelname gestopt")
    db.session.flush()
    if trajectory_ends:
        # end_trajectory emits "enrollment_ended" once the trajectory's outcome is set: a
        # referrer signalled in between would hear "stopped" instead of the real outcome.
        return
    waiting = _back_to_waiting_if_nothing_left(trajectory, local_date(now))
    # The evaluation of the group place, as a match has its end interview.
    emit("enrollment_ended", trajectory, now, enrollment=enrollment)
    if waiting:
        # The last group place ended: waiting again, with the waiting check-ins, exactly as
        # when the last match ends.
        emit("waiting", trajectory, now)


# --- Ending a trajectory ---------------------------------------------------------------------

def end_trajectory(trajectory: Trajectory, *, outcome: str, end_reason: str,
                   goal_results: Mapping[int, str], by, now: datetime) -> None:
    """Close the trajectory: outcome, end reason, a result per learning goal; open matches
    and group places end with it."""
    if trajectory.is_ended or not change_status(trajectory, TrajectoryStatus.ENDED,
                                                Trajectory.is_open):
        raise MatchingError(_("Dit traject is al afgesloten."))
    goals = {goal.id: goal for goal in trajectory.goals}
    unknown = set(goal_results) - set(goals)
    if unknown:
        raise LookupError(f"goals {sorted(unknown)} are not of trajectory {trajectory.id}")
    match_reason = _MATCH_END_FOR_OUTCOME.get(outcome, "anders")
    for match in db.session.scalars(
        sa.select(Match).where(Match.trajectory_id == trajectory.id,
                               Match.takes_place)
    ):
        end_match(match, reason=match_reason, note=None, by=by, now=now, trajectory_ends=True)
    enrollments = _active_enrollments(trajectory)
    for enrollment in enrollments:
        end_enrollment(enrollment, by=by, now=now, trajectory_ends=True)
    for goal_id, result in goal_results.items():
        goals[goal_id].status = result
    trajectory.ended_on = local_date(now)
    trajectory.outcome = outcome
    trajectory.end_reason = end_reason
    audit.record(by, "update", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id, now=now,
                 summary=f"traject afgesloten: {outcome}, {end_reason}")
    db.session.flush()
    for enrollment in enrollments:
        emit("enrollment_ended", trajectory, now, enrollment=enrollment)
    emit("trajectory_ended", trajectory, now)


# --- Sessions --------------------------------------------------------------------------------

def workable_goals(trajectory_id: int) -> list[LearningGoal]:
    return list(db.session.scalars(
        sa.select(LearningGoal)
        .where(LearningGoal.trajectory_id == trajectory_id,
               LearningGoal.is_workable)
        .order_by(LearningGoal.id)
    ))


def _contact_moment(held_on: date, now: datetime) -> datetime:
    """A session has a date, not a time: today counts as now, an earlier day as its noon."""
    if held_on >= local_date(now):
        return now
    return to_utc(held_on, 12)


def _check_goals(match: Match, goal_marks: Mapping[int, str]) -> dict[int, LearningGoal]:
    """The goals behind the ids, all of this match's trajectory; LookupError otherwise (a
    form with edited hidden fields), which the view answers with 404."""
    if not goal_marks:
        return {}
    goals = {g.id: g for g in db.session.scalars(
        sa.select(LearningGoal).where(LearningGoal.id.in_(list(goal_marks)),
                                      LearningGoal.trajectory_id == match.trajectory_id))}
    if set(goals) != set(goal_marks):
        raise LookupError("goal of another trajectory")
    return goals


def _refresh_last_session(match: Match) -> None:
    match.last_session_on = db.session.scalar(
        sa.select(sa.func.max(MatchSession.held_on))
        .where(MatchSession.match_id == match.id, MatchSession.was_held))


def _session_saved(session: MatchSession, goals: Mapping[int, LearningGoal], action: str,
                   summary: str, *, new_concern: bool, by, now: datetime) -> None:
    """After a session is logged or changed: its goals are being worked on, it counts as
    contact, it is audited, and a new concern or a person back in view is signalled."""
    match = session.match
    for goal in goals.values():
        if goal.status == GoalStatus.OPEN:
            goal.status = GoalStatus.IN_PROGRESS
    db.session.flush()
    _refresh_last_session(match)
    back_in_view = record_contact(match.trajectory, _contact_moment(session.held_on, now))
    audit.record(by, action, "session", session.id,
                 participant_id=match.trajectory.participant_id, now=now, summary=summary)
    if new_concern:
        _signal_concern(session, now)
    if back_in_view:
        emit("back_in_view", match.trajectory, now)


def log_session(match: Match, *, held_on: date, minutes: int, practised: str,
                goal_marks: Mapping[int, str], remark: str | None, concern: bool, by,
                now: datetime, form_key: str | None = None) -> MatchSession:
    """A session took place: it counts as contact, moves the goals worked on to "bezig" and
    keeps the match's last session date for the silence reminders."""
    if match.is_paused:
        raise MatchingError(_("Deze koppeling staat op pauze. Vraag de coördinator om hem "
                              "weer te starten."))
    if not match.is_active:
        raise MatchingError(_("Deze koppeling is niet meer actief."))
    if held_on > local_date(now):
        raise MatchingError(_("De datum ligt in de toekomst."))
    goals = _check_goals(match, goal_marks)
    session = MatchSession(match=match, held_on=held_on, minutes=minutes,
                           practised=practised.strip(), remark=(remark or "").strip() or None,
                           concern=concern, created_by_id=by.id, created_at=now, updated_at=now,
                           form_key=form_key)
    session.goal_marks = [SessionGoal(goal_id=gid, progress=mark)
                          for gid, mark in sorted(goal_marks.items())]
    db.session.add(session)
    _session_saved(session, goals, "create",
                   "bijeenkomst vastgelegd" + (" met zorgen" if concern else ""),
                   new_concern=concern, by=by, now=now)
    return session


def update_session(session: MatchSession, *, held_on: date, minutes: int, practised: str,
                   goal_marks: Mapping[int, str], remark: str | None, concern: bool, by,
                   now: datetime) -> None:
    match = session.match
    if held_on > local_date(now):
        raise MatchingError(_("De datum ligt in de toekomst."))
    goals = _check_goals(match, goal_marks)
    raised_concern = concern and not session.concern
    session.held_on = held_on
    session.minutes = minutes
    session.practised = practised.strip()
    session.remark = (remark or "").strip() or None
    session.concern = concern
    if not concern:
        session.concern_handled_at = None
        session.concern_handled_by_id = None
    session.updated_at = now
    existing = {mark.goal_id: mark for mark in session.goal_marks}
    for goal_id in set(existing) - set(goal_marks):
        session.goal_marks.remove(existing[goal_id])
    for goal_id, progress in goal_marks.items():
        if goal_id in existing:
            existing[goal_id].progress = progress
        else:
            session.goal_marks.append(SessionGoal(goal_id=goal_id, progress=progress))
    _session_saved(session, goals, "update", "bijeenkomst aangepast",
                   new_concern=raised_concern, by=by, now=now)


def _no_shows_in_a_row(match: Match, limit: int) -> int:
    """How many of the match's newest reports (at most `limit`), in a row, are "niet
    gekomen"."""
    recent = db.session.scalars(
        sa.select(MatchSession.not_held_reason).where(MatchSession.match_id == match.id)
        .order_by(MatchSession.held_on.desc(), MatchSession.id.desc())
        .limit(limit)
    ).all()
    count = 0
    for reason in recent:
        if reason != "no_show":
            break
        count += 1
    return count


def log_session_not_held(match: Match, *, held_on: date, reason: str, remark: str | None,
                         by, now: datetime, form_key: str | None = None) -> MatchSession:
    """The volunteer reports that a session did not happen.

    Not a contact with the participant (the last contact stays), no hours in the reports;
    but news from the volunteer, so the 21-day reminder to them counts from it. The second
    "niet gekomen" in a row is a concern for the coordinator, like a session with worries.
    """
    if reason not in SESSION_NOT_HELD:
        raise ValueError(f"unknown reason {reason!r}")
    if not match.is_active:
        raise MatchingError(_("Deze koppeling is niet actief. Vraag de coördinator om hem "
                              "weer te starten."))
    if held_on > local_date(now):
        raise MatchingError(_("De datum ligt in de toekomst."))
    session = MatchSession(match=match, held_on=held_on, minutes=0, practised="",
                           remark=(remark or "").strip() or None, concern=False,
                           not_held_reason=reason, form_key=form_key, created_by_id=by.id,
                           created_at=now, updated_at=now)
    db.session.add(session)
    db.session.flush()
    match.last_not_held_on = db.session.scalar(
        sa.select(sa.func.max(MatchSession.held_on))
        .where(MatchSession.match_id == match.id, ~MatchSession.was_held))
    # Every further no-show in a row is news again: the coordinator hears each one.
    needed = thresholds().session_no_shows_in_a_row
    no_shows = _no_shows_in_a_row(match, needed) if reason == "no_show" else 0
    session.concern = no_shows >= needed
    audit.record(by, "create", "session", session.id,
                 participant_id=match.trajectory.participant_id, now=now,
                 summary=f"bijeenkomst ging niet door ({reason})"
                         + ("; twee keer niet gekomen" if session.concern else ""))
    if session.concern:
        _signal_concern(session, now)
    return session


def handle_concern(session: MatchSession, *, by, now: datetime) -> None:
    """The coordinator has picked the concern up; it leaves the "Zorgen" list."""
    if not session.concern or session.concern_handled_at is not None:
        return
    session.concern_handled_at = now
    session.concern_handled_by_id = by.id
    audit.record(by, "update", "session", session.id,
                 participant_id=session.match.trajectory.participant_id, now=now,
                 summary="zorgen opgepakt")


def concern_recipients(trajectory: Trajectory) -> list:
    """The owner; without an active owner, the coordinators of the location."""
    return responsible_users(trajectory, coordinators_by_location(unowned_locations([trajectory])))


def _signal_concern(session: MatchSession, now: datetime) -> None:
    """A concern goes to the coordinator at once, in the app (and the next daily digest)."""

    trajectory = session.match.trajectory
    name = trajectory.participant.short_name
    body = (_("%(name)s is twee keer achter elkaar niet gekomen, meldt de vrijwilliger.",
              name=name) if session.not_held_reason == "no_show"
            else _("De vrijwilliger heeft zorgen gemeld na een bijeenkomst met %(name)s.",
                   name=name))
    for user in concern_recipients(trajectory):
        notify(kind="session_concern", subject_key=f"session:{session.id}", recipient=user,
               period_key="once",
               subject=_("Zorgen over %(name)s", name=name),
               body=body,
               link=absolute_url("matching.concerns"), now=now, allow_email=False)


def open_concerns(scope: sa.ColumnElement[bool]) -> sa.Select:
    """Sessions with a concern nobody has picked up yet, oldest first."""
    return (
        sa.select(MatchSession)
        .where(MatchSession.concern.is_(True), MatchSession.concern_handled_at.is_(None), scope)
        .options(selectinload(MatchSession.match).selectinload(Match.trajectory)
                 .selectinload(Trajectory.participant),
                 selectinload(MatchSession.match).selectinload(Match.volunteer))
        .order_by(MatchSession.created_at, MatchSession.id)
    )


# --- Silence ---------------------------------------------------------------------------------

def silence_anchor(match: Match, *, news: bool = False) -> date | None:
    """The day the current silence started: the last session, or the start without any.

    `news`: a "ging niet door" report counts too (the volunteer's own reminder: they did
    report; the coordinator's alert is about sessions that happened).
    """
    anchor = match.last_session_on
    if news and match.last_not_held_on and (anchor is None or match.last_not_held_on > anchor):
        anchor = match.last_not_held_on
    return anchor or match.started_on


def silent_matches(now: datetime, days: int, *, news: bool = False,
                   where: tuple[sa.ColumnElement[bool], ...] = ()) -> list[Match]:
    """Active matches with no session for `days` days (counted from the start when none);
    with `news`, nor a "ging niet door" report (see `silence_anchor`).

    Served by the (status, last_session_on) index; volunteer and participant come along in
    two more queries. `where`: more conditions on Match (a job leaves out what it told).
    """
    cutoff = local_date(now) - timedelta(days=days)
    conditions = [Match.status == MatchStatus.ACTIVE,
                  sa.or_(Match.last_session_on <= cutoff,
                         sa.and_(Match.last_session_on.is_(None), Match.started_on <= cutoff))]
    if news:
        conditions.append(sa.or_(Match.last_not_held_on.is_(None),
                                 Match.last_not_held_on <= cutoff))
    # Nobody is reminded about a restricted person (AVG art. 18).
    conditions.append(Match.trajectory_id.in_(
        sa.select(Trajectory.id).where(not_restricted(Trajectory.participant_id))))
    return list(db.session.scalars(
        sa.select(Match)
        .where(*conditions, *where)
        .options(selectinload(Match.volunteer).selectinload(Volunteer.user),
                 selectinload(Match.trajectory).selectinload(Trajectory.participant),
                 selectinload(Match.trajectory).selectinload(Trajectory.owner))
        .order_by(Match.id)
    ))


