"""Small factory functions for test data; each adds to the session and flushes."""

import itertools
from datetime import UTC, date, datetime

from app.admin.models import Location
from app.auth.models import User
from app.auth.passwords import hash_password
from app.extensions import db
from app.participants.models import Participant, Trajectory, normalise_phone
from app.partners.models import Partner, PartnerContact
from app.referrals.models import Referral

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_HASH = hash_password(PASSWORD)


def _n() -> int:
    return next(_counter)


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
             role=role, active=active, password_hash=_HASH, partner=partner)
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
    p = Participant(first_name=first_name, last_name=last_name, phone=phone,
                    phone_normalised=normalise_phone(phone), birth_year=birth_year, **kwargs)
    db.session.add(p)
    db.session.flush()
    return p


def trajectory(participant_obj: Participant | None = None, *, location_obj=None,
               status: str = "referred", referred_on: date | None = None, owner=None,
               with_referral: bool = True, **kwargs) -> Trajectory:
    referred_on = referred_on or date(2026, 11, 2)
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
