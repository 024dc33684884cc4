"""Restriction of processing (AVG art. 18): what withdrawing "gegevens vastleggen" does."""

from datetime import datetime

import sqlalchemy as sa

from app.audit import service as audit
from app.auth.permissions import not_restricted, restricted_ids
from app.extensions import db
from app.notifications.models import subject_of
from app.participants.models import Participant, Trajectory


def restrict(participant: Participant, *, by, now: datetime) -> bool:
    """The processing consent was withdrawn: restrict the person (AVG art. 18).

    Their data stays (erasure is a separate choice) but nobody works with it: the lists,
    task lists, digests, exports and jobs leave them out through `not_restricted`, and
    what was queued to or about them is not sent. Open check-ins stay as they are (only
    filtered), so lifting the restriction brings the work back. Returns whether it changed.
    """
    if participant.restricted_at is not None:
        return False
    participant.restricted_at = now
    participant.restricted_by_id = getattr(by, "id", None)
    cancelled = _cancel_queued(participant.id, now)
    db.session.flush()
    summary = "verwerking beperkt (toestemming gegevens vastleggen ingetrokken)"
    if cancelled:
        summary += f"; {cancelled} bericht(en) in de wachtrij niet verstuurd"
    audit.record(by, "update", "participant", participant.id, participant_id=participant.id,
                 summary=summary, now=now)
    return True


def lift(participant: Participant, *, by, now: datetime) -> bool:
    """Consent to record data was given again: the person is back in the lists. What was
    cancelled at the restriction stays cancelled (old reminders would be wrong by now)."""
    if participant.restricted_at is None:
        return False
    participant.restricted_at = None
    participant.restricted_by_id = None
    db.session.flush()
    audit.record(by, "update", "participant", participant.id, participant_id=participant.id,
                 summary="beperking van de verwerking opgeheven (toestemming opnieuw "
                         "vastgelegd)", now=now)
    return True


def _cancel_queued(participant_id: int, now: datetime) -> int:
    """Messages not yet sent to or about the person (their own, their trajectories'): skipped,
    in one statement. The delivery guard covers what is claimed later."""
    from app.notifications.models import Notification, NotificationStatus

    trajectory_ids = sa.select(Trajectory.id).where(Trajectory.participant_id == participant_id)
    about = sa.or_(Notification.participant_id == participant_id,
                   Notification.trajectory_id.in_(trajectory_ids),
                   Notification.subject_key.in_(_subject_keys(participant_id)))
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.status.in_((NotificationStatus.PENDING, NotificationStatus.FAILED)),
               Notification.sent_at.is_(None), about)
        .values(status=NotificationStatus.SKIPPED, next_attempt_at=None,
                last_error="verwerking beperkt")
        .execution_options(synchronize_session=False))
    # The in-app list no longer shows what is about them: the unread count in the menu
    # must not go on counting it (one cheap count per page, without the restriction's
    # subqueries).
    db.session.execute(
        sa.update(Notification)
        .where(Notification.channel == "app", Notification.read_at.is_(None), about)
        .values(read_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def _subject_keys(participant_id: int) -> sa.Select:
    """The ledger's subject keys of the person's trajectories and their matches,
    appointments, enrollments and sessions ("trajectory:12", "match:4", ...)."""
    return _subject_keys_of(Trajectory.participant_id == participant_id)


def _subject_keys_of(whose: sa.ColumnElement[bool]) -> sa.Select:
    from app.appointments.models import Appointment
    from app.matching.models import Enrollment, Match, MatchSession

    trajectory_ids = sa.select(Trajectory.id).where(whose)

    def keys(prefix: str, id_column, *where) -> sa.Select:
        return sa.select(sa.literal(prefix + ":") + sa.cast(id_column, sa.String)).where(*where)

    return sa.union_all(
        keys("trajectory", Trajectory.id, whose),
        keys("match", Match.id, Match.trajectory_id.in_(trajectory_ids)),
        keys("appointment", Appointment.id, Appointment.trajectory_id.in_(trajectory_ids)),
        keys("enrollment", Enrollment.id, Enrollment.trajectory_id.in_(trajectory_ids)),
        keys("session", MatchSession.id, MatchSession.match_id.in_(
            sa.select(Match.id).where(Match.trajectory_id.in_(trajectory_ids)))),
    ).subquery().select()


def note_not_about_restricted(note_model) -> sa.ColumnElement[bool]:
    """SQL: a ledger message (the in-app list "Berichten") is not to or about a restricted
    person. The restricted are few, so the set of their subject keys stays small."""
    return sa.and_(
        sa.or_(note_model.participant_id.is_(None), not_restricted(note_model.participant_id)),
        note_model.subject_key.not_in(
            _subject_keys_of(Trajectory.participant_id.in_(restricted_ids()))))


# Subject keys of the ledger that point at something of a person: "<prefix>:<id>".
_SUBJECT_PREFIXES = ("trajectory", "match", "appointment", "enrollment", "session")


def _participant_of(note):
    """The person a ledger message is to or about: their id, SQL that finds it, or None (a
    digest, a staff matter)."""
    from app.appointments.models import Appointment
    from app.matching.models import Enrollment, Match, MatchSession

    if note.participant_id is not None:
        return note.participant_id
    if note.trajectory_id is not None:
        trajectory_id = note.trajectory_id
    else:
        prefix, object_id = subject_of(note.subject_key)
        if prefix not in _SUBJECT_PREFIXES or object_id is None:
            return None
        if prefix == "trajectory":
            trajectory_id = object_id
        elif prefix == "session":
            trajectory_id = (sa.select(Match.trajectory_id)
                             .join(MatchSession, MatchSession.match_id == Match.id)
                             .where(MatchSession.id == object_id).scalar_subquery())
        else:
            model = {"match": Match, "appointment": Appointment,
                     "enrollment": Enrollment}[prefix]
            trajectory_id = (sa.select(model.trajectory_id).where(model.id == object_id)
                             .scalar_subquery())
    return (sa.select(Trajectory.participant_id).where(Trajectory.id == trajectory_id)
            .scalar_subquery())


def delivery_allowed(note) -> bool:
    """Delivery guard for every ledger message: nothing goes out to or about a restricted
    (or anonymised) person, also what was claimed after the restriction. One query."""
    participant = _participant_of(note)
    if participant is None:
        return True
    return not db.session.scalar(sa.select(sa.or_(
        Participant.restricted_at.is_not(None), Participant.anonymised_at.is_not(None)))
        .where(Participant.id == participant))
