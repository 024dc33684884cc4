"""Routes of the sessions part of issue 19 (on the auth blueprint): the "U bent afgemeld"
page, "Overal afmelden" on the user's own page, and an admin ending a user's sessions."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.auth import bp, server_sessions
from app.auth.models import User
from app.auth.permissions import require
from app.auth.session import public
from app.core.timeutil import utcnow
from app.core.urls import safe_next
from app.extensions import db


@bp.app_context_processor
def _session_helpers():
    """For auth/_account_sessions.html and admin/_user_sessions.html, which are included in
    pages whose views belong to others."""
    return {
        "open_sessions": lambda user: server_sessions.open_sessions(user, utcnow()),
        "open_session_count": lambda user: server_sessions.open_count(user, utcnow()),
        "is_this_session": server_sessions.is_current,
    }


@bp.get("/afgemeld")
@public
def signed_out():
    """Where an idle or too old session lands: why, and a way back to the same page."""
    reason = request.args.get("reden")
    if reason not in (server_sessions.IDLE, server_sessions.EXPIRED):
        reason = None
    next_url = safe_next(request.args.get("next"))
    return render_template(
        "auth/signed_out.html", reason=reason, next_url=next_url,
        idle_minutes=server_sessions.security_settings.idle_minutes(),
        lifetime_hours=int(server_sessions.LIFETIME.total_seconds() // 3600))


@bp.post("/mijn-account/overal-afmelden")
@login_required
def end_my_sessions():
    """"Overal afmelden": every session of this user ends, this browser's too."""
    now = utcnow()
    server_sessions.end_all(current_user, now, "overal-afgemeld", by=current_user)
    server_sessions.end_current(now, "overal-afgemeld")
    db.session.commit()
    flash(_("U bent overal afgemeld, ook hier. Log opnieuw in om verder te gaan."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/beheer/gebruikers/<int:user_id>/sessies/beeindigen")
@require("users.manage")
def admin_end_sessions(user_id: int):
    """An admin signs a user out everywhere (a lost phone, a shared computer)."""
    user = db.get_or_404(User, user_id)
    ended = server_sessions.end_all(user, utcnow(), "beheerder", by=current_user)
    db.session.commit()
    if ended:
        flash(ngettext("%(num)d sessie van %(name)s is beëindigd.",
                       "%(num)d sessies van %(name)s zijn beëindigd.", ended, name=user.name),
              "success")
    else:
        flash(_("%(name)s was nergens ingelogd.", name=user.name), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))
