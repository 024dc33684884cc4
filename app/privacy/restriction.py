"""Restriction of processing (AVG art. 18): what withdrawing "gegevens vastleggen" does."""

import sqlalchemy as sa

from app.participants.models import Participant


def not_restricted(participant_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: the person `participant_id` points at is not restricted (nor anonymised). For
    every list, task list, digest, export, proposal and job. The restricted are few, and
    ix_participants_restricted_at finds them, so the NOT IN stays cheap at any scale."""
    return participant_id.not_in(
        sa.select(Participant.id).where(sa.or_(Participant.restricted_at.is_not(None),
                                               Participant.anonymised_at.is_not(None))))
