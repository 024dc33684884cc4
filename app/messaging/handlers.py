"""What an answer does, after `answers.receive` stored it and counted it as contact.

"JA" on an appointment's message confirms that appointment; "NEE" marks it declined and
gives the owner a task to plan again. Anything else waits in the owner's "Antwoorden om te
lezen" (app/messaging/inbox.py). An answer to a match or group message only shows on the
timeline: there is no appointment row to confirm.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.appointments.models import Appointment, AppointmentStatus
from app.audit import service as audit
from app.checkins.models import CheckIn, CheckInStatus
from app.extensions import db
from app.messaging.models import AnswerMeaning, InboundMessage
from app.messaging.texts import say_moment
from app.notifications.models import Notification, subject_of


def appointment_of(answered: Notification | None) -> Appointment | None:
    """The appointment a message was about ("appointment:<id>" in its subject key)."""
    if answered is None:
        return None
    kind, appointment_id = subject_of(answered.subject_key)
    if kind != "appointment" or appointment_id is None:
        return None
    appointment = db.session.get(Appointment, appointment_id)
    # The answer is from this person: an appointment of somebody else is never touched.
    if appointment is None or appointment.trajectory.participant_id != answered.participant_id:
        return None
    return appointment


def _about(answered: Notification | None) -> str:
    """What the answered message was about: "appointment", "match", "enrollment" or ""."""
    if answered is None:
        return ""
    return subject_of(answered.subject_key)[0]


def act_on_answer(row: InboundMessage, participant, trajectory, answered, now: datetime) -> None:
    if row.meaning not in (AnswerMeaning.CONFIRM, AnswerMeaning.DECLINE):
        return
    about = _about(answered)
    if about in ("match", "enrollment"):
        # A first meeting with a volunteer or a group: "JA" shows on the timeline; "NEE"
        # needs the owner, who agrees another moment with the volunteer or the group.
        if row.meaning == AnswerMeaning.DECLINE and trajectory is not None \
                and trajectory.is_open:
            _first_meeting_declined(participant, trajectory, answered, now)
        return
    if about != "appointment":
        # A yes or no to a message of one's own or to "wij zijn u niet vergeten": only the
        # owner knows what it answers, so it waits in Mijn taken (inbox.to_read_query).
        return
    appointment = appointment_of(answered)
    # A "JA" after the intake was held or moved changes nothing: the agenda shows what is.
    if appointment is None or appointment.status != AppointmentStatus.PLANNED:
        return
    if row.meaning == AnswerMeaning.CONFIRM:
        if appointment.confirmed_at is not None and appointment.declined_at is None:
            return
        appointment.confirmed_at = now
        appointment.declined_at = None
        audit.record(None, "update", "appointment", appointment.id,
                     participant_id=participant.id, summary="bevestigd door deelnemer", now=now)
        return
    if appointment.declined_at is not None:
        return  # a second "NEE": the owner has the task already
    appointment.declined_at = now
    appointment.confirmed_at = None
    audit.record(None, "update", "appointment", appointment.id,
                 participant_id=participant.id, summary="kan niet, volgens deelnemer", now=now)
    target = appointment.trajectory
    if target.is_open:
        from app.messaging.service import plan_call

        plan_call(target, _("%(name)s kan niet op de intake van %(moment)s: plan opnieuw",
                            name=participant.first_name, moment=say_moment(appointment.starts_at)),
                  now, now, kind="reschedule", subject_key=f"appointment:{appointment.id}")


def _first_meeting_declined(participant, trajectory, answered: Notification,
                            now: datetime) -> None:
    from app.messaging.service import linked_to, plan_call

    link = linked_to(answered.subject_key)
    if not link:
        return
    [(column, record_id)] = link.items()
    open_task = db.session.scalar(sa.select(CheckIn.id).where(
        CheckIn.trajectory_id == trajectory.id, CheckIn.kind == "reschedule",
        CheckIn.status == CheckInStatus.PLANNED, getattr(CheckIn, column) == record_id))
    if open_task is not None:
        return  # a second "NEE": the owner has the task already
    what = (_("de eerste afspraak met het taalmaatje") if column == "match_id"
            else _("de eerste les van de groep"))
    plan_call(trajectory, _("%(name)s kan niet op %(what)s: spreek een ander moment af",
                            name=participant.first_name, what=what),
              now, now, kind="reschedule", subject_key=answered.subject_key)


def effect(row: InboundMessage) -> str:
    """What an answer did, in one Dutch line (for `flask messages receive`)."""
    if row.participant_id is None:
        return _("Onbekend nummer: bewaard, niets gedaan.")
    if row.meaning == AnswerMeaning.STOP:
        return _("STOP: er gaan geen berichten meer via %(channel)s.", channel=row.channel)
    if row.meaning == AnswerMeaning.OTHER:
        return _("Ander antwoord: de eigenaar leest het bij Mijn taken.")
    answered = db.session.get(Notification, row.answers_id) if row.answers_id else None
    appointment = appointment_of(answered)
    if appointment is None:
        return _("Antwoord op de tijdlijn gezet (niet over een afspraak).")
    if row.meaning == AnswerMeaning.CONFIRM and appointment.confirmed_at is not None:
        return _("Afspraak van %(moment)s bevestigd.", moment=say_moment(appointment.starts_at))
    if row.meaning == AnswerMeaning.DECLINE and appointment.declined_at is not None:
        return _("Kan niet op %(moment)s: de eigenaar krijgt een taak om opnieuw te plannen.",
                 moment=say_moment(appointment.starts_at))
    return _("De afspraak is niet meer gepland: niets veranderd.")
