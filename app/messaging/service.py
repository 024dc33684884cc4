"""Messages to the participant: whether one can go, claiming it once, and sending it.

`queue_message` is the one way in for every kind (appointment confirmations, reminders,
"wij zijn u niet vergeten", a staff member's own text). It looks at the person's preferred
channel:

- "sms" / "whatsapp": through the gateway, with the "messages" consent, to a number that
  can receive it, never after STOP, never in the quiet hours (it waits);
- "email": the same plain text by e-mail, with the consent;
- "letter": a card or letter on the location's print list ("Te printen");
- "phone": nothing is sent: the owner gets a call task ("Bel Fatima: ...");
- "via_referrer": nothing is sent (contact goes through the referrer).

Every message is a row in the `notifications` ledger (kind "msg_<code>", recipient
"participant:<id>"), claimed with an insert that does nothing when it exists: two
schedulers, a restart or a double click never send it twice. Delivery is the ledger's
`deliver_pending`, which calls `send_by_gateway` for SMS and WhatsApp.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit import service as audit
from app.checkins.models import CheckIn, CheckInStatus
from app.core.followup import thresholds
from app.core.phone import display_phone, parse_phone
from app.core.timeutil import local_date, local_datetime, to_utc
from app.extensions import db
from app.messaging.gateway import GatewayError, OutgoingMessage, get_gateway
from app.messaging.models import GATEWAY_CHANNELS, Channel, MessageStop
from app.messaging.texts import BY_CODE, compose
from app.notifications import service as ledger
from app.notifications.models import Notification, NotificationStatus, subject_of
from app.participants.models import Participant, Trajectory
from app.participants.service import consents_in_force

CONSENT_KIND = "messages"
KIND_PREFIX = "msg_"

# The e-mail subject per kind (the SMS has none).
SUBJECTS = {
    "intake_confirmation": _l("Uw afspraak bij het Taalhuis"),
    "intake_reminder": _l("Morgen: uw afspraak bij het Taalhuis"),
    "match_first_meeting": _l("Uw eerste afspraak met uw taalmaatje"),
    "group_first_meeting": _l("Uw eerste les bij het Taalhuis"),
    "group_reminder": _l("Uw volgende les bij het Taalhuis"),
    "waiting_not_forgotten": _l("Wij zijn u niet vergeten"),
    "free": _l("Bericht van het Taalhuis"),
    "stop_confirmation": _l("U krijgt geen berichten meer"),
}


def recipient_key(participant) -> str:
    return f"participant:{participant.id}"


def ledger_kind(code: str) -> str:
    return f"{KIND_PREFIX}{code}"


# --- Can a message reach this person? -----------------------------------------------------

def message_consent(participant: Participant) -> bool | None:
    """The newest "messages" decision: True, False, or None when never asked."""
    current = consents_in_force(participant.consents).get(CONSENT_KIND)
    return None if current is None else bool(current.given)


def can_receive_sms(phone: str | None) -> bool:
    """A mobile number (or one that may be mobile, as in some countries): landlines get no
    SMS, and WhatsApp lives on mobile numbers too."""
    number = parse_phone(phone)
    if number is None:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def stop_in_force(phone: str | None, channel: str) -> MessageStop | None:
    if not phone:
        return None
    return db.session.scalar(
        sa.select(MessageStop).where(MessageStop.phone == phone, MessageStop.channel == channel,
                                     MessageStop.lifted_at.is_(None))
        .order_by(MessageStop.stopped_at.desc()).limit(1))


@dataclass(frozen=True)
class Reach:
    """How messages reach the person, and when they cannot, why (the page says so)."""

    channel: str            # the preferred channel (PREFERRED_CHANNEL code)
    sends: bool             # something is sent (or printed) when a message is due
    note: str               # one plain sentence for the participant page
    problem: bool = False   # the note is a warning: a message would not arrive


def reach(participant: Participant) -> Reach:
    channel = participant.preferred_channel or "phone"
    # AVG art. 18: nothing is sent to a restricted person, in no channel (nor a call task).
    if participant.restricted_at is not None or participant.anonymised_at is not None:
        return Reach(channel, False, _("Er gaan geen berichten: de verwerking van de "
                                       "gegevens van deze deelnemer is beperkt."), True)
    if channel in GATEWAY_CHANNELS:
        name = "sms" if channel == Channel.SMS else "WhatsApp"
        if message_consent(participant) is not True:
            return Reach(channel, False, _("Er gaan geen berichten via %(name)s: er is geen "
                                           "toestemming voor berichten.", name=name), True)
        if not participant.phone:
            return Reach(channel, False, _("Er gaan geen berichten via %(name)s: er is geen "
                                           "telefoonnummer.", name=name), True)
        if not can_receive_sms(participant.phone):
            return Reach(channel, False, _("Het nummer %(phone)s kan geen %(name)s ontvangen. "
                                           "Vraag een mobiel nummer, of kies een ander kanaal.",
                                           phone=display_phone(participant.phone), name=name),
                         True)
        stop = stop_in_force(participant.phone, channel)
        if stop is not None:
            return Reach(channel, False, _("%(name)s is gestopt: de deelnemer stuurde STOP op "
                                           "%(day)s. Er gaan geen berichten meer via %(name)s.",
                                           name=name,
                                           day=local_date(stop.stopped_at).strftime("%d-%m-%Y")),
                         True)
        return Reach(channel, True, _("Berichten gaan via %(name)s naar %(phone)s.",
                                      name=name, phone=display_phone(participant.phone)))
    if channel == Channel.EMAIL:
        if message_consent(participant) is not True:
            return Reach(channel, False, _("Er gaan geen e-mails: er is geen toestemming voor "
                                           "berichten."), True)
        if not participant.email:
            return Reach(channel, False, _("Er gaan geen e-mails: er is geen e-mailadres."), True)
        return Reach(channel, True, _("Berichten gaan per e-mail naar %(email)s.",
                                      email=participant.email))
    if channel == Channel.LETTER:
        return Reach(channel, True, _("Deze deelnemer wil een brief of kaart. Afspraken komen "
                                      "op de lijst Te printen."))
    if channel == "phone":
        return Reach(channel, True, _("Deze deelnemer wil gebeld worden. In plaats van een "
                                      "bericht krijgt de eigenaar een taak om te bellen."))
    return Reach(channel, False, _("Contact loopt via de verwijzer. Houvast stuurt de "
                                   "deelnemer zelf geen berichten."))


# --- Quiet hours -------------------------------------------------------------------------

def in_quiet_hours(moment: datetime) -> bool:
    t = thresholds()
    hour = local_datetime(moment).hour
    start, end = t.quiet_hours_start, t.quiet_hours_end
    return hour >= start or hour < end


def out_of_quiet_hours(moment: datetime) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (08:00 local, next day if late)."""
    if not in_quiet_hours(moment):
        return moment
    local = local_datetime(moment)
    day = local.date()
    if local.hour >= thresholds().quiet_hours_start:
        day += timedelta(days=1)
    return to_utc(day, thresholds().quiet_hours_end)


# --- Claiming ----------------------------------------------------------------------------

def _participant_row(*, code: str, subject_key: str, period_key: str,
                     participant: Participant, trajectory: Trajectory | None, channel: str,
                     body: str, now: datetime, not_before: datetime | None = None,
                     phone: str | None = None, email: str | None = None,
                     status: str = NotificationStatus.PENDING) -> dict:
    """A ledger row of a message to the participant (see `queue_message`)."""
    return {
        "kind": ledger_kind(code), "subject_key": subject_key,
        "recipient_key": recipient_key(participant), "period_key": period_key,
        "user_id": None, "email": email, "channel": channel,
        "participant_id": participant.id, "trajectory_id": getattr(trajectory, "id", None),
        "phone": phone, "not_before": not_before, "subject": str(SUBJECTS[code])[:200],
        "body": body, "html": None, "link": None, "status": status, "attempts": 0,
        "created_at": now, "sent_at": now if status == NotificationStatus.SENT else None,
    }


def _insert_row(row: dict) -> Notification | None:
    stmt = (ledger._insert().values(**row)
            .on_conflict_do_nothing(index_elements=ledger._UNIQUE)
            .returning(Notification))
    # The row itself comes back from the insert: no second query to read it.
    return db.session.scalar(stmt)


def common_values(participant: Participant, trajectory: Trajectory | None) -> dict:
    location = trajectory.location if trajectory is not None else None
    return {
        "voornaam": participant.first_name,
        "taalhuis": location.name if location is not None else _("het Taalhuis"),
        "telefoon": display_phone(location.phone) if location is not None and location.phone
        else _("het Taalhuis"),
    }


def queue_message(*, participant: Participant, trajectory: Trajectory | None, code: str,
                  subject_key: str, period_key: str, values: dict, now: datetime,
                  not_before: datetime | None = None, call_topic: str | None = None,
                  user=None) -> Notification | None:
    """Claim message `code` for the person in their channel; None when nothing is claimed
    (it was claimed before, or the channel cannot be used: see `reach`).

    `call_topic` is the call task's text for a person who prefers to be phoned ("Bel
    Fatima: herinner aan intake morgen 10.30"); without it such a person gets nothing.
    """
    kind = BY_CODE[code]
    info = reach(participant)
    channel = info.channel
    if not info.sends:
        return None
    if channel == "phone":
        channel = Channel.CALL
        if call_topic is None or trajectory is None or trajectory.owner_id is None:
            return None
    filled = {**common_values(participant, trajectory), **values}
    body = compose(kind.code, filled, participant.message_language)
    if channel in GATEWAY_CHANNELS:
        not_before = out_of_quiet_hours(max(not_before or now, now))
    status = NotificationStatus.PENDING
    if channel == Channel.CALL:
        status = NotificationStatus.SENT  # the task is the message: made now
    row = _participant_row(
        code=code, subject_key=subject_key, period_key=period_key, participant=participant,
        trajectory=trajectory, channel=str(channel),
        email=participant.email if channel == Channel.EMAIL else None,
        phone=participant.phone if channel in GATEWAY_CHANNELS else None,
        not_before=not_before, body=call_topic if channel == Channel.CALL else body,
        status=status, now=now)
    note = _insert_row(row)
    if note is None:
        return None
    if channel == Channel.CALL:
        plan_call(trajectory, call_topic, (not_before or now), now, kind="call_instead",
                  subject_key=subject_key)
    audit.record(user, "create", "message", note.id, participant_id=participant.id,
                 summary=f"bericht {code} via {channel}", now=now)
    return note


def queue_stop_confirmation(participant: Participant, trajectory: Trajectory | None,
                            channel: str, phone: str, now: datetime) -> Notification | None:
    """The one message after STOP ("U krijgt geen berichten meer via WhatsApp"); it passes
    the STOP and consent checks on purpose, and only once per STOP moment."""
    values = {**common_values(participant, trajectory),
              "kanaal": "sms" if channel == Channel.SMS else "WhatsApp"}
    body = compose("stop_confirmation", values, participant.message_language)
    return _insert_row(_participant_row(
        code="stop_confirmation", subject_key=f"stop:{phone}:{channel}",
        period_key=now.isoformat(), participant=participant, trajectory=trajectory,
        channel=channel, phone=phone, not_before=out_of_quiet_hours(now), body=body, now=now))


def linked_to(subject_key: str | None) -> dict:
    """The record a message is about, as check-in columns (a call task lapses with it)."""
    kind, ident = subject_of(subject_key)
    column = {"appointment": "appointment_id", "match": "match_id",
              "enrollment": "enrollment_id"}.get(kind)
    return {column: ident} if column and ident is not None else {}


def plan_call(trajectory: Trajectory, topic: str, due: datetime, now: datetime,
              kind: str = "call_instead", subject_key: str | None = None) -> CheckIn:
    """A task for the owner: call the person (instead of a message, or to plan again).

    Linked to the appointment, match or group place of `subject_key`, so it lapses when that
    is held, moved or ended (see `close_appointment_tasks` and the check-ins' own events).
    """
    checkin = CheckIn(trajectory_id=trajectory.id, rule_id=None, kind=kind,
                      due_on=max(local_date(due), local_date(now)),
                      assignee_id=trajectory.owner_id, topic=topic[:200],
                      status=CheckInStatus.PLANNED, created_at=now, **linked_to(subject_key))
    db.session.add(checkin)
    db.session.flush()
    return checkin


def close_appointment_tasks(appointment_id: int, now: datetime) -> int:
    """The appointment is no longer planned (held, no-show, moved, cancelled): its call
    tasks ("herinner aan de intake", "plan opnieuw") lapse; the number that did."""
    return db.session.execute(
        sa.update(CheckIn)
        .where(CheckIn.appointment_id == appointment_id,
               CheckIn.status == CheckInStatus.PLANNED,
               CheckIn.kind.in_(("call_instead", "reschedule")))
        .values(status=CheckInStatus.CANCELLED, done_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount


# --- Sending -----------------------------------------------------------------------------

def participant_guard(note: Notification) -> bool:
    """Just before sending: is it still allowed? (consent withdrawn, STOP, number changed)"""
    participant = db.session.get(Participant, note.participant_id)
    if participant is None or participant.anonymised_at is not None:
        return False
    if note.kind == ledger_kind("stop_confirmation"):
        return True  # the one message after STOP, that says so
    if message_consent(participant) is not True:
        return False
    if note.channel in GATEWAY_CHANNELS:
        if participant.phone != note.phone or stop_in_force(note.phone, note.channel):
            return False
    return True


def send_by_gateway(note: Notification, now: datetime) -> None:
    """Hand one SMS or WhatsApp to the gateway; raises GatewayError (the ledger retries,
    or gives up at once when `permanent`)."""
    result = get_gateway().send(OutgoingMessage(
        channel=note.channel, to=note.phone or "", body=note.body,
        reference=ledger.message_key(note)))
    note.provider_message_id = result.provider_message_id
    note.delivery_status = result.status
    note.delivery_status_at = now


def apply_status(provider_message_id: str, status: str, now: datetime,
                 error: str | None = None) -> Notification | None:
    """A delivery-status callback: what the provider says became of a sent message.

    Statuses only move forward (a late "sent" after "delivered" changes nothing); a
    message that could not be delivered is recorded as failed, for the page to say so.
    """
    note = db.session.scalar(sa.select(Notification).where(
        Notification.provider_message_id == provider_message_id))
    if note is None:
        return None
    order = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4, "undelivered": 4}
    if order.get(status, -1) < order.get(note.delivery_status or "", -1):
        return note
    note.delivery_status = status
    note.delivery_status_at = now
    if status in ("failed", "undelivered") and error:
        note.last_error = error[:300]
    return note


def connect() -> None:
    ledger.register_participant_channel(
        Channel.SMS, send_by_gateway, quiet=in_quiet_hours)
    ledger.register_participant_channel(
        Channel.WHATSAPP, send_by_gateway, quiet=in_quiet_hours)
    ledger.participant_delivery_guard(participant_guard)


__all__ = ["GatewayError", "queue_message", "reach", "apply_status", "connect"]
