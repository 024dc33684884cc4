"""The staff side of messages to the participant: the "Berichten" block of the participant
page, a free message, lifting a STOP, and what the timeline shows."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit import service as audit
from app.auth.permissions import has
from app.core.records import update_once
from app.core.timeutil import local_datetime, utcnow
from app.extensions import db
from app.messaging.models import AnswerMeaning, InboundMessage, MessageStop
from app.messaging.service import (
    KIND_PREFIX,
    Reach,
    common_values,
    ledger_kind,
    queue_message,
    reach,
    recipient_key,
)
from app.messaging.texts import BY_CODE, compose, sms_parts
from app.notifications.models import Notification, NotificationStatus
from app.participants.models import Participant, Trajectory
from app.participants.timeline import TimelineItem

FREE = "free"


@dataclass(frozen=True)
class Panel:
    reach: Reach
    stops: list[MessageStop]
    may_send: bool
    form: object = None


def stops_in_force(participant: Participant) -> list[MessageStop]:
    return list(db.session.scalars(
        sa.select(MessageStop).where(MessageStop.participant_id == participant.id,
                                     MessageStop.lifted_at.is_(None))
        .order_by(MessageStop.stopped_at.desc()).limit(20)))


def panel(participant: Participant, user) -> Panel | None:
    """What the "Berichten" block shows to `user`, or None when they may not see it."""
    if not has(user, "messages.view"):
        return None
    from app.messaging.forms import new_free_form

    may_send = has(user, "messages.send")
    return Panel(reach(participant), stops_in_force(participant), may_send,
                 new_free_form(user) if may_send else None)


def message_trajectory(participant: Participant, trajectories: Sequence[Trajectory]):
    """The trajectory a message is sent for (its location's name and phone number): the
    newest open one the sender may see, else the newest."""
    open_ones = [t for t in trajectories if t.is_open]
    pool = open_ones or list(trajectories)
    return max(pool, key=lambda t: t.id) if pool else None


def free_values(tekst: str, afzender: str) -> dict:
    return {"tekst": tekst, "afzender": afzender}


def preview(participant: Participant, trajectory, tekst: str, afzender: str) -> str:
    values = {**common_values(participant, trajectory), **free_values(tekst, afzender)}
    return compose(FREE, values, participant.message_language)


def parts(text: str) -> int:
    return sms_parts(text)[0]


def send_free(participant: Participant, trajectory, *, tekst: str, afzender: str,
              form_key: str, user, now: datetime) -> tuple[Notification | None, bool]:
    """(the message, whether it was claimed now). A second post of the same form finds the
    message of the first and claims nothing."""
    subject_key = f"{FREE}:{form_key}"
    note = queue_message(
        participant=participant, trajectory=trajectory, code=FREE, subject_key=subject_key,
        period_key=FREE, values=free_values(tekst, afzender), now=now, user=user,
        call_topic=_("Bel %(name)s: %(text)s", name=participant.first_name, text=tekst)[:200])
    if note is not None:
        return note, True
    earlier = db.session.scalar(sa.select(Notification).where(
        Notification.kind == ledger_kind(FREE), Notification.subject_key == subject_key,
        Notification.recipient_key == recipient_key(participant)))
    return earlier, False


def lift_stop(stop: MessageStop, user, now: datetime) -> bool:
    """The person asked for messages again (told to staff). False when it was lifted before."""
    if not update_once(stop, MessageStop.lifted_at.is_(None), lifted_at=now,
                       lifted_by_id=user.id):
        return False
    audit.record(user, "update", "participant", stop.participant_id,
                 participant_id=stop.participant_id,
                 summary=f"berichten via {stop.channel} weer aan", now=now)
    return True


# --- The timeline ------------------------------------------------------------------------

# A person's page shows this many messages and answers; older ones are in the audit log.
TIMELINE_LIMIT = 100

CHANNEL_NAMES = {"sms": _l("sms"), "whatsapp": "WhatsApp", "email": _l("e-mail"),
                 "letter": _l("brief"), "call": _l("beltaak")}
DELIVERY = {"queued": _l("bij de provider"), "sent": _l("verstuurd"),
            "delivered": _l("afgeleverd"), "read": _l("gelezen"),
            "failed": _l("niet afgeleverd"), "undelivered": _l("niet afgeleverd")}
MEANING = {AnswerMeaning.CONFIRM: _l("bevestigd"), AnswerMeaning.DECLINE: _l("kan niet"),
           AnswerMeaning.STOP: "STOP"}


def _status(note: Notification, now: datetime) -> str:
    if note.channel == "call":
        return _("taak voor de eigenaar")
    if note.status == NotificationStatus.SKIPPED:
        return _("overgeslagen")
    if note.status == NotificationStatus.FAILED:
        return _("mislukt")
    if note.status == NotificationStatus.PENDING:
        if note.channel == "letter":
            return _("op de lijst Te printen")
        if note.not_before is not None and note.not_before > now:
            return _("wacht tot %(time)s", time=local_datetime(note.not_before).strftime("%H.%M"))
        return _("wordt verstuurd")
    if note.delivery_status in DELIVERY:
        return str(DELIVERY[note.delivery_status])
    return _("verstuurd")


def _kind_label(note: Notification) -> str:
    code = note.kind.removeprefix(KIND_PREFIX)
    kind = BY_CODE.get(code)
    return str(kind.label) if kind is not None else code


def message_timeline(trajectories: Sequence, viewer) -> list[TimelineItem]:
    """Messages sent to the person and their answers: staff only (volunteers and partners
    do not see what the desk writes to someone). Two queries."""
    if not trajectories or not has(viewer, "messages.view"):
        return []
    ids = {t.id for t in trajectories}
    newest: dict[int, int] = {}
    for t in trajectories:
        newest[t.participant_id] = max(newest.get(t.participant_id, 0), t.id)

    def on(trajectory_id, participant_id) -> int:
        return trajectory_id if trajectory_id in ids else newest[participant_id]

    people = list(newest)
    now = utcnow()
    items = []
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.participant_id.in_(people),
                                      Notification.kind.startswith(KIND_PREFIX))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(TIMELINE_LIMIT))
    for note in notes:
        channel = str(CHANNEL_NAMES.get(note.channel, note.channel))
        items.append(TimelineItem(
            trajectory_id=on(note.trajectory_id, note.participant_id),
            at=note.sent_at or note.created_at, kind="message",
            title=_("Bericht (%(channel)s): %(kind)s, %(status)s", channel=channel,
                    kind=_kind_label(note), status=_status(note, now)),
            detail=note.body))
    answers = db.session.scalars(
        sa.select(InboundMessage).where(InboundMessage.participant_id.in_(people))
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(TIMELINE_LIMIT))
    for row in answers:
        channel = str(CHANNEL_NAMES.get(row.channel, row.channel))
        meaning = MEANING.get(row.meaning)
        title = (_("Antwoord (%(channel)s): %(meaning)s", channel=channel, meaning=str(meaning))
                 if meaning else _("Antwoord (%(channel)s)", channel=channel))
        if row.meaning == AnswerMeaning.OTHER and row.read_at is None:
            title += " · " + _("nog niet gelezen")
        items.append(TimelineItem(
            trajectory_id=on(row.trajectory_id, row.participant_id), at=row.received_at,
            kind="answer", title=title, detail=f"“{row.body}”"))
    return items
