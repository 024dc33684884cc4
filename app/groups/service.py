"""Group meetings and attendance (no request handling).

A group's schedule (weekday, time, first and last date) is stored on the offer and turned
into one GroupMeeting row per date, so every held meeting has a row to hang attendance on
and "is there a meeting ahead" is one indexed EXISTS. Extra dates are rows marked `extra`,
cancelled dates rows marked `cancelled`: a new schedule leaves both alone.

Functions add and flush; the caller commits once.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.auth.permissions import not_restricted
from app.checkins.models import CheckIn, CheckInStatus
from app.core.db import dialect_insert
from app.core.errors import DomainError
from app.core.events import emit
from app.core.followup import thresholds
from app.core.timeutil import local_date, to_utc
from app.extensions import db
from app.groups.models import Attendance, AttendanceStatus, GroupMeeting, offer_volunteers
from app.matching.models import Enrollment, EnrollmentStatus, Offer
from app.participants.models import Trajectory
from app.participants.service import record_contact

# A schedule longer than this is a typing error (and would make hundreds of rows).
MAX_SCHEDULE_DAYS = 2 * 366
# How far back the absence streak is followed: far more than any sensible setting.
STREAK_LOOKBACK = 50


# How the audit log says it (the log is read in Dutch, not translated).
_AUDIT_WORDS = {"present": "aanwezig", "excused": "afgemeld", "absent": "niet gekomen"}


class GroupError(DomainError):
    """A group action that breaks a rule; `field` names the form field it is about."""

    default_message = _l("Dit kan nu niet bij deze groep.")

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Schedule and meetings ---------------------------------------------------------------------

def schedule_dates(weekday: int, starts_on: date, ends_on: date) -> list[date]:
    """Every `weekday` (0 = Monday) from `starts_on` through `ends_on`."""
    first = starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)
    days = []
    day = first
    while day <= ends_on:
        days.append(day)
        day += timedelta(days=7)
    return days


def check_schedule(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise GroupError(_("De laatste datum ligt voor de eerste datum."), field="ends_on")
    if (ends_on - starts_on).days > MAX_SCHEDULE_DAYS:
        raise GroupError(_("Een rooster duurt hoogstens twee jaar. Kies een eerdere laatste "
                           "datum."), field="ends_on")


def _meetings_by_day(offer: Offer) -> dict[date, GroupMeeting]:
    return {m.held_on: m for m in db.session.scalars(
        sa.select(GroupMeeting).where(GroupMeeting.offer_id == offer.id))}


def _with_attendance(meeting_ids) -> set[int]:
    if not meeting_ids:
        return set()
    return set(db.session.scalars(
        sa.select(Attendance.meeting_id).where(Attendance.meeting_id.in_(list(meeting_ids)))
        .distinct()))


def save_schedule(offer: Offer, *, weekday: int, at: time | None, starts_on: date,
                  ends_on: date, by, now: datetime) -> tuple[int, int]:
    """Set the group's rhythm and bring its meetings in line; (added, removed).

    Meetings of the old rhythm that no longer fit go, unless attendance was kept for them
    (history stays); extra and cancelled dates stay as they are.
    """
    check_schedule(starts_on, ends_on)
    if not 0 <= weekday <= 6:
        raise GroupError(_("Kies een dag van de week."), field="weekday")
    offer.schedule_weekday = weekday
    offer.schedule_time = at
    offer.schedule_starts_on = starts_on
    offer.schedule_ends_on = ends_on
    wanted = set(schedule_dates(weekday, starts_on, ends_on))
    existing = _meetings_by_day(offer)
    kept = _with_attendance([m.id for m in existing.values()])
    removed = 0
    for day, meeting in existing.items():
        if meeting.extra or meeting.cancelled:
            continue
        if day in wanted:
            meeting.starts_at = at
        elif meeting.id not in kept:
            db.session.delete(meeting)
            removed += 1
    new = [GroupMeeting(offer_id=offer.id, held_on=day, starts_at=at, created_at=now)
           for day in sorted(wanted - set(existing))]
    db.session.add_all(new)
    db.session.flush()
    audit.record(by, "update", "offer", offer.id, now=now,
                 summary=f"rooster: dag {weekday}, {starts_on} t/m {ends_on}")
    return len(new), removed


def add_extra_meeting(offer: Offer, *, held_on: date, at: time | None, by,
                      now: datetime) -> GroupMeeting:
    """One meeting outside the rhythm (or a cancelled one that happens after all)."""
    if offer.schedule_starts_on and held_on < offer.schedule_starts_on:
        raise GroupError(_("Deze datum ligt voor de start van de groep (%(day)s).",
                           day=offer.schedule_starts_on.strftime("%d-%m-%Y")), field="held_on")
    if offer.schedule_ends_on and held_on > offer.schedule_ends_on:
        raise GroupError(_("Deze datum ligt na de laatste bijeenkomst van het rooster "
                           "(%(day)s). Verleng eerst het rooster.",
                           day=offer.schedule_ends_on.strftime("%d-%m-%Y")), field="held_on")
    meeting = _meetings_by_day(offer).get(held_on)
    if meeting is not None and not meeting.cancelled:
        raise GroupError(_("Op deze dag is er al een bijeenkomst."), field="held_on")
    if meeting is None:
        meeting = GroupMeeting(offer_id=offer.id, held_on=held_on, extra=True, created_at=now)
        db.session.add(meeting)
    meeting.cancelled = False
    meeting.starts_at = at or offer.schedule_time
    db.session.flush()
    audit.record(by, "create", "group_meeting", meeting.id, now=now,
                 summary=f"extra bijeenkomst {held_on}")
    return meeting


def set_cancelled(meeting: GroupMeeting, cancelled: bool, *, by, now: datetime) -> None:
    """Call a meeting off (afgelast), or let it go ahead after all."""
    if meeting.cancelled == cancelled:
        return
    if cancelled and _with_attendance([meeting.id]):
        raise GroupError(_("Bij deze bijeenkomst is de aanwezigheid al bijgehouden. Die gaat "
                           "dus niet meer af."))
    meeting.cancelled = cancelled
    db.session.flush()
    audit.record(by, "update", "group_meeting", meeting.id, now=now,
                 summary="afgelast" if cancelled else "gaat toch door")


def meetings_query(offer: Offer) -> sa.Select:
    return sa.select(GroupMeeting).where(GroupMeeting.offer_id == offer.id)


def next_meetings(offer: Offer, today: date, limit: int = 4) -> list[GroupMeeting]:
    return list(db.session.scalars(
        meetings_query(offer).where(GroupMeeting.held_on >= today)
        .order_by(GroupMeeting.held_on).limit(limit)))


def past_meetings_query(offer: Offer, today: date) -> sa.Select:
    """Meetings before today, the newest first (for a paginated list)."""
    return (meetings_query(offer).where(GroupMeeting.held_on < today)
            .order_by(GroupMeeting.held_on.desc()))


def attendance_counts(meeting_ids) -> dict[int, dict[str, int]]:
    """Per meeting, how many present / excused / absent (one query)."""
    counts: dict[int, dict[str, int]] = {}
    if not meeting_ids:
        return counts
    for meeting_id, status, n in db.session.execute(
        sa.select(Attendance.meeting_id, Attendance.status, sa.func.count())
        .where(Attendance.meeting_id.in_(list(meeting_ids)))
        .group_by(Attendance.meeting_id, Attendance.status)
    ):
        counts.setdefault(meeting_id, {})[status] = n
    return counts


# --- Who runs the group --------------------------------------------------------------------------

def group_volunteers(offer: Offer) -> list:
    from app.volunteers.models import Volunteer

    return list(db.session.scalars(
        sa.select(Volunteer).join(offer_volunteers,
                                  offer_volunteers.c.volunteer_id == Volunteer.id)
        .where(offer_volunteers.c.offer_id == offer.id)
        .order_by(Volunteer.first_name, Volunteer.last_name, Volunteer.id)))


def link_volunteer(offer: Offer, volunteer, *, by, now: datetime) -> bool:
    """The volunteer helps run the group (keeps its register); False when already linked."""
    if offer.location_id not in volunteer.location_ids:
        raise GroupError(_("Deze vrijwilliger werkt niet bij de locatie van deze groep."),
                         field="volunteer_id")
    exists = db.session.scalar(sa.select(offer_volunteers.c.offer_id).where(
        offer_volunteers.c.offer_id == offer.id,
        offer_volunteers.c.volunteer_id == volunteer.id))
    if exists is not None:
        return False
    db.session.execute(offer_volunteers.insert().values(offer_id=offer.id,
                                                        volunteer_id=volunteer.id))
    audit.record(by, "update", "offer", offer.id, now=now,
                 summary=f"vrijwilliger {volunteer.id} begeleidt de groep")
    return True


def unlink_volunteer(offer: Offer, volunteer, *, by, now: datetime) -> None:
    db.session.execute(offer_volunteers.delete().where(
        offer_volunteers.c.offer_id == offer.id,
        offer_volunteers.c.volunteer_id == volunteer.id))
    audit.record(by, "update", "offer", offer.id, now=now,
                 summary=f"vrijwilliger {volunteer.id} begeleidt de groep niet meer")


# --- The register --------------------------------------------------------------------------------

def enrolled_on(day: date) -> sa.ColumnElement[bool]:
    """SQL condition on Enrollment: it had started on `day` and had not ended before it."""
    return sa.and_(Enrollment.started_on <= day,
                   sa.or_(Enrollment.ended_on.is_(None), Enrollment.ended_on >= day))


@dataclass
class RegisterRow:
    enrollment: Enrollment
    status: str | None


def register(meeting: GroupMeeting) -> list[RegisterRow]:
    """The participants enrolled on the meeting's day, with what was kept for them, by
    name (two queries, whatever the size of the group)."""
    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .join(Trajectory, Trajectory.id == Enrollment.trajectory_id)
        .where(Enrollment.offer_id == meeting.offer_id, enrolled_on(meeting.held_on),
               not_restricted(Trajectory.participant_id))
        .options(joinedload(Enrollment.trajectory).joinedload(Trajectory.participant))
    ).unique().all()
    statuses = dict(db.session.execute(
        sa.select(Attendance.enrollment_id, Attendance.status)
        .where(Attendance.meeting_id == meeting.id)).all())
    rows = [RegisterRow(e, statuses.get(e.id)) for e in enrollments]
    rows.sort(key=lambda r: (r.enrollment.trajectory.participant.first_name.lower(),
                             r.enrollment.trajectory.participant.last_name.lower(),
                             r.enrollment.id))
    return rows


def _insert():
    return dialect_insert(Attendance)


def _contact_moment(meeting: GroupMeeting, now: datetime) -> datetime:
    """When the person was seen: the meeting's start (noon without a time), never later
    than now."""
    at = meeting.starts_at or time(12, 0)
    return min(to_utc(meeting.held_on, at.hour, at.minute), now)


def record_attendance(meeting: GroupMeeting, enrollment: Enrollment, status: str, *, by,
                      now: datetime) -> Attendance:
    """Keep one participant's attendance at a meeting; tapping again changes it.

    One row per meeting and enrolment whatever the number of taps (an upsert on that key).
    Presence is contact with the person; absence without notice N meetings in a row plans
    one check-in for the trajectory's owner.
    """
    if status not in tuple(AttendanceStatus):
        raise ValueError(f"unknown attendance status {status!r}")
    if meeting.cancelled:
        raise GroupError(_("Deze bijeenkomst is afgelast."))
    if meeting.held_on > local_date(now):
        raise GroupError(_("Deze bijeenkomst is nog niet geweest. Houd de aanwezigheid bij op "
                           "de dag zelf of later."))
    if enrollment.offer_id != meeting.offer_id:
        raise LookupError("enrolment of another group")
    if enrollment.started_on > meeting.held_on or (
            enrollment.ended_on is not None and enrollment.ended_on < meeting.held_on):
        raise GroupError(_("Deze deelnemer deed op die dag niet mee aan de groep."))
    values = {"meeting_id": meeting.id, "enrollment_id": enrollment.id, "status": status,
              "recorded_by_id": getattr(by, "id", None), "recorded_at": now}
    stmt = _insert().values(**values)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=["meeting_id", "enrollment_id"],
        set_={"status": stmt.excluded.status, "recorded_by_id": stmt.excluded.recorded_by_id,
              "recorded_at": stmt.excluded.recorded_at}))
    attendance = db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id,
                                    Attendance.enrollment_id == enrollment.id)
        .execution_options(populate_existing=True))
    trajectory = enrollment.trajectory
    audit.record(by, "update", "attendance", attendance.id,
                 participant_id=trajectory.participant_id, now=now,
                 summary=f"aanwezigheid {meeting.held_on}: {_AUDIT_WORDS[status]}")
    back_in_view = False
    if status == AttendanceStatus.PRESENT:
        back_in_view = record_contact(trajectory, _contact_moment(meeting, now))
    elif status == AttendanceStatus.ABSENT:
        _signal_absence_streak(enrollment, now)
    db.session.flush()
    if back_in_view:
        emit("back_in_view", trajectory, now)
    return attendance


def _signal_absence_streak(enrollment: Enrollment, now: datetime) -> CheckIn | None:
    """N held meetings in a row absent without notice: one check-in for the owner.

    The streak runs back from the newest meeting with attendance kept for this place; a
    meeting without a register, or one the person came to or called off, ends it. The
    check-in is remembered on the absence that completed the streak, so more absences (or
    the same tap twice) plan nothing new until the person has come again.
    """
    # One at a time per place (PostgreSQL): two taps at once must not both plan.
    db.session.execute(sa.select(Enrollment.id).where(Enrollment.id == enrollment.id)
                       .with_for_update())
    needed = thresholds().group_absent_in_a_row
    latest = db.session.scalar(
        sa.select(sa.func.max(GroupMeeting.held_on))
        .join(Attendance, Attendance.meeting_id == GroupMeeting.id)
        .where(Attendance.enrollment_id == enrollment.id))
    if latest is None:
        return None
    rows = db.session.execute(
        sa.select(GroupMeeting.id, Attendance)
        .outerjoin(Attendance, sa.and_(Attendance.meeting_id == GroupMeeting.id,
                                       Attendance.enrollment_id == enrollment.id))
        .where(GroupMeeting.offer_id == enrollment.offer_id,
               GroupMeeting.cancelled.is_(False),
               GroupMeeting.held_on <= latest,
               GroupMeeting.held_on >= enrollment.started_on)
        .order_by(GroupMeeting.held_on.desc())
        .limit(STREAK_LOOKBACK)
    ).all()
    streak = []
    for _meeting_id, attendance in rows:
        if attendance is None or attendance.status != AttendanceStatus.ABSENT:
            break
        streak.append(attendance)
    if len(streak) < needed or any(a.checkin_id is not None for a in streak):
        return None
    trajectory = enrollment.trajectory
    if trajectory.is_ended:
        return None
    checkin = CheckIn(trajectory_id=trajectory.id, enrollment_id=enrollment.id,
                      kind="group_absent", due_on=local_date(now),
                      # No owner yet: on the location's task list until someone takes it.
                      assignee_id=trajectory.owner_id, status=CheckInStatus.PLANNED,
                      created_at=now)
    db.session.add(checkin)
    db.session.flush()
    streak[0].checkin_id = checkin.id
    return checkin


# --- For other features --------------------------------------------------------------------------

def has_meeting_ahead(today: date, trajectory=Trajectory) -> sa.ColumnElement[bool]:
    """SQL EXISTS on `trajectory` (the Trajectory class or an alias): an active group place
    in an offer with a meeting on or after `today` that is not cancelled.

    Served by the (offer_id, held_on) unique index of group_meetings and the
    (trajectory_id, status) index of enrollments.
    """
    return (
        sa.select(GroupMeeting.id)
        .join(Enrollment, Enrollment.offer_id == GroupMeeting.offer_id)
        .where(Enrollment.trajectory_id == trajectory.id,
               Enrollment.status == EnrollmentStatus.ACTIVE,
               GroupMeeting.held_on >= today,
               GroupMeeting.cancelled.is_(False))
        .exists()
    )
