"""What intakes add to the participant page: the intake, learning goals and their target dates."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload

from app.admin.service import reference_label
from app.auth.models import User
from app.core import choices
from app.extensions import db
from app.intakes.models import Intake, LearningGoal
from app.intakes.service import contact_moment
from app.participants.timeline import DueItem, TimelineItem


def _short(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def intake_timeline(trajectories, viewer) -> list[TimelineItem]:
    ids = [t.id for t in trajectories]
    if not ids:
        return []
    items = []
    intakes = db.session.scalars(
        sa.select(Intake).where(Intake.trajectory_id.in_(ids))
        .options(joinedload(Intake.by).lazyload(User.locations))
    ).all()
    for intake in intakes:
        detail = None
        if intake.advised_offer:
            detail = _("Advies: %(offer)s", offer=reference_label("offer", intake.advised_offer))
        if intake.by:
            by = _("door %(name)s", name=intake.by.name)
            detail = f"{detail}, {by}" if detail else by
        items.append(TimelineItem(trajectory_id=intake.trajectory_id,
                                  at=contact_moment(intake.held_on, intake.created_at),
                                  kind="intake", title=_("Intakegesprek"), detail=detail))
    goals = db.session.scalars(
        sa.select(LearningGoal).where(LearningGoal.trajectory_id.in_(ids))
    ).all()
    for goal in goals:
        items.append(TimelineItem(trajectory_id=goal.trajectory_id, at=goal.created_at,
                                  kind="goal", title=_("Leerdoel gemaakt"),
                                  detail=_short(goal.own_words)))
        if goal.status_changed_at is not None:
            items.append(TimelineItem(
                trajectory_id=goal.trajectory_id, at=goal.status_changed_at, kind="goal",
                title=_("Leerdoel: %(status)s",
                        status=choices.label(choices.GOAL_STATUS, goal.status)),
                detail=_short(goal.own_words)))
    return items


def goal_target_dates(trajectories, viewer) -> list[DueItem]:
    ids = [t.id for t in trajectories if t.is_open]
    if not ids:
        return []
    goals = db.session.scalars(
        sa.select(LearningGoal)
        .where(LearningGoal.trajectory_id.in_(ids), LearningGoal.target_date.is_not(None),
               LearningGoal.is_workable)
        .options(lazyload(LearningGoal.trajectory))
    ).all()
    return [DueItem(trajectory_id=goal.trajectory_id, due_on=goal.target_date,
                    title=_("Doeldatum leerdoel: %(goal)s", goal=_short(goal.own_words, 60)))
            for goal in goals]
