"""The last step of every sign-in, shared by the password page and the two-factor page."""

from flask import redirect, url_for
from werkzeug.wrappers import Response

from app.audit import service as audit
from app.auth import server_sessions
from app.auth.models import User
from app.core.urls import safe_next
from app.extensions import db


def complete(user: User, now, next_url: str | None) -> Response:
    """Record the sign-in, start a server session and go where the user was headed."""
    user.last_login_at = now
    audit.record(user, "login", "user", user.id)
    server_sessions.start(user, now)
    db.session.commit()
    return redirect(safe_next(next_url) or url_for("main.index"))
