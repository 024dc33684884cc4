"""Domain functions for participants and trajectories (no request handling)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import trajectory_scope
from app.core.choices import CONSENT_KIND, CONSENT_METHOD
from app.core.events import emit
from app.core.phone import clean_phone, normalise_phone, phone_search_fragment
from app.core.timeutil import local_date
from app.extensions import db
from app.participants.models import Consent, Participant, Trajectory


def record_contact(trajectory: Trajectory, at: datetime) -> bool:
    """A contact happened (intake, session, check-in done, referral reached).

    The newest contact is the trajectory's last contact; it drives "buiten beeld". Only a
    contact that is newer than the last known one and from the day the trajectory went out
    of view or later brings it back into view: a session logged late for a day before that
    does not mean anyone has reached the person since. Whole days, because a session has a
    date and no time.

    Returns whether it brought the trajectory back into view: the caller then emits
    "back_in_view" once its own changes are made (and with the real "now"), so the
    referrer hears the new stage at once, not at the next event weeks later.
    """
    newer = trajectory.last_contact_at is None or at > trajectory.last_contact_at
    if newer:
        trajectory.last_contact_at = at
    flagged = trajectory.out_of_view_since
    if flagged is not None and newer and local_date(at) >= local_date(flagged):
        trajectory.out_of_view_since = None
        return True
    return False


# --- The participant list -------------------------------------------------------------------

def _newest_trajectories(trajectory_condition):
    """Per participant, the id of their newest trajectory the viewer may see."""
    return (
        sa.select(Trajectory.participant_id,
                  sa.func.max(Trajectory.id).label("trajectory_id"))
        .where(trajectory_condition)
        .group_by(Trajectory.participant_id)
        .subquery()
    )


def participant_list_query(participants: sa.Select, trajectory_condition, *, q: str = "",
                           status: str = "", location_id: int | None = None,
                           owner: str = "", viewer_id: int | None = None) -> sa.Select:
    """Participants matching search and filters; filters apply to the newest trajectory.

    `participants` and `trajectory_condition` are the viewer's scope from the permissions
    module, so the list never shows more than the viewer may see.
    """
    latest = _newest_trajectories(trajectory_condition)
    # An alias: the scope condition in `participants` has its own correlated Trajectory.
    newest = aliased(Trajectory)
    query = (
        participants.outerjoin(latest, latest.c.participant_id == Participant.id)
        .outerjoin(newest, newest.id == latest.c.trajectory_id)
    )
    q = (q or "").strip()
    if q:
        query = query.where(_search_condition(q))
    if status == "open":
        query = query.where(newest.is_open)
    elif status == "out_of_view":
        query = query.where(newest.out_of_view_since.is_not(None))
    elif status:
        query = query.where(newest.status == status)
    if location_id:
        query = query.where(newest.location_id == location_id)
    if owner == "me":
        query = query.where(newest.owner_id == viewer_id)
    elif owner == "none":
        query = query.where(newest.id.is_not(None), newest.owner_id.is_(None))
    elif owner.isdigit():
        query = query.where(newest.owner_id == int(owner))
    return query.order_by(sa.func.lower(Participant.last_name),
                          sa.func.lower(Participant.first_name), Participant.id)


def _search_condition(q: str) -> sa.ColumnElement[bool]:
    # Anonymised people have no name or number left to find (app/privacy/anonymise.py):
    # a search for "geanonimiseerd" must not list them either.
    return sa.and_(Participant.anonymised_at.is_(None), _search_words(q))


def _search_words(q: str) -> sa.ColumnElement[bool]:
    fragment = phone_search_fragment(q)
    if fragment:
        return Participant.phone_normalised.contains(fragment, autoescape=True)
    # Every word must be in the first or the last name: "fatima amr" finds Fatima El Amrani.
    conditions = []
    for word in q.lower().split():
        conditions.append(sa.or_(
            sa.func.lower(Participant.first_name).contains(word, autoescape=True),
            sa.func.lower(Participant.last_name).contains(word, autoescape=True),
        ))
    return sa.and_(*conditions)


def newest_visible_trajectories(people, user) -> dict:
    """Per person, their newest trajectory `user` may see (not one at another location)."""
    return newest_trajectories_for([p.id for p in people or ()], trajectory_scope(user))


def newest_trajectories_for(participant_ids: list[int], trajectory_condition) -> dict:
    """{participant_id: newest visible Trajectory} with location and owner, in one query."""
    if not participant_ids:
        return {}
    latest = _newest_trajectories(
        sa.and_(trajectory_condition, Trajectory.participant_id.in_(participant_ids))
    )
    rows = db.session.scalars(
        sa.select(Trajectory)
        .join(latest, latest.c.trajectory_id == Trajectory.id)
        .options(joinedload(Trajectory.location),
                 joinedload(Trajectory.owner).lazyload(User.locations))
    ).all()
    return {t.participant_id: t for t in rows}


# --- Person details -------------------------------------------------------------------------

PERSON_FIELDS = (
    "first_name", "last_name", "phone", "email", "preferred_channel", "birth_year",
    "language_background", "native_language", "other_languages", "sex", "postcode4",
    "found_via", "message_language",
)


def update_participant(participant: Participant, data: dict, user, now: datetime) -> list[str]:
    """Apply changed person fields; audit the NAMES of what changed, never the values."""
    changed = []
    for name in PERSON_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            # last_name is NOT NULL: one-name people (common among refugees) get "".
            value = value.strip() or ("" if name == "last_name" else None)
        if name == "phone":
            # Compared as stored, so saving "06 12345678" over "+31612345678" changes nothing.
            value = clean_phone(value)
        if getattr(participant, name) != value:
            setattr(participant, name, value)
            changed.append(name)
    if "phone" in changed:
        participant.phone_normalised = normalise_phone(participant.phone)
    if changed:
        participant.updated_at = now
        audit.record(user, "update", "participant", participant.id,
                     participant_id=participant.id,
                     summary="gewijzigd: " + ", ".join(changed), now=now)
    return changed


# --- Consent --------------------------------------------------------------------------------

def consents_in_force(consents) -> dict[str, Consent]:
    """The newest decision per kind."""
    current: dict[str, Consent] = {}
    for consent in sorted(consents, key=lambda c: (c.recorded_at, c.id or 0)):
        current[consent.kind] = consent
    return current


def consent_history(participant: Participant) -> list[Consent]:
    """Every decision, newest first, with who recorded it (one query)."""
    return db.session.scalars(
        sa.select(Consent).where(Consent.participant_id == participant.id)
        .options(joinedload(Consent.recorded_by).lazyload(User.locations))
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
    ).all()


def consent_state(participant: Participant) -> dict[str, bool | None]:
    """{kind: given?} for every kind; None when nothing was ever recorded."""
    current = consents_in_force(consent_history(participant))
    return {kind: (current[kind].given if kind in current else None) for kind in CONSENT_KIND}


def set_consent(participant: Participant, kind: str, given: bool, method: str, user,
                now: datetime, note: str | None = None) -> Consent:
    """Record a consent decision. The history stays; the newest row is the one in force."""
    if kind not in CONSENT_KIND:
        raise ValueError(f"unknown consent kind {kind!r}")
    if method not in CONSENT_METHOD:
        raise ValueError(f"unknown consent method {method!r}")
    consent = Consent(participant=participant, kind=kind, given=given, method=method,
                      recorded_at=now, recorded_by=user, note=(note or "").strip() or None)
    db.session.add(consent)
    db.session.flush()
    audit.record(user, "update", "consent", consent.id, participant_id=participant.id,
                 summary=f"toestemming {kind}: {'gegeven' if given else 'ingetrokken'}",
                 now=now)
    return consent


def set_owner(trajectory: Trajectory, owner, user, now: datetime) -> bool:
    """Make `owner` (or nobody) the owner; open owner check-ins move along (through the
    "owner_changed" event, so this module does not import the check-ins service, which
    imports it)."""
    previous_owner_id = trajectory.owner_id
    if previous_owner_id == getattr(owner, "id", None):
        return False
    trajectory.owner = owner
    db.session.flush()
    emit("owner_changed", trajectory, now, previous_owner_id=previous_owner_id)
    audit.record(user, "update", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id, summary="gewijzigd: owner", now=now)
    return True
