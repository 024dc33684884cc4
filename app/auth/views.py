from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.audit import service as audit
from app.auth import bp, server_sessions, signin, throttle, twofactor
from app.auth.forms import LoginForm, SetPasswordForm
from app.auth.service import authenticate, set_password
from app.auth.tokens import user_for_password_token
from app.core.timeutil import utcnow
from app.extensions import db

# The one answer to a failed sign-in, whatever failed: it must not tell whether the account
# exists, is deactivated or is blocked.
FAILED = "Dit e-mailadres en wachtwoord horen niet bij elkaar. Probeer het opnieuw."


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        email, address = form.email.data, request.remote_addr
        wait = throttle.wait_seconds(email, address, now)
        if wait is not None:
            form.password.errors.append(throttle.wait_message(wait))
            db.session.commit()
            return render_template("auth/login.html", form=form), 429
        user = authenticate(email, form.password.data, now)
        if user is None:
            throttle.record_failure(email, address, now)
            db.session.commit()
            form.password.errors.append(_(FAILED))
        else:
            throttle.record_success(email, address, now)
            next_url = request.args.get("next")
            step = twofactor.second_step(user, next_url)
            if step is not None:
                db.session.commit()
                return step
            return signin.complete(user, now, next_url)
    return render_template("auth/login.html", form=form)


@bp.post("/uitloggen")
@login_required
def logout():
    server_sessions.end_current(utcnow())
    db.session.commit()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"], endpoint="set_password")
def set_password_page(token: str):
    user = user_for_password_token(token)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = SetPasswordForm(user=user)
    if form.validate_on_submit():
        now = utcnow()
        set_password(user, form.password.data, now)
        audit.record(user, "update", "user", user.id, summary="wachtwoord ingesteld")
        server_sessions.end_all(user, now, "wachtwoord")
        db.session.commit()
        if current_user.is_authenticated:
            server_sessions.end_current(now, "wachtwoord")
            db.session.commit()
        flash(_("Uw wachtwoord is opgeslagen. U kunt nu inloggen."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.get("/mijn-account")
@login_required
def account():
    """The signed-in user's own page: password, two factors, where they are signed in.
    Each part renders its own section (templates/auth/_account_*.html)."""
    return render_template("auth/account.html", user=current_user)


# The routes of the sign-in throttle, two factors and sessions live in their own modules;
# importing them puts their routes on bp.
from app.auth import session_views, throttle_views, twofactor_views  # noqa: E402, F401
