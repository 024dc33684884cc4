"""What matching adds to the participant page: matches, group places, sessions, next steps."""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.admin.service import reference_label
from app.auth.permissions import has
from app.core import choices
from app.core.followup import thresholds
from app.extensions import db
from app.matching.models import Enrollment, Match, MatchSession, MatchStatus
from app.participants.timeline import DueItem, TimelineItem, at_date

# The participant page shows the newest sessions; the full log is on the "begeleiding" page.
SESSIONS_ON_TIMELINE = 20


def _begeleiding(trajectory_id: int) -> str:
    return url_for("matching.trajectory", trajectory_id=trajectory_id)


def matching_timeline(trajectories: Sequence, viewer) -> list[TimelineItem]:
    if not trajectories or not has(viewer, "enrollments.manage"):
        return []
    ids = [t.id for t in trajectories]
    items: list[TimelineItem] = []
    for match in db.session.scalars(
        sa.select(Match).where(Match.trajectory_id.in_(ids))
        .options(selectinload(Match.volunteer))
    ):
        volunteer = match.volunteer.full_name
        url = _begeleiding(match.trajectory_id)
        items.append(TimelineItem(match.trajectory_id, at_date(match.proposed_on), "match",
                                  _("Vrijwilliger voorgesteld: %(name)s", name=volunteer),
                                  url=url))
        if match.started_on:
            items.append(TimelineItem(match.trajectory_id, at_date(match.started_on), "match",
                                      _("Koppeling gestart met %(name)s", name=volunteer),
                                      url=url))
        if match.ended_on:
            items.append(TimelineItem(
                match.trajectory_id, at_date(match.ended_on), "match",
                _("Koppeling met %(name)s beëindigd", name=volunteer),
                detail=reference_label("match_end_reason", match.end_reason), url=url))
    for enrollment in db.session.scalars(
        sa.select(Enrollment).where(Enrollment.trajectory_id.in_(ids))
        .options(selectinload(Enrollment.offer))
    ):
        url = _begeleiding(enrollment.trajectory_id)
        items.append(TimelineItem(enrollment.trajectory_id, at_date(enrollment.started_on),
                                  "enrollment",
                                  _("Doet mee aan %(offer)s", offer=enrollment.offer.name),
                                  url=url))
        if enrollment.ended_on:
            items.append(TimelineItem(enrollment.trajectory_id, at_date(enrollment.ended_on),
                                      "enrollment",
                                      _("Gestopt met %(offer)s", offer=enrollment.offer.name),
                                      url=url))
    sessions = db.session.execute(
        sa.select(MatchSession, Match.trajectory_id)
        .join(Match, MatchSession.match_id == Match.id)
        .where(Match.trajectory_id.in_(ids))
        .order_by(MatchSession.held_on.desc(), MatchSession.id.desc())
        .limit(SESSIONS_ON_TIMELINE)
    ).all()
    for session, trajectory_id in sessions:
        if session.not_held_reason:
            # Not a contact with the person, but worth seeing: a pattern of cancellations.
            title = _("Bijeenkomst ging niet door: %(reason)s",
                      reason=choices.label(choices.SESSION_NOT_HELD,
                                           session.not_held_reason).lower())
            if session.concern:
                title = _("Bijeenkomst ging niet door: twee keer niet gekomen")
            items.append(TimelineItem(trajectory_id, at_date(session.held_on), "session_not_held",
                                      title, detail=session.remark,
                                      url=_begeleiding(trajectory_id)))
            continue
        title = _("Bijeenkomst (%(num)s minuten)", num=session.minutes)
        if session.concern:
            title = _("Bijeenkomst met zorgen (%(num)s minuten)", num=session.minutes)
        items.append(TimelineItem(trajectory_id, at_date(session.held_on), "session", title,
                                  detail=session.practised,
                                  url=_begeleiding(trajectory_id)))
    return items


def matching_due(trajectories: Sequence, viewer) -> list[DueItem]:
    """Waiting people need a volunteer or group; active matches need a session now and then."""
    items: list[DueItem] = []
    open_ids = [t.id for t in trajectories if t.can_get_volunteer]
    if not open_ids:
        return items
    for trajectory in trajectories:
        if trajectory.is_waiting and has(viewer, "matches.manage"):
            items.append(DueItem(
                trajectory.id, trajectory.waited_from or trajectory.referred_on,
                _("Koppel een vrijwilliger of kies een groep"),
                url=url_for("matching.candidates", trajectory_id=trajectory.id)))
    if has(viewer, "enrollments.manage"):
        silence = timedelta(days=thresholds().volunteer_silence_reminder_days)
        for match in db.session.scalars(
            sa.select(Match).where(Match.trajectory_id.in_(open_ids),
                              Match.status == MatchStatus.ACTIVE)
            .options(selectinload(Match.volunteer))
        ):
            anchor = match.last_session_on or match.started_on
            if anchor is not None:
                items.append(DueItem(
                    match.trajectory_id, anchor + silence,
                    _("Bijeenkomst verwacht met %(name)s", name=match.volunteer.full_name),
                    url=_begeleiding(match.trajectory_id)))
            if match.planned_end_on:
                items.append(DueItem(
                    match.trajectory_id, match.planned_end_on,
                    _("Koppeling loopt af (%(status)s)",
                      status=choices.label(choices.MATCH_STATUS, match.status)),
                    url=_begeleiding(match.trajectory_id)))
    return items
