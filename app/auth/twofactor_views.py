"""Routes of the twofactor_views part of issue 19 (on the auth blueprint): the code step after
the password, set-up (forced at sign-in when the role requires it, or from Mijn account),
recovery codes, switching off, the admin reset and the page Beheer > Beveiliging."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.audit import service as audit
from app.auth import bp, security_settings, server_sessions, signin, twofactor
from app.auth.models import User
from app.auth.permissions import require
from app.auth.session import public
from app.auth.twofactor_forms import (
    CodeForm,
    ConfirmSetupForm,
    CurrentCodeForm,
    SecuritySettingsForm,
)
from app.core.timeutil import utcnow
from app.extensions import db


@bp.app_context_processor
def _twofactor_helpers():
    # The account page and the admin's user page show the state of someone's second factor.
    return {"twofactor_state": twofactor.state}


def _parking_over():
    twofactor.clear_pending()
    flash(_("Log opnieuw in. De tijd om de code in te vullen was voorbij."), "info")
    return redirect(url_for("auth.login"))


def _recovery_codes_page(codes: list[str], continue_url: str):
    return render_template("auth/twofactor_recovery_codes.html", codes=codes,
                           continue_url=continue_url)


# --- At sign-in --------------------------------------------------------------------------------

@bp.route("/inloggen/code", methods=["GET", "POST"])
@public
def twofactor_code():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    now = utcnow()
    parked = twofactor.pending(now)
    if parked is None or not parked[0].has_two_factor:
        return _parking_over()
    user, next_url = parked
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        verdict = twofactor.verify(user, form.code.data, now)
        if verdict.ok:
            twofactor.clear_pending()
            if verdict.recovery:
                audit.record(user, "update", "user", user.id, now=now,
                             summary="herstelcode gebruikt")
            token = twofactor.trust_this_device(user, now) if form.trust.data else None
            response = signin.complete(user, now, next_url)
            if token:
                twofactor.set_trust_cookie(response, token)
            if verdict.recovery:
                # After the sign-in: a session started afresh keeps this message.
                flash(_("U hebt een herstelcode gebruikt. U hebt er nog %(n)s. Maak nieuwe "
                        "herstelcodes op Mijn account als u er bijna geen meer hebt.",
                        n=twofactor.codes_left(user)), "warning")
            return response
        db.session.commit()  # the count of wrong codes
        form.code.errors.append(verdict.message)
        form.code.data = ""
        status = 429 if verdict.blocked else 200
    return render_template("auth/twofactor_code.html", form=form), status


@bp.route("/inloggen/code-instellen", methods=["GET", "POST"])
@public
def twofactor_forced_setup():
    """Two factors are required for this role and not yet set up: no way in without."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    now = utcnow()
    parked = twofactor.pending(now)
    if parked is None or parked[0].has_two_factor:
        return _parking_over()
    user, next_url = parked
    return _setup(user, now, forced=True, next_url=next_url)


def _setup(user: User, now, *, forced: bool, next_url: str | None = None):
    secret = twofactor.pending_secret(user)
    db.session.commit()  # the same secret (and QR code) on a reload
    form = ConfirmSetupForm()
    status = 200
    if form.validate_on_submit():
        verdict = twofactor.verify(user, form.code.data, now, allow_recovery=False)
        if verdict.ok:
            codes = twofactor.enable(user, now)
            audit.record(user, "update", "user", user.id, now=now,
                         summary="inloggen met code aangezet")
            if forced:
                twofactor.clear_pending()
                done = signin.complete(user, now, next_url)
                return _recovery_codes_page(codes, done.location)
            db.session.commit()
            return _recovery_codes_page(codes, url_for("auth.account"))
        db.session.commit()
        form.code.errors.append(verdict.message)
        form.code.data = ""
        status = 429 if verdict.blocked else 200
    return render_template("auth/twofactor_setup.html", form=form, forced=forced,
                           qr=twofactor.qr_svg(user, secret),
                           secret=twofactor.spaced_secret(secret)), status


# --- On Mijn account ---------------------------------------------------------------------------

def _me() -> User:
    return current_user._get_current_object()


@bp.route("/mijn-account/tweestaps", methods=["GET", "POST"])
@login_required
def twofactor_setup():
    user = _me()
    if user.has_two_factor:
        flash(_("Inloggen met code staat al aan."), "info")
        return redirect(url_for("auth.account"))
    return _setup(user, utcnow(), forced=False)


def _confirm_with_code(user: User, purpose: str):
    """Run `purpose` ("codes" or "off") after a current code; the page or a redirect."""
    now = utcnow()
    form = CurrentCodeForm()
    status = 200
    if form.validate_on_submit():
        verdict = twofactor.verify(user, form.code.data, now)
        if verdict.ok:
            if purpose == "codes":
                codes = twofactor.new_recovery_codes(user, now)
                audit.record(user, "update", "user", user.id, now=now,
                             summary="nieuwe herstelcodes gemaakt")
                db.session.commit()
                return _recovery_codes_page(codes, url_for("auth.account"))
            twofactor.switch_off(user)
            audit.record(user, "update", "user", user.id, now=now,
                         summary="inloggen met code uitgezet")
            db.session.commit()
            flash(_("Inloggen met code staat uit. U logt nu in met alleen uw wachtwoord."),
                  "success")
            return redirect(url_for("auth.account"))
        db.session.commit()
        form.code.errors.append(verdict.message)
        form.code.data = ""
        status = 429 if verdict.blocked else 200
    return render_template("auth/twofactor_confirm.html", form=form, purpose=purpose), status


@bp.route("/mijn-account/tweestaps/herstelcodes", methods=["GET", "POST"])
@login_required
def twofactor_new_codes():
    user = _me()
    if not user.has_two_factor:
        return redirect(url_for("auth.account"))
    return _confirm_with_code(user, "codes")


@bp.route("/mijn-account/tweestaps/uitzetten", methods=["GET", "POST"])
@login_required
def twofactor_switch_off():
    user = _me()
    if not user.has_two_factor:
        return redirect(url_for("auth.account"))
    if security_settings.two_factor_required(user.role):
        flash(_("Inloggen met code is verplicht voor uw rol. U kunt het niet uitzetten."),
              "warning")
        return redirect(url_for("auth.account"))
    return _confirm_with_code(user, "off")


# --- The admin ---------------------------------------------------------------------------------

@bp.post("/beheer/gebruikers/<int:user_id>/tweestaps/terugzetten")
@require("users.manage")
def admin_twofactor_reset(user_id: int):
    """The user lost their phone (and recovery codes): start over. Their sessions end, so a
    stolen signed-in browser is out too."""
    user = db.get_or_404(User, user_id)
    now = utcnow()
    twofactor.switch_off(user)
    server_sessions.end_all(user, now, "2fa-reset", except_current=user.id == current_user.id)
    audit.record(current_user, "update", "user", user.id, now=now,
                 summary="inloggen met code teruggezet")
    db.session.commit()
    if security_settings.two_factor_required(user.role):
        flash(_("Inloggen met code van %(name)s is teruggezet. Bij de volgende keer inloggen "
                "stelt %(name)s het opnieuw in.", name=user.name), "success")
    else:
        flash(_("Inloggen met code van %(name)s is teruggezet. %(name)s logt nu in met alleen "
                "een wachtwoord.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


TWO_FACTOR_KEYS = ("two_factor_admin", "two_factor_coordinator", "two_factor_staff")


@bp.route("/beheer/beveiliging", methods=["GET", "POST"])
@require("users.manage")
def security_settings_page():
    in_force = {s.key: security_settings.value(s.key) for s in security_settings.SETTINGS}
    form = SecuritySettingsForm(data={k: bool(v) if k in TWO_FACTOR_KEYS else v
                                      for k, v in in_force.items()})
    if form.validate_on_submit():
        wanted = {key: int(bool(form[key].data)) for key in TWO_FACTOR_KEYS}
        wanted["session_idle_minutes"] = form.session_idle_minutes.data
        changed = [key for key, new in wanted.items() if new != in_force[key]]
        for key in changed:
            security_settings.save(key, wanted[key], current_user.id)
        if changed:
            audit.record(current_user, "update", "security_settings", now=utcnow(),
                         summary=f"gewijzigd: {', '.join(changed)}")
            db.session.commit()
            flash(_("De instellingen voor beveiliging zijn opgeslagen. Ze gelden vanaf nu."),
                  "success")
        else:
            flash(_("Er was niets veranderd."), "info")
        return redirect(url_for("auth.security_settings_page"))
    return render_template("admin/security.html", form=form,
                           settings=security_settings.BY_KEY)
