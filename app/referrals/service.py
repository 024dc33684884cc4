"""Referrals: registering one, the first-contact attempts and planning the intake.

Functions add and flush; the caller commits once (one transaction per action).
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, selectinload

from app.appointments.models import Appointment, AppointmentKind, AppointmentStatus
from app.audit import service as audit
from app.auth.permissions import (
    appointment_hosts,
    not_restricted,
    participant_scope,
)
from app.checkins.service import due_date, first_contact_rule
from app.core.errors import DomainError
from app.core.events import emit
from app.core.followup import thresholds
from app.core.phone import clean_phone, display_phone, normalise_phone
from app.core.timeutil import add_working_days, local_date
from app.extensions import db
from app.participants.models import Consent, Participant, Trajectory, TrajectoryStatus
from app.participants.owners import owner_for_new_trajectory
from app.participants.service import has_referrer, record_contact, set_consent
from app.referrals.models import ContactAttempt, Referral, ReferralResult


class ReferralError(DomainError):
    """A rule of the Taalhuis stops this referral action."""


class OpenTrajectoryError(ReferralError):
    default_message = _l("Deze persoon heeft hier al een open traject.")

    def __init__(self, trajectory: Trajectory):
        super().__init__()
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
    # None: not asked (a self-registration has no referrer to tell), so nothing is recorded
    # and an earlier decision of a known person stays in force.
    share_with_referrer: bool | None
    consent_method: str
    partner_id: int | None = None
    partner_contact_id: int | None = None
    referrer_name: str | None = None
    referrer_phone: str | None = None
    referrer_email: str | None = None
    best_moment: str | None = None
    # Messages to the person (SMS, WhatsApp, e-mail); None: not asked, nothing recorded.
    messages_consent: bool | None = None


def same_person(candidate, first_name, last_name, phone_normalised, birth_year
                ) -> sa.ColumnElement[bool]:
    """SQL condition: `candidate` (Participant or an alias) is probably the person described
    (see `same_person_options`)."""
    options = same_person_options(candidate, first_name, last_name, phone_normalised,
                                  birth_year)
    return sa.or_(*options) if options else sa.false()


def same_person_options(candidate, first_name, last_name, phone_normalised, birth_year
                        ) -> list[sa.ColumnElement[bool]]:
    """The ways `candidate` (Participant or an alias) can be the person described, each a
    complete SQL condition: `same_person` is any of them.

    The other arguments are either values or the columns of a second alias, so the work
    queue can compare a whole page of people in one query with the same rule.

    Same first and last name (case-insensitive) and the same phone number or birth year:
    a name alone is too common to warn about, a phone number alone is shared by families.
    A self-registration has no last name; when either last name is missing, the first name
    and the phone number must both match (a birth year is too weak a second clue then).
    """
    lower = sa.func.lower
    if isinstance(first_name, str):
        last_value = (last_name or "").strip().lower()
        same_first = lower(candidate.first_name) == first_name.strip().lower()
        same_last = sa.and_(candidate.last_name != "",
                            lower(candidate.last_name) == last_value) if last_value else None
        last_missing = sa.true() if not last_value else candidate.last_name == ""
        same_phone = (candidate.phone_normalised == phone_normalised
                      if phone_normalised else None)
        same_year = candidate.birth_year == birth_year if birth_year else None
    else:
        # Columns: NULL never equals NULL in SQL, so unknown phones or years never match.
        same_first = lower(candidate.first_name) == lower(first_name)
        same_last = sa.and_(candidate.last_name != "",
                            lower(candidate.last_name) == lower(last_name))
        last_missing = sa.or_(candidate.last_name == "", last_name == "")
        same_phone = candidate.phone_normalised == phone_normalised
        same_year = candidate.birth_year == birth_year
    # Two alternatives that each name an index, so the database looks a person up instead
    # of comparing them with everyone: the phone number (ix_participants_phone_normalised),
    # or both names with the birth year (ix_participants_lower_name). The same rule as
    # "(same phone or year) and (same last name, or a last name missing and the same
    # phone)".
    known = candidate.anonymised_at.is_(None)
    options = []
    if same_phone is not None:
        last = last_missing if same_last is None else sa.or_(same_last, last_missing)
        options.append(sa.and_(same_phone, same_first, last, known))
    if same_last is not None and same_year is not None:
        options.append(sa.and_(same_last, same_first, same_year, known))
    return options


def find_possible_duplicates(scope: sa.Select, first_name: str, last_name: str,
                             phone: str | None, birth_year: int | None,
                             limit: int = 10, exclude_id: int | None = None
                             ) -> list[Participant]:
    """People in `scope` (a select of Participant) who are probably the same person
    (see `same_person`); `exclude_id` leaves out the person being compared."""
    condition = same_person(Participant, first_name, last_name, normalise_phone(phone),
                            birth_year)
    query = scope.where(condition)
    if exclude_id is not None:
        query = query.where(Participant.id != exclude_id)
    query = (
        query.options(selectinload(Participant.trajectories).joinedload(Trajectory.location))
        .order_by(Participant.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def hidden_duplicate_exists(user, first_name: str, last_name: str, phone: str | None,
                            birth_year: int | None, exclude_id: int | None = None) -> bool:
    """Is someone who is probably this person known only where `user` cannot look?

    Staff then get a neutral hint to ask the coordinator; they learn nothing else.
    """
    condition = sa.and_(
        same_person(Participant, first_name, last_name, normalise_phone(phone), birth_year),
        sa.not_(participant_scope(user)),
        # A restricted person is out of every check shown to staff (AVG art. 18).
        not_restricted(Participant.id))
    if exclude_id is not None:
        condition = sa.and_(condition, Participant.id != exclude_id)
    return db.session.scalar(sa.select(Participant.id).where(condition).limit(1)) is not None


# What the work queue shows for a trajectory whose person is probably known already.
KNOWN_HERE = "known"            # someone the user may see: offer to attach
KNOWN_ELSEWHERE = "elsewhere"   # only at a location the user cannot see: a neutral hint


def duplicate_hints(user, participant_ids: list[int]) -> dict[int, str]:
    """{participant id: KNOWN_HERE or KNOWN_ELSEWHERE} for the people of a queue page.

    One query for the whole page, whatever its length: each person is compared with every
    other by `same_person`, and a match the user may see wins over one they may not.
    """
    if not participant_ids:
        return {}
    person = aliased(Participant)
    other = aliased(Participant)
    # One join per way of being the same person, each an indexed look-up per person of the
    # page: a single join with OR, or with the restriction test inside it, makes the
    # database compare the page with everyone. The few pairs found are tested after.
    pairs = sa.union_all(*(
        sa.select(person.id.label("person_id"), other.id.label("other_id"))
        .join(other, sa.and_(option, other.id != person.id))
        .where(person.id.in_(participant_ids))
        for option in same_person_options(other, person.first_name, person.last_name,
                                          person.phone_normalised, person.birth_year)
    )).subquery()
    found = aliased(Participant)
    visible = sa.case((participant_scope(user, found), 1), else_=0)
    rows = db.session.execute(
        sa.select(pairs.c.person_id, sa.func.max(visible))
        .join(found, found.id == pairs.c.other_id)
        .where(not_restricted(found.id))
        .group_by(pairs.c.person_id)
    ).all()
    return {pid: KNOWN_HERE if seen else KNOWN_ELSEWHERE for pid, seen in rows}


def open_trajectory_at(participant: Participant, location_id: int) -> Trajectory | None:
    return db.session.scalar(
        sa.select(Trajectory).where(
            Trajectory.participant_id == participant.id,
            Trajectory.location_id == location_id,
            Trajectory.is_open,
        ).order_by(Trajectory.id.desc()).limit(1)
    )


def mask_phone(phone: str | None) -> str:
    """Only the last three digits: enough to recognise a number, not to call it."""
    digits = "".join(c for c in display_phone(phone) if c.isdigit())
    if len(digits) <= 3:
        return "•" * len(digits)
    return "•" * (len(digits) - 3) + digits[-3:]


def first_contact_due(referred_on: date) -> date:
    """The deadline of the first contact: the same offset as the check-in its rule plans, so
    the queue and the task list agree. Without any such rule: DESIGN.md's 5 working days."""
    rule = first_contact_rule()
    if rule is None:
        return add_working_days(referred_on, 5)
    return due_date(rule, referred_on)


def _new_participant(person: PersonInput) -> Participant:
    participant = Participant(
        first_name=person.first_name.strip(),
        last_name=(person.last_name or "").strip(),
        phone=clean_phone(person.phone),
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
        if name == "phone":
            new = clean_phone(new)
        if new and not getattr(participant, name):
            setattr(participant, name, new)
            filled.append(name)
    if "phone" in filled:
        participant.phone_normalised = normalise_phone(participant.phone)
    if participant.language_background == "unknown" and person.language_background != "unknown":
        participant.language_background = person.language_background
        filled.append("language_background")
    return filled


def _new_referral(trajectory: Trajectory, referral: ReferralInput, user, now: datetime,
                  *, primary: bool = True) -> Referral:
    record = Referral(
        trajectory=trajectory,
        is_primary=primary,
        partner_id=referral.partner_id,
        partner_contact_id=referral.partner_contact_id,
        referrer_name=referral.referrer_name or None,
        referrer_phone=clean_phone(referral.referrer_phone),
        referrer_email=referral.referrer_email or None,
        referred_on=referral.referred_on,
        question=referral.question.strip(),
        channel=referral.channel,
        best_moment=referral.best_moment or None,
        first_contact_due=first_contact_due(referral.referred_on),
        result=ReferralResult.PENDING,
        created_by_id=getattr(user, "id", None),
        created_at=now,
    )
    return record


def _record_consents(participant: Participant, record: Referral, referral: ReferralInput,
                     user, now: datetime) -> None:
    """The consents asked with this referral. The share decision is about this referral's
    referrer only (`record`), whatever the person told other referrers."""
    db.session.add(Consent(participant=participant, kind="processing", given=True,
                           method=referral.consent_method, recorded_at=now,
                           recorded_by_id=getattr(user, "id", None)))
    db.session.flush()
    # No referrer, nothing to share with: a "nee" to nobody is data we need not keep.
    if referral.share_with_referrer is not None and has_referrer(record):
        db.session.add(Consent(participant=participant, kind="share_with_referrer",
                               given=referral.share_with_referrer, referral=record,
                               method=referral.consent_method, recorded_at=now,
                               recorded_by_id=getattr(user, "id", None)))
    if referral.messages_consent is not None:
        # Through set_consent, so the decision is in the audit log like one made later.
        db.session.flush()
        set_consent(participant, "messages", referral.messages_consent,
                    referral.consent_method, user, now)


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
        # Set before "referral_registered", so the first-contact check-in is the owner's.
        owner=owner_for_new_trajectory(referral.location_id, user),
        status=TrajectoryStatus.REFERRED,
        referred_on=referral.referred_on,
    )
    db.session.add(trajectory)
    record = _new_referral(trajectory, referral, user, now)
    db.session.add(record)
    _record_consents(participant, record, referral, user, now)
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


def add_referral_to_trajectory(trajectory: Trajectory, *, person: PersonInput,
                               referral: ReferralInput, user, now: datetime) -> Referral:
    """A second referrer for a person who already has this open trajectory: their referral
    (partner, contact person, question) is kept on it, next to the first one.

    The first referral stays the primary one: the first-contact deadline, the work queue,
    the reports and the signals go by it; this one is on the participant page and the
    timeline. The consent given with it is recorded as with any referral.
    """
    if not trajectory.is_open:
        raise ReferralError(_("Dit traject is afgesloten. Maak een nieuwe aanmelding."))
    if trajectory.location_id != referral.location_id:
        raise ReferralError(_("Dit traject hoort bij een andere vestiging."))
    participant = trajectory.participant
    filled = _fill_blanks(participant, person)
    record = _new_referral(trajectory, referral, user, now, primary=False)
    db.session.add(record)
    _record_consents(participant, record, referral, user, now)
    db.session.flush()
    summary = f"tweede aanmelding bij traject {trajectory.id}"
    if filled:
        summary += f"; aangevuld: {', '.join(filled)}"
    audit.record(user, "create", "referral", record.id, participant_id=participant.id,
                 summary=summary, now=now)
    return record


class MergeError(ReferralError):
    """Attaching a trajectory to a known person is refused."""


def _person_of(participant: Participant) -> PersonInput:
    return PersonInput(
        first_name=participant.first_name, last_name=participant.last_name,
        phone=participant.phone, email=participant.email,
        preferred_channel=participant.preferred_channel, birth_year=participant.birth_year,
        language_background=participant.language_background,
        native_language=participant.native_language,
        other_languages=participant.other_languages, found_via=participant.found_via)


def attach_to_known_person(trajectory: Trajectory, known: Participant, *, user,
                           now: datetime) -> list[str]:
    """Move `trajectory` from a person registered twice to `known`, the person we already
    had, and remove the duplicate, now empty. Returns the fields filled in on `known`.

    Used when a referral came in through the portal, the API or self-registration: those
    never tell the sender whether a person is known, so staff merge afterwards. Raises
    MergeError (with a Dutch message) when the merge would break a rule; nothing is
    changed then. The caller commits: one transaction for the whole merge.
    """
    duplicate = trajectory.participant
    if known.id == duplicate.id:
        raise MergeError(_("Dit is dezelfde persoon. Er is niets samen te voegen."))
    if known.anonymised_at is not None:
        raise MergeError(_("Deze persoon is geanonimiseerd. Toevoegen kan niet."))
    others = [t for t in duplicate.trajectories if t.id != trajectory.id]
    if others:
        # Only a person with this one trajectory is a fresh duplicate; anyone with a
        # history of their own is not ours to remove here.
        raise MergeError(_(
            "%(name)s heeft nog andere trajecten. Samenvoegen kan hier niet; vraag de "
            "beheerder.", name=duplicate.full_name))
    # Lock the known person's row (PostgreSQL; SQLite writes one at a time anyway), so two
    # merges or registrations at once cannot give them two open trajectories at one desk.
    db.session.execute(sa.select(Participant.id).where(Participant.id == known.id)
                       .with_for_update())
    if trajectory.is_open:
        current = open_trajectory_at(known, trajectory.location_id)
        if current is not None and current.id != trajectory.id:
            if not _still_fresh(trajectory):
                raise MergeError(_(
                    "%(name)s heeft al een open traject bij %(location)s. Twee open trajecten "
                    "voor één persoon op één vestiging kan niet. Werk verder in het traject "
                    "dat er al is.", name=known.full_name, location=current.location.name))
            return _fold_into_open_trajectory(trajectory, current, user=user, now=now)

    filled = _fill_blanks(known, _person_of(duplicate))
    # The consents recorded with this referral belong to the same person; they move too.
    for consent in list(duplicate.consents):
        consent.participant = known
    trajectory.participant = known
    db.session.flush()
    duplicate_id = duplicate.id
    db.session.delete(duplicate)
    db.session.flush()

    _record_merge(user, known, duplicate_id, filled, now,
                  f"traject {trajectory.id} toegevoegd; dubbele deelnemer {duplicate_id} "
                  "verwijderd")
    return filled


def _record_merge(user, known: Participant, duplicate_id: int, filled: list[str],
                  now: datetime, summary: str) -> None:
    """Log a duplicate folded into the known person, also under the removed record's id, so
    its log says where it went."""
    if filled:
        summary += f"; aangevuld: {', '.join(filled)}"
    audit.record(user, "update", "participant", known.id, participant_id=known.id,
                 summary=summary, now=now)
    audit.record(user, "delete", "participant", duplicate_id, participant_id=duplicate_id,
                 summary=f"dubbel; samengevoegd met deelnemer {known.id}", now=now)


def _still_fresh(trajectory: Trajectory) -> bool:
    """Nothing happened on it yet but the registration: it may become a second referral."""
    return (trajectory.status == TrajectoryStatus.REFERRED and not trajectory.contact_attempts
            and trajectory.intake is None and len(trajectory.referrals) == 1)


def _fold_into_open_trajectory(trajectory: Trajectory, current: Trajectory, *, user,
                               now: datetime) -> list[str]:
    """The person registered twice already has `current` open at this location: the new
    referral (from the portal, the API or self-registration) becomes a second referral on
    `current`, the same as a second referrer registered by staff; the duplicate trajectory
    and person, which nothing else happened to, are removed."""
    from app.checkins.models import CheckIn
    from app.selfreg.models import SelfRegistration

    duplicate = trajectory.participant
    known = current.participant
    referral = trajectory.referral
    filled = _fill_blanks(known, _person_of(duplicate))
    for consent in list(duplicate.consents):
        consent.participant = known
    referral.is_primary = False
    referral.trajectory = current
    db.session.flush()
    # Its first-contact check-in: the open trajectory has its own follow-up already.
    db.session.execute(sa.delete(CheckIn).where(CheckIn.trajectory_id == trajectory.id))
    db.session.execute(sa.update(SelfRegistration)
                       .where(SelfRegistration.trajectory_id == trajectory.id)
                       .values(trajectory_id=current.id))
    trajectory_id, duplicate_id = trajectory.id, duplicate.id
    db.session.delete(trajectory)
    db.session.flush()
    db.session.delete(duplicate)
    db.session.flush()
    _record_merge(user, known, duplicate_id, filled, now,
                  f"aanmelding {referral.id} als tweede aanmelding bij traject {current.id}; "
                  f"dubbel traject {trajectory_id} en deelnemer {duplicate_id} verwijderd")
    return filled


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

    `outcome` (one of ReferralResult.ENDING) is for a reached person who does not want help
    here; it ends the trajectory.
    """
    if not trajectory.before_intake:
        raise ReferralError(_("Het eerste contact met deze persoon is al voorbij."))
    if outcome is not None and (outcome not in ReferralResult.ENDING or not reached):
        raise ValueError(f"invalid outcome {outcome!r} for reached={reached}")

    attempt = ContactAttempt(trajectory=trajectory, at=now, by_id=getattr(user, "id", None),
                             reached=reached, channel=channel, note=note or None,
                             outcome=outcome)
    db.session.add(attempt)
    referral = trajectory.referral
    today = local_date(now)
    searching = trajectory.not_yet_reached

    back_in_view = False
    if reached:
        back_in_view = record_contact(trajectory, now)
        if outcome is not None:
            trajectory.status = TrajectoryStatus.ENDED
            trajectory.ended_on = today
            trajectory.outcome = outcome
        elif searching:
            trajectory.status = TrajectoryStatus.CONTACTED
        if referral is not None and (outcome is not None or searching):
            referral.result = outcome or ReferralResult.REACHED
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
        if (trajectory.status == TrajectoryStatus.REFERRED
                and failed >= thresholds().max_contact_attempts):
            trajectory.status = TrajectoryStatus.UNREACHABLE
            if referral is not None:
                referral.result = ReferralResult.NOT_REACHED
                referral.result_on = today
        emit("contact_failed", trajectory, now, attempts=failed)
    if back_in_view:
        emit("back_in_view", trajectory, now)
    return attempt


def plan_intake(trajectory: Trajectory, at: datetime, user, now: datetime, *,
                location_id: int | None = None, room: str | None = None, with_user=None,
                form_key: str | None = None) -> Appointment:
    """Plan (or move) the intake conversation; `at` is an aware datetime.

    It becomes an appointment (place, who holds it); Trajectory.intake_planned_at keeps a
    copy of the moment for the pages that show it. Moving keeps the old appointment as
    "moved", so the timeline shows the history. Defaults: the trajectory's location, and
    the one who plans it holds it.
    """
    if not trajectory.before_intake:
        raise ReferralError(_("Voor dit traject kan geen intake meer worden gepland."))
    if at <= now:
        raise ReferralError(_("Een intake kan niet in het verleden worden gepland."))
    location_id = location_id or trajectory.location_id
    with_user = with_user or user
    if with_user not in appointment_hosts([location_id]).get(location_id, []):
        raise ReferralError(_("%(name)s werkt niet op deze vestiging. Kies een medewerker of "
                              "coördinator van de vestiging.", name=with_user.name))
    current = db.session.scalar(sa.select(Appointment).where(
        Appointment.trajectory_id == trajectory.id, Appointment.kind == AppointmentKind.INTAKE,
        Appointment.status == AppointmentStatus.PLANNED))
    moved = current is not None or trajectory.intake_planned_at is not None
    if current is not None:
        current.status = AppointmentStatus.MOVED
        current.closed_at = now
        current.closed_by_id = getattr(user, "id", None)
        # Its call tasks lapse: the new appointment brings its own.
        from app.messaging.service import close_appointment_tasks

        close_appointment_tasks(current.id, now)
        # Before the new one exists: one planned intake per trajectory (a unique index).
        db.session.flush()
    appointment = Appointment(trajectory=trajectory, kind=AppointmentKind.INTAKE, starts_at=at,
                              location_id=location_id, room=(room or "").strip() or None,
                              with_user_id=with_user.id, status=AppointmentStatus.PLANNED,
                              planned_by_id=getattr(user, "id", None), created_at=now,
                              form_key=form_key or None)
    db.session.add(appointment)
    db.session.flush()
    if current is not None:
        current.moved_to_id = appointment.id
    # Straight from the queue: making the appointment with the person is the first contact.
    first_contact = trajectory.not_yet_reached
    trajectory.intake_planned_at = at
    trajectory.status = TrajectoryStatus.INTAKE_PLANNED
    back_in_view = False
    if first_contact:
        back_in_view = record_contact(trajectory, now)
        if trajectory.referral is not None:
            trajectory.referral.result = ReferralResult.REACHED
            trajectory.referral.result_on = local_date(now)
    if trajectory.referral is not None:
        trajectory.referral.intake_scheduled_at = now
        trajectory.referral.intake_scheduled_by_id = getattr(user, "id", None)
    audit.record(user, "update", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id,
                 summary=("intake verplaatst" if moved else "intake gepland"), now=now)
    if back_in_view:
        emit("back_in_view", trajectory, now)
    if first_contact:
        emit("contact_made", trajectory, now)
    # The participant hears of it at once (or the owner gets a call task), in this same
    # transaction. Imported here: messaging imports the appointments and this package.
    from app.messaging.kinds import intake_planned

    intake_planned(appointment, now, user)
    return appointment
