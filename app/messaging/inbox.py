"""Answers to read: what a participant wrote that is not JA, NEE or STOP, and a JA or NEE
that answers no appointment or first meeting.

They wait in the owner's Mijn taken ("Antwoorden om te lezen") and in the coordinator's
daily digest until someone presses "Gelezen".
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, contains_eager

from app.audit import service as audit
from app.auth.permissions import has, trajectory_scope
from app.core.records import update_once
from app.extensions import db
from app.messaging.models import AnswerMeaning, InboundMessage
from app.notifications.models import Notification
from app.participants.models import Participant, Trajectory

# A task list shows this many; a digest too. More than that is a day's work already.
LIMIT = 50


def to_read_query(user) -> sa.Select:
    """Unread "other" answers on the trajectories `user` owns, oldest first; for a
    coordinator also those on trajectories of their locations that nobody owns (else
    nobody would read them)."""
    if not has(user, "messages.view"):
        return sa.select(InboundMessage).where(sa.false())
    answered = aliased(Notification)
    # A yes or no acts only on what the answered message was about (an appointment, a first
    # meeting); to anything else (a message of one's own, "niet vergeten", or nothing at
    # all) only the owner knows what it answers.
    acted_on = sa.or_(*(answered.subject_key.startswith(prefix)
                        for prefix in ("appointment:", "match:", "enrollment:")))
    to_read = sa.or_(
        InboundMessage.meaning == AnswerMeaning.OTHER,
        sa.and_(InboundMessage.meaning.in_((AnswerMeaning.CONFIRM, AnswerMeaning.DECLINE)),
                sa.or_(answered.id.is_(None), ~acted_on)))
    whose = Trajectory.owner_id == user.id
    if has(user, "tasks.location"):
        whose = sa.or_(whose, Trajectory.owner_id.is_(None))
    return (
        sa.select(InboundMessage)
        .join(Trajectory, InboundMessage.trajectory_id == Trajectory.id)
        .join(Participant, InboundMessage.participant_id == Participant.id)
        .outerjoin(answered, InboundMessage.answers_id == answered.id)
        .where(to_read, InboundMessage.read_at.is_(None),
               whose, trajectory_scope(user),
               Participant.anonymised_at.is_(None))
        .options(contains_eager(InboundMessage.participant),
                 contains_eager(InboundMessage.trajectory))
        .order_by(InboundMessage.received_at, InboundMessage.id)
    )


def to_read(user, limit: int = LIMIT) -> list[InboundMessage]:
    """One query."""
    return list(db.session.scalars(to_read_query(user).limit(limit)))


def mark_read(row: InboundMessage, user, now: datetime) -> bool:
    """Mark an answer as read; False when someone did so already (two people, one click)."""
    if not update_once(row, InboundMessage.read_at.is_(None), read_at=now, read_by_id=user.id):
        return False
    audit.record(user, "update", "message_answer", row.id, participant_id=row.participant_id,
                 summary="antwoord gelezen", now=now)
    return True


def quote(body: str, length: int = 120) -> str:
    text = " ".join((body or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def answers_section(user, now: datetime):
    """The digest: answers still to read on the coordinator's own trajectories (one query)."""
    from app.notifications.links import participant_link
    from app.notifications.service import DigestSection

    if not has(user, "trajectories.own"):
        return None
    items = [(_("%(name)s schreef: “%(text)s”", name=row.participant.short_name,
                text=quote(row.body)), participant_link(row.trajectory))
             for row in to_read(user)]
    return DigestSection(_("Antwoorden om te lezen"), items)
