"""Two-factor sign-in with TOTP (issue 19).

After a right password, `second_step` decides whether a second factor is needed: when the user
set one up, or when it is required for their role (app/auth/security_settings.py). The user is
then "parked" in the Flask session (password checked, for a few minutes) and sent to the code
page, or, when it is required but not yet set up, to a set-up page they must finish first.

Codes are RFC 6238 TOTP (pyotp): six digits, 30 seconds, one step either side accepted for
clocks that drift; a step that was used once is refused after (no replay within the window).
Wrong codes are counted per user in the database (the RateLimitHit buckets of the API limit),
so the limit holds across processes. Recovery codes stand in for the app, each once; they are
stored hashed with argon2. A trusted browser keeps a random token in a cookie; only its hash
is stored.
"""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.api.models import RateLimitHit
from app.api.service import over_limit
from app.auth import security_settings
from app.auth.models import RecoveryCode, TrustedDevice, User
from app.auth.passwords import hash_password, verify_password
from app.core.records import update_once
from app.core.timeutil import utcnow
from app.extensions import db

# "Password checked for user X at time T": how long the code page waits for the code.
PENDING_KEY = "houvast_2fa_pending"
PENDING_MINUTES = 5

STEP_SECONDS = 30
VALID_WINDOW = 1
ISSUER = "Houvast"

# Wrong codes (and recovery codes) per user: this many in the window, then wait. A code has
# a million values; 5 guesses per 15 minutes makes guessing hopeless.
FAILURE_LIMIT = 5
FAILURE_WINDOW_SECONDS = 15 * 60

TRUST_COOKIE = "houvast_trusted_device"
TRUST_DAYS = 30

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a recovery code is read from paper and typed by hand.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10


# --- Parking the user between password and code ------------------------------------------------

def second_step(user: User, remember_next: str | None) -> Response | None:
    """After a right password: the response that asks for the second factor (or sends the user
    to set one up), with the user parked in the session as "password checked"; None when this
    user may go straight in (no two factors required nor set up, or a trusted device)."""
    now = utcnow()
    if not user.has_two_factor and not security_settings.two_factor_required(user.role):
        return None
    if user.has_two_factor and is_trusted_device(user, now):
        return None
    session[PENDING_KEY] = {"user": user.id, "at": now.timestamp(), "next": remember_next}
    if user.has_two_factor:
        return redirect(url_for("auth.twofactor_code"))
    return redirect(url_for("auth.twofactor_forced_setup"))


def pending(now: datetime) -> tuple[User, str | None] | None:
    """The parked user and where they were going, while the parking is fresh."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    try:
        user_id, at = int(data["user"]), float(data["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if not 0 <= now.timestamp() - at <= PENDING_MINUTES * 60:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.has_password:
        return None
    next_url = data.get("next")
    return user, next_url if isinstance(next_url, str) else None


def clear_pending() -> None:
    session.pop(PENDING_KEY, None)


# --- TOTP ----------------------------------------------------------------------------------------

def pending_secret(user: User) -> str:
    """The secret of a set-up in progress: the same one on every reload of the set-up page,
    so a QR code scanned a minute ago still fits. Not in force until confirmed (`enable`)."""
    if not user.totp_secret or user.totp_enabled_at is not None:
        user.totp_secret = pyotp.random_base32()
        db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User, secret: str) -> Markup:
    """The QR code as SVG markup to put in the page: no script, no style, no data: URI, so it
    passes a strict Content-Security-Policy. segno writes only its own elements."""
    svg = segno.make(provisioning_uri(user, secret), error="m").svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="qr-code",
        title=_("QR-code om te scannen met uw app"))
    return Markup(svg)  # noqa: S704 (segno's own output, no user input besides the URI it encodes)


def spaced_secret(secret: str) -> str:
    """The secret in groups of four, easier to type over."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _used_prefix(user_id: int) -> str:
    return f"totp-used:{user_id}:"


def _last_used_step(user_id: int, now: datetime) -> int | None:
    """The newest time step this user signed in with, while it could still be replayed."""
    prefix = _used_prefix(user_id)
    db.session.execute(sa.delete(RateLimitHit).where(
        RateLimitHit.bucket.startswith(prefix, autoescape=True),
        RateLimitHit.at < now - timedelta(minutes=10)))
    buckets = db.session.scalars(sa.select(RateLimitHit.bucket).where(
        RateLimitHit.bucket.startswith(prefix, autoescape=True))).all()
    steps = [int(b.removeprefix(prefix)) for b in buckets if b.removeprefix(prefix).isdigit()]
    return max(steps, default=None)


def _failure_bucket(user_id: int) -> str:
    return f"totp-failed:{user_id}"


def wait_seconds(user: User, now: datetime) -> int | None:
    """Seconds this user must wait before trying another code; None when they may try."""
    since = now - timedelta(seconds=FAILURE_WINDOW_SECONDS)
    hits = db.session.scalars(
        sa.select(RateLimitHit.at)
        .where(RateLimitHit.bucket == _failure_bucket(user.id), RateLimitHit.at >= since)
        .order_by(RateLimitHit.at)).all()
    if len(hits) < FAILURE_LIMIT:
        return None
    return max(1, int((hits[0] - since).total_seconds()) + 1)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str | None = None
    blocked: bool = False
    recovery: bool = False


def verify(user: User, code: str, now: datetime, *, allow_recovery: bool = True) -> Verdict:
    """Check a code (of the app, or a recovery code) for `user` against their secret (also a
    secret still being set up). Counts wrong codes; the caller commits either way."""
    wait = wait_seconds(user, now)
    if wait is not None:
        return Verdict(False, _("U hebt te vaak een verkeerde code ingevuld. Probeer het over "
                                "%(minutes)s minuten opnieuw.",
                                minutes=math.ceil(wait / 60)), blocked=True)
    code = (code or "").strip()
    step = _matching_step(user.totp_secret, code, now) if user.totp_secret else None
    if step is not None:
        last = _last_used_step(user.id, now)
        if last is None or step > last:
            db.session.add(RateLimitHit(bucket=f"{_used_prefix(user.id)}{step}", at=now))
            db.session.flush()
            return Verdict(True)
        _count_failure(user, now)
        return Verdict(False, _("Deze code is al gebruikt. Wacht tot uw app een nieuwe code "
                                "laat zien, en vul die in."))
    if allow_recovery and _use_recovery_code(user, code, now):
        return Verdict(True, recovery=True)
    _count_failure(user, now)
    return Verdict(False, _("Deze code klopt niet. Vul de code in die uw app nu laat zien."))


def _count_failure(user: User, now: datetime) -> None:
    over_limit(_failure_bucket(user.id), FAILURE_LIMIT, FAILURE_WINDOW_SECONDS, now)


def enable(user: User, now: datetime) -> list[str]:
    """The set-up is confirmed with a first code: in force from now; the new recovery codes
    (to show once)."""
    user.totp_enabled_at = now
    return new_recovery_codes(user, now)


def switch_off(user: User) -> None:
    """No second factor any more: the secret, the recovery codes and the trusted browsers go.
    (Also the admin reset.) The caller commits."""
    user.totp_secret = None
    user.totp_enabled_at = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(TrustedDevice).where(TrustedDevice.user_id == user.id))
    db.session.flush()


# --- Recovery codes --------------------------------------------------------------------------

def _normalised_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch not in " -")


def new_recovery_codes(user: User, now: datetime) -> list[str]:
    """Ten fresh codes in place of the old ones; only their hashes are kept."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(raw),
                                    created_at=now))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    raw = _normalised_recovery(code)
    if len(raw) != RECOVERY_LENGTH or not set(raw) <= set(RECOVERY_ALPHABET):
        return False
    unused = db.session.scalars(sa.select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    for recovery in unused:
        if verify_password(recovery.code_hash, raw):
            # Guarded: two requests with the same code at once, only one gets in.
            return update_once(recovery, RecoveryCode.used_at.is_(None), used_at=now)
    return False


def codes_left(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# --- Trusted browsers ------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_trusted_device(user: User, now: datetime) -> bool:
    token = request.cookies.get(TRUST_COOKIE)
    if not token or len(token) > 100:
        return False
    found = db.session.scalar(sa.select(TrustedDevice.id).where(
        TrustedDevice.token_hash == _token_hash(token), TrustedDevice.user_id == user.id,
        TrustedDevice.expires_at > now))
    return found is not None


def trust_this_device(user: User, now: datetime) -> str:
    """Remember this browser for TRUST_DAYS; the token for `set_trust_cookie`."""
    db.session.execute(sa.delete(TrustedDevice).where(TrustedDevice.user_id == user.id,
                                                      TrustedDevice.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add(TrustedDevice(token_hash=_token_hash(token), user_id=user.id,
                                 created_at=now, expires_at=now + timedelta(days=TRUST_DAYS)))
    db.session.flush()
    return token


def set_trust_cookie(response: Response, token: str) -> None:
    # Secure as the session cookie is (off only for the local development server over http).
    response.set_cookie(TRUST_COOKIE, token, max_age=TRUST_DAYS * 24 * 3600, path="/",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", True),
                        httponly=True, samesite="Strict")


def trusted_devices(user: User, now: datetime) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(TrustedDevice).where(
        TrustedDevice.user_id == user.id, TrustedDevice.expires_at > now)) or 0


@dataclass(frozen=True)
class State:
    """What the account page and the admin's user page say about someone's second factor."""

    enabled_at: datetime | None
    required: bool
    codes_left: int
    trusted_devices: int

    @property
    def resettable(self) -> bool:
        return bool(self.enabled_at or self.codes_left or self.trusted_devices)


def state(user: User) -> State:
    now = utcnow()
    return State(enabled_at=user.totp_enabled_at if user.has_two_factor else None,
                 required=security_settings.two_factor_required(user.role),
                 codes_left=codes_left(user), trusted_devices=trusted_devices(user, now))
