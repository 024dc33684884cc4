"""Saving an intake and its learning goals."""

from datetime import date, datetime

from app.audit import service as audit
from app.core import choices
from app.core.events import emit
from app.core.timeutil import local_date, to_utc
from app.extensions import db
from app.intakes.models import GoalStatus, Intake, LearningGoal
from app.participants.models import Trajectory, TrajectoryStatus
from app.participants.service import record_contact, set_consent
from app.referrals.models import ReferralResult

LEVEL_SCALES = {"nt2": choices.NT2_LEVELS, "nt1": choices.NT1_LEVELS}
INTAKE_FIELDS = (
    "held_on", "scale", "level_speaking", "level_listening", "level_reading", "level_writing",
    "knows_latin_alphabet", "digital_level", "numeracy_level", "screening_tool",
    "screening_result", "availability", "volunteer_preferences", "motivation",
    "advised_offer", "wished_offer", "offer_difference_reason",
)


def _clean(value):
    if isinstance(value, str):
        return value.strip() or None
    return value


def _check(data: dict) -> None:
    """The form checks all of this with Dutch messages; this guards other callers."""
    scale = LEVEL_SCALES.get(data.get("scale"))
    if scale is None:
        raise ValueError(f"unknown scale {data.get('scale')!r}")
    for skill in choices.SKILLS:
        if data.get(f"level_{skill}", "unknown") not in scale:
            raise ValueError(f"level {data.get(f'level_{skill}')!r} is not on scale")
    unknown_slots = set(data.get("availability") or []) - set(choices.AVAILABILITY_SLOTS)
    if unknown_slots:
        raise ValueError(f"unknown availability slots {sorted(unknown_slots)}")


def contact_moment(held_on: date, now: datetime) -> datetime:
    """When the intake counts as contact: now if it was today, else midday on that day."""
    return now if held_on == local_date(now) else to_utc(held_on, 12)


def save_intake(trajectory: Trajectory, data: dict, goals: list[dict], user, now: datetime,
                *, consents: dict[str, bool] | None = None,
                shares: dict[int, bool] | None = None,
                consent_method: str | None = None) -> Intake:
    """Save the intake, its learning goals and consent changes in the caller's transaction.

    `goals` holds dicts with subject, context, own_words, target_date and, for a goal that
    already exists on this trajectory, its id. `consents` holds only the person-level kinds
    that changed; `shares` ({referral id: given}) only the share decisions that changed, each
    for one referral of this trajectory.
    """
    _check(data)
    if not goals and not trajectory.goals:
        raise ValueError("an intake needs at least one learning goal")
    intake = trajectory.intake
    created = intake is None
    if created:
        intake = Intake(trajectory=trajectory, by=user)
        db.session.add(intake)
    old_held_on = intake.held_on
    for name in INTAKE_FIELDS:
        if name in data:
            setattr(intake, name, _clean(data[name]))
    intake.availability = [slot for slot in choices.AVAILABILITY_SLOTS
                           if slot in set(data.get("availability") or [])]
    intake.updated_at = now
    if created:
        intake.created_at = now

    target_set = _save_goals(trajectory, goals, now)

    # Before the intake, an intake moves the trajectory on to "waiting for an offer".
    moved_on = trajectory.before_intake
    if moved_on:
        trajectory.status = TrajectoryStatus.WAITING
        trajectory.waiting_since = intake.held_on
        trajectory.first_waiting_since = trajectory.first_waiting_since or intake.held_on
    elif trajectory.is_waiting and intake.held_on != old_held_on:
        # A corrected intake date moves the first wait too, unless the person waits again
        # after a match or group (then the first wait was long before).
        if trajectory.first_waiting_since in (None, trajectory.waiting_since):
            trajectory.first_waiting_since = intake.held_on
        trajectory.waiting_since = intake.held_on
    back_in_view = created and record_contact(trajectory, contact_moment(intake.held_on, now))
    referral = trajectory.referral
    if referral is not None and referral.is_pending:
        # Someone who sat through an intake has clearly been reached.
        referral.result = ReferralResult.REACHED
        referral.result_on = intake.held_on

    if (consents or shares) and not consent_method:
        raise ValueError("a consent change needs the method it was given by")
    for kind, given in (consents or {}).items():
        set_consent(trajectory.participant, kind, given, consent_method, user, now)
    referrals = {r.id: r for r in trajectory.referrals}
    for referral_id, given in (shares or {}).items():
        if referral_id not in referrals:
            raise ValueError(f"referral {referral_id} is not of trajectory {trajectory.id}")
        set_consent(trajectory.participant, "share_with_referrer", given, consent_method,
                    user, now, referral=referrals[referral_id])

    db.session.flush()
    audit.record(user, "create" if created else "update", "intake", intake.id,
                 participant_id=trajectory.participant_id,
                 summary=_summary(created, len(goals), len(consents or {}) + len(shares or {})),
                 now=now)
    if moved_on:
        emit("intake_done", trajectory, now, intake=intake)
        emit("waiting", trajectory, now)
    if back_in_view:
        emit("back_in_view", trajectory, now)
    for goal in target_set:
        emit("goal_target_set", trajectory, now, goal=goal)
    return intake


def _summary(created: bool, goal_count: int, consent_count: int) -> str:
    parts = ["intake vastgelegd" if created else "intake gewijzigd",
             f"{goal_count} leerdoel(en)"]
    if consent_count:
        parts.append(f"{consent_count} toestemming(en) gewijzigd")
    return "; ".join(parts)


def _save_goals(trajectory: Trajectory, goals: list[dict], now: datetime) -> list[LearningGoal]:
    """Create or update goals; returns those whose target date was set or changed."""
    existing = {goal.id: goal for goal in trajectory.goals}
    target_set = []
    for row in goals:
        goal_id = row.get("id")
        if goal_id is not None and goal_id not in existing:
            raise ValueError(f"goal {goal_id} does not belong to trajectory {trajectory.id}")
        goal = existing.get(goal_id)
        if goal is None:
            goal = LearningGoal(trajectory=trajectory, status=GoalStatus.OPEN, created_at=now)
            db.session.add(goal)
            old_target = None
        else:
            old_target = goal.target_date
        goal.subject = row["subject"]
        goal.context = row["context"]
        goal.own_words = row["own_words"].strip()
        goal.target_date = row.get("target_date")
        if goal.target_date is not None and goal.target_date != old_target:
            target_set.append(goal)
    db.session.flush()
    return target_set


def set_goal_status(goal: LearningGoal, status: str, user, now: datetime) -> bool:
    if status not in choices.GOAL_STATUS:
        raise ValueError(f"unknown goal status {status!r}")
    if goal.status == status:
        return False
    goal.status = status
    goal.status_changed_at = now
    audit.record(user, "update", "learning_goal", goal.id,
                 participant_id=goal.trajectory.participant_id,
                 summary=f"status: {status}", now=now)
    return True
