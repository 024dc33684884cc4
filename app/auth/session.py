"""Flask-Login wiring: loading the user and the sign-in requirement for every page."""

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import db, login_manager

# Endpoints reachable without signing in; everything else needs a signed-in user.
PUBLIC_ENDPOINTS = {"auth.login", "auth.set_password", "main.healthz", "static"}


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log eerst in om deze pagina te zien.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.auth.models import User

        user = db.session.get(User, int(user_id))
        return user if user and user.active else None

    @app.before_request
    def require_login():
        endpoint = request.endpoint or ""
        if endpoint in PUBLIC_ENDPOINTS or app.view_functions.get(endpoint) is None:
            return None
        if getattr(app.view_functions[endpoint], "_public", False):
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None


def public(view):
    """Mark a view as reachable without signing in (e.g. self-registration, API)."""
    view._public = True
    return view
