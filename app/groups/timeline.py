"""What groups add to the participant page: attendance, and the next meeting ahead."""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from app.auth.permissions import has
from app.core.timeutil import local_date, to_utc, utcnow
from app.extensions import db
from app.groups.models import Attendance, AttendanceStatus, GroupMeeting
from app.matching.models import Enrollment, EnrollmentStatus, Offer
from app.participants.timeline import DueItem, TimelineItem

# The newest ones; the group's own page has the whole register.
ATTENDANCE_ON_TIMELINE = 20


def _title(status: str, offer: str) -> str:
    if status == AttendanceStatus.PRESENT:
        return _("Aanwezig bij %(offer)s", offer=offer)
    if status == AttendanceStatus.EXCUSED:
        return _("Afgemeld voor %(offer)s", offer=offer)
    return _("Niet gekomen bij %(offer)s (niet afgemeld)", offer=offer)


def _at(meeting: GroupMeeting) -> datetime:
    if meeting.starts_at is None:
        return to_utc(meeting.held_on, 12)
    return to_utc(meeting.held_on, meeting.starts_at.hour, meeting.starts_at.minute)


def attendance_timeline(trajectories: Sequence, viewer) -> list[TimelineItem]:
    if not trajectories or not has(viewer, "enrollments.manage"):
        return []
    ids = [t.id for t in trajectories]
    rows = db.session.execute(
        sa.select(Attendance.status, GroupMeeting, Enrollment.trajectory_id, Offer.name)
        .join(GroupMeeting, GroupMeeting.id == Attendance.meeting_id)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(Offer, Offer.id == Enrollment.offer_id)
        .where(Enrollment.trajectory_id.in_(ids))
        .order_by(GroupMeeting.held_on.desc(), Attendance.id.desc())
        .limit(ATTENDANCE_ON_TIMELINE)
    ).all()
    return [TimelineItem(trajectory_id, _at(meeting), "attendance", _title(status, name),
                         url=url_for("groups.meeting", meeting_id=meeting.id))
            for status, meeting, trajectory_id, name in rows]


def next_meeting_due(trajectories: Sequence, viewer) -> list[DueItem]:
    """The next group meeting of each active group place: a step ahead (one query)."""
    open_ids = [t.id for t in trajectories if t.is_open]
    if not open_ids or not has(viewer, "enrollments.manage"):
        return []
    today = local_date(utcnow())
    rows = db.session.execute(
        sa.select(Enrollment.trajectory_id, Offer.name, Offer.id,
                  sa.func.min(GroupMeeting.held_on))
        .join(Offer, Offer.id == Enrollment.offer_id)
        .join(GroupMeeting, GroupMeeting.offer_id == Offer.id)
        .where(Enrollment.trajectory_id.in_(open_ids),
               Enrollment.status == EnrollmentStatus.ACTIVE,
               GroupMeeting.held_on >= today, GroupMeeting.cancelled.is_(False))
        .group_by(Enrollment.trajectory_id, Offer.name, Offer.id)
    ).all()
    return [DueItem(trajectory_id, day, _("Bijeenkomst van %(offer)s", offer=name),
                    url=url_for("groups.group", offer_id=offer_id))
            for trajectory_id, name, offer_id, day in rows]
