"""Answers from participants: stored once, read for their meaning, counted as contact.

`receive` is what a gateway's inbound webhook (and `flask messages receive` in development)
calls. It never says whether the number is known: the caller answers every sender the same.
"""

import re
from datetime import datetime

import sqlalchemy as sa

from app.audit import service as audit
from app.core.db import dialect_insert
from app.core.events import emit
from app.extensions import db
from app.messaging.gateway import Inbound
from app.messaging.models import AnswerMeaning, InboundMessage, MessageStop
from app.notifications.models import Notification
from app.participants.models import Participant, Trajectory
from app.participants.service import record_contact

# Words and signs, after lower-casing and trimming punctuation. Many answers are one word
# with a typo or an emoji; anything not recognised is shown to the owner to read.
CONFIRM_WORDS = {"ja", "jaa", "jaaa", "ok", "oke", "oké", "okay", "okee", "kom", "ik kom",
                 "goed", "prima", "yes", "👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "✅"}
DECLINE_WORDS = {"nee", "neen", "no", "kan niet", "ik kan niet", "niet", "👎"}
STOP_WORDS = {"stop", "afmelden", "stoppen", "unsubscribe"}


# A short answer that says yes or no in a few words ("Ja 👍", "ja ik kom", "ik kom niet")
# is read as that; longer ones, or ones that say both, go to the owner to read.
SHORT_ANSWER_WORDS = 6
YES_TOKENS = {"ja", "jaa", "jaaa", "ok", "oke", "oké", "okay", "okee", "kom", "goed", "prima",
              "yes", "top", "graag"}
NO_TOKENS = {"nee", "neen", "no", "niet"}
_EMOJI_YES = {"👍", "✅", "👌"}
_EMOJI_NO = {"👎", "❌"}


def _tokens(text: str) -> list[str]:
    # Skin-tone modifiers and variation selectors make one thumbs-up many code points.
    text = re.sub("[\U0001F3FB-\U0001F3FF\uFE0F]", "", text)
    for sign in _EMOJI_YES | _EMOJI_NO:
        text = text.replace(sign, f" {sign} ")
    return [t for t in re.split(r"[\s.!,?;:]+", text) if t]


def interpret(body: str) -> AnswerMeaning:
    text = re.sub(r"[\s.!,?]+$", "", (body or "").strip().lower())
    text = re.sub(r"^[\s.!,?]+", "", text)
    text = " ".join(text.split())
    if text in STOP_WORDS:
        return AnswerMeaning.STOP
    if text in CONFIRM_WORDS:
        return AnswerMeaning.CONFIRM
    if text in DECLINE_WORDS:
        return AnswerMeaning.DECLINE
    tokens = _tokens(text)
    if not tokens or len(tokens) > SHORT_ANSWER_WORDS:
        return AnswerMeaning.OTHER
    says_no = any(t in NO_TOKENS or t in _EMOJI_NO for t in tokens)
    # "kom" is a yes only without a "niet": "ik kom niet" is a no.
    yes_words = YES_TOKENS - {"kom"} if says_no else YES_TOKENS
    says_yes = any(t in yes_words or t in _EMOJI_YES for t in tokens)
    if says_no and not says_yes:
        return AnswerMeaning.DECLINE
    if says_yes and not says_no:
        return AnswerMeaning.CONFIRM
    return AnswerMeaning.OTHER


def sender_of(phone: str) -> tuple[Participant | None, Trajectory | None]:
    """The person with this number (the one with the newest open trajectory when two share
    it), and that trajectory."""
    row = db.session.execute(
        sa.select(Participant, Trajectory)
        .join(Trajectory, Trajectory.participant_id == Participant.id)
        .where(Participant.phone_normalised == phone, Participant.anonymised_at.is_(None),
               Trajectory.is_open)
        .order_by(Trajectory.id.desc()).limit(1)).first()
    if row is not None:
        return row[0], row[1]
    person = db.session.scalar(sa.select(Participant).where(
        Participant.phone_normalised == phone, Participant.anonymised_at.is_(None))
        .order_by(Participant.id.desc()).limit(1))
    return person, None


def answered_message(phone: str, channel: str) -> Notification | None:
    """The newest message sent to this number in this channel: what the answer is about."""
    return db.session.scalar(
        sa.select(Notification).where(Notification.phone == phone,
                                      Notification.channel == channel,
                                      Notification.sent_at.is_not(None))
        .order_by(Notification.sent_at.desc(), Notification.id.desc()).limit(1))


# What each meaning does (confirm an appointment, plan a call, STOP), registered by the
# parts that own it: fn(inbound_row, participant, trajectory, answered, now).
_handlers: list = []


def on_answer(fn):
    if fn not in _handlers:
        _handlers.append(fn)
    return fn


def receive(inbound: Inbound, provider: str, now: datetime) -> InboundMessage | None:
    """Store one inbound message (once per provider id) and act on it; the new row, or None
    when this provider message was stored before (a resent webhook)."""
    participant, trajectory = sender_of(inbound.from_phone)
    answered = answered_message(inbound.from_phone, inbound.channel)
    meaning = interpret(inbound.body) if participant is not None else AnswerMeaning.UNKNOWN
    stmt = (dialect_insert(InboundMessage).values(
        provider=provider, provider_message_id=inbound.provider_message_id,
        channel=inbound.channel, from_phone=inbound.from_phone, body=inbound.body[:2000],
        received_at=now, participant_id=getattr(participant, "id", None),
        trajectory_id=getattr(trajectory, "id", None), meaning=meaning,
        answers_id=getattr(answered, "id", None))
        .on_conflict_do_nothing(index_elements=["provider", "provider_message_id"])
        .returning(InboundMessage.id))
    new_id = db.session.scalar(stmt)
    if new_id is None:
        return None
    row = db.session.get(InboundMessage, new_id)
    if participant is None:
        return row
    if trajectory is not None and record_contact(trajectory, now):
        emit("back_in_view", trajectory, now)
    if meaning == AnswerMeaning.STOP:
        stop_channel(participant, inbound.channel, inbound.from_phone, now, trajectory)
    for fn in list(_handlers):
        fn(row, participant, trajectory, answered, now)
    return row


def stop_channel(participant: Participant, channel: str, phone: str, now: datetime,
                 trajectory: Trajectory | None, source: str = "answer", user=None) -> bool:
    """STOP: no more messages to this number in this channel from now on, and one last
    message that says so. False when a STOP was in force already."""
    from app.messaging.service import queue_stop_confirmation, stop_in_force

    if stop_in_force(phone, channel) is not None:
        return False
    db.session.add(MessageStop(participant_id=participant.id, channel=channel, phone=phone,
                               stopped_at=now, source=source))
    db.session.flush()
    audit.record(user, "update", "participant", participant.id, participant_id=participant.id,
                 summary=f"berichten gestopt via {channel}", now=now)
    if source == "answer":
        queue_stop_confirmation(participant, trajectory, channel, phone, now)
    return True
