import hashlib
import hmac
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api.models import RateLimitHit
from app.api.service import over_limit
from app.audit import service as audit
from app.auth import bp, server_sessions, signin, throttle, twofactor
from app.auth.forms import (
    PASSWORD_HINT,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
)
from app.auth.passwords import MIN_LENGTH, strength_hint
from app.auth.service import authenticate, check_password, find_user_by_email, set_password
from app.auth.session import public
from app.auth.tokens import user_for_password_token
from app.core.mail import MailError
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
    hint = None
    if request.method == "POST" and form.password.data:
        hint = strength_hint(form.password.data, email=user.email, name=user.name)
    if form.validate_on_submit():
        now = utcnow()
        set_password(user, form.password.data, now)
        # The link proved the mailbox: failed guesses no longer keep this account waiting.
        throttle.clear_account(user.email)
        audit.record(user, "update", "user", user.id, summary="wachtwoord ingesteld")
        server_sessions.end_all(user, now, "wachtwoord")
        db.session.commit()
        if current_user.is_authenticated:
            server_sessions.end_current(now, "wachtwoord")
            db.session.commit()
        flash(_("Uw wachtwoord is opgeslagen. U kunt nu inloggen."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user, hint=hint,
                           min_length=MIN_LENGTH)


@bp.app_template_global("password_rules_hint")
def password_rules_hint() -> str:
    """The hint under every field where a password is chosen."""
    return str(PASSWORD_HINT)


# --- "Wachtwoord vergeten?" ----------------------------------------------------------------

def _reset_bucket(kind: str, value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return f"pwreset-{kind}:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]


def _asked_just_now(bucket: str, now) -> bool:
    """A request for this e-mail in the last minute: a double click or a reload."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitHit).where(
        RateLimitHit.bucket == bucket, RateLimitHit.at > now - timedelta(minutes=1))) > 0


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a link to choose a new password. The answer, and the work before the mail,
    are the same whether or not the address has an account, so the page tells nothing."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot_password.html", form=form)
    now = utcnow()
    email = throttle.normalise(form.email.data)
    limit, window = current_app.config["PASSWORD_RESET_RATE_LIMIT"]
    mail_bucket = _reset_bucket("mail", email)
    repeat = _asked_just_now(mail_bucket, now)
    wait = (over_limit(_reset_bucket("addr", request.remote_addr or "-"), limit, window, now)
            or over_limit(mail_bucket, limit, window, now))
    if wait is not None:
        db.session.commit()
        minutes = max(1, (wait + 59) // 60)
        form.email.errors.append(_(
            "U heeft te vaak een nieuwe link gevraagd. Probeer het over %(num)s minuten "
            "opnieuw.", num=minutes))
        return render_template("auth/forgot_password.html", form=form), 429
    user = find_user_by_email(email)
    db.session.commit()
    # A deactivated account gets no mail: it could not sign in with a new password anyway.
    if user is not None and user.active and not repeat:
        from app.admin.service import send_password_link

        try:
            send_password_link(user, inviter=None, self_service=True)
        except MailError:
            db.session.rollback()
            current_app.logger.exception("password reset mail for user %s failed", user.id)
        else:
            audit.record(None, "update", "user", user.id, now=now,
                         summary="link voor nieuw wachtwoord aangevraagd")
            db.session.commit()
    return render_template("auth/forgot_password_sent.html", email=email)


# --- Changing one's own password on /mijn-account ------------------------------------------

@bp.route("/mijn-account/wachtwoord", methods=["GET", "POST"])
@login_required
def change_password():
    if request.method == "GET":
        return redirect(url_for("auth.account") + "#wachtwoord")
    user = current_user._get_current_object()
    form = ChangePasswordForm(user=user)
    if not form.validate_on_submit():
        return _account_page(form), 200
    now = utcnow()
    address = request.remote_addr
    # Guessing the current password from a signed-in browser is throttled like signing in.
    wait = throttle.wait_seconds(user.email, address, now)
    if wait is not None:
        form.current.errors.append(throttle.wait_message(wait))
        return _account_page(form), 429
    if not check_password(user, form.current.data):
        throttle.record_failure(user.email, address, now)
        db.session.commit()
        form.current.errors.append(_("Dit is niet uw huidige wachtwoord."))
        return _account_page(form), 200
    set_password(user, form.password.data, now)
    audit.record(user, "update", "user", user.id, now=now, summary="wachtwoord gewijzigd")
    ended = server_sessions.end_all(user, now, "wachtwoord", except_current=True)
    db.session.commit()
    flash(_("Uw wachtwoord is veranderd.") + (
        " " + _("U bent op uw andere apparaten afgemeld.") if ended else ""), "success")
    return redirect(url_for("auth.account"))


def _account_page(form):
    hint = None
    if form.password.data:
        hint = strength_hint(form.password.data, email=current_user.email,
                             name=current_user.name)
    return render_template("auth/account.html", user=current_user, password_form=form,
                           password_hint=hint)


@bp.get("/mijn-account")
@login_required
def account():
    """The signed-in user's own page: password, two factors, where they are signed in.
    Each part renders its own section (templates/auth/_account_*.html)."""
    return render_template("auth/account.html", user=current_user)


# The routes of the sign-in throttle, two factors and sessions live in their own modules;
# importing them puts their routes on bp.
from app.auth import session_views, throttle_views, twofactor_views  # noqa: E402, F401
