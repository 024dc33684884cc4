"""What matching adds to the coordinators' daily digest: concerns and silent matches."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.permissions import has, session_scope, trajectory_scope
from app.core.followup import period_text, thresholds
from app.core.timeutil import local_date
from app.extensions import db
from app.matching import service as matching
from app.matching.models import Match, MatchStatus
from app.notifications.service import DigestSection, absolute_url
from app.participants.models import Trajectory
from app.volunteers.models import Volunteer


def concerns_section(user, now: datetime) -> DigestSection | None:
    """Concerns volunteers raised that nobody has picked up yet."""
    if not has(user, "concerns.view"):
        return None
    sessions = db.session.scalars(matching.open_concerns(session_scope(user))).all()
    link = absolute_url("matching.concerns")
    items = [
        (_("%(name)s: twee keer achter elkaar niet gekomen, meldt %(volunteer)s (%(day)s)",
           name=s.match.trajectory.participant.short_name,
           volunteer=s.match.volunteer.first_name, day=format_date(s.held_on, "d MMMM"))
         if s.not_held_reason == "no_show" else
         _("%(name)s: zorgen van %(volunteer)s na de bijeenkomst van %(day)s",
           name=s.match.trajectory.participant.short_name,
           volunteer=s.match.volunteer.first_name, day=format_date(s.held_on, "d MMMM")),
         link)
        for s in sessions
    ]
    return DigestSection(_("Zorgen van vrijwilligers"), items)


def silent_matches_section(user, now: datetime) -> DigestSection | None:
    """Active matches in the user's locations without a session for too long."""
    if not has(user, "matches.manage"):
        return None
    cutoff = local_date(now) - timedelta(days=thresholds().volunteer_silence_alert_days)
    matches = db.session.scalars(
        sa.select(Match)
        .where(Match.status == MatchStatus.ACTIVE,
               sa.or_(Match.last_session_on <= cutoff,
                      sa.and_(Match.last_session_on.is_(None), Match.started_on <= cutoff)),
               Match.trajectory_id.in_(sa.select(Trajectory.id).where(trajectory_scope(user))))
        .options(selectinload(Match.trajectory).selectinload(Trajectory.participant),
                 selectinload(Match.volunteer).lazyload(Volunteer.locations))
        .order_by(Match.last_session_on.asc().nulls_first(), Match.id)
    ).all()
    items = []
    for match in matches:
        anchor = matching.silence_anchor(match)
        if match.last_session_on:
            text = _("%(name)s en %(volunteer)s: geen bijeenkomst sinds %(day)s",
                     name=match.trajectory.participant.short_name,
                     volunteer=match.volunteer.first_name, day=format_date(anchor, "d MMMM"))
        else:
            text = _("%(name)s en %(volunteer)s: nog geen bijeenkomst sinds de start "
                     "(%(day)s)", name=match.trajectory.participant.short_name,
                     volunteer=match.volunteer.first_name, day=format_date(anchor, "d MMMM"))
        items.append((text, absolute_url("matching.trajectory",
                                         trajectory_id=match.trajectory_id)))
    period = period_text(thresholds().volunteer_silence_alert_days)
    return DigestSection(_("Koppelingen zonder bijeenkomst (%(period)s of langer)",
                           period=period), items)
