"""Follow-up: planning check-ins from the rules, completing them, and "buiten beeld".

The rules are rows (FollowUpRule); this module reacts to trajectory events by planning,
moving and cancelling check-ins. Functions add and flush; the caller commits once.
Cancelled check-ins keep their row (CheckInStatus.CANCELLED, vervallen): history is never deleted.
"""

import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import aliased, contains_eager, joinedload

from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import my_checkins, not_restricted
from app.checkins.models import (
    CheckIn,
    CheckInOutcome,
    CheckInStatus,
    FollowUpRule,
    FollowUpSetting,
)
from app.core.choices import CHECKIN_KIND
from app.core.errors import DomainError
from app.core.events import emit
from app.core.followup import BY_KEY, amount_text, stored_values, thresholds
from app.core.records import ChangedMeanwhileError, change_status
from app.core.timeutil import add_working_days, local_date
from app.extensions import db
from app.matching.models import Match
from app.participants.models import Trajectory, TrajectoryStatus
from app.participants.service import record_contact
from app.referrals.models import ContactAttempt

# The four answers of the two-tap completion; "not_reached" is a status, the rest outcomes.
RESULTS = (*CheckInOutcome, CheckInStatus.NOT_REACHED)
OFFSET_UNITS = ("days", "working_days")
ASSIGNEES = ("owner", "volunteer")
# Events a rule can fire on (a subset of app.core.events.EVENTS).
RULE_EVENTS = ("referral_registered", "intake_done", "waiting", "match_started",
               "match_ended", "goal_target_set", "trajectory_ended", "enrolled",
               "enrollment_ended")
# Rules whose check-in is still worth having when the whole trajectory ends: the end
# interview of a match, the evaluation of a group place.
_END_TALK_EVENTS = ("match_ended", "enrollment_ended")



class CheckInError(DomainError):
    """The check-in cannot be completed (it is already done or cancelled)."""

    default_message = _l("Dit contactmoment is al afgerond of vervallen.")


# --- Rules -------------------------------------------------------------------------------------

def rules_for(event: str) -> list[FollowUpRule]:
    return list(db.session.scalars(
        sa.select(FollowUpRule)
        .where(FollowUpRule.event == event, FollowUpRule.active.is_(True))
        .order_by(FollowUpRule.sort_order, FollowUpRule.id)
    ))


def due_date(rule: FollowUpRule, base: date) -> date:
    if rule.offset_unit == "working_days":
        return add_working_days(base, rule.offset)
    return base + timedelta(days=rule.offset)


def create_rule(data: dict, user, now: datetime) -> FollowUpRule:
    """An admin's own rule, after the existing ones; it plans check-ins for events from now
    on (what happened before is not planned afterwards)."""

    for name, allowed in (("event", RULE_EVENTS), ("offset_unit", OFFSET_UNITS),
                          ("assignee", ASSIGNEES), ("checkin_kind", tuple(CHECKIN_KIND))):
        if data[name] not in allowed:
            raise ValueError(f"unknown {name} {data[name]!r}")
    last = db.session.scalar(sa.select(sa.func.max(FollowUpRule.sort_order))) or 0
    rule = FollowUpRule(
        # The code names the defaults for migrations; an admin's rule only needs a unique one.
        code=f"custom_{secrets.token_hex(6)}", name=data["name"], event=data["event"],
        offset=data["offset"], offset_unit=data["offset_unit"], assignee=data["assignee"],
        repeat_every=data["repeat_every"], checkin_kind=data["checkin_kind"],
        active=data["active"], sort_order=last + 10,
    )
    db.session.add(rule)
    db.session.flush()
    audit.record(user, "create", "followup_rule", rule.id, summary=f"nieuw: {rule.name}",
                 now=now)
    return rule


def update_rule(rule: FollowUpRule, data: dict, user, now: datetime) -> list[str]:
    """Apply an admin's edit; only check-ins planned from now on follow the new values."""
    changed = []
    for name in ("name", "offset", "offset_unit", "assignee", "repeat_every", "active"):
        if name in data and getattr(rule, name) != data[name]:
            setattr(rule, name, data[name])
            changed.append(name)
    if changed:
        audit.record(user, "update", "followup_rule", rule.id,
                     summary="gewijzigd: " + ", ".join(changed), now=now)
    return changed


def first_contact_rule() -> FollowUpRule | None:
    """The rule that plans the first contact after a referral: its offset is also the
    deadline in the queue. Switched off, it still says the deadline (nothing else does)."""
    return db.session.scalar(
        sa.select(FollowUpRule)
        .where(FollowUpRule.event == "referral_registered",
               FollowUpRule.checkin_kind == "first_contact")
        .order_by(FollowUpRule.active.desc(), FollowUpRule.sort_order, FollowUpRule.id)
        .limit(1))


def save_thresholds(values: dict[str, int], opened: dict[str, int] | None, user,
                    now: datetime) -> list[str]:
    """Save an admin's thresholds; the keys changed, in the order of the page.

    `opened`: the values in force when the form was opened. When another admin saved since,
    ChangedMeanwhileError and nothing is saved: checked against the values now, and again by
    each write (an UPDATE guarded by the old value; an INSERT that meets a row another save
    just made fails on the key), so two saves at once cannot overwrite each other silently.
    """
    for key, value in values.items():
        threshold = BY_KEY[key]
        if not threshold.minimum <= value <= threshold.maximum:
            raise ValueError(f"{key}={value} outside {threshold.minimum}..{threshold.maximum}")
    stored = stored_values()
    current = {key: stored.get(key, BY_KEY[key].default) for key in values}
    if opened is not None and any(opened.get(key, current[key]) != current[key]
                                  for key in values):
        raise ChangedMeanwhileError()
    changed = [key for key in BY_KEY if key in values and values[key] != current[key]]
    for key in changed:
        if key in stored:
            result = db.session.execute(
                sa.update(FollowUpSetting)
                .where(FollowUpSetting.key == key, FollowUpSetting.value == stored[key])
                .values(value=values[key], updated_at=now, updated_by_id=getattr(user, "id", None))
                .execution_options(synchronize_session=False))
            if result.rowcount != 1:
                raise ChangedMeanwhileError()
        else:
            try:
                with db.session.begin_nested():
                    db.session.add(FollowUpSetting(key=key, value=values[key], updated_at=now,
                                                   updated_by_id=getattr(user, "id", None)))
            except sa.exc.IntegrityError:
                raise ChangedMeanwhileError() from None
    if changed:
        audit.record(user, "update", "followup_settings", None, now=now, summary="; ".join(
            f"{BY_KEY[key].label}: {amount_text(BY_KEY[key], current[key])} → "
            f"{amount_text(BY_KEY[key], values[key])}" for key in changed))
    return changed


# --- Planning ----------------------------------------------------------------------------------

def _owner_id(trajectory: Trajectory) -> int | None:
    owner = trajectory.owner
    return owner.id if owner is not None else trajectory.owner_id


def _volunteer_user_id(match) -> int | None:
    return getattr(getattr(match, "volunteer", None), "user_id", None)


def _open(trajectory: Trajectory, *conditions) -> list[CheckIn]:
    return list(db.session.scalars(
        sa.select(CheckIn)
        .where(CheckIn.trajectory_id == trajectory.id, CheckIn.is_open,
               *conditions)
        .order_by(CheckIn.due_on, CheckIn.id)
    ))


def _of_events(*events: str) -> sa.ColumnElement[bool]:
    """Check-ins planned by a rule of one of these events."""
    return CheckIn.rule_id.in_(sa.select(FollowUpRule.id).where(FollowUpRule.event.in_(events)))


def _plan(rule: FollowUpRule, trajectory: Trajectory, due_on: date, now: datetime, *,
          match=None, goal_id: int | None = None, enrollment=None,
          assignee_id: int | None = None) -> CheckIn | None:
    if assignee_id is None:
        if rule.assignee == "volunteer":
            assignee_id = _volunteer_user_id(match)
            # A volunteer without an account: the owner's check-in of the same moment
            # already covers the conversation, so no second task for the owner.
            if assignee_id is None:
                return None
        else:
            # No owner yet: unassigned, on the location's task list until someone takes it.
            assignee_id = _owner_id(trajectory)
    checkin = CheckIn(trajectory_id=trajectory.id, match_id=getattr(match, "id", None),
                      rule_id=rule.id, goal_id=goal_id,
                      enrollment_id=getattr(enrollment, "id", None),
                      kind=rule.checkin_kind, due_on=due_on,
                      assignee_id=assignee_id, status=CheckInStatus.PLANNED, created_at=now)
    db.session.add(checkin)
    return checkin


def _plan_once(rule: FollowUpRule, trajectory: Trajectory, base: date, now: datetime,
               **kwargs) -> CheckIn | None:
    """Plan unless this rule already has an open check-in here (events can come twice)."""
    match = kwargs.get("match")
    conditions = [CheckIn.rule_id == rule.id]
    if match is not None:
        conditions.append(CheckIn.match_id == match.id)
    enrollment = kwargs.get("enrollment")
    if enrollment is not None:
        conditions.append(CheckIn.enrollment_id == enrollment.id)
    if _open(trajectory, *conditions):
        return None
    return _plan(rule, trajectory, due_date(rule, base), now, **kwargs)


def _close(checkins, status: str, now: datetime, user=None) -> None:
    for checkin in checkins:
        checkin.status = status
        checkin.done_at = now
        if user is not None:
            checkin.done_by_id = user.id


def _match_base(match, now: datetime) -> date:
    return getattr(match, "started_on", None) or local_date(now)


def _on_referral_registered(trajectory, now, **context):
    # The referral date, not today: a referral registered late is already late.
    for rule in rules_for("referral_registered"):
        _plan_once(rule, trajectory, trajectory.referred_on, now)


def _on_contact_made(trajectory, now, user=None, **context):
    _close(_open(trajectory, _of_events("referral_registered")), CheckInStatus.DONE, now, user)


def _on_contact_failed(trajectory, now, user=None, **context):
    # Only when the referral gave up (after the last attempt): until then it is still planned.
    if trajectory.status == TrajectoryStatus.UNREACHABLE:
        _close(_open(trajectory, _of_events("referral_registered")), CheckInStatus.NOT_REACHED,
               now, user)


def _on_intake_done(trajectory, now, user=None, intake=None, **context):
    # An intake is a conversation, so the first contact has happened too.
    _close(_open(trajectory, _of_events("referral_registered")), CheckInStatus.DONE, now, user)
    if trajectory.is_ended:
        return
    base = getattr(intake, "held_on", None) or local_date(now)
    for rule in rules_for("intake_done"):
        _plan_once(rule, trajectory, base, now)


def _on_waiting(trajectory, now, **context):
    # Entering the waiting list (after the intake, or when the last match or group place
    # ended): never silent while waiting. The rhythm counts from the day the wait began.
    if not trajectory.is_waiting:
        return
    base = trajectory.waiting_since or local_date(now)
    for rule in rules_for("waiting"):
        _plan_once(rule, trajectory, base, now)


def _on_now_active(trajectory, now, **context):
    # Only the waiting rhythm stops; a follow-up of the intake itself still applies.
    _close(_open(trajectory, _of_events("waiting")), CheckInStatus.CANCELLED, now)


def _on_match_started(trajectory, now, match=None, resumed=False, **context):
    _on_now_active(trajectory, now)
    if match is not None:
        # A resumed match starts its rhythm again from today, instead of doubling it.
        _close(_open(trajectory, CheckIn.match_id == match.id), CheckInStatus.CANCELLED, now)
    base = local_date(now) if resumed else _match_base(match, now)
    for rule in rules_for("match_started"):
        _plan_once(rule, trajectory, base, now, match=match)


def _on_match_paused(trajectory, now, match=None, **context):
    if match is not None:
        _close(_open(trajectory, CheckIn.match_id == match.id), CheckInStatus.CANCELLED, now)


def _on_match_ended(trajectory, now, match=None, **context):
    _on_match_paused(trajectory, now, match=match)
    base = getattr(match, "ended_on", None) or local_date(now)
    for rule in rules_for("match_ended"):
        _plan_once(rule, trajectory, base, now, match=match)
    # Back on the waiting list is its own event ("waiting"), emitted by the matching service.


def _on_enrolled(trajectory, now, enrollment=None, **context):
    _on_now_active(trajectory, now)
    if enrollment is None or trajectory.is_ended:
        return
    for rule in rules_for("enrolled"):
        _plan_once(rule, trajectory, enrollment.started_on, now, enrollment=enrollment)


def _on_enrollment_ended(trajectory, now, enrollment=None, **context):
    if enrollment is None:
        return
    # What was planned for this group place lapses; the evaluation of its end replaces it.
    _close(_open(trajectory, CheckIn.enrollment_id == enrollment.id), CheckInStatus.CANCELLED,
           now)
    base = enrollment.ended_on or local_date(now)
    for rule in rules_for("enrollment_ended"):
        _plan_once(rule, trajectory, base, now, enrollment=enrollment)


def _on_goal_target_set(trajectory, now, goal=None, **context):
    if goal is None or trajectory.is_ended:
        return
    if goal.id is None:
        db.session.flush()
    for rule in rules_for("goal_target_set"):
        existing = _open(trajectory, CheckIn.rule_id == rule.id, CheckIn.goal_id == goal.id)
        if goal.target_date is None:
            _close(existing, CheckInStatus.CANCELLED, now)
        elif existing:
            # A new target date replaces the planned evaluation instead of adding one.
            for checkin in existing:
                checkin.due_on = due_date(rule, goal.target_date)
        else:
            _plan(rule, trajectory, due_date(rule, goal.target_date), now, goal_id=goal.id)


def _on_trajectory_ended(trajectory, now, **context):
    # Everything still planned lapses, except the end interview of a match or group: that
    # conversation is worth having also (especially) when the trajectory ends.
    lapsed = _open(trajectory, sa.or_(CheckIn.rule_id.is_(None),
                                      ~_of_events(*_END_TALK_EVENTS)))
    _close(lapsed, CheckInStatus.CANCELLED, now)
    trajectory.out_of_view_since = None
    base = trajectory.ended_on or local_date(now)
    for rule in rules_for("trajectory_ended"):
        _plan_once(rule, trajectory, base, now)


def _on_owner_changed(trajectory: Trajectory, now: datetime, *,
                      previous_owner_id: int | None) -> None:
    reassign_owner_checkins(trajectory, previous_owner_id)


_HANDLERS = {
    "referral_registered": _on_referral_registered,
    "contact_made": _on_contact_made,
    "contact_failed": _on_contact_failed,
    "intake_done": _on_intake_done,
    "waiting": _on_waiting,
    "match_started": _on_match_started,
    "match_paused": _on_match_paused,
    "match_ended": _on_match_ended,
    "enrolled": _on_enrolled,
    "enrollment_ended": _on_enrollment_ended,
    "goal_target_set": _on_goal_target_set,
    "trajectory_ended": _on_trajectory_ended,
    "owner_changed": _on_owner_changed,
}


def on_event(event: str, trajectory: Trajectory, now: datetime, **context) -> None:
    """Plan, move or cancel check-ins when something happens to a trajectory."""
    handler = _HANDLERS.get(event)
    if handler is None:
        return
    if trajectory.id is None:
        db.session.flush()
    handler(trajectory, now, **context)
    db.session.flush()


def reassign_owner_checkins(trajectory: Trajectory, previous_owner_id: int | None) -> int:
    """Hand the open owner check-ins to the trajectory's new owner; returns how many moved."""
    moved = 0
    owner_rules = sa.select(FollowUpRule.id).where(FollowUpRule.assignee == "owner")
    condition = (CheckIn.assignee_id.is_(None) if previous_owner_id is None
                 else CheckIn.assignee_id == previous_owner_id)
    for checkin in _open(trajectory, CheckIn.rule_id.in_(owner_rules), condition):
        checkin.assignee_id = _owner_id(trajectory)
        moved += 1
    db.session.flush()
    return moved


# --- Completing --------------------------------------------------------------------------------

def _match_is_active(match_id: int) -> bool:

    match = db.session.get(Match, match_id)
    return match is not None and match.is_active


def _enrollment_is_active(enrollment_id: int) -> bool:
    from app.matching.models import Enrollment

    enrollment = db.session.get(Enrollment, enrollment_id)
    return enrollment is not None and enrollment.is_active


def _still_applies(rule: FollowUpRule, checkin: CheckIn, trajectory: Trajectory) -> bool:
    if trajectory.is_ended and rule.event != "trajectory_ended":
        return False
    if rule.event == "waiting" and not trajectory.is_waiting:
        return False
    if checkin.enrollment_id is not None and not _enrollment_is_active(checkin.enrollment_id):
        return False
    return checkin.match_id is None or _match_is_active(checkin.match_id)


def _plan_repeat(checkin: CheckIn, now: datetime) -> CheckIn | None:
    rule = checkin.rule
    if rule is None or not rule.active or not rule.repeat_every:
        return None
    trajectory = checkin.trajectory
    if not _still_applies(rule, checkin, trajectory):
        return None
    conditions = [CheckIn.rule_id == rule.id]
    if checkin.match_id is not None:
        conditions.append(CheckIn.match_id == checkin.match_id)
    if checkin.enrollment_id is not None:
        conditions.append(CheckIn.enrollment_id == checkin.enrollment_id)
    if _open(trajectory, *conditions):
        return None
    # From the day it was done, not from the old due date: a late check-in does not
    # make the next one come early.
    next_checkin = CheckIn(
        trajectory_id=trajectory.id, match_id=checkin.match_id, rule_id=rule.id,
        goal_id=checkin.goal_id, enrollment_id=checkin.enrollment_id, kind=rule.checkin_kind,
        due_on=local_date(now) + timedelta(days=rule.repeat_every),
        # The owner may have changed since; a volunteer's check-in stays theirs.
        assignee_id=_owner_id(trajectory) if rule.assignee == "owner" else checkin.assignee_id,
        status=CheckInStatus.PLANNED, created_at=now,
    )
    db.session.add(next_checkin)
    return next_checkin


def complete_checkin(checkin: CheckIn, *, outcome: str, note: str | None, user,
                     now: datetime) -> CheckIn | None:
    """Record how the check-in went; returns the next check-in when the rule repeats.

    `outcome`: going_well, concerns, may_stop (the person was spoken to: a contact) or
    not_reached (no contact; two in a row make the trajectory "buiten beeld").
    """
    if outcome not in RESULTS:
        raise ValueError(f"unknown check-in outcome {outcome!r}")
    new_status = (CheckInStatus.NOT_REACHED if outcome == CheckInStatus.NOT_REACHED
                  else CheckInStatus.DONE)
    if not checkin.is_open or not change_status(checkin, new_status,
                                                CheckIn.status == CheckInStatus.PLANNED):
        raise CheckInError()
    checkin.note = (note or "").strip() or None
    checkin.done_at = now
    checkin.done_by_id = getattr(user, "id", None)
    back_in_view = False
    if new_status == CheckInStatus.NOT_REACHED:
        checkin.outcome = None
    else:
        checkin.outcome = outcome
        back_in_view = record_contact(checkin.trajectory, now)
    db.session.flush()
    audit.record(user, "update", "checkin", checkin.id,
                 participant_id=checkin.trajectory.participant_id,
                 summary=f"contactmoment afgerond: {outcome}", now=now)
    next_checkin = _plan_repeat(checkin, now)
    db.session.flush()
    if back_in_view:
        emit("back_in_view", checkin.trajectory, now)
    return next_checkin


# --- Task lists --------------------------------------------------------------------------------

def end_of_week(day: date) -> date:
    """The Sunday of `day`'s week (Dutch weeks run Monday to Sunday)."""
    return day + timedelta(days=6 - day.weekday())


def with_task_details(query: sa.Select) -> sa.Select:
    """Eager-load what a task row shows, so a list costs the same queries for 1 or 100 rows.

    `query` selects CheckIn already joined with Trajectory (as the permission queries do).
    """
    return query.options(
        contains_eager(CheckIn.trajectory).joinedload(Trajectory.participant),
        contains_eager(CheckIn.trajectory).joinedload(Trajectory.location),
        joinedload(CheckIn.rule),
        joinedload(CheckIn.assignee).lazyload(User.locations),
    )


def task_query(scoped: sa.Select, now: datetime, *, through: date | None = None) -> sa.Select:
    """Planned check-ins of `scoped` (a permission query), soonest first.

    `through`: leave out what is due after that day (e.g. end_of_week(today)).
    """
    query = scoped.where(CheckIn.status == CheckInStatus.PLANNED)
    if through is not None:
        query = query.where(CheckIn.due_on <= through)
    return with_task_details(query).order_by(CheckIn.due_on, CheckIn.id)


class _TaskPagination(Pagination):
    """A page of tasks in two queries: the count and the page's ids read the check-ins
    alone (`ids`: the filter and the order), then only those rows are loaded with what
    they show (`rows`). Counting through the join with every trajectory hashed all of them
    on each request."""

    def _query_items(self) -> list[CheckIn]:
        ids = self._query_args["ids"].limit(self.per_page).offset(self._query_offset)
        return list(db.session.scalars(
            self._query_args["rows"].where(CheckIn.id.in_(ids))).unique())

    def _query_count(self) -> int:
        ids = self._query_args["ids"].order_by(None).subquery()
        return db.session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0


def task_page(condition: sa.ColumnElement[bool], *, through: date | None = None,
              per_page: int) -> Pagination:
    """One page of the planned check-ins matching `condition` (a condition on CheckIn
    alone, such as permissions.my_checkin_condition), soonest first; the page number comes
    from the request, as with db.paginate. Same rows and order as `task_query`.

    The page's ids come from ix_checkins_planned_due_id in due order (a location's first
    page stops after a few hundred entries); the count reads the planned ones from an index.
    """
    conditions = [condition, CheckIn.status == CheckInStatus.PLANNED]
    if through is not None:
        conditions.append(CheckIn.due_on <= through)
    order = (CheckIn.due_on, CheckIn.id)
    ids = sa.select(CheckIn.id).where(*conditions).order_by(*order)
    rows = with_task_details(
        sa.select(CheckIn).join(Trajectory, CheckIn.trajectory_id == Trajectory.id)
    ).order_by(*order)
    return _TaskPagination(per_page=per_page, error_out=False, max_per_page=None, ids=ids,
                           rows=rows)


def group_tasks(checkins, today: date) -> list[tuple[str, str, list[CheckIn]]]:
    """(key, Dutch heading, check-ins) in the order people work: late, today, this week, later.

    Empty groups are left out.
    """
    sunday = end_of_week(today)
    groups = {"overdue": [], "today": [], "week": [], "later": []}
    for checkin in checkins:
        if checkin.due_on < today:
            groups["overdue"].append(checkin)
        elif checkin.due_on == today:
            groups["today"].append(checkin)
        elif checkin.due_on <= sunday:
            groups["week"].append(checkin)
        else:
            groups["later"].append(checkin)
    headings = {"overdue": _("Te laat"), "today": _("Vandaag"), "week": _("Deze week"),
                "later": _("Later")}
    return [(key, headings[key], items) for key, items in groups.items() if items]


# --- Scans for the scheduler and the coordinator's lists ---------------------------------------

def _scope_condition(scope) -> sa.ColumnElement[bool]:
    """`scope` as a SQL condition: None (everything), location ids, or a SQL condition on
    CheckIn/Trajectory such as `assigned_to(user)` or `permissions.trajectory_scope(user)`.
    Restricted people (AVG art. 18) are always left out: these feed lists and jobs."""
    restricted_out = not_restricted(Trajectory.participant_id)
    if scope is None:
        return restricted_out
    if isinstance(scope, sa.ColumnElement):
        return sa.and_(scope, restricted_out)
    return sa.and_(Trajectory.location_id.in_(list(scope) or [-1]), restricted_out)


def _with_trajectory(query: sa.Select, scope) -> sa.Select:
    query = query.join(Trajectory, CheckIn.trajectory_id == Trajectory.id)
    condition = _scope_condition(scope)
    if condition is not None:
        query = query.where(condition)
    return with_task_details(query)


def assigned_to(user) -> sa.ColumnElement[bool]:
    """A scope for the query helpers below: check-ins assigned to `user`."""
    return CheckIn.assignee_id == user.id


def overdue_checkins_query(now: datetime, scope=None, *,
                           include_today: bool = False) -> sa.Select:
    today = local_date(now)
    due = CheckIn.due_on <= today if include_today else CheckIn.due_on < today
    query = sa.select(CheckIn).where(CheckIn.status == CheckInStatus.PLANNED, due)
    return _with_trajectory(query, scope).order_by(CheckIn.due_on, CheckIn.id)


def overdue_checkins(now: datetime, scope=None, *, include_today: bool = False
                     ) -> list[CheckIn]:
    """Planned check-ins past their due date (with `include_today`: due today as well),
    with trajectory, participant, location, rule and assignee loaded."""
    return list(db.session.scalars(overdue_checkins_query(now, scope,
                                                          include_today=include_today)))


def digest_checkins(user, now: datetime) -> list[CheckIn]:
    """What is late or due today on the user's "Mijn taken" (the same query as /taken)."""

    return list(db.session.scalars(task_query(my_checkins(user), now, through=local_date(now))))


def checkins_with_concerns(since: datetime, scope=None) -> list[CheckIn]:
    """Check-ins done after `since` whose outcome was "zorgen" or "dreigt te stoppen", with
    who did them (one query, served by the (status, done_at) index)."""
    query = sa.select(CheckIn).where(
        CheckIn.status == CheckInStatus.DONE, CheckIn.outcome.in_(CheckInOutcome.WORRYING),
        CheckIn.done_at > since,
    )
    return list(db.session.scalars(
        _with_trajectory(query, scope)
        .options(joinedload(CheckIn.done_by).lazyload(User.locations))
        .order_by(CheckIn.done_at, CheckIn.id)))


def _silent_since(now: datetime) -> sa.ColumnElement[bool]:
    cutoff = now - timedelta(days=thresholds().out_of_view_days)
    return sa.or_(
        Trajectory.last_contact_at < cutoff,
        # Never any contact: the clock runs from the referral.
        sa.and_(Trajectory.last_contact_at.is_(None),
                Trajectory.referred_on < local_date(cutoff)),
    )


def _not_reached_in_a_row(now: datetime) -> sa.Select:
    """Ids of trajectories not reached twice (the setting) since the last contact: check-ins
    not reached and contacts logged as not reached ("Contact vastleggen" after the first
    contact step; that step has its own count of attempts).

    Every check-in done and every contact reached counts as contact, so "since the last
    contact" is "in a row". Only the out-of-view period matters: anyone without contact for
    longer is flagged as silent anyway, and leaving out the old history keeps this scan small.
    """
    since = now - timedelta(days=thresholds().out_of_view_days)
    misses = sa.union_all(
        sa.select(CheckIn.trajectory_id.label("trajectory_id"), CheckIn.done_at.label("at"))
        .where(CheckIn.status == CheckInStatus.NOT_REACHED, CheckIn.done_at > since),
        sa.select(ContactAttempt.trajectory_id, ContactAttempt.at)
        .where(ContactAttempt.reached.is_(False), ContactAttempt.at > since,
               ContactAttempt.first_contact.is_(False)),
    ).subquery()
    t = aliased(Trajectory)
    return (
        sa.select(misses.c.trajectory_id)
        .join(t, t.id == misses.c.trajectory_id)
        .where(t.is_open, t.out_of_view_since.is_(None),
               sa.or_(t.last_contact_at.is_(None), misses.c.at > t.last_contact_at))
        .group_by(misses.c.trajectory_id)
        .having(sa.func.count() >= thresholds().not_reached_in_a_row)
    )


def scan_out_of_view(now: datetime) -> list[Trajectory]:
    """Flag open trajectories that went silent; returns the ones flagged by this scan.

    Set-based (two UPDATEs and one SELECT, whatever the number of trajectories). A flag
    is cleared by `record_contact` only, so a trajectory stays flagged until someone
    reaches the person.
    """
    # A restricted person is not flagged (nor alerted): after the restriction is lifted,
    # the next scan flags them with the alert that goes with it.
    unflagged_open = (Trajectory.is_open,
                      Trajectory.out_of_view_since.is_(None),
                      not_restricted(Trajectory.participant_id))
    for condition in (_silent_since(now), Trajectory.id.in_(_not_reached_in_a_row(now))):
        db.session.execute(
            sa.update(Trajectory).where(*unflagged_open, condition)
            .values(out_of_view_since=now)
            .execution_options(synchronize_session=False)
        )
    return list(db.session.scalars(
        sa.select(Trajectory).where(Trajectory.out_of_view_since == now)
        .options(joinedload(Trajectory.participant), joinedload(Trajectory.location))
        .order_by(Trajectory.id)
        .execution_options(populate_existing=True)
    ))


def _trajectory_details(query: sa.Select) -> sa.Select:
    return query.options(joinedload(Trajectory.participant), joinedload(Trajectory.location),
                         joinedload(Trajectory.owner).lazyload(User.locations))


def out_of_view_query(scope=None) -> sa.Select:
    """Open trajectories flagged "buiten beeld", the longest silent first.

    `scope`: location ids or a SQL condition on Trajectory (e.g. `trajectory_scope(user)`).
    """
    query = sa.select(Trajectory).where(Trajectory.is_open,
                                        Trajectory.out_of_view_since.is_not(None))
    condition = _scope_condition(scope)
    if condition is not None:
        query = query.where(condition)
    return _trajectory_details(query).order_by(
        Trajectory.last_contact_at.asc().nulls_first(), Trajectory.referred_on, Trajectory.id)


def waiting_too_long_query(now: datetime, scope=None) -> sa.Select:
    # Counted from the first day of waiting: someone whose match ended waits again, but has
    # not been waiting for only a day.
    cutoff = local_date(now) - timedelta(days=thresholds().waiting_too_long_days)
    query = sa.select(Trajectory).where(Trajectory.status == TrajectoryStatus.WAITING,
                                        Trajectory.first_waiting_since < cutoff)
    condition = _scope_condition(scope)
    if condition is not None:
        query = query.where(condition)
    return _trajectory_details(query).order_by(Trajectory.first_waiting_since, Trajectory.id)


def waiting_too_long(now: datetime, scope=None) -> list[Trajectory]:
    """Trajectories waiting for an offer for longer than the threshold (21 days by default),
    counted from the first day of waiting, the longest waiting first.

    `scope`: None (all), location ids, or a SQL condition on Trajectory.
    """
    return list(db.session.scalars(waiting_too_long_query(now, scope)))


def days_silent(trajectory: Trajectory, now: datetime) -> int:
    """Whole days since the last contact (or, without any contact, since the referral)."""
    since = (local_date(trajectory.last_contact_at) if trajectory.last_contact_at
             else trajectory.referred_on)
    return (local_date(now) - since).days
