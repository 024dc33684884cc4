"""Partner API: tokens, rate limits, idempotency and the referral in JSON.

Functions add and flush; the caller (view or CLI) commits.
"""

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from app.admin.models import Location
from app.api.models import ApiToken, IdempotencyRecord, RateLimitHit
from app.core.choices import PREFERRED_CHANNEL
from app.core.phone import PHONE_ERROR, normalise_phone
from app.core.timeutil import local_date
from app.extensions import db
from app.partners.models import Partner, PartnerContact
from app.portal.service import partner_view
from app.referrals.service import PersonInput, ReferralInput, register_referral

TOKEN_PREFIX = "hv_"  # noqa: S105 (a marker that makes tokens recognisable, not a secret)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
# Control characters (other than tab/newline in free text) and NUL break databases and mail.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(partner: Partner, name: str, by, now: datetime) -> tuple[ApiToken, str]:
    """A new token for `partner`: the record and the token itself (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(partner=partner, name=name.strip()[:120] or partner.name,
                      token_hash=hash_token(token), prefix=token[:10], created_at=now,
                      created_by_id=getattr(by, "id", None))
    db.session.add(record)
    db.session.flush()
    return record, token


def revoke_token(token: ApiToken, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now


def authenticate(header: str | None, now: datetime) -> ApiToken | None:
    """The active token from an `Authorization: Bearer ...` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    token = header[len("Bearer "):].strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    record = db.session.scalar(
        sa.select(ApiToken).join(Partner, Partner.id == ApiToken.partner_id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None),
               Partner.active.is_(True))
    )
    if record is not None:
        record.last_used_at = now
    return record


# --- Rate limits ---------------------------------------------------------------------------------

def over_limit(bucket: str, limit: int, window_seconds: int, now: datetime) -> int | None:
    """Count one hit in `bucket`; the seconds to wait when it is over `limit` per window.

    A sliding window in the database, so several web processes share the count. Old hits
    of the bucket are removed on the way (the index on (bucket, at) serves both).
    """
    since = now - timedelta(seconds=window_seconds)
    db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.bucket == bucket,
                                                     RateLimitHit.at < since))
    # Buckets of addresses that never come back: nothing older than a day is kept.
    db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.at < now - timedelta(days=1)))
    hits = db.session.scalars(
        sa.select(RateLimitHit.at).where(RateLimitHit.bucket == bucket)
        .order_by(RateLimitHit.at)
    ).all()
    if len(hits) >= limit:
        oldest = hits[0]
        return max(1, int((oldest - since).total_seconds()) + 1)
    db.session.add(RateLimitHit(bucket=bucket, at=now))
    db.session.flush()
    return None


# --- Validating the referral --------------------------------------------------------------------

@dataclass
class FieldError:
    field: str
    detail_nl: str
    detail_en: str


@dataclass
class Validated:
    person: PersonInput | None = None
    referral: ReferralInput | None = None
    errors: list[FieldError] = field(default_factory=list)


FIELDS = {"first_name", "last_name", "phone", "email", "preferred_channel", "question",
          "best_moment", "location_id", "consent_referral", "consent_share_status",
          "referrer_name", "referrer_phone", "referrer_email"}


def _text(data: dict, name: str, max_len: int, errors: list[FieldError], *, required=False,
          multiline=False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            errors.append(FieldError(name, "Dit veld is verplicht.", "This field is required."))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, "Dit moet tekst zijn.", "This must be a string."))
        return None
    value = value.strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors.append(FieldError(name, "Deze tekst bevat ongeldige tekens.",
                                 "This text contains invalid characters."))
        return None
    if (_CONTROL if multiline else _CONTROL_LINE).search(value):
        errors.append(FieldError(name, "Deze tekst bevat ongeldige tekens.",
                                 "This text contains invalid characters."))
        return None
    if len(value) > max_len:
        errors.append(FieldError(name, f"Maximaal {max_len} tekens.",
                                 f"At most {max_len} characters."))
        return None
    if required and not value:
        errors.append(FieldError(name, "Dit veld is verplicht.", "This field is required."))
        return None
    return value or None


def validate_referral(data: object, partner: Partner, now: datetime) -> Validated:
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        return Validated(errors=[FieldError("", "Stuur een JSON-object.",
                                            "Send a JSON object.")])
    for name in sorted(set(data) - FIELDS):
        errors.append(FieldError(name, "Dit veld kennen wij niet.", "Unknown field."))
    first_name = _text(data, "first_name", 80, errors, required=True)
    last_name = _text(data, "last_name", 120, errors)
    phone = _phone(data, "phone", errors)
    email = _email(data, "email", errors)
    if phone is None and email is None and not any(e.field in ("phone", "email")
                                                   for e in errors):
        # The Taalhuis must be able to reach the person itself: a referral nobody can call
        # is how people get lost.
        errors.append(FieldError(
            "phone", "Geef een telefoonnummer of een e-mailadres van de persoon, zodat het "
                     "Taalhuis contact kan opnemen.",
            "Give the person's phone number or e-mail address, so the Taalhuis can "
            "contact them."))
    channel = data.get("preferred_channel", "phone")
    if channel not in PREFERRED_CHANNEL:
        errors.append(FieldError("preferred_channel", "Kies een van de vaste waarden.",
                                 "Use one of the listed values."))
    question = _text(data, "question", 2000, errors, required=True, multiline=True)
    best_moment = _text(data, "best_moment", 200, errors)
    # The referrer's contact person: signals about this referral go to them (with consent).
    referrer_name = _text(data, "referrer_name", 120, errors)
    referrer_phone = _phone(data, "referrer_phone", errors)
    referrer_email = _email(data, "referrer_email", errors)
    location_id = data.get("location_id")
    if isinstance(location_id, bool) or not isinstance(location_id, int):
        errors.append(FieldError("location_id", "Geef het nummer van een Taalhuis-locatie.",
                                 "Give the id of a Taalhuis location."))
    elif not (0 < location_id < 2**31) or db.session.scalar(
            sa.select(Location.id).where(Location.id == location_id,
                                         Location.active.is_(True))) is None:
        errors.append(FieldError("location_id", "Deze locatie bestaat niet.",
                                 "This location does not exist."))
    if data.get("consent_referral") is not True:
        errors.append(FieldError("consent_referral",
                                 "Meld iemand alleen aan als die persoon dat goed vindt.",
                                 "Only refer a person who agreed to be referred."))
    share = data.get("consent_share_status")
    if not isinstance(share, bool):
        errors.append(FieldError("consent_share_status", "Geef true of false.",
                                 "Give true or false."))
    if errors:
        return Validated(errors=errors)
    return Validated(
        person=PersonInput(first_name=first_name, last_name=last_name or "", phone=phone,
                           email=email, preferred_channel=channel, found_via="verwijzer"),
        referral=ReferralInput(location_id=location_id, question=question, channel="form",
                               referred_on=local_date(now), share_with_referrer=share,
                               consent_method="digital", partner_id=partner.id,
                               partner_contact_id=known_contact(partner, referrer_email),
                               referrer_name=referrer_name, referrer_phone=referrer_phone,
                               referrer_email=referrer_email, best_moment=best_moment),
    )


def _phone(data: dict, name: str, errors: list[FieldError]) -> str | None:
    phone = _text(data, name, 40, errors)
    if phone and normalise_phone(phone) is None:
        errors.append(FieldError(name, str(PHONE_ERROR),
                                 "This is not a phone number. Write it like this: "
                                 "06 12345678 or +31 6 12345678."))
        return None
    return normalise_phone(phone)


def _email(data: dict, name: str, errors: list[FieldError]) -> str | None:
    email = _text(data, name, 254, errors)
    if email:
        try:
            return validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append(FieldError(name, "Dit e-mailadres klopt niet.",
                                     "This e-mail address is not valid."))
            return None
    return email


def known_contact(partner: Partner, email: str | None) -> int | None:
    """The partner's active contact person with this e-mail address, if the admin knows
    them: their record (kept up to date by the admin) then gets the signals."""
    if not email:
        return None
    return db.session.scalar(
        sa.select(PartnerContact.id).where(
            PartnerContact.partner_id == partner.id, PartnerContact.active.is_(True),
            sa.func.lower(PartnerContact.email) == email.lower())
        .order_by(PartnerContact.id).limit(1))


def active_locations() -> sa.Select:
    """The locations a partner system may refer to (`location_id`), by name."""
    return (sa.select(Location).where(Location.active.is_(True))
            .order_by(Location.name, Location.id))


def create_referral(validated: Validated, partner: Partner, now: datetime):
    """Register the referral on the partner's behalf (no user: the partner system did it).

    Always a new participant: the answer must never reveal whether a person is known.
    Staff see possible duplicates in the work queue and attach the referral to the known
    person there (`referrals.service.attach_to_known_person`).
    """
    trajectory = register_referral(person=validated.person, referral=validated.referral,
                                   user=None, now=now)
    return trajectory.referral


def referral_json(referral) -> dict:
    view = partner_view(referral)
    return {
        "id": view.id,
        "name": view.short_name,
        "referred_on": view.referred_on.isoformat(),
        "status_shared": view.shared,
        "stage": view.stage,
        "stage_label": view.stage_label,
        "stage_date": view.stage_date.isoformat(),
    }


# --- Idempotency -----------------------------------------------------------------------------

def request_hash(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=True)
                          .encode("ascii")).hexdigest()


def find_idempotent(partner_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        sa.select(IdempotencyRecord).where(IdempotencyRecord.partner_id == partner_id,
                                           IdempotencyRecord.key == key))


def remember(partner_id: int, key: str, req_hash: str, status: int, body: dict,
             now: datetime) -> None:
    db.session.add(IdempotencyRecord(partner_id=partner_id, key=key, request_hash=req_hash,
                                     response_status=status, response_body=json.dumps(body),
                                     created_at=now))
    db.session.flush()
