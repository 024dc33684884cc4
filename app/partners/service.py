"""Partner organisations and their contact people (no request handling)."""

from datetime import datetime

import sqlalchemy as sa

from app.audit import service as audit
from app.auth import server_sessions
from app.core.phone import clean_phone
from app.core.records import existing_or_added, value_taken
from app.extensions import db
from app.partners.models import Partner, PartnerContact


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def name_taken(name: str, *, exclude_id: int | None = None) -> bool:
    return value_taken(Partner.name, name, exclude_id=exclude_id)


def save_partner(partner: Partner | None, *, name: str, kind: str, phone: str | None,
                 email: str | None, signals_enabled: bool, by, now: datetime) -> Partner:
    """Create (partner=None) or change a partner organisation."""
    partner, action = existing_or_added(partner, Partner)
    partner.name = name.strip()
    partner.kind = kind
    partner.phone = clean_phone(phone)
    partner.email = (_clean(email) or "").lower() or None
    partner.signals_enabled = bool(signals_enabled)
    db.session.flush()
    audit.record(by, action, "partner", partner.id, now=now, summary=partner.name)
    return partner


def set_partner_active(partner: Partner, active: bool, *, by, now: datetime) -> None:
    audit.set_active(partner, active, "partner", by=by, now=now)
    if not active:
        # Its portal users are blocked at once (the user loader refuses them too).
        server_sessions.end_all_of_partner(partner.id, now, by=by)


def save_contact(partner: Partner, contact: PartnerContact | None, *, name: str,
                 role: str | None, email: str | None, phone: str | None, by,
                 now: datetime) -> PartnerContact:
    """Add (contact=None) or change a contact person of `partner`."""
    contact, action = existing_or_added(contact, PartnerContact, partner=partner)
    contact.name = name.strip()
    contact.role = _clean(role)
    contact.email = (_clean(email) or "").lower() or None
    contact.phone = clean_phone(phone)
    db.session.flush()
    audit.record(by, action, "partner_contact", contact.id, now=now,
                 summary=f"{partner.name}: {contact.name}")
    return contact


def set_contact_active(contact: PartnerContact, active: bool, *, by, now: datetime) -> None:
    audit.set_active(contact, active, "partner_contact", by=by, now=now)


def active_partners() -> list[Partner]:
    """Partners to choose from in a form (e.g. the referral form)."""
    return db.session.scalars(
        sa.select(Partner).where(Partner.active.is_(True)).order_by(Partner.name)).all()
