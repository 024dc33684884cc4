"""What is sent to the participant, and when (issue 12, "Wat er gestuurd wordt").

Two ways in:

- at once, in the transaction of the action that causes it: the intake confirmation
  (`intake_planned`, called by referrals.plan_intake), the match's first meeting (event
  "match_started" with a first meeting), the group's first meeting (event "enrolled");
- by the hourly job (jobs/participant_messages.py): the intake reminder and the group
  reminder after a missed meeting, both the day before from 10:00 local time, and "wij
  zijn u niet vergeten" for people waiting longer than the threshold.

`service.queue_message` decides how (channel, consent, STOP, quiet hours, call task,
letter) and claims each message once in the ledger; the keys follow CONVENTIONS.md so the
answer handlers can find what an answer is about. Delivery guards stop a claimed message
whose reason is gone by the time it would go (an intake moved or cancelled, a group
meeting called off, a match or group place ended).
"""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.appointments.models import Appointment, AppointmentKind, AppointmentStatus
from app.auth.permissions import not_restricted, trajectory_not_restricted
from app.core.followup import thresholds
from app.core.timeutil import local_date, local_datetime, to_utc
from app.extensions import db
from app.groups.models import Attendance, AttendanceStatus, GroupMeeting
from app.matching.models import Enrollment, EnrollmentStatus, Match, Offer
from app.messaging.service import ledger_kind, queue_message
from app.messaging.texts import place_text, say_moment
from app.notifications import service as ledger
from app.notifications.models import Notification, subject_of
from app.participants.models import Participant, Trajectory, TrajectoryStatus

# Reminders the day before go from this hour (local time): a decent hour, after the
# morning rush, and well outside the quiet hours.
REMINDER_HOUR = 10


def _short_time(moment: datetime) -> str:
    return local_datetime(moment).strftime("%H.%M")


def _say_day(day: date) -> str:
    return format_date(day, "EEEE d MMMM", locale="nl")


def reminder_from(day: date) -> datetime:
    """When a reminder for something on `day` may go: 10:00 local time the day before."""
    return to_utc(day - timedelta(days=1), REMINDER_HOUR)


def reminder_not_before(day: date, now: datetime) -> datetime | None:
    """When a reminder for `day` may go, claimed at `now`; None when it is too late: from
    the start of the quiet hours the day before, it would wait until the day itself, and
    "morgen" would be wrong."""
    too_late = to_utc(day - timedelta(days=1), thresholds().quiet_hours_start)
    if now >= too_late:
        return None
    return max(now, reminder_from(day))


def _subject_id(note: Notification, prefix: str) -> int | None:
    kind, ident = subject_of(note.subject_key)
    return ident if kind == prefix else None


# --- Intake: confirmation at once, reminder the day before ----------------------------

def _intake_values(appointment: Appointment) -> dict:
    return {"datum": say_moment(appointment.starts_at),
            "adres": place_text(appointment.location, appointment.room)}


def intake_planned(appointment: Appointment, now: datetime, user=None) -> Notification | None:
    """The confirmation of a planned (or moved) intake, claimed in the planning's
    transaction. A moved intake is a new appointment: it gets its own confirmation, and
    the old one's messages are stopped by the guard (it is no longer planned)."""
    trajectory = appointment.trajectory
    person = trajectory.participant
    # An owner who plans the intake arranged it with the person (mostly on the phone): a
    # task to call and tell them would only be ticked off. A colleague's planning gives the
    # owner the call.
    planned_by_owner = user is not None and getattr(user, "id", None) == trajectory.owner_id
    return queue_message(
        participant=person, trajectory=trajectory, code="intake_confirmation",
        subject_key=f"appointment:{appointment.id}", period_key="confirmation",
        values=_intake_values(appointment), now=now, user=user,
        call_topic=None if planned_by_owner else _(
            "Bel %(name)s: vertel de intake op %(when)s",
            name=person.first_name, when=say_moment(appointment.starts_at)))


def claim_intake_reminders(now: datetime) -> list[Notification]:
    """The reminders for intakes tomorrow (local date); each once. An intake planned on the
    day before or later gets none: its confirmation has just gone."""
    tomorrow = local_date(now) + timedelta(days=1)
    start, end = to_utc(tomorrow), to_utc(tomorrow + timedelta(days=1))
    appointments = db.session.scalars(
        sa.select(Appointment)
        .where(Appointment.kind == AppointmentKind.INTAKE,
               Appointment.status == AppointmentStatus.PLANNED,
               Appointment.starts_at >= start, Appointment.starts_at < end,
               Appointment.created_at < to_utc(local_date(now)),
               ~_claimed(ledger_kind("intake_reminder"), "appointment:", Appointment.id,
                         "reminder"),
               trajectory_not_restricted(Appointment.trajectory_id))
        .options(joinedload(Appointment.location),
                 joinedload(Appointment.trajectory).joinedload(Trajectory.participant)
                 .selectinload(Participant.consents))
        .order_by(Appointment.starts_at, Appointment.id)).unique().all()
    not_before = reminder_not_before(tomorrow, now)
    if not_before is None:
        return []
    claimed = []
    for appointment in appointments:
        trajectory = appointment.trajectory
        person = trajectory.participant
        note = queue_message(
            participant=person, trajectory=trajectory, code="intake_reminder",
            subject_key=f"appointment:{appointment.id}", period_key="reminder",
            values=_intake_values(appointment), now=now, not_before=not_before,
            call_topic=_("Bel %(name)s: herinner aan de intake morgen %(time)s",
                         name=person.first_name, time=_short_time(appointment.starts_at)))
        if note is not None:
            claimed.append(note)
    return claimed


def appointment_still_planned(note: Notification) -> bool:
    appointment_id = _subject_id(note, "appointment")
    appointment = db.session.get(Appointment, appointment_id) if appointment_id else None
    return appointment is not None and appointment.is_planned


def _claimed(kind: str, prefix: str, id_column, period_key: str | None = None):
    """SQL EXISTS: the ledger holds message `kind` about this row (the ledger's unique
    index on kind and subject serves it), so a scan skips what it already claimed."""
    query = sa.select(Notification.id).where(
        Notification.kind == kind,
        Notification.subject_key == sa.literal(prefix) + sa.cast(id_column, sa.String))
    if period_key is not None:
        query = query.where(Notification.period_key == period_key)
    return query.exists()


# --- Match: the first meeting with the volunteer ---------------------------------------

def first_meeting_place(match: Match) -> str:
    return place_text(match.trajectory.location, place=match.first_meeting_place)


def match_first_meeting(match: Match, now: datetime, user=None) -> Notification | None:
    if match.first_meeting_at is None or match.first_meeting_at <= now:
        return None
    trajectory = match.trajectory
    person = trajectory.participant
    # Only the volunteer's first name: the participant needs no more to know who comes.
    volunteer = match.volunteer.first_name
    return queue_message(
        participant=person, trajectory=trajectory, code="match_first_meeting",
        subject_key=f"match:{match.id}", period_key="first_meeting",
        values={"vrijwilliger": volunteer, "datum": say_moment(match.first_meeting_at),
                "adres": first_meeting_place(match)},
        now=now, user=user,
        call_topic=_("Bel %(name)s: vertel de eerste afspraak met %(volunteer)s op "
                     "%(when)s", name=person.first_name, volunteer=volunteer,
                     when=say_moment(match.first_meeting_at)))


def match_still_active(note: Notification) -> bool:
    match_id = _subject_id(note, "match")
    match = db.session.get(Match, match_id) if match_id else None
    return match is not None and match.is_active


# --- Groups: the first meeting, and a reminder after a missed one -----------------------

def meeting_moment(meeting: GroupMeeting) -> datetime:
    """When the meeting starts; a meeting without a time counts from the end of its day."""
    at = meeting.starts_at or time(23, 59)
    return to_utc(meeting.held_on, at.hour, at.minute)


def say_meeting(meeting: GroupMeeting) -> str:
    if meeting.starts_at is None:
        return _say_day(meeting.held_on)
    return say_moment(to_utc(meeting.held_on, meeting.starts_at.hour, meeting.starts_at.minute))


def next_meeting(offer_id: int, enrollment: Enrollment, now: datetime) -> GroupMeeting | None:
    """The offer's next meeting that is not cancelled, still ahead and within the place."""
    first_day = max(local_date(now), enrollment.started_on)
    for meeting in db.session.scalars(
            sa.select(GroupMeeting)
            .where(GroupMeeting.offer_id == offer_id, GroupMeeting.held_on >= first_day,
                   GroupMeeting.cancelled.is_(False))
            .order_by(GroupMeeting.held_on).limit(2)):
        if meeting_moment(meeting) > now:
            return meeting
    return None


def _group_values(offer: Offer, meeting: GroupMeeting) -> dict:
    return {"groep": offer.name, "datum": say_meeting(meeting),
            "adres": place_text(offer.location)}


def group_first_meeting(enrollment: Enrollment, now: datetime, user=None) -> Notification | None:
    offer = enrollment.offer
    meeting = next_meeting(offer.id, enrollment, now)
    if meeting is None:
        return None  # no date yet: the owner tells the person when there is one
    trajectory = enrollment.trajectory
    person = trajectory.participant
    return queue_message(
        participant=person, trajectory=trajectory, code="group_first_meeting",
        subject_key=f"enrollment:{enrollment.id}", period_key=f"meeting:{meeting.id}",
        values=_group_values(offer, meeting), now=now, user=user,
        call_topic=_("Bel %(name)s: vertel de eerste les van %(group)s op %(when)s",
                     name=person.first_name, group=offer.name, when=say_meeting(meeting)))


def claim_group_reminders(now: datetime) -> list[Notification]:
    """A reminder the day before the next meeting, for every active place whose newest
    recorded attendance is "absent" (without notice); once per place and meeting."""
    tomorrow = local_date(now) + timedelta(days=1)
    not_before = reminder_not_before(tomorrow, now)
    if not_before is None:
        return []
    latest = (
        sa.select(Attendance.enrollment_id, Attendance.status,
                  sa.func.row_number().over(
                      partition_by=Attendance.enrollment_id,
                      order_by=(GroupMeeting.held_on.desc(), Attendance.id.desc()))
                  .label("n"))
        .join(GroupMeeting, Attendance.meeting_id == GroupMeeting.id)
        .where(GroupMeeting.held_on < tomorrow)
        .subquery())
    rows = db.session.execute(
        sa.select(Enrollment, GroupMeeting)
        .join(GroupMeeting, GroupMeeting.offer_id == Enrollment.offer_id)
        .join(latest, sa.and_(latest.c.enrollment_id == Enrollment.id, latest.c.n == 1))
        .where(GroupMeeting.held_on == tomorrow, GroupMeeting.cancelled.is_(False),
               Enrollment.status == EnrollmentStatus.ACTIVE,
               Enrollment.started_on <= tomorrow,
               latest.c.status == AttendanceStatus.ABSENT,
               trajectory_not_restricted(Enrollment.trajectory_id),
               ~sa.select(Notification.id).where(
                   Notification.kind == ledger_kind("group_reminder"),
                   Notification.subject_key == sa.literal("enrollment:")
                   + sa.cast(Enrollment.id, sa.String),
                   Notification.period_key == sa.literal("meeting:")
                   + sa.cast(GroupMeeting.id, sa.String)).exists())
        .options(joinedload(Enrollment.offer).joinedload(Offer.location),
                 joinedload(Enrollment.trajectory).joinedload(Trajectory.participant)
                 .selectinload(Participant.consents))
        .order_by(Enrollment.id)).unique().all()
    claimed = []
    for enrollment, meeting in rows:
        if meeting_moment(meeting) <= now:
            continue
        trajectory = enrollment.trajectory
        person = trajectory.participant
        offer = enrollment.offer
        note = queue_message(
            participant=person, trajectory=trajectory, code="group_reminder",
            subject_key=f"enrollment:{enrollment.id}", period_key=f"meeting:{meeting.id}",
            values=_group_values(offer, meeting), now=now, not_before=not_before,
            call_topic=_("Bel %(name)s: de vorige les van %(group)s was %(name)s er niet; "
                         "herinner aan de les morgen", name=person.first_name,
                         group=offer.name))
        if note is not None:
            claimed.append(note)
    return claimed


def meeting_still_on(note: Notification) -> bool:
    """The place is still active and the meeting of the message is not called off."""
    enrollment_id = _subject_id(note, "enrollment")
    head, _sep, tail = note.period_key.partition(":")
    enrollment = db.session.get(Enrollment, enrollment_id) if enrollment_id else None
    meeting = db.session.get(GroupMeeting, int(tail)) if head == "meeting" and \
        tail.isdigit() else None
    return (enrollment is not None and enrollment.is_active and meeting is not None
            and not meeting.cancelled)


# --- Waiting: "wij zijn u niet vergeten" ------------------------------------------------

def claim_waiting(now: datetime) -> list[Notification]:
    """One message per wait to everyone waiting longer than the threshold, counted from the
    first day of waiting (not by phone: see below). One scan of the (status,
    first_waiting_since) index; what the ledger already holds for a trajectory is left out
    in the same query."""
    cutoff = local_date(now) - timedelta(days=thresholds().waiting_too_long_days)
    trajectories = db.session.scalars(
        sa.select(Trajectory)
        .join(Participant, Trajectory.participant_id == Participant.id)
        .where(Trajectory.status == TrajectoryStatus.WAITING,
               # Who prefers a call or contact via the referrer gets no message of this
               # kind: left out here, so the hourly scan does not look at them every time.
               Participant.preferred_channel.in_(("sms", "whatsapp", "email", "letter")),
               sa.or_(Trajectory.first_waiting_since < cutoff,
                      sa.and_(Trajectory.first_waiting_since.is_(None),
                              Trajectory.waiting_since < cutoff)),
               ~_claimed(ledger_kind("waiting_not_forgotten"), "trajectory:", Trajectory.id),
               not_restricted(Participant.id))
        .options(joinedload(Trajectory.participant).selectinload(Participant.consents),
                 joinedload(Trajectory.owner), joinedload(Trajectory.location))
        .order_by(Trajectory.first_waiting_since, Trajectory.id)).unique().all()
    claimed = []
    for trajectory in trajectories:
        person = trajectory.participant
        owner = trajectory.owner
        sender = owner.first_name if owner is not None and owner.active else \
            trajectory.location.name
        note = queue_message(
            participant=person, trajectory=trajectory, code="waiting_not_forgotten",
            subject_key=f"trajectory:{trajectory.id}",
            period_key=f"wait:{trajectory.waited_from.isoformat()}",
            values={"afzender": sender}, now=now,
            # No call task for someone who prefers to be phoned: the follow-up rule
            # "waiting" already has the owner call people on the waiting list, and a
            # second task would also hide them from "zonder volgende stap".
            call_topic=None)
        if note is not None:
            claimed.append(note)
    return claimed


def still_waiting(note: Notification) -> bool:
    trajectory_id = _subject_id(note, "trajectory")
    trajectory = db.session.get(Trajectory, trajectory_id) if trajectory_id else None
    return trajectory is not None and trajectory.is_waiting


# --- Hooks ------------------------------------------------------------------------------

def on_event(event: str, trajectory: Trajectory, now: datetime, **context) -> None:
    # The context is what the message is about; an event without it tells nothing to send.
    if event == "match_started" and not context.get("resumed") and context.get("match"):
        match_first_meeting(context["match"], now)
    elif event == "enrolled" and context.get("enrollment") is not None:
        group_first_meeting(context["enrollment"], now)


GUARDS = {
    "intake_confirmation": appointment_still_planned,
    "intake_reminder": appointment_still_planned,
    "match_first_meeting": match_still_active,
    "group_first_meeting": meeting_still_on,
    "group_reminder": meeting_still_on,
    "waiting_not_forgotten": still_waiting,
}


def connect() -> None:
    from app.core.events import subscribe

    subscribe(on_event)
    for code, guard in GUARDS.items():
        ledger.delivery_guard(ledger_kind(code))(guard)


def due_now(now: datetime) -> list[Notification]:
    """Everything the job claims at `now` (reminders and waiting messages)."""
    return claim_intake_reminders(now) + claim_group_reminders(now) + claim_waiting(now)


