"""Appointments: what came of a planned intake, the agenda, and the tasks they make.

Planning (and moving) an intake is `app.referrals.service.plan_intake`: it is a step of the
referral. Functions add and flush; the caller commits once (one transaction per action).
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from app.appointments.models import Appointment, AppointmentKind, AppointmentStatus
from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import has, trajectory_scope
from app.core.errors import DomainError
from app.core.events import emit
from app.core.followup import thresholds
from app.core.records import change_status
from app.core.timeutil import closed_days, is_working_day, local_date, to_utc
from app.extensions import db
from app.messaging.service import close_appointment_tasks
from app.participants.models import Trajectory, TrajectoryStatus
from app.referrals.models import ContactAttempt, ReferralResult
from app.referrals.service import failed_attempts_since_success


class AppointmentError(DomainError):
    default_message = _l("Voor deze afspraak is al vastgelegd hoe het ging.")


# --- For other features: "is something planned?" ------------------------------------------------

def has_planned_appointment(trajectory=Trajectory) -> sa.Exists:
    """SQL EXISTS on Trajectory (or an alias): a planned appointment that still needs an
    outcome, ahead or already passed (passed without outcome it is a task for the planner,
    so the trajectory has a next step). Served by the partial unique index
    uq_appointments_one_planned (trajectory_id, kind WHERE status = 'planned')."""
    return sa.exists().where(Appointment.trajectory_id == trajectory.id,
                             Appointment.status == AppointmentStatus.PLANNED)


def planned_intake(trajectory: Trajectory) -> Appointment | None:
    return db.session.scalar(sa.select(Appointment).where(
        Appointment.trajectory_id == trajectory.id, Appointment.kind == AppointmentKind.INTAKE,
        Appointment.status == AppointmentStatus.PLANNED))


def last_intake(trajectory: Trajectory) -> Appointment | None:
    """The newest intake appointment, whatever came of it (to prefill a new plan)."""
    return db.session.scalar(
        sa.select(Appointment).where(Appointment.trajectory_id == trajectory.id,
                                     Appointment.kind == AppointmentKind.INTAKE)
        .order_by(Appointment.created_at.desc(), Appointment.id.desc()).limit(1))


# --- After the appointment ----------------------------------------------------------------------

def mark_no_show(appointment: Appointment, user, now: datetime) -> ContactAttempt:
    """The person did not come: a failed contact attempt, like an unanswered call.

    It counts towards the attempts limit (that many failures in a row, the setting
    max_contact_attempts, and the trajectory goes to "Niet bereikt"); otherwise it is back
    at "contact gehad, nog geen intake gepland", so the queue shows it until the intake is
    planned again.
    """
    if appointment.starts_at > now:
        raise AppointmentError(_("Deze afspraak is nog niet begonnen. 'Niet gekomen' kan pas "
                                 "na de afgesproken tijd."))
    if not appointment.is_planned or not change_status(
            appointment, AppointmentStatus.NO_SHOW,
            Appointment.status == AppointmentStatus.PLANNED):
        raise AppointmentError()
    appointment.closed_at = now
    appointment.closed_by_id = getattr(user, "id", None)
    close_appointment_tasks(appointment.id, now)
    trajectory = appointment.trajectory
    attempt = ContactAttempt(trajectory=trajectory, at=now, by_id=getattr(user, "id", None),
                             reached=False, channel="in_person",
                             note=_("Niet gekomen op de intake"))
    db.session.add(attempt)
    if appointment.kind == AppointmentKind.INTAKE:
        trajectory.intake_planned_at = None
    failed = failed_attempts_since_success(trajectory)
    if trajectory.status == TrajectoryStatus.INTAKE_PLANNED:
        if failed >= thresholds().max_contact_attempts:
            trajectory.status = TrajectoryStatus.UNREACHABLE
            if trajectory.referral is not None:
                trajectory.referral.result = ReferralResult.NOT_REACHED
                trajectory.referral.result_on = local_date(now)
        else:
            trajectory.status = TrajectoryStatus.CONTACTED
    db.session.flush()
    audit.record(user, "update", "appointment", appointment.id,
                 participant_id=trajectory.participant_id, summary="niet gekomen", now=now)
    emit("contact_failed", trajectory, now, attempts=failed)
    return attempt


def _close_planned(trajectory: Trajectory, status: str, now: datetime, user=None) -> None:
    for appointment in db.session.scalars(sa.select(Appointment).where(
            Appointment.trajectory_id == trajectory.id,
            Appointment.status == AppointmentStatus.PLANNED)):
        if status == AppointmentStatus.HELD and appointment.kind != AppointmentKind.INTAKE:
            continue
        appointment.status = status
        appointment.closed_at = now
        appointment.closed_by_id = getattr(user, "id", None)
        close_appointment_tasks(appointment.id, now)


def on_event(event: str, trajectory: Trajectory, now: datetime, **context) -> None:
    # "Intake invullen" is the other outcome: the planned intake was held.
    if event == "intake_done":
        intake = context.get("intake")
        _close_planned(trajectory, AppointmentStatus.HELD, now, getattr(intake, "by", None))
    elif event == "trajectory_ended":
        _close_planned(trajectory, AppointmentStatus.CANCELLED, now)


# --- Days ------------------------------------------------------------------------------------

def last_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the last working day before it."""
    closed = closed_days()
    while not is_working_day(day, closed):
        day -= timedelta(days=1)
    return day


def day_bounds(first: date, days: int = 1) -> tuple[datetime, datetime]:
    """The UTC moments a run of local days starts and ends (DST-correct)."""
    return to_utc(first), to_utc(first + timedelta(days=days))


# --- The agenda and the tasks --------------------------------------------------------------

def _with_details(query: sa.Select) -> sa.Select:
    """Eager-load what a row shows: one query for a page, whatever its length."""
    return query.options(
        contains_eager(Appointment.trajectory).joinedload(Trajectory.participant),
        joinedload(Appointment.location),
        joinedload(Appointment.with_user).lazyload(User.locations),
        joinedload(Appointment.planned_by).lazyload(User.locations),
    )


def agenda_query(location_id: int, start: datetime, end: datetime, user) -> sa.Select:
    """A location's appointments between two moments, by time (`user` scopes it)."""
    return _with_details(
        sa.select(Appointment).join(Trajectory, Appointment.trajectory_id == Trajectory.id)
        .where(Appointment.location_id == location_id, Appointment.starts_at >= start,
               Appointment.starts_at < end,
               Appointment.status.in_(AppointmentStatus.ON_AGENDA),
               trajectory_scope(user))
    ).order_by(Appointment.starts_at, Appointment.id)


def _mine(user, condition) -> sa.Select:
    return _with_details(
        sa.select(Appointment).join(Trajectory, Appointment.trajectory_id == Trajectory.id)
        .where(Appointment.status == AppointmentStatus.PLANNED, condition,
               trajectory_scope(user))
    ).order_by(Appointment.starts_at, Appointment.id)


def today_query(user, now: datetime) -> sa.Select:
    """The appointments `user` holds today (Mijn taken)."""
    start, end = day_bounds(local_date(now))
    return _mine(user, sa.and_(Appointment.with_user_id == user.id,
                               Appointment.starts_at >= start, Appointment.starts_at < end))


def without_outcome_query(user, now: datetime) -> sa.Select:
    """Appointments `user` planned whose day passed with neither "Intake invullen" nor
    "Niet gekomen": a task from the next working day after that day.

    An appointment on day D is due on the first working day after D; that day has come
    when D lies before the last working day up to today (so a Friday intake shows on
    Monday, or on Tuesday after Easter Monday).
    """
    cutoff = to_utc(last_working_day(local_date(now)))
    return _mine(user, sa.and_(Appointment.planned_by_id == user.id,
                               Appointment.starts_at < cutoff))


# A task list shows this many of each; more means the agenda is the place to look.
TASK_LIMIT = 50


def task_lists(user, now: datetime) -> tuple[list[Appointment], list[Appointment]]:
    """(held by `user` today, planned by `user` and passed without outcome); two queries."""
    if not has(user, "agenda.view"):
        return [], []
    today = list(db.session.scalars(today_query(user, now).limit(TASK_LIMIT)))
    late = list(db.session.scalars(without_outcome_query(user, now).limit(TASK_LIMIT)))
    return today, late


def intakes_section(user, now: datetime):
    from app.notifications.links import participant_link
    from app.notifications.service import DigestSection

    today, late = task_lists(user, now)
    items = [(_("%(name)s: intake om %(time)s, %(place)s",
                name=a.trajectory.participant.short_name,
                time=format_datetime(a.starts_at, "HH:mm"), place=a.place),
              participant_link(a.trajectory)) for a in today]
    items += [(_("%(name)s: intake van %(moment)s, nog niet ingevuld of 'niet gekomen'",
                 name=a.trajectory.participant.short_name,
                 moment=format_datetime(a.starts_at, "d MMMM HH:mm")),
               participant_link(a.trajectory)) for a in late]
    return DigestSection(_("Intakes: vandaag en zonder uitkomst"), items)
