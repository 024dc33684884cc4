"""Throttling of failed sign-ins, per account and per address (issue 19).

OWNED BY THE SIGN-IN PART. Counted in the database (RateLimitHit buckets), so the limit holds
across web processes. The interface the sign-in view uses:
"""

from datetime import datetime


def wait_seconds(email: str, address: str | None, now: datetime) -> int | None:
    """Seconds before another attempt for this e-mail or address is taken; None: go ahead.

    Checked before the password is verified, so a blocked attempt costs no argon2."""
    return None


def record_failure(email: str, address: str | None, now: datetime) -> None:
    """Count one failed attempt for the e-mail (known or not) and for the address."""


def record_success(email: str, address: str | None, now: datetime) -> None:
    """A right password: the account's count starts again (the address's stays)."""


def wait_message(seconds: int) -> str:
    """The Dutch message for a refused attempt; says nothing about the account."""
    return f"Te veel pogingen. Probeer het over {seconds} seconden opnieuw."
