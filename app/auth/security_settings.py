"""The security settings an admin changes under Beheer > Beveiliging.

Stored as rows of `followup_settings` (key, whole number), as the follow-up thresholds are; a
missing row means the default here. Migration 0019 writes "required" for admins and
coordinators, so a new installation starts with two factors for those roles; `seed-demo`
switches them off for its demo accounts.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.auth.models import Role
from app.checkins.models import FollowUpSetting
from app.core.followup import stored_values
from app.extensions import db

# The roles whose two-factor requirement is a setting. Volunteers and partners sign in on a
# phone, often shared: for them two factors are never required (they may still set it up).
TWO_FACTOR_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.STAFF)


@dataclass(frozen=True)
class SecuritySetting:
    key: str
    default: int
    minimum: int
    maximum: int
    label: str
    explanation: str = ""


SETTINGS: tuple[SecuritySetting, ...] = (
    SecuritySetting("two_factor_admin", 0, 0, 1, _l("Beheerders: inloggen met code verplicht")),
    SecuritySetting("two_factor_coordinator", 0, 0, 1,
                    _l("Coördinatoren: inloggen met code verplicht")),
    SecuritySetting("two_factor_staff", 0, 0, 1, _l("Medewerkers: inloggen met code verplicht")),
    SecuritySetting("session_idle_minutes", 30, 5, 480, _l("Afmelden na minuten niets doen"),
                    _l("Doet iemand van het Taalhuis zo lang niets in Houvast? Dan meldt "
                       "Houvast die persoon af. Dat beschermt de gegevens op een computer "
                       "die open blijft staan.")),
)

BY_KEY = {s.key: s for s in SETTINGS}


def value(key: str) -> int:
    setting = BY_KEY[key]
    return int(stored_values().get(key, setting.default))


def two_factor_required(role: str) -> bool:
    """Whether accounts of this role must sign in with a second factor."""
    if role not in TWO_FACTOR_ROLES:
        return False
    return bool(value(f"two_factor_{role}"))


def idle_minutes() -> int:
    return value("session_idle_minutes")


def save(key: str, new_value: int, by_user_id: int | None) -> None:
    """Store one setting (the caller commits). Bounds are the form's job; this clamps."""
    setting = BY_KEY[key]
    new_value = max(setting.minimum, min(setting.maximum, int(new_value)))
    row = db.session.get(FollowUpSetting, key)
    if row is None:
        db.session.add(FollowUpSetting(key=key, value=new_value, updated_by_id=by_user_id))
    else:
        row.value = new_value
        row.updated_by_id = by_user_id
    db.session.flush()
    db.session.info.pop("houvast_followup_thresholds", None)
