from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import service as audit
from app.auth.permissions import allowed_locations, require
from app.auth.session import public
from app.core.db import utcnow
from app.extensions import db
from app.referrals.forms import select_choices
from app.selfreg import bp
from app.selfreg import service as selfreg
from app.selfreg.forms import AcceptForm, RejectForm, SelfRegistrationForm
from app.selfreg.models import SelfRegistration


@bp.route("/aanmelden", methods=["GET", "POST"])
@public
def register():
    form = SelfRegistrationForm()
    if request.method == "POST":
        now = utcnow()
        limit, window = current_app.config.get("SELFREG_RATE_LIMIT", (5, 3600))
        if selfreg.rate_limited(request.remote_addr, current_app.config["SECRET_KEY"], limit,
                                window, now):
            db.session.commit()
            return render_template("selfreg/too_many.html"), 429
        db.session.commit()
        if form.validate_on_submit():
            # A filled honeypot is a bot: thank it like a person, keep nothing.
            if not form.website.data:
                selfreg.submit(first_name=form.first_name.data, phone=form.phone.data,
                               best_moment=form.best_moment.data, topics=form.topics.data,
                               question=form.question.data, helped_by=form.helped_by.data,
                               now=now)
                db.session.commit()
            return redirect(url_for("selfreg.thanks"))
    return render_template("selfreg/register.html", form=form)


@bp.get("/aanmelden/bedankt")
@public
def thanks():
    return render_template("selfreg/thanks.html")


@bp.get("/zelfmeldingen/")
@require("referrals.create")
def queue():
    page = db.paginate(selfreg.pending_query(), page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("selfreg/queue.html", page=page, topics=selfreg.TOPICS,
                           moments=selfreg.MOMENTS)


def _pending_or_404(registration_id: int) -> SelfRegistration:
    registration = db.session.get(SelfRegistration, registration_id)
    if registration is None or registration.status != "pending":
        abort(404)
    return registration


@bp.route("/zelfmeldingen/<int:registration_id>/", methods=["GET", "POST"])
@require("referrals.create")
def handle(registration_id: int):
    registration = _pending_or_404(registration_id)
    accept_form = AcceptForm(prefix="accept")
    reject_form = RejectForm(prefix="reject")
    locations = allowed_locations(current_user)
    accept_form.location_id.choices = select_choices((loc.id, loc.name) for loc in locations)
    now = utcnow()
    if reject_form.reject.data and reject_form.validate_on_submit():
        selfreg.reject(registration, user=current_user, now=now)
        db.session.commit()
        flash(_("De aanmelding is afgewezen."), "success")
        return redirect(url_for("selfreg.queue"))
    if accept_form.accept.data and accept_form.validate_on_submit():
        trajectory = selfreg.accept(registration, location_id=accept_form.location_id.data,
                                    user=current_user, now=now)
        db.session.commit()
        flash(_("%(name)s staat nu bij de nieuwe aanmeldingen.",
                name=trajectory.participant.first_name), "success")
        return redirect(url_for("selfreg.queue"))
    audit.record(current_user, "view", "self_registration", registration.id,
                 summary="zelfmelding bekeken", now=now)
    db.session.commit()
    return render_template("selfreg/handle.html", registration=registration,
                           accept_form=accept_form, reject_form=reject_form,
                           topics=selfreg.TOPICS, moments=selfreg.MOMENTS)
