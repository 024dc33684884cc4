"""Small factory functions for test data; each adds to the session and flushes."""

import functools
import itertools
from datetime import UTC, date, datetime

import sqlalchemy as sa

from app.admin.models import Location
from app.auth.models import User
from app.auth.passwords import hash_password
from app.core.phone import clean_phone, normalise_phone
from app.extensions import db
from app.participants.models import Participant, Trajectory
from app.partners.models import Partner, PartnerContact
from app.referrals.models import Referral

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    """Hashed once, with the (cheap) parameters of the test config."""
    return hash_password(PASSWORD)


def _n() -> int:
    return next(_counter)


def count(model, *where) -> int:
    """How many rows of `model` (that match `where`) the database holds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def location(name: str | None = None, municipality: str = "Utrecht") -> Location:
    loc = Location(name=name or f"Bibliotheek {_n()}", municipality=municipality)
    db.session.add(loc)
    db.session.flush()
    return loc


def user(role: str = "staff", *, email: str | None = None, name: str | None = None,
         locations=None, partner=None, active: bool = True) -> User:
    n = _n()
    if locations is None:
        locations = [] if role in ("admin", "partner", "volunteer") else [location()]
    if role == "partner" and partner is None:
        partner = globals()["partner"]()
    u = User(email=email or f"{role}{n}@example.org", name=name or f"{role.title()} {n}",
             role=role, active=active, password_hash=_password_hash(), partner=partner)
    u.locations = list(locations)
    db.session.add(u)
    db.session.flush()
    return u


def partner(name: str | None = None, kind: str = "gemeente") -> Partner:
    p = Partner(name=name or f"Partner {_n()}", kind=kind)
    db.session.add(p)
    db.session.flush()
    return p


def partner_contact(partner_obj: Partner | None = None, name: str = "Sanne de Vries",
                    email: str = "sanne@gemeente.example") -> PartnerContact:
    c = PartnerContact(partner=partner_obj or partner(), name=name, email=email)
    db.session.add(c)
    db.session.flush()
    return c


def participant(first_name: str = "Fatima", last_name: str = "El Amrani",
                phone: str | None = "06-12345678", birth_year: int | None = 1985,
                **kwargs) -> Participant:
    p = Participant(first_name=first_name, last_name=last_name, phone=clean_phone(phone),
                    phone_normalised=normalise_phone(phone), birth_year=birth_year, **kwargs)
    db.session.add(p)
    db.session.flush()
    return p


def trajectory(participant_obj: Participant | None = None, *, location_obj=None,
               status: str = "referred", referred_on: date | None = None, owner=None,
               with_referral: bool = True, **kwargs) -> Trajectory:
    referred_on = referred_on or date(2026, 11, 2)
    # A trajectory made waiting here waits for the first time, unless the test says otherwise.
    if kwargs.get("waiting_since") is not None:
        kwargs.setdefault("first_waiting_since", kwargs["waiting_since"])
    t = Trajectory(participant=participant_obj or participant(),
                   location=location_obj or location(), status=status,
                   referred_on=referred_on, owner=owner, **kwargs)
    db.session.add(t)
    db.session.flush()
    if with_referral:
        db.session.add(Referral(trajectory=t, referred_on=referred_on, question="Beter lezen",
                                channel="phone", first_contact_due=referred_on))
        db.session.flush()
    return t


def aware(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def intake(trajectory_obj, *, held_on: date | None = None, scale: str = "nt2", by=None,
           **kwargs):
    from app.intakes.models import Intake

    i = Intake(trajectory=trajectory_obj, held_on=held_on or date(2026, 11, 10), scale=scale,
               by=by, **kwargs)
    db.session.add(i)
    db.session.flush()
    return i


def learning_goal(trajectory_obj, *, own_words: str = "Brieven van de gemeente kunnen lezen",
                  subject: str = "lezen", context: str = "geld", **kwargs):
    from app.intakes.models import LearningGoal

    g = LearningGoal(trajectory=trajectory_obj, subject=subject, context=context,
                     own_words=own_words, **kwargs)
    db.session.add(g)
    db.session.flush()
    return g


def consent(participant_obj, kind: str = "processing", given: bool = True,
            method: str = "verbal", recorded_at: datetime | None = None, by=None,
            referral=None):
    """A consent row as recorded; the share kind is about `referral` (without it the row
    counts for no referral, like an old one the migration could not trace)."""
    from app.participants.models import Consent

    c = Consent(participant=participant_obj, kind=kind, given=given, method=method,
                recorded_at=recorded_at or datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
                recorded_by=by, referral=referral)
    db.session.add(c)
    db.session.flush()
    return c


def followup_rule(code: str):
    """One of the default follow-up rules (seeded by migration 0003)."""
    import sqlalchemy as sa

    from app.checkins.models import FollowUpRule

    return db.session.scalar(sa.select(FollowUpRule).where(FollowUpRule.code == code))


def checkin(trajectory_obj, *, due_on: date, assignee=None, rule_code: str | None = "waiting",
            status: str = "planned", **kwargs):
    """A check-in as a rule would have planned it (default: the waiting rule)."""
    from app.checkins.models import CheckIn

    rule = followup_rule(rule_code) if rule_code else None
    c = CheckIn(trajectory_id=trajectory_obj.id, rule=rule,
                kind=kwargs.pop("kind", rule.checkin_kind if rule else "waiting"),
                due_on=due_on, assignee=assignee, status=status, **kwargs)
    db.session.add(c)
    db.session.flush()
    return c


def volunteer(first_name: str = "Anneke", last_name: str | None = None, *, locations=None,
              availability=("tue-morning", "thu-afternoon"), capacity: int = 2,
              domains=("lezen", "digitaal"), languages=(), vog_on: date | None = date(2025, 6, 1),
              status: str = "active", user=None, sex: str | None = None, **kwargs):
    from app.volunteers.models import Volunteer

    v = Volunteer(first_name=first_name, last_name=last_name or f"de Boer {_n()}",
                  availability=list(availability), capacity=capacity, domains=list(domains),
                  languages=list(languages), vog_on=vog_on, status=status, user=user, sex=sex,
                  **kwargs)
    v.locations = list(locations) if locations is not None else [location()]
    db.session.add(v)
    db.session.flush()
    return v


def volunteer_with_account(first_name: str = "Anneke", **kwargs):
    """A volunteer profile linked to a user with role volunteer: (volunteer, user)."""
    u = user("volunteer", name=f"{first_name} Vrijwilliger")
    return volunteer(first_name, user=u, **kwargs), u


def match(trajectory_obj, volunteer_obj, *, status: str = "active",
          started_on: date | None = date(2026, 11, 16), **kwargs):
    from app.matching.models import Match

    m = Match(trajectory=trajectory_obj, volunteer=volunteer_obj, status=status,
              proposed_on=kwargs.pop("proposed_on", date(2026, 11, 12)),
              started_on=started_on if status != "proposed" else None, **kwargs)
    db.session.add(m)
    db.session.flush()
    return m


def match_session(match_obj, *, held_on: date = date(2026, 11, 20), minutes: int = 60,
                  practised: str = "Brief van de gemeente gelezen", concern: bool = False,
                  created_by=None, created_at: datetime | None = None, **kwargs):
    from app.matching.models import MatchSession

    s = MatchSession(match=match_obj, held_on=held_on, minutes=minutes, practised=practised,
                     concern=concern, created_by_id=getattr(created_by, "id", None),
                     created_at=created_at or datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
                     **kwargs)
    db.session.add(s)
    if match_obj.last_session_on is None or held_on > match_obj.last_session_on:
        match_obj.last_session_on = held_on
    db.session.flush()
    return s


def offer(location_obj=None, *, name: str = "Klik & Tik dinsdag", kind: str = "klik_tik",
          domain: str = "digital", capacity: int = 8, **kwargs):
    from app.matching.models import Offer

    o = Offer(location=location_obj or location(), name=name, kind=kind, domain=domain,
              capacity=capacity, **kwargs)
    db.session.add(o)
    db.session.flush()
    return o


def waiting_trajectory(location_obj=None, *, first_name: str = "Fatima",
                       waiting_since: date = date(2026, 11, 10), availability=("tue-morning",),
                       subjects=("lezen",), **intake_kwargs):
    """A trajectory after its intake: waiting, with availability and learning goals."""
    t = trajectory(participant(first_name=first_name), location_obj=location_obj,
                   status="waiting", waiting_since=waiting_since)
    intake(t, availability=list(availability), **intake_kwargs)
    for subject in subjects:
        learning_goal(t, subject=subject, own_words=f"Beter worden in {subject}")
    return t
