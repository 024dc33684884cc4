"""Anonymisation, the same for retention and for erasure: personal data and free texts go;
what the reports count stays.

What goes (set to NULL, or to a neutral marker where the column may not be empty):
- the person: first and last name (the name becomes "Geanonimiseerd"), phone and its
  duplicate key, e-mail, native and other languages, the message language, the 4-digit
  postcode; consent notes;
- per trajectory: the referral's question, best moment, free-text referrer (name, phone,
  e-mail) and its contact person at the partner (`partner_contact_id`; the partner itself
  stays); contact-attempt notes; the intake's motivation, volunteer preferences, reason for
  another offer and screening result; the wording of learning goals; what was practised and
  the remarks of sessions; a match's end note and first meeting place; check-in notes and
  topics; the reasons of moves; the self-registration it came from;
- messages: subject, body, HTML, phone and e-mail of the ledger rows to or about the person
  (participant messages, and the staff and referrer notices about this trajectory, its
  matches and sessions), and the text and number of their answers (inbound messages).

What stays, because the reports count it: every date, status, outcome and end reason;
intake levels, scale and offers; goal subjects and statuses; session dates and minutes;
NT1/NT2 (`language_background`), sex, how the person found the Taalhuis; location, partner,
owner; consent decisions (kind, yes/no, when). STOPs (message_stops) stay as well: a
suppression list of numbers that said STOP is kept on purpose, so a number is never messaged
again after its owner said no, even when someone registers it anew.

Birth year and postcode4. The municipality report (gemeente.csv / .xlsx,
app/reports/service.py municipality_rows) uses neither: it counts trajectories by their
dates, partner, location and outcome, goals by subject and status, participants by
NT1/NT2, and volunteers' sessions. So any choice keeps its numbers. They are the strongest
clues left once the name is gone (a 4-digit postcode area, a birth year, sex and native
language together often point to one person), so:
- postcode4 is DROPPED: the location of the Taalhuis stays as the geography of the figures;
- the birth year is COARSENED to the first year of its five-year band (1987 → 1985): an
  age-group figure stays possible, a single person is much harder to pick out. Coarsening
  again gives the same year, so a second run changes nothing.
The monitor file (monitor_rows) then shows the coarsened year and no postcode or native
language for anonymised people, who are by then at least 24 months past their trajectory,
whose monitor year has long been delivered; it never carried a name (a pseudonym only).

Everything is set-based SQL per batch of ids (UPDATE ... WHERE id IN (batch)): no object is
loaded, so the retention job stays fast at 100,000 trajectories. Running it twice changes
nothing more (rows already anonymised are left alone). The caller commits.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from app.checkins.models import CheckIn, CheckInStatus
from app.extensions import db
from app.intakes.models import Intake, LearningGoal
from app.matching.models import Match, MatchSession
from app.messaging.models import InboundMessage
from app.notifications.models import Notification
from app.participants.models import Consent, Participant, Trajectory, TrajectoryMove
from app.referrals.models import ContactAttempt, Referral
from app.selfreg.models import SelfRegistration

# What a name becomes; what a free text that may not be empty becomes.
ANONYMOUS_NAME = "Geanonimiseerd"
REMOVED = "[verwijderd]"
# Rows per UPDATE ... WHERE id IN (...): well below SQLite's limit of bound parameters.
BATCH = 500

# Ledger notices to staff and referrers about a trajectory, a match or a session: their
# subject_key names it ("trajectory:12"). Together with the kind they are found through the
# unique index (kind, subject_key, ...) instead of a scan of the whole ledger.
TRAJECTORY_NOTICES = ("out_of_view", "waiting_too_long", "referrer_signal")
MATCH_NOTICES = ("volunteer_silent_21", "volunteer_silent_42")
SESSION_NOTICES = ("session_concern",)


def _update(model, condition, **values) -> int:
    result = db.session.execute(
        sa.update(model).where(condition).values(**values)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def _batches(ids: Sequence[int]):
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


_CLEARED_MESSAGE = {"subject": REMOVED, "body": REMOVED, "html": None, "phone": None,
                    "last_error": None}


def anonymise_trajectories(trajectory_ids: Sequence[int], *, now: datetime) -> int:
    """Remove the free texts and contact people of these trajectories; their dates,
    statuses, outcomes, levels and partner stay. Returns how many trajectories."""
    done = 0
    for ids in _batches(trajectory_ids):
        # Once is enough: a second call finds nothing left, and touches no row (nor its
        # updated_at).
        ids = list(db.session.scalars(sa.select(Trajectory.id).where(
            Trajectory.id.in_(ids), Trajectory.anonymised_at.is_(None))))
        if not ids:
            continue
        _update(Referral, Referral.trajectory_id.in_(ids),
                question=REMOVED, best_moment=None, referrer_name=None, referrer_phone=None,
                referrer_email=None, partner_contact_id=None)
        _update(ContactAttempt, ContactAttempt.trajectory_id.in_(ids), note=None)
        _update(Intake, Intake.trajectory_id.in_(ids),
                motivation=None, volunteer_preferences=None, offer_difference_reason=None,
                screening_result=None, version=Intake.version + 1)
        _update(LearningGoal, LearningGoal.trajectory_id.in_(ids), own_words=REMOVED)
        _update(CheckIn, CheckIn.trajectory_id.in_(ids), note=None, topic=None)
        # A check-in still planned (an aftercare call nobody made) is nobody's task any more:
        # there is no one left to call.
        _update(CheckIn, sa.and_(CheckIn.trajectory_id.in_(ids),
                                 CheckIn.status == CheckInStatus.PLANNED),
                status=CheckInStatus.CANCELLED)
        _update(TrajectoryMove, TrajectoryMove.trajectory_id.in_(ids), reason=REMOVED)
        match_ids = sa.select(Match.id).where(Match.trajectory_id.in_(ids))
        _update(Match, Match.trajectory_id.in_(ids), end_note=None, first_meeting_place=None)
        session_ids = list(db.session.scalars(
            sa.select(MatchSession.id).where(MatchSession.match_id.in_(match_ids))))
        for sessions in _batches(session_ids):
            _update(MatchSession, MatchSession.id.in_(sessions), practised=REMOVED,
                    remark=None)
        _update(SelfRegistration, SelfRegistration.trajectory_id.in_(ids),
                first_name=ANONYMOUS_NAME, phone="", best_moment=None, question=None,
                helped_by=None)
        # Messages: to the person about this trajectory (through the participant index),
        # and the notices to staff and referrers about it (through the unique index).
        people = sa.select(Trajectory.participant_id).where(Trajectory.id.in_(ids))
        _update(Notification, sa.and_(Notification.participant_id.in_(people),
                                      Notification.trajectory_id.in_(ids)),
                email=None, **_CLEARED_MESSAGE)
        _update(InboundMessage, sa.and_(InboundMessage.participant_id.in_(people),
                                        InboundMessage.trajectory_id.in_(ids)),
                from_phone="", body="")
        keys = [f"trajectory:{i}" for i in ids]
        _update(Notification, sa.and_(Notification.kind.in_(TRAJECTORY_NOTICES),
                                      Notification.subject_key.in_(keys)),
                **_CLEARED_MESSAGE,
                # A referrer signal went to a contact person: their address goes too.
                email=sa.case((Notification.kind == "referrer_signal", None),
                              else_=Notification.email))
        matches = [f"match:{i}" for i in db.session.scalars(match_ids)]
        for part in _batches(matches):
            _update(Notification, sa.and_(Notification.kind.in_(MATCH_NOTICES),
                                          Notification.subject_key.in_(part)),
                    **_CLEARED_MESSAGE)
        for part in _batches([f"session:{i}" for i in session_ids]):
            _update(Notification, sa.and_(Notification.kind.in_(SESSION_NOTICES),
                                          Notification.subject_key.in_(part)),
                    **_CLEARED_MESSAGE)
        done += _update(Trajectory, Trajectory.id.in_(ids), anonymised_at=now)
    return done


def anonymise_people(participant_ids: Sequence[int], *, now: datetime) -> int:
    """Remove the personal data of these people (not of their trajectories: see
    `anonymise_participant` for both). Returns how many people."""
    done = 0
    for ids in _batches(participant_ids):
        ids = list(db.session.scalars(sa.select(Participant.id).where(
            Participant.id.in_(ids), Participant.anonymised_at.is_(None))))
        if not ids:
            continue
        _update(Consent, Consent.participant_id.in_(ids), note=None)
        _update(Notification, Notification.participant_id.in_(ids),
                email=None, **_CLEARED_MESSAGE)
        _update(InboundMessage, InboundMessage.participant_id.in_(ids), from_phone="", body="")
        done += _update(
            Participant, Participant.id.in_(ids),
            first_name=ANONYMOUS_NAME, last_name="", phone=None, phone_normalised=None,
            email=None, native_language=None, other_languages=None, message_language=None,
            postcode4=None,
            # The first year of its five-year band: the same again on a second run.
            birth_year=Participant.birth_year - Participant.birth_year % 5,
            anonymised_at=now,
            # An edit form opened before this cannot save the old data back over it.
            version=Participant.version + 1)
    return done


def anonymise_trajectory(trajectory: Trajectory, *, now: datetime) -> None:
    """One trajectory (retention); the person stays as long as another is in use."""
    anonymise_trajectories([trajectory.id], now=now)
    db.session.expire_all()


def anonymise_participant(participant: Participant, *, now: datetime) -> None:
    """The person and all their trajectories (erasure, or retention of their last one)."""
    ids = list(db.session.scalars(
        sa.select(Trajectory.id).where(Trajectory.participant_id == participant.id)))
    anonymise_trajectories(ids, now=now)
    anonymise_people([participant.id], now=now)
    db.session.expire_all()
