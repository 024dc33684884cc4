"""Pages of participant messaging: a free message, lifting a STOP, marking an answer read."""

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import service as audit
from app.auth.permissions import (
    get_messaging_participant_or_404,
    get_readable_answer_or_404,
    get_stop_or_404,
    require,
    visible_trajectories,
)
from app.core.timeutil import utcnow
from app.extensions import db
from app.messaging import (
    bp,
    inbox,
    printing,  # noqa: F401  (Te printen, on bp)
    staff,
    webhooks,  # noqa: F401  (the provider's webhooks, on bp)
)
from app.messaging.forms import MAX_PARTS, ConfirmForm, FreeMessageForm, new_free_form
from app.messaging.service import reach
from app.participants.models import Trajectory


def _participant_page(participant_id: int):
    return url_for("participants.show", participant_id=participant_id, _anchor="berichten")


@bp.route("/deelnemer/<int:participant_id>/sturen", methods=["GET", "POST"])
@require("messages.send")
def send(participant_id: int):
    participant = get_messaging_participant_or_404(current_user, participant_id)
    trajectories = db.session.scalars(
        visible_trajectories(current_user).where(Trajectory.participant_id == participant.id)
    ).all()
    trajectory = staff.message_trajectory(participant, trajectories)
    info = reach(participant)
    back = _participant_page(participant.id)
    form = FreeMessageForm() if request.method == "POST" else new_free_form(current_user)
    shown = None
    if request.method == "POST" and info.sends and form.validate():
        text = staff.preview(participant, trajectory, form.tekst.data, form.afzender.data)
        parts = staff.parts(text)
        shown = (text, parts)
        if parts > MAX_PARTS and info.channel in ("sms", "whatsapp"):
            form.tekst.errors.append(_(
                "Zo wordt het bericht %(n)s sms'jes. Maak uw tekst korter: hoogstens "
                "%(max)s sms'jes.", n=parts, max=MAX_PARTS))
        elif form.submit.data:
            note, new = staff.send_free(
                participant, trajectory, tekst=form.tekst.data, afzender=form.afzender.data,
                form_key=form.form_key.data, user=current_user, now=utcnow())
            if note is None:
                db.session.rollback()
                form.tekst.errors.append(_(
                    "Er is niets verstuurd: deze deelnemer wil gebeld worden, maar het "
                    "traject heeft geen eigenaar die de beltaak krijgt."))
            else:
                db.session.commit()
                flash(_("Het bericht staat klaar om te versturen. U ziet het op de tijdlijn.")
                      if new else _("Dit bericht was al verstuurd."),
                      "success" if new else "info")
                return redirect(back)
    elif request.method == "POST" and form.form_key.errors:
        # An old or edited form: a fresh key, and the text stays for a second try.
        form.form_key.data = secrets.token_urlsafe(24)
        form.tekst.errors.append(_("Het formulier was verlopen. Kijk het bericht na en "
                                   "probeer het opnieuw."))
    if request.method == "GET":
        audit.record(current_user, "view", "participant", participant.id,
                     participant_id=participant.id, summary="bericht sturen")
    html = render_template("messaging/send.html", participant=participant, form=form,
                           info=info, shown=shown, back=back, max_parts=MAX_PARTS)
    db.session.commit()
    return html


@bp.post("/stop/<int:stop_id>/opheffen")
@require("messages.send")
def lift_stop(stop_id: int):
    stop = get_stop_or_404(current_user, stop_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Dat lukte niet. Probeer het opnieuw."), "error")
    elif staff.lift_stop(stop, current_user, utcnow()):
        db.session.commit()
        flash(_("Er gaan weer berichten naar deze deelnemer."), "success")
    else:
        flash(_("Dit was al opgeheven."), "info")
    return redirect(_participant_page(stop.participant_id))


@bp.post("/antwoord/<int:inbound_id>/gelezen")
@require("messages.view")
def mark_read(inbound_id: int):
    row = get_readable_answer_or_404(current_user, inbound_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Dat lukte niet. Probeer het opnieuw."), "error")
    elif inbox.mark_read(row, current_user, utcnow()):
        db.session.commit()
        flash(_("Gelezen."), "success")
    else:
        flash(_("Dit antwoord was al gelezen."), "info")
    return redirect(url_for("checkins.tasks"))
