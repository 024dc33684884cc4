"""Throttling of failed sign-ins, per account and per address (issue 19).

Each failed attempt is one RateLimitHit row (app.api.models), in the database rather than in
memory, so every web process sees the same count. Buckets are keyed by a keyed hash (with
SECRET_KEY) of the normalised e-mail and of the address: neither is stored readably, and an
e-mail that has no account is counted exactly like one that has, so the answer tells nothing.

After `free` failures within the window each further attempt waits: 30 s after the last
failure, doubling with every failure after that, at most SIGNIN_THROTTLE_MAX_DELAY. An
attempt that must wait is refused before the password is verified: it costs no argon2 and is
not counted itself (so waiting out the delay is always enough).
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.api.models import RateLimitHit
from app.extensions import db

# Nothing older than a day is kept in rate_limit_hits (app.api.service.over_limit clears it).
_KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    free: int          # failures within the window before the first delay
    window: timedelta  # failures older than this are forgotten


def _limits() -> tuple[Limit, Limit]:
    config = current_app.config
    account = Limit(config.get("SIGNIN_THROTTLE_ACCOUNT_FREE", 5),
                    timedelta(hours=24))
    # One address can be a whole library behind one router: more room, a shorter memory.
    address = Limit(config.get("SIGNIN_THROTTLE_ADDRESS_FREE", 20),
                    timedelta(hours=1))
    return account, address


def normalise(email: str | None) -> str:
    return (email or "").strip().lower()


def _digest(kind: str, value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def account_bucket(email: str | None) -> str:
    return "signin-acct:" + _digest("email", normalise(email))


def address_bucket(address: str | None) -> str:
    return "signin-addr:" + _digest("addr", address or "-")


def _buckets(email: str | None, address: str | None) -> list[tuple[Limit, str]]:
    account, per_address = _limits()
    return [(account, account_bucket(email)), (per_address, address_bucket(address))]


def _delay(failures: int, free: int) -> timedelta | None:
    """How long after the last failure the next attempt waits; None: no wait."""
    if failures < free:
        return None
    first = current_app.config.get("SIGNIN_THROTTLE_FIRST_DELAY", 30)
    most = current_app.config.get("SIGNIN_THROTTLE_MAX_DELAY", 900)
    # Capped exponent: 2**n of a huge n would be a huge number for nothing.
    seconds = min(first * 2 ** min(failures - free, 32), most)
    return timedelta(seconds=seconds)


def _failures(bucket: str, since: datetime) -> tuple[int, datetime | None]:
    count, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(RateLimitHit.at))
        .where(RateLimitHit.bucket == bucket, RateLimitHit.at >= since)
    ).one()
    return count, last


def blocked_until(bucket: str, limit: Limit, now: datetime) -> datetime | None:
    """When attempts on this bucket are taken again; None: they are now."""
    count, last = _failures(bucket, now - limit.window)
    delay = _delay(count, limit.free)
    if delay is None or last is None:
        return None
    until = last + delay
    return until if until > now else None


def wait_seconds(email: str, address: str | None, now: datetime) -> int | None:
    """Seconds before another attempt for this e-mail or address is taken; None: go ahead.

    Checked before the password is verified, so a blocked attempt costs no argon2."""
    waits = [until for limit, bucket in _buckets(email, address)
             if (until := blocked_until(bucket, limit, now)) is not None]
    if not waits:
        return None
    return max(1, int((max(waits) - now).total_seconds() + 0.999))


def record_failure(email: str, address: str | None, now: datetime) -> None:
    """Count one failed attempt for the e-mail (known or not) and for the address."""
    db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.at < now - _KEEP))
    for _limit, bucket in _buckets(email, address):
        db.session.add(RateLimitHit(bucket=bucket, at=now))
    db.session.flush()


def record_success(email: str, address: str | None, now: datetime) -> None:
    """A right password: the account's count starts again (the address's stays)."""
    clear_account(email)


def clear_account(email: str | None) -> int:
    """Forget the failed attempts on this e-mail (right password, or an admin unblocks)."""
    result = db.session.execute(
        sa.delete(RateLimitHit).where(RateLimitHit.bucket == account_bucket(email)))
    return result.rowcount or 0


def account_blocked_until(email: str | None, now: datetime) -> datetime | None:
    """For the admin's user page: until when sign-ins to this account are refused."""
    account, _address = _limits()
    return blocked_until(account_bucket(email), account, now)


def account_failures(email: str | None, now: datetime) -> int:
    account, _address = _limits()
    return _failures(account_bucket(email), now - account.window)[0]


def wait_message(seconds: int) -> str:
    """The Dutch message for a refused attempt; says nothing about the account."""
    if seconds >= 120:
        minutes = (seconds + 59) // 60
        return ngettext("Te veel pogingen om in te loggen. Probeer het over %(num)s minuut "
                        "opnieuw.",
                        "Te veel pogingen om in te loggen. Probeer het over %(num)s minuten "
                        "opnieuw.", minutes)
    return _("Te veel pogingen om in te loggen. Probeer het over %(n)s seconden opnieuw.",
             n=seconds)
