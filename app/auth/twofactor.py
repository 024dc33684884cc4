"""Two-factor sign-in with TOTP (issue 19).

OWNED BY THE TWO-FACTOR PART. The interface the sign-in view uses:
"""

from flask import Response

from app.auth.models import User


def second_step(user: User, remember_next: str | None) -> Response | None:
    """After a right password: the response that asks for the second factor (or sends the user
    to set one up), with the user parked in the session as "password checked"; None when this
    user may go straight in (no two factors required nor set up, or a trusted device)."""
    return None
