"""Self-registration: the public form lands in a queue; staff accept or reject.

The public side never tells whether a person is already known: every submission gets the
same thank-you, and duplicates are found by staff when they accept.
"""

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.api.service import over_limit
from app.audit import service as audit
from app.core.errors import DomainError
from app.core.phone import clean_phone
from app.core.records import change_status
from app.core.timeutil import local_date
from app.extensions import db
from app.partners.models import Partner
from app.referrals.service import (
    PersonInput,
    ReferralInput,
    add_referral_to_trajectory,
    find_possible_duplicates,
    hidden_duplicate_exists,
    register_referral,
)
from app.selfreg.models import SelfRegistration, SelfRegistrationStatus

TOPICS = {
    "lezen": _l("Lezen"),
    "schrijven": _l("Schrijven"),
    "spreken": _l("Nederlands praten"),
    "rekenen": _l("Rekenen"),
    "digitaal": _l("Computer en telefoon"),
}
MOMENTS = {
    "ochtend": _l("In de ochtend"),
    "middag": _l("In de middag"),
    "avond": _l("In de avond"),
    "maakt_niet_uit": _l("Maakt niet uit"),
}


class SelfRegError(DomainError):
    default_message = _l("Over deze aanmelding is al besloten.")


def address_bucket(address: str | None, secret: str) -> str:
    """A rate-limit bucket per address; the address itself is not stored (AVG)."""
    digest = hashlib.sha256(f"{secret}:{address or '-'}".encode()).hexdigest()[:40]
    return f"selfreg:{digest}"


def rate_limited(address: str | None, secret: str, limit: int, window: int,
                 now: datetime) -> bool:
    return over_limit(address_bucket(address, secret), limit, window, now) is not None


def submit(*, first_name: str, phone: str, best_moment: str | None, topics: list[str],
           question: str | None, helped_by: str | None, now: datetime) -> SelfRegistration:
    registration = SelfRegistration(
        first_name=first_name.strip(), phone=clean_phone(phone), best_moment=best_moment or None,
        topics=",".join(t for t in topics if t in TOPICS) or None,
        question=(question or "").strip() or None, helped_by=(helped_by or "").strip() or None,
        status=SelfRegistrationStatus.PENDING, created_at=now)
    db.session.add(registration)
    db.session.flush()
    return registration


def self_referral_partner() -> Partner:
    """The partner of kind "zelfmelder" that self-registrations are booked on."""
    partner = db.session.scalar(
        sa.select(Partner).where(Partner.kind == "zelfmelder").order_by(Partner.id).limit(1))
    if partner is None:
        partner = Partner(name="Zelfmelder", kind="zelfmelder", signals_enabled=False)
        db.session.add(partner)
        db.session.flush()
    return partner


def question_text(registration: SelfRegistration) -> str:
    """The referral's question, stored as text in the language of the one who accepts."""
    parts = [str(TOPICS[t]) for t in (registration.topics or "").split(",") if t in TOPICS]
    text = ", ".join(parts)
    if registration.question:
        text = f"{text}. {registration.question}" if text else registration.question
    return text or _("Wil iets leren (zelf aangemeld)")


def person_of(registration: SelfRegistration) -> PersonInput:
    return PersonInput(first_name=registration.first_name, phone=registration.phone,
                       found_via="website")


def possible_duplicates(registration: SelfRegistration, scope: sa.Select) -> list:
    """People in `scope` who are probably the one who registered (first name and phone:
    the form asks no more)."""
    person = person_of(registration)
    return find_possible_duplicates(scope, person.first_name, person.last_name, person.phone,
                                    person.birth_year)


def known_elsewhere(registration: SelfRegistration, user) -> bool:
    person = person_of(registration)
    return hidden_duplicate_exists(user, person.first_name, person.last_name, person.phone,
                                   person.birth_year)


def accept(registration: SelfRegistration, *, location_id: int, user, now: datetime,
           existing_participant=None, into_trajectory=None):
    """Turn the registration into a referral (source zelfmelder); returns the trajectory.

    With `existing_participant` the referral is added to that known person (staff chose so
    after the duplicate check); raises OpenTrajectoryError when they already have an open
    trajectory at the location. With `into_trajectory` (that open trajectory) the referral
    is added to it as a second referral instead.
    """
    if not registration.is_pending or not change_status(
            registration, SelfRegistrationStatus.ACCEPTED,
            SelfRegistration.status == SelfRegistrationStatus.PENDING):
        raise SelfRegError()
    moment = MOMENTS.get(registration.best_moment or "", registration.best_moment)
    if moment is not None:
        moment = str(moment)
    referral = ReferralInput(
        location_id=location_id, question=question_text(registration), channel="form",
        referred_on=local_date(registration.created_at), share_with_referrer=None,
        consent_method="digital", partner_id=self_referral_partner().id,
        referrer_name=registration.helped_by, best_moment=moment)
    if into_trajectory is not None:
        # The person already has this open trajectory here: a second referral on it.
        add_referral_to_trajectory(into_trajectory, person=person_of(registration),
                                   referral=referral, user=user, now=now)
        trajectory = into_trajectory
    else:
        trajectory = register_referral(person=person_of(registration), referral=referral,
                                       user=user, now=now,
                                       existing_participant=existing_participant)
    registration.decided_at = now
    registration.decided_by_id = getattr(user, "id", None)
    registration.trajectory_id = trajectory.id
    return trajectory


def reject(registration: SelfRegistration, *, user, now: datetime) -> None:
    if not registration.is_pending:
        raise SelfRegError()
    registration.status = SelfRegistrationStatus.REJECTED
    registration.decided_at = now
    registration.decided_by_id = getattr(user, "id", None)
    # Nothing of the person is kept after a rejection: minimal data.
    registration.phone = "-"
    registration.question = None
    registration.helped_by = None
    audit.record(user, "update", "self_registration", registration.id,
                 summary="zelfmelding afgewezen", now=now)

