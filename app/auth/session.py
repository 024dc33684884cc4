"""Flask-Login wiring: loading the user and the sign-in requirement for every page."""

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth import server_sessions
from app.core.timeutil import utcnow
from app.extensions import login_manager

# Endpoints reachable without signing in; everything else needs a signed-in user.
PUBLIC_ENDPOINTS = {"auth.login", "auth.set_password", "auth.signed_out", "main.healthz",
                    "static"}


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log eerst in om deze pagina te zien.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        # Only through a live server session (app/auth/server_sessions.py): ended, idle or
        # too old, a deactivated user or partner organisation, and the cookie signs nobody
        # in. This also holds for Flask-Login's remember cookie, which is never set: without
        # the session's token, whatever user id it carries loads nobody.
        return server_sessions.user_for_request(user_id, utcnow())

    @app.before_request
    def require_login():
        endpoint = request.endpoint or ""
        if endpoint == "static":
            return None
        # Loaded here, first thing, on every page (public ones too): the loader commits
        # when it ends an expired session or moves last_seen_at, and must do so before a
        # view has changed anything.
        signed_in = current_user.is_authenticated
        if endpoint in PUBLIC_ENDPOINTS or app.view_functions.get(endpoint) is None:
            return None
        if getattr(app.view_functions[endpoint], "_public", False):
            return None
        if not signed_in:
            reason = server_sessions.just_ended()
            if reason is not None:
                # Idle or too old: say so, and keep where the user was.
                return redirect(url_for("auth.signed_out", reden=reason,
                                        next=server_sessions.where_you_were()))
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None


def public(view):
    """Mark a view as reachable without signing in (e.g. self-registration, API)."""
    view._public = True
    return view
