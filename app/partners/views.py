import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.admin.service import reference_choices
from app.auth.permissions import require
from app.core.errors import domain_action
from app.core.forms import select_choices, where_status
from app.core.records import show_newest_version, unchanged_since_opened
from app.core.timeutil import utcnow
from app.extensions import db
from app.partners import bp, service
from app.partners.forms import ContactForm, NewPartnerForm, PartnerFilterForm, PartnerForm
from app.partners.models import Partner, PartnerContact


def _kind_choices(current: str | None = None) -> list[SelectChoice]:
    choices = reference_choices("partner_kind")
    # A kind the admin has switched off stays selectable for partners that already have it.
    if current and current not in {code for code, _label in choices}:
        choices += [(code, label) for code, label
                    in reference_choices("partner_kind", include_inactive=True) if code == current]
    return select_choices(choices)


def _partner_or_404(partner_id: int) -> Partner:
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)
    return partner


def _contact_or_404(partner: Partner, contact_id: int) -> PartnerContact:
    contact = db.session.get(PartnerContact, contact_id)
    if contact is None or contact.partner_id != partner.id:
        abort(404)
    return contact


@bp.get("/")
@require("partners.view")
def index():
    filters = PartnerFilterForm(request.args)
    filters.kind.choices = select_choices([("", _("Alle soorten"))] + reference_choices(
        "partner_kind", include_inactive=True))
    query = sa.select(Partner).options(selectinload(Partner.contacts)).order_by(Partner.name)
    status = filters.status.data or "active"
    query = where_status(query, Partner.active, status)
    if filters.kind.data:
        query = query.where(Partner.kind == filters.kind.data)
    q = (filters.q.data or "").strip()
    if q:
        query = query.where(sa.func.lower(Partner.name).like(f"%{q.lower()}%"))
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("partners/index.html", page=page, filters=filters,
                           args={"q": q, "kind": filters.kind.data or "", "status": status})


@bp.get("/<int:partner_id>/")
@require("partners.view")
def detail(partner_id: int):
    partner = _partner_or_404(partner_id)
    return render_template("partners/detail.html", partner=partner)


@bp.route("/nieuw", methods=["GET", "POST"])
@require("partners.manage")
def new():
    form = NewPartnerForm()
    # A blank first option: the admin picks the kind on purpose instead of keeping the first.
    form.kind.choices = [SelectChoice(value="", label=_("Kies de soort"))] + _kind_choices()
    if request.method == "GET":
        form.signals_enabled.data = True
    if form.validate_on_submit():
        if service.name_taken(form.name.data):
            form.name.errors.append(_("Er is al een partner met deze naam."))
        else:
            now = utcnow()
            partner = service.save_partner(
                None, name=form.name.data, kind=form.kind.data, phone=form.phone.data,
                email=form.email.data, signals_enabled=form.signals_enabled.data,
                by=current_user, now=now)
            if (form.contact_name.data or "").strip():
                service.save_contact(partner, None, name=form.contact_name.data,
                                     role=form.contact_role.data, email=form.contact_email.data,
                                     phone=form.contact_phone.data, by=current_user, now=now)
            db.session.commit()
            flash(_("Partner %(name)s is opgeslagen.", name=partner.name), "success")
            return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/form.html", form=form, partner=None)


@bp.route("/<int:partner_id>/bewerken", methods=["GET", "POST"])
@require("partners.manage")
def edit(partner_id: int):
    partner = _partner_or_404(partner_id)
    form = PartnerForm(obj=partner)
    form.kind.choices = _kind_choices(partner.kind)
    if form.validate_on_submit():
        if service.name_taken(form.name.data, exclude_id=partner.id):
            form.name.errors.append(_("Er is al een partner met deze naam."))
        else:
            with domain_action(), unchanged_since_opened(partner, form):
                service.save_partner(
                    partner, name=form.name.data, kind=form.kind.data, phone=form.phone.data,
                    email=form.email.data, signals_enabled=form.signals_enabled.data,
                    by=current_user, now=utcnow())
                db.session.commit()
                flash(_("Partner %(name)s is opgeslagen.", name=partner.name), "success")
                return redirect(url_for("partners.detail", partner_id=partner.id))
            show_newest_version(partner, form)
    return render_template("partners/form.html", form=form, partner=partner)


@bp.post("/<int:partner_id>/uitzetten", defaults={"active": False}, endpoint="deactivate")
@bp.post("/<int:partner_id>/aanzetten", defaults={"active": True}, endpoint="reactivate")
@require("partners.manage")
def set_active(partner_id: int, active: bool):
    partner = _partner_or_404(partner_id)
    service.set_partner_active(partner, active, by=current_user, now=utcnow())
    db.session.commit()
    if active:
        flash(_("Partner %(name)s is weer actief.", name=partner.name), "success")
    else:
        flash(_("Partner %(name)s staat uit. U kunt deze partner niet meer kiezen bij een "
                "nieuwe aanmelding.", name=partner.name), "success")
    return redirect(url_for("partners.detail", partner_id=partner.id))


@bp.route("/<int:partner_id>/contactpersonen/nieuw", methods=["GET", "POST"],
          defaults={"contact_id": None})
@bp.route("/<int:partner_id>/contactpersonen/<int:contact_id>/", methods=["GET", "POST"])
@require("partners.manage")
def contact_edit(partner_id: int, contact_id: int | None):
    partner = _partner_or_404(partner_id)
    contact = _contact_or_404(partner, contact_id) if contact_id is not None else None
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        contact = service.save_contact(partner, contact, name=form.name.data,
                                       role=form.role.data, email=form.email.data,
                                       phone=form.phone.data, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Contactpersoon %(name)s is opgeslagen.", name=contact.name), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/contact_form.html", form=form, partner=partner,
                           contact=contact)


@bp.post("/<int:partner_id>/contactpersonen/<int:contact_id>/uitzetten",
         defaults={"active": False}, endpoint="contact_deactivate")
@bp.post("/<int:partner_id>/contactpersonen/<int:contact_id>/aanzetten",
         defaults={"active": True}, endpoint="contact_reactivate")
@require("partners.manage")
def contact_set_active(partner_id: int, contact_id: int, active: bool):
    partner = _partner_or_404(partner_id)
    contact = _contact_or_404(partner, contact_id)
    service.set_contact_active(contact, active, by=current_user, now=utcnow())
    db.session.commit()
    if active:
        flash(_("Contactpersoon %(name)s is weer actief.", name=contact.name), "success")
    else:
        flash(_("Contactpersoon %(name)s staat uit.", name=contact.name), "success")
    return redirect(url_for("partners.detail", partner_id=partner.id))
