from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import service as audit
from app.auth.permissions import (
    allowed_locations,
    get_editable_trajectory_or_404,
    get_self_registration_or_404,
    posted_ids_or_404,
    require,
    visible_participants,
    visible_self_registrations,
)
from app.auth.session import public
from app.core.db import utcnow
from app.core.forms import select_choices
from app.extensions import db
from app.participants.service import newest_visible_trajectories
from app.referrals.service import OpenTrajectoryError, mask_phone
from app.selfreg import bp
from app.selfreg import service as selfreg
from app.selfreg.forms import AcceptForm, RejectForm, SelfRegistrationForm


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
    now = utcnow()
    page_number = request.args.get("page", 1, type=int)
    # Names and phone numbers of people not yet at any location, shown to staff of every
    # location: logged. Committed first: a commit after loading would expire every row shown.
    audit.record(current_user, "view", "self_registration_queue", None,
                 summary=f"zelfmeldingen, pagina {page_number}", now=now)
    db.session.commit()
    page = db.paginate(visible_self_registrations(current_user), page=page_number,
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("selfreg/queue.html", page=page, topics=selfreg.TOPICS,
                           moments=selfreg.MOMENTS)


@bp.route("/zelfmeldingen/<int:registration_id>/", methods=["GET", "POST"])
@require("referrals.create")
def handle(registration_id: int):
    now = utcnow()
    registration = get_self_registration_or_404(current_user, registration_id)
    accept_form = AcceptForm(prefix="accept")
    reject_form = RejectForm(prefix="reject")
    locations = allowed_locations(current_user)
    accept_form.location_id.choices = select_choices((loc.id, loc.name) for loc in locations)

    def search():
        return selfreg.possible_duplicates(registration, visible_participants(current_user))

    matches = search()
    refused = None
    if reject_form.reject.data and reject_form.validate_on_submit():
        selfreg.reject(registration, user=current_user, now=now)
        db.session.commit()
        flash(_("De aanmelding is afgewezen."), "success")
        return redirect(url_for("selfreg.queue"))
    accepting = accept_form.accept.data or accept_form.decision.data
    existing = None
    if accepting:
        # Before the form is checked: a location not offered, or a person not among the ones
        # offered here, is an edited form about someone else's record.
        posted_ids_or_404([request.form.get("accept-location_id")], [loc.id for loc in locations])
        decision = request.form.get("accept-decision") or ""
        if decision.startswith("attach:"):
            chosen, = posted_ids_or_404([decision.removeprefix("attach:") or "x"],
                                        [m.id for m in matches])
            existing = next(m for m in matches if m.id == chosen)
    into = None
    if accepting and (request.form.get("accept-decision") or "").startswith("add_to:"):
        # Only an open trajectory of one of the people offered here, at the chosen location.
        wanted = request.form["accept-decision"].removeprefix("add_to:")
        location = request.form.get("accept-location_id")
        open_ones = {t.id: t for m in matches for t in m.trajectories
                     if t.is_open and str(t.location_id) == location}
        chosen, = posted_ids_or_404([wanted or "x"], list(open_ones))
        into = get_editable_trajectory_or_404(current_user, chosen)
    if accepting and accept_form.validate_on_submit():
        decision = accept_form.decision.data or ""
        # With possible matches and no choice yet, nothing is saved: the page asks first.
        if existing is not None or into is not None or decision == "new" or not matches:
            try:
                trajectory = selfreg.accept(
                    registration, location_id=accept_form.location_id.data,
                    user=current_user, now=now, existing_participant=existing,
                    into_trajectory=into)
            except OpenTrajectoryError as error:
                db.session.rollback()
                refused = error.trajectory
                matches = search()
            except selfreg.SelfRegError as error:
                # Someone else decided on it a moment ago.
                db.session.rollback()
                flash(str(error), "info")
                return redirect(url_for("selfreg.queue"))
            else:
                db.session.commit()
                if into is not None:
                    flash(_("De zelfmelding staat nu als tweede aanmelding bij het open "
                            "traject van %(name)s.", name=trajectory.participant.full_name),
                          "success")
                elif existing is not None:
                    flash(_("De aanmelding is toegevoegd aan %(name)s en staat nu bij de "
                            "nieuwe aanmeldingen.", name=trajectory.participant.full_name),
                          "success")
                else:
                    flash(_("%(name)s staat nu bij de nieuwe aanmeldingen.",
                            name=trajectory.participant.first_name), "success")
                return redirect(url_for("selfreg.queue"))

    elsewhere = not matches and selfreg.known_elsewhere(registration, current_user)
    audit.record(current_user, "view", "self_registration", registration.id,
                 summary="zelfmelding bekeken", now=now)
    # Showing possible matches shows other people's data: that is a view to log.
    for match in matches:
        audit.record(current_user, "view", "participant", match.id, participant_id=match.id,
                     summary="getoond als mogelijke dubbele (zelfmelding)", now=now)
    db.session.commit()
    return render_template("selfreg/handle.html", registration=registration,
                           accept_form=accept_form, reject_form=reject_form,
                           matches=matches, elsewhere=elsewhere, refused=refused,
                           latest_of=newest_visible_trajectories(matches, current_user),
                           mask_phone=mask_phone,
                           topics=selfreg.TOPICS, moments=selfreg.MOMENTS)
