from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.audit import service as audit
from app.auth import bp
from app.auth.forms import LoginForm, SetPasswordForm
from app.auth.service import authenticate, set_password
from app.auth.tokens import user_for_password_token
from app.core.timeutil import utcnow
from app.extensions import db


def _safe_next(target: str | None) -> str | None:
    """Only local paths, so the sign-in page cannot be used as an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data, utcnow())
        if user is None:
            form.password.errors.append(
                _("Dit e-mailadres en wachtwoord horen niet bij elkaar. Probeer het opnieuw.")
            )
        else:
            audit.record(user, "login", "user", user.id)
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/uitloggen")
@login_required
def logout():
    logout_user()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"], endpoint="set_password")
def set_password_page(token: str):
    user = user_for_password_token(token)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data)
        audit.record(user, "update", "user", user.id, summary="wachtwoord ingesteld")
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        flash(_("Uw wachtwoord is opgeslagen. U kunt nu inloggen."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)

