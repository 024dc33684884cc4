"""Domain functions for participants and trajectories (no request handling)."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.util import ClauseAdapter

from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import trajectory_scope
from app.core.choices import CONSENT_KIND, CONSENT_METHOD
from app.core.events import emit
from app.core.phone import clean_phone, normalise_phone, phone_search_fragment
from app.core.timeutil import local_date
from app.extensions import db
from app.participants.models import Consent, Participant, Trajectory
from app.referrals.models import Referral


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


def _adapted(condition, alias):
    """`condition` on Trajectory, about `alias` instead."""
    return ClauseAdapter(sa.inspect(alias).selectable).traverse(condition)


def newest_visible_join(participant, trajectory_condition):
    """An alias of Trajectory and the ON clause joining, per person, the newest trajectory
    the viewer may see (none when there is none), for an OUTER join.

    `trajectory_condition` is the viewer's scope (`trajectory_scope`): whole locations, so
    the newest visible trajectory is the newest at one of the visible locations, a flagged
    one (app/participants/current.py). Finding it is one index-only probe per person
    (ix_trajectories_newest_participant), instead of aggregating every trajectory on each
    request. The condition is adapted to the aliases, so it may name Trajectory's columns.
    """
    newest = aliased(Trajectory, name="newest")
    candidate = aliased(Trajectory, name="candidate")
    newest_id = (
        sa.select(sa.func.max(candidate.id))
        .where(candidate.participant_id == participant.id,
               candidate.newest_at_location,
               _adapted(trajectory_condition, candidate))
        .scalar_subquery()
    )
    return newest, sa.and_(newest.participant_id == participant.id, newest.id == newest_id)


def newest_visible_inner_join(participant, trajectory_condition):
    """The same trajectory, for an INNER join: the ON clause and a WHERE condition.

    For a list filtered on the newest trajectory (its location, owner or status): with the
    "no newer one" test in WHERE, the database can start from the few flagged trajectories
    the filter finds (the partial indexes on newest_at_location) and test each with an
    anti-join, instead of finding the newest trajectory of everyone first.
    """
    newest = aliased(Trajectory, name="newest")
    newer = aliased(Trajectory, name="newer")
    on = sa.and_(newest.participant_id == participant.id,
                 newest.newest_at_location,
                 _adapted(trajectory_condition, newest))
    no_newer = ~sa.exists().where(newer.participant_id == newest.participant_id,
                                  newer.newest_at_location,
                                  newer.id > newest.id,
                                  _adapted(trajectory_condition, newer))
    return newest, on, no_newer


def participant_list_query(participants: sa.Select, trajectory_condition, *, q: str = "",
                           status: str = "", location_id: int | None = None,
                           owner: str = "", viewer_id: int | None = None) -> sa.Select:
    """Participants matching search and filters; filters apply to the newest trajectory.

    `participants` and `trajectory_condition` are the viewer's scope from the permissions
    module, so the list never shows more than the viewer may see.
    """
    condition = sa.and_(trajectory_condition)
    if status or location_id or owner in ("me", "none") or owner.isdigit():
        # Every filter needs a newest trajectory: an inner join leaves out the same people.
        newest, on, no_newer = newest_visible_inner_join(Participant, condition)
        query = participants.join(newest, on).where(no_newer)
    else:
        newest, on = newest_visible_join(Participant, condition)
        query = participants.outerjoin(newest, on)
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
        query = query.where(newest.owner_id.is_(None))
    elif owner.isdigit():
        query = query.where(newest.owner_id == int(owner))
    if (q and _found_by_trigrams(q)) or location_id or owner:
        # The trigram indexes, or the indexes on the newest trajectories' location and
        # owner, find the few matches (a location or an owner has a few thousand at most);
        # sorting those is cheap. Ordered by the sort index, PostgreSQL would instead walk
        # it from A, expecting matches spread evenly, and read half the people for a name
        # in the middle of the alphabet or an owner with few people. The same order, by an
        # expression that index does not serve.
        return query.order_by(sa.func.lower(Participant.last_name).concat(""),
                              *LIST_ORDER[1:])
    # The key of ix_participants_lower_name: pages are read from the index in this order.
    return query.order_by(*LIST_ORDER)


def _found_by_trigrams(q: str) -> bool:
    """Every word of the search is three characters or more (a trigram index needs
    that); a shorter one matches so many that walking the sort index is the quicker."""
    if phone_search_fragment(q):
        return True
    return all(len(word) >= 3 for word in q.split())


LIST_ORDER = (sa.func.lower(Participant.last_name), sa.func.lower(Participant.first_name),
              Participant.id)

# The list pages through at most this many people; beyond that the count says "more than"
# and the coordinator narrows down (a search, a filter or a first letter). Reading page
# 3,600 of 90,000 people means walking past all those before it; a bounded page and a
# bounded count cost the same at any size.
LIST_LIMIT = 1000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def from_letter(query: sa.Select, letter: str) -> sa.Select:
    """People whose last name starts with `letter` or a later one: a range on the sort
    index, so any part of the alphabet is a first page."""
    return query.where(sa.func.lower(Participant.last_name) >= letter)


@dataclass
class BoundedPage:
    """One page of a list with a bounded count (the attributes the pager reads)."""

    items: list
    page: int
    per_page: int
    total: int
    # More than LIST_LIMIT matched: `total` is LIST_LIMIT and the pages stop there.
    more: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def bounded_page(query: sa.Select, page: int, per_page: int,
                 limit: int = LIST_LIMIT) -> BoundedPage:
    """The page `page` of `query` (ordered), counting at most `limit` + 1 rows; a page past
    the end shows the last one. Always two queries, also when the first page is not full:
    the same page costs the same whatever the data (tests/test_query_counts.py)."""
    last_page = max(1, limit // per_page)
    page = min(max(page, 1), last_page)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).limit(limit + 1).subquery()))
    if not items and counted:
        # Asked for a page past the end (an old link): the last page there is.
        return bounded_page(query, -(-min(counted, limit) // per_page), per_page, limit)
    return BoundedPage(items, page, per_page, min(counted, limit), more=counted > limit)


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

# "Verwijzer hoort hoe het gaat" belongs to one referral; the other kinds to the person.
SHARE_KIND = "share_with_referrer"
PERSON_KINDS = tuple(kind for kind in CONSENT_KIND if kind != SHARE_KIND)


def _newest_first(consents) -> list[Consent]:
    return sorted(consents, key=lambda c: (c.recorded_at, c.id or 0), reverse=True)


def consents_in_force(consents) -> dict[str, Consent]:
    """The newest decision per person-level kind (processing, messages).

    The share kind is not in it: a decision about one referrer says nothing about another
    (see `shares_in_force`), so no caller can read "the" share decision by mistake.
    """
    current: dict[str, Consent] = {}
    for consent in _newest_first(consents):
        if consent.kind != SHARE_KIND:
            current.setdefault(consent.kind, consent)
    return current


def shares_in_force(consents) -> dict[int, Consent]:
    """{referral id: its newest share decision}. A share row without a referral (recorded
    before consent was kept per referral and not traceable to one) counts for none."""
    current: dict[int, Consent] = {}
    for consent in _newest_first(consents):
        if consent.kind == SHARE_KIND and consent.referral_id is not None:
            current.setdefault(consent.referral_id, consent)
    return current


def share_decision(referral: Referral, consents=None) -> Consent | None:
    """The newest share decision for this referral; `consents` defaults to the person's
    loaded consents (eager-load Participant.consents for a page of referrals)."""
    if consents is None:
        consents = referral.trajectory.participant.consents
    return shares_in_force(consents).get(referral.id)


def share_in_force(referral: Referral | None, consents=None) -> bool:
    """May this referral's referrer hear how it goes? Only after a "ja" for *this* referral."""
    if referral is None or referral.id is None:
        return False
    decision = share_decision(referral, consents)
    return bool(decision is not None and decision.given)


def newest_share_decision(referral_id) -> sa.ScalarSelect:
    """SQL: the newest share decision (true/false) for the referral `referral_id` (a value or
    a column); NULL when none was recorded for it. The same row `share_decision` picks."""
    return (
        sa.select(Consent.given)
        .where(Consent.referral_id == referral_id, Consent.kind == SHARE_KIND)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def has_referrer(referral: Referral) -> bool:
    """Is there a referrer to ask the share consent for? A self-registration has none (the
    helper who filled it in is no referrer the Taalhuis reports to)."""
    partner = referral.partner
    if partner is not None:
        return partner.kind != "zelfmelder"
    return bool(referral.referrer_name or referral.referrer_email)


def referrer_name(referral: Referral) -> str:
    """Who the share consent is about, in words a person recognises: the organisation and,
    when known, the contact person."""
    return referral.referrer_label or _("aanmelding van %(day)s",
                                        day=referral.referred_on.strftime("%d-%m-%Y"))


def consent_history(participant: Participant) -> list[Consent]:
    """Every decision, newest first, with who recorded it and the referral of a share
    decision (one query)."""
    return db.session.scalars(
        sa.select(Consent).where(Consent.participant_id == participant.id)
        .options(joinedload(Consent.recorded_by).lazyload(User.locations),
                 joinedload(Consent.referral).joinedload(Referral.partner),
                 joinedload(Consent.referral).joinedload(Referral.partner_contact))
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
    ).all()


def consent_state(participant: Participant) -> dict[str, bool | None]:
    """{kind: given?} for every person-level kind; None when nothing was ever recorded.
    The share kind is per referral: `share_state`."""
    current = consents_in_force(consent_history(participant))
    return {kind: (current[kind].given if kind in current else None) for kind in PERSON_KINDS}


def share_state(participant: Participant) -> dict[int, bool]:
    """{referral id: given?} for the referrals a share decision was recorded for."""
    return {referral_id: c.given
            for referral_id, c in shares_in_force(consent_history(participant)).items()}


def set_consent(participant: Participant, kind: str, given: bool, method: str, user,
                now: datetime, note: str | None = None, *,
                referral: Referral | None = None) -> Consent:
    """Record a consent decision. The history stays; the newest row is the one in force.

    The share kind needs `referral` (one of this person's): the decision is about that
    referrer only. The other kinds are the person's and take no referral.
    """
    if kind not in CONSENT_KIND:
        raise ValueError(f"unknown consent kind {kind!r}")
    if method not in CONSENT_METHOD:
        raise ValueError(f"unknown consent method {method!r}")
    if kind == SHARE_KIND:
        if referral is None:
            raise ValueError("a share decision needs the referral it is about")
        if referral.trajectory.participant_id != participant.id:
            raise ValueError(f"referral {referral.id} is not one of this person's")
    elif referral is not None:
        raise ValueError(f"consent kind {kind!r} belongs to the person, not to a referral")
    consent = Consent(participant=participant, kind=kind, given=given, method=method,
                      recorded_at=now, recorded_by=user, note=(note or "").strip() or None,
                      referral=referral)
    db.session.add(consent)
    db.session.flush()
    decision = "gegeven" if given else "ingetrokken"
    if kind == SHARE_KIND:
        # The audit log is read by people: say which referrer, in words.
        summary = (f"toestemming verwijzer hoort hoe het gaat ({referrer_name(referral)}, "
                   f"aanmelding {referral.id}): {decision}")
    else:
        summary = f"toestemming {kind}: {decision}"
    audit.record(user, "update", "consent", consent.id, participant_id=participant.id,
                 summary=summary, now=now)
    # Privacy (AVG art. 18): withdrawing "gegevens vastleggen" restricts the person.
    if kind == "processing":
        from app.privacy import restriction
        (restriction.lift if given else restriction.restrict)(participant, by=user, now=now)
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
