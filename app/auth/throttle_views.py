"""The admin's "Deblokkeren" for an account that failed sign-ins blocked (issue 19)."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import service as audit
from app.auth import bp, throttle
from app.auth.models import User
from app.auth.permissions import require
from app.core.timeutil import utcnow
from app.extensions import db


@bp.post("/beheer/gebruikers/<int:user_id>/deblokkeren")
@require("users.manage")
def user_unblock(user_id: int):
    user = db.get_or_404(User, user_id)
    cleared = throttle.clear_account(user.email)
    # A second click (or a block that ran out meanwhile) clears nothing and logs nothing.
    if cleared:
        audit.record(current_user, "update", "user", user.id, now=utcnow(),
                     summary="gedeblokkeerd na mislukte inlogpogingen")
    db.session.commit()
    flash(_("%(name)s kan weer inloggen.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id) + "#inlogpogingen")


@bp.app_template_global("signin_blocked_until")
def signin_blocked_until(user: User):
    """For admin/_user_throttle.html: until when failed sign-ins block this account."""
    return throttle.account_blocked_until(user.email, utcnow())
