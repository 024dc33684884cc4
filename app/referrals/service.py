"""Referrals: registering one, the first-contact attempts and planning the intake.

Functions add and flush; the caller commits once (one transaction per action).
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.auth.permissions import owner_on_registration
from app.core.events import emit
from app.core.timeutil import add_working_days, local_date
from app.extensions import db
from app.participants.models import Consent, Participant, Trajectory, normalise_phone
from app.participants.service import record_contact
from app.referrals.models import ContactAttempt, Referral

# Statuses in which the first-contact work (calling, planning the intake) still applies.
FIRST_CONTACT_STATUSES = ("referred", "contacted", "unreachable", "intake_planned")
# Results that end a trajectory at first contact.
ENDING_OUTCOMES = ("declined", "forwarded")


class ReferralError(Exception):
    """A rule of the Taalhuis stops this action; the view shows it to the user."""


class OpenTrajectoryError(ReferralError):
    def __init__(self, trajectory: Trajectory):
        super().__init__(f"participant already has open trajectory {trajectory.id}")
        self.trajectory = trajectory


@dataclass
class PersonInput:
    first_name: str
    last_name: str = ""
    phone: str | None = None
    email: str | None = None
    preferred_channel: str = "phone"
    birth_year: int | None = None
    language_background: str = "unknown"
    native_language: str | None = None
    other_languages: str | None = None
    found_via: str | None = None


@dataclass
class ReferralInput:
    location_id: int
    question: str
    channel: str
    referred_on: date
    share_with_referrer: bool
    consent_method: str
    partner_id: int | None = None
    partner_contact_id: int | None = None
    referrer_name: str | None = None
    referrer_phone: str | None = None
    referrer_email: str | None = None
    best_moment: str | None = None


def find_possible_duplicates(scope: sa.Select, first_name: str, last_name: str,
                             phone: str | None, birth_year: int | None,
                             limit: int = 10) -> list[Participant]:
    """People in `scope` (a select of Participant) who are probably the same person.

    Same first and last name (case-insensitive) and the same phone number or birth year:
    a name alone is too common to warn about, a phone number alone is shared by families.
    """
    phone_normalised = normalise_phone(phone)
    same_contact = []
    if phone_normalised:
        same_contact.append(Participant.phone_normalised == phone_normalised)
    if birth_year:
        same_contact.append(Participant.birth_year == birth_year)
    if not same_contact:
        return []
    query = (
        scope.where(
            sa.func.lower(Participant.first_name) == first_name.strip().lower(),
            sa.func.lower(Participant.last_name) == (last_name or "").strip().lower(),
            Participant.anonymised_at.is_(None),
            sa.or_(*same_contact),
        )
        .options(selectinload(Participant.trajectories).joinedload(Trajectory.location))
        .order_by(Participant.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def open_trajectory_at(participant: Participant, location_id: int) -> Trajectory | None:
    return db.session.scalar(
        sa.select(Trajectory).where(
            Trajectory.participant_id == participant.id,
            Trajectory.location_id == location_id,
            Trajectory.status != "ended",
        ).order_by(Trajectory.id.desc()).limit(1)
    )


def mask_phone(phone: str | None) -> str:
    """Only the last three digits: enough to recognise a number, not to call it."""
    digits = normalise_phone(phone) or ""
    if len(digits) <= 3:
        return "•" * len(digits)
    return "•" * (len(digits) - 3) + digits[-3:]


def first_contact_due(referred_on: date) -> date:
    return add_working_days(referred_on, current_app.config["FIRST_CONTACT_WORKING_DAYS"])


def _new_participant(person: PersonInput) -> Participant:
    participant = Participant(
        first_name=person.first_name.strip(),
        last_name=(person.last_name or "").strip(),
        phone=person.phone or None,
        phone_normalised=normalise_phone(person.phone),
        email=person.email or None,
        preferred_channel=person.preferred_channel,
        birth_year=person.birth_year,
        language_background=person.language_background,
        native_language=person.native_language or None,
        other_languages=person.other_languages or None,
        found_via=person.found_via or None,
    )
    db.session.add(participant)
    return participant


def _fill_blanks(participant: Participant, person: PersonInput) -> list[str]:
    """Add what the existing record lacks; never overwrite what someone recorded before."""
    filled = []
    for name in ("phone", "email", "birth_year", "native_language", "other_languages",
                 "found_via"):
        new = getattr(person, name)
        if new and not getattr(participant, name):
            setattr(participant, name, new)
            filled.append(name)
    if "phone" in filled:
        participant.phone_normalised = normalise_phone(participant.phone)
    if participant.language_background == "unknown" and person.language_background != "unknown":
        participant.language_background = person.language_background
        filled.append("language_background")
    return filled


def register_referral(*, person: PersonInput, referral: ReferralInput, user, now: datetime,
                      existing_participant: Participant | None = None) -> Trajectory:
    """A new trajectory with its referral, for a new person or one already known.

    Raises OpenTrajectoryError when the known person already has an open trajectory at that
    location: two open cases for one person at one desk is how people get lost.
    """
    if existing_participant is not None:
        current = open_trajectory_at(existing_participant, referral.location_id)
        if current is not None:
            raise OpenTrajectoryError(current)
        participant = existing_participant
        filled = _fill_blanks(participant, person)
    else:
        participant = _new_participant(person)
        filled = []

    trajectory = Trajectory(
        participant=participant,
        location_id=referral.location_id,
        owner=owner_on_registration(user),
        status="referred",
        referred_on=referral.referred_on,
    )
    db.session.add(trajectory)
    record = Referral(
        trajectory=trajectory,
        partner_id=referral.partner_id,
        partner_contact_id=referral.partner_contact_id,
        referrer_name=referral.referrer_name or None,
        referrer_phone=referral.referrer_phone or None,
        referrer_email=referral.referrer_email or None,
        referred_on=referral.referred_on,
        question=referral.question.strip(),
        channel=referral.channel,
        best_moment=referral.best_moment or None,
        first_contact_due=first_contact_due(referral.referred_on),
        result="pending",
        created_by_id=getattr(user, "id", None),
        created_at=now,
    )
    db.session.add(record)
    for kind, given in (("processing", True),
                        ("share_with_referrer", referral.share_with_referrer)):
        db.session.add(Consent(participant=participant, kind=kind, given=given,
                               method=referral.consent_method, recorded_at=now,
                               recorded_by_id=getattr(user, "id", None)))
    db.session.flush()

    if existing_participant is not None:
        summary = "aanmelding toegevoegd aan bestaande deelnemer"
        if filled:
            summary += f"; aangevuld: {', '.join(filled)}"
    else:
        summary = "aanmelding geregistreerd, nieuwe deelnemer"
    audit.record(user, "create", "referral", record.id, participant_id=participant.id,
                 summary=summary, now=now)
    emit("referral_registered", trajectory, now)
    return trajectory


def failed_attempts_since_success(trajectory: Trajectory) -> int:
    count = 0
    for attempt in sorted(trajectory.contact_attempts, key=lambda a: (a.at, a.id or 0),
                          reverse=True):
        if attempt.reached:
            break
        count += 1
    return count


def log_contact_attempt(trajectory: Trajectory, *, reached: bool, channel: str,
                        note: str | None, user, now: datetime,
                        outcome: str | None = None) -> ContactAttempt:
    """One try to reach a referred person, and what it means for the trajectory.

    `outcome` ("declined" or "forwarded") is for a reached person who does not want help
    here; it ends the trajectory.
    """
    if trajectory.status not in FIRST_CONTACT_STATUSES:
        raise ReferralError("first contact is over for this trajectory")
    if outcome is not None and (outcome not in ENDING_OUTCOMES or not reached):
        raise ValueError(f"invalid outcome {outcome!r} for reached={reached}")

    attempt = ContactAttempt(trajectory=trajectory, at=now, by_id=getattr(user, "id", None),
                             reached=reached, channel=channel, note=note or None,
                             outcome=outcome)
    db.session.add(attempt)
    referral = trajectory.referral
    today = local_date(now)
    searching = trajectory.status in ("referred", "unreachable")

    if reached:
        record_contact(trajectory, now)
        if outcome is not None:
            trajectory.status = "ended"
            trajectory.ended_on = today
            trajectory.outcome = outcome
        elif searching:
            trajectory.status = "contacted"
        if referral is not None and (outcome is not None or searching):
            referral.result = outcome or "reached"
            referral.result_on = today
        summary = "contact gehad" + (f"; traject beëindigd ({outcome})" if outcome else "")
    else:
        summary = "niet bereikt"
    db.session.flush()
    audit.record(user, "create", "contact_attempt", attempt.id,
                 participant_id=trajectory.participant_id, summary=summary, now=now)

    if outcome is not None:
        emit("trajectory_ended", trajectory, now, outcome=outcome)
    elif reached and searching:
        emit("contact_made", trajectory, now)
    elif not reached and searching:
        failed = failed_attempts_since_success(trajectory)
        if (trajectory.status == "referred"
                and failed >= current_app.config["MAX_CONTACT_ATTEMPTS"]):
            trajectory.status = "unreachable"
            if referral is not None:
                referral.result = "not_reached"
                referral.result_on = today
        emit("contact_failed", trajectory, now, attempts=failed)
    return attempt


def plan_intake(trajectory: Trajectory, at: datetime, user, now: datetime) -> None:
    """Plan (or move) the intake conversation; `at` is an aware datetime."""
    if trajectory.status not in FIRST_CONTACT_STATUSES:
        raise ReferralError("the intake can no longer be planned for this trajectory")
    if at <= now:
        raise ReferralError("an intake cannot be planned in the past")
    moved = trajectory.intake_planned_at is not None
    # Straight from the queue: making the appointment with the person is the first contact.
    first_contact = trajectory.status in ("referred", "unreachable")
    trajectory.intake_planned_at = at
    trajectory.status = "intake_planned"
    if first_contact:
        record_contact(trajectory, now)
        if trajectory.referral is not None:
            trajectory.referral.result = "reached"
            trajectory.referral.result_on = local_date(now)
    if trajectory.referral is not None:
        trajectory.referral.intake_scheduled_at = now
        trajectory.referral.intake_scheduled_by_id = getattr(user, "id", None)
    audit.record(user, "update", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id,
                 summary=("intake verplaatst" if moved else "intake gepland"), now=now)
    if first_contact:
        emit("contact_made", trajectory, now)
