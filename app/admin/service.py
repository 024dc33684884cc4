"""Administration: users and invitations, locations, and the reference lists (choice lists
an admin can extend)."""

import re
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.admin.models import Location, ReferenceItem
from app.audit import service as audit
from app.auth import server_sessions
from app.auth.models import Role, User
from app.auth.service import create_user
from app.auth.tokens import make_password_token
from app.core.choices import ROLE_LABELS, label
from app.core.errors import DomainError
from app.core.mail import external_url, render_message, send_message
from app.core.phone import clean_phone
from app.core.records import existing_or_added, value_taken
from app.extensions import db


def reference_choices(list_name: str, *, include_inactive: bool = False) -> list[tuple[str, str]]:
    """(code, label) pairs of one list, in the admin's order, for a SelectField."""
    query = sa.select(ReferenceItem.code, ReferenceItem.label).where(
        ReferenceItem.list_name == list_name
    )
    if not include_inactive:
        query = query.where(ReferenceItem.active.is_(True))
    query = query.order_by(ReferenceItem.sort_order, ReferenceItem.label)
    return [(code, label) for code, label in db.session.execute(query)]


def reference_labels() -> dict[tuple[str, str], str]:
    """All labels keyed by (list, code); loaded once per request for templates."""
    if has_app_context() and "reference_labels" in g:
        return g.reference_labels
    rows = db.session.execute(
        sa.select(ReferenceItem.list_name, ReferenceItem.code, ReferenceItem.label)
    )
    labels = {(list_name, code): label for list_name, code, label in rows}
    if has_app_context():
        g.reference_labels = labels
    return labels


def list_labels(list_name: str) -> dict[str, str]:
    """code -> label of one reference list (switched-off items too: old records keep them)."""
    return {code: label for (name, code), label in reference_labels().items()
            if name == list_name}


def reference_label(list_name: str, code: str | None) -> str:
    if not code:
        return ""
    return reference_labels().get((list_name, code), code)


# --- Users -----------------------------------------------------------------------------------

class AdminRuleError(DomainError):
    """An action an admin may not do."""


def email_taken(email: str, *, exclude_id: int | None = None) -> bool:
    """Whether another user has this e-mail address (case does not matter)."""
    return value_taken(User.email, email, exclude_id=exclude_id)


def invite_user(*, name: str, email: str, role: str, locations, partner, by,
                now: datetime) -> User:
    """Create a user without a password; they choose one through the invitation link."""
    user = create_user(email=email, name=name, role=role, locations=locations,
                       partner=partner if role == Role.PARTNER else None)
    db.session.flush()
    audit.record(by, "create", "user", user.id, now=now,
                 summary=f"uitgenodigd: {user.email} als {role}")
    return user


def update_user(user: User, *, name: str, email: str, role: str, locations, partner, by,
                now: datetime) -> list[str]:
    """Change name, e-mail, role and locations; returns what changed (for the audit log)."""
    if user.id == getattr(by, "id", None) and role != user.role:
        # Otherwise an admin could lock every admin out by accident.
        raise AdminRuleError(_("U kunt uw eigen rol niet veranderen."))
    changes = []
    email = email.strip().lower()
    name = name.strip()
    partner = partner if role == Role.PARTNER else None
    if name != user.name:
        changes.append("naam")
        user.name = name
    if email != user.email:
        changes.append(f"e-mail {user.email} -> {email}")
        user.email = email
    if role != user.role:
        changes.append(f"rol {user.role} -> {role}")
        user.role = role
    new_ids = {loc.id for loc in locations}
    if new_ids != user.location_ids:
        changes.append("vestigingen")
        user.locations = list(locations)
    if partner is not user.partner:
        changes.append("partnerorganisatie")
        user.partner = partner
    if changes:
        audit.record(by, "update", "user", user.id, now=now, summary=", ".join(changes))
    return changes


def set_user_active(user: User, active: bool, *, by, now: datetime) -> None:
    if not active and user.id == getattr(by, "id", None):
        raise AdminRuleError(_("U kunt uzelf niet uitzetten."))
    audit.set_active(user, active, "user", by=by, now=now, summary=audit.switched(active))
    if not active:
        # Switched off means signed out everywhere, now; switching on again does not bring
        # those sessions back.
        server_sessions.end_all(user, now, "gedeactiveerd", by=by)


def password_link(user: User) -> str:
    return external_url("auth.set_password", token=make_password_token(user))


def send_password_link(user: User, *, inviter, self_service: bool = False) -> None:
    """Mail `user` a link to choose a password. Raises app.core.mail.MailError on failure.

    The same mail serves a first invitation and a new link (lost, expired, forgotten password);
    `self_service`: the user asked for it on "Wachtwoord vergeten?" (no inviter).
    The link replaces every earlier one (tokens.make_password_token); that is committed here,
    after the mail went out, so a mail that failed leaves the earlier link working.
    """
    if not user.active:
        raise AdminRuleError(_("Deze gebruiker staat uit. Zet de gebruiker eerst weer aan."))
    # Someone who already has a password gets the same link as a way to choose a new one.
    reset = user.password_hash is not None or self_service
    subject = _("Nieuw wachtwoord voor Houvast") if reset else _("Uw account voor Houvast")
    msg = render_message(
        user.email, subject, "invitation",
        user=user, inviter_name=getattr(inviter, "name", None) or _("de beheerder"),
        role_label=label(ROLE_LABELS, user.role), link=password_link(user),
        hours=current_app.config["PASSWORD_LINK_HOURS"], reset=reset,
        self_service=self_service,
    )
    send_message(msg)
    db.session.commit()


# --- Locations -------------------------------------------------------------------------------

def location_name_taken(name: str, *, exclude_id: int | None = None) -> bool:
    return value_taken(Location.name, name, exclude_id=exclude_id)


def save_location(location, *, name: str, municipality: str, by, now: datetime,
                  owner_mode: str = "registrar", default_owner=None,
                  address: str | None = None, phone: str | None = None,
                  directions: str | None = None):
    """Create (location=None) or change a location, and who owns its new trajectories:
    `default_owner` only counts for the "fixed" mode."""
    location, action = existing_or_added(location, Location)
    location.name = name.strip()
    location.municipality = municipality.strip()
    location.address = (address or "").strip() or None
    location.phone = clean_phone(phone)
    location.directions = (directions or "").strip() or None
    location.owner_mode = owner_mode
    location.default_owner_id = default_owner.id if (
        owner_mode == "fixed" and default_owner is not None) else None
    db.session.flush()
    audit.record(by, action, "location", location.id, now=now,
                 summary=f"{location.name}; eigenaar nieuwe aanmeldingen: {owner_mode}")
    return location


def set_location_active(location, active: bool, *, by, now: datetime) -> None:
    audit.set_active(location, active, "location", by=by, now=now)


# --- Reference lists -------------------------------------------------------------------------

# Titles of the lists the app knows; a list only found in the database shows its code name.
LIST_TITLES = {
    "partner_kind": _l("Soorten partners (verwijzers)"),
    "found_via": _l("Hoe de deelnemer het Taalhuis vond"),
    "goal_subject": _l("Onderwerpen van leerdoelen"),
    "goal_context": _l("Waar de deelnemer het gebruikt"),
    "offer": _l("Aanbod"),
    "end_reason": _l("Redenen om af te sluiten"),
    "outflow": _l("Uitstroom: waar gaat de deelnemer naartoe"),
    "match_end_reason": _l("Redenen om een koppeling te stoppen"),
}


def reference_list_names() -> list[str]:
    in_db = db.session.scalars(sa.select(ReferenceItem.list_name).distinct()).all()
    return list(LIST_TITLES) + sorted(set(in_db) - set(LIST_TITLES))


def reference_list_title(list_name: str) -> str:
    return str(LIST_TITLES.get(list_name, list_name))


def reference_items(list_name: str) -> list[ReferenceItem]:
    return db.session.scalars(
        sa.select(ReferenceItem).where(ReferenceItem.list_name == list_name)
        .order_by(ReferenceItem.sort_order, ReferenceItem.label)
    ).all()


def code_from_label(label: str) -> str:
    """A stable, readable code: "Taalcafé Noord" -> "taalcafe_noord"."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    code = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return code[:50].rstrip("_") or "item"


def reference_label_taken(list_name: str, label: str, *, exclude_id: int | None = None) -> bool:
    return value_taken(ReferenceItem.label, label, exclude_id=exclude_id,
                       where=[ReferenceItem.list_name == list_name])


def add_reference_item(list_name: str, label: str, *, sort_order: int | None = None, by,
                       now: datetime) -> ReferenceItem:
    """Add an item with a code made from its label, unique in the list (also among inactive
    items: a code that old records still carry is never given out again)."""
    base = code_from_label(label)
    taken = set(db.session.scalars(
        sa.select(ReferenceItem.code).where(ReferenceItem.list_name == list_name)))
    code, n = base, 2
    while code in taken:
        code = f"{base}_{n}"
        n += 1
    if sort_order is None:
        highest = db.session.scalar(sa.select(sa.func.max(ReferenceItem.sort_order)).where(
            ReferenceItem.list_name == list_name))
        sort_order = (highest or 0) + 10
    item = ReferenceItem(list_name=list_name, code=code, label=label.strip(),
                         sort_order=sort_order, active=True)
    db.session.add(item)
    db.session.flush()
    audit.record(by, "create", "reference_item", item.id, now=now,
                 summary=f"{list_name}: {item.label} ({code})")
    _forget_cached_labels()
    return item


def update_reference_item(item: ReferenceItem, *, label: str, sort_order: int | None, by,
                          now: datetime) -> None:
    """Rename or move an item. The code stays: records refer to the code, not the label."""
    old = item.label
    item.label = label.strip()
    if sort_order is not None:
        item.sort_order = sort_order
    audit.record(by, "update", "reference_item", item.id, now=now,
                 summary=f"{item.list_name}: {old} -> {item.label}")
    _forget_cached_labels()


def set_reference_item_active(item: ReferenceItem, active: bool, *, by, now: datetime) -> None:
    """Items are switched off, never deleted: old records keep their codes and labels."""
    audit.set_active(item, active, "reference_item", by=by, now=now,
                     summary=f"{item.list_name}: {item.label} {'aan' if active else 'uit'}")


def _forget_cached_labels() -> None:
    if has_app_context():
        g.pop("reference_labels", None)
