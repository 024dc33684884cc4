import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.models import Location
from app.audit import service as audit
from app.auth.permissions import (
    get_partner_referral_or_404,
    require,
    visible_partner_referrals,
)
from app.core.db import utcnow
from app.core.forms import select_choices
from app.core.timeutil import local_date
from app.extensions import db
from app.portal import bp
from app.portal import service as portal
from app.portal.forms import PortalReferralForm
from app.referrals.service import PersonInput, ReferralInput, register_referral


def _locations():

    return db.session.scalars(
        sa.select(Location).where(Location.active.is_(True)).order_by(Location.name)).all()


@bp.get("/")
@require("portal.view")
def index():
    page = portal.referrals_page(visible_partner_referrals(current_user),
                                 request.args.get("page", 1, type=int),
                                 current_app.config["PER_PAGE"])
    views = [portal.partner_view(r) for r in page.items]
    audit.record(current_user, "view", "partner_referrals", None,
                 summary=f"partnerportaal, pagina {page.page}")
    db.session.commit()
    return render_template("portal/index.html", page=page, views=views)


@bp.get("/aanmeldingen/<int:referral_id>")
@require("portal.view")
def detail(referral_id: int):
    referral = get_partner_referral_or_404(current_user, referral_id)
    view = portal.partner_view(referral)
    audit.record(current_user, "view", "referral", referral.id,
                 participant_id=referral.trajectory.participant_id,
                 summary="stand bekeken in partnerportaal")
    db.session.commit()
    return render_template("portal/detail.html", view=view)


@bp.route("/aanmelden", methods=["GET", "POST"])
@require("portal.refer")
def new():
    form = PortalReferralForm()
    form.location_id.choices = select_choices((loc.id, loc.name) for loc in _locations())
    if form.validate_on_submit():
        now = utcnow()
        trajectory = register_referral(
            person=PersonInput(first_name=form.first_name.data, last_name=form.last_name.data,
                               phone=form.phone.data,
                               preferred_channel=form.preferred_channel.data,
                               found_via="verwijzer"),
            referral=ReferralInput(
                location_id=form.location_id.data, question=form.question.data,
                channel="form", referred_on=local_date(now),
                share_with_referrer=bool(form.share.data), consent_method="digital",
                partner_id=current_user.partner_id,
                partner_contact_id=portal.contact_for(current_user),
                referrer_name=current_user.name,
                referrer_email=current_user.email, best_moment=form.best_moment.data),
            user=current_user, now=now)
        db.session.commit()
        flash(_("Dank u wel. %(name)s is aangemeld. Het Taalhuis belt binnen een week.",
                name=trajectory.participant.short_name), "success")
        return redirect(url_for("portal.index"))
    return render_template("portal/new.html", form=form)
