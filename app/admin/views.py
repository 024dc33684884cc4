import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from app.admin import bp, calendar, service
from app.admin.forms import (
    ClosedDaysForm,
    LocationForm,
    ReferenceItemForm,
    UserFilterForm,
    UserForm,
)
from app.admin.models import Location, ReferenceItem
from app.audit import service as audit
from app.auth.models import Role, User
from app.auth.permissions import coordinators_at, require
from app.core.errors import domain_action
from app.core.forms import select_choices, where_status
from app.core.limits import form_id
from app.core.mail import MailError
from app.core.timeutil import utcnow
from app.extensions import db
from app.notifications.service import given_up_query, retry_given_up
from app.participants.models import Trajectory
from app.partners.models import Partner


@bp.get("/")
@require("users.manage")
def index():
    return render_template("admin/index.html")


# --- Users -----------------------------------------------------------------------------------

def _fill_user_choices(form: UserForm, user: User | None = None) -> None:
    # Inactive locations and partners stay selectable only when the user already has them,
    # so saving an unrelated change does not silently drop them.
    current_locations = user.location_ids if user else set()
    locations = db.session.scalars(
        sa.select(Location).where(sa.or_(Location.active.is_(True),
                                         Location.id.in_(current_locations or {-1})))
        .order_by(Location.name)
    ).all()
    form.locations.choices = select_choices((loc.id, loc.name) for loc in locations)
    current_partner = user.partner_id if user else None
    partners = db.session.execute(
        sa.select(Partner.id, Partner.name)
        .where(sa.or_(Partner.active.is_(True), Partner.id == (current_partner or -1)))
        .order_by(Partner.name)
    ).all()
    form.partner_id.choices = select_choices([("", _("Geen"))] + list(partners))


def _selected_locations(form: UserForm) -> list[Location]:
    ids = form.locations.data or []
    if not ids:
        return []
    return db.session.scalars(
        sa.select(Location).where(Location.id.in_(ids)).order_by(Location.name)).all()


def _selected_partner(form: UserForm) -> Partner | None:
    if form.role.data != Role.PARTNER or not form.partner_id.data:
        return None
    return db.session.get(Partner, form.partner_id.data)


def _get_user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.get("/gebruikers/")
@require("users.manage")
def users():
    filters = UserFilterForm(request.args)
    query = sa.select(User).options(joinedload(User.partner)).order_by(User.name, User.id)
    status = filters.status.data or "active"
    query = where_status(query, User.active, status)
    if filters.role.data:
        query = query.where(User.role == filters.role.data)
    q = (filters.q.data or "").strip()
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(pattern),
                                   sa.func.lower(User.email).like(pattern)))
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/users.html", page=page, filters=filters,
                           args={"q": q, "role": filters.role.data or "", "status": status})


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@require("users.manage")
def user_new():
    form = UserForm()
    _fill_user_choices(form)
    if form.validate_on_submit():
        if service.email_taken(form.email.data):
            form.email.errors.append(_("Er is al een gebruiker met dit e-mailadres."))
        else:
            user = service.invite_user(
                name=form.name.data, email=form.email.data, role=form.role.data,
                locations=_selected_locations(form), partner=_selected_partner(form),
                by=current_user, now=utcnow(),
            )
            try:
                db.session.commit()
            except IntegrityError:
                # Another admin invited the same address a moment ago.
                db.session.rollback()
                form.email.errors.append(_("Er is al een gebruiker met dit e-mailadres."))
                return render_template("admin/user_form.html", form=form, user=None), 200
            # The user is committed BEFORE the mail goes out. The other order could mail a
            # link to an account that a failed commit never created; this order at worst
            # leaves an account without a mail, which the admin sees and can fix with
            # "opnieuw sturen" on the user's page.
            try:
                service.send_password_link(user, inviter=current_user)
            except MailError:
                current_app.logger.exception("invitation mail for user %s failed", user.id)
                flash(_("%(name)s is aangemaakt. Maar de e-mail met de link is NIET verstuurd. "
                        "Probeer het opnieuw met de knop 'Link opnieuw sturen'.",
                        name=user.name), "warning")
            else:
                flash(_("%(name)s is aangemaakt en krijgt een e-mail met een link om een "
                        "wachtwoord te kiezen.", name=user.name), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/gebruikers/<int:user_id>/", methods=["GET", "POST"])
@require("users.manage")
def user_edit(user_id: int):
    user = _get_user_or_404(user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.locations.data = sorted(user.location_ids)
    _fill_user_choices(form, user)
    if form.validate_on_submit():
        if service.email_taken(form.email.data, exclude_id=user.id):
            form.email.errors.append(_("Er is al een gebruiker met dit e-mailadres."))
        else:
            with domain_action(field=form.role):
                changes = service.update_user(
                    user, name=form.name.data, email=form.email.data, role=form.role.data,
                    locations=_selected_locations(form), partner=_selected_partner(form),
                    by=current_user, now=utcnow(),
                )
                db.session.commit()
                if changes:
                    flash(_("De gegevens van %(name)s zijn opgeslagen.", name=user.name),
                          "success")
                return redirect(url_for("admin.user_edit", user_id=user.id))
    # Switching off a coordinator leaves their open trajectories without anyone watching.
    owned_open = db.session.scalar(
        sa.select(sa.func.count()).select_from(Trajectory)
        .where(Trajectory.owner_id == user.id, Trajectory.is_open))
    return render_template("admin/user_form.html", form=form, user=user, owned_open=owned_open)


@bp.post("/gebruikers/<int:user_id>/link")
@require("users.manage")
def user_send_link(user_id: int):
    user = _get_user_or_404(user_id)
    with domain_action():
        try:
            service.send_password_link(user, inviter=current_user)
        except MailError:
            current_app.logger.exception("password link mail for user %s failed", user.id)
            flash(_("De e-mail is niet verstuurd. Probeer het later opnieuw, of vraag de "
                    "systeembeheerder om de mailinstellingen na te kijken."), "warning")
        else:
            audit.record(current_user, "update", "user", user.id, now=utcnow(),
                         summary="link voor wachtwoord gestuurd")
            db.session.commit()
            flash(_("Er is een nieuwe link gestuurd naar %(email)s.", email=user.email),
                  "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/gebruikers/<int:user_id>/uitzetten")
@require("users.manage")
def user_deactivate(user_id: int):
    return _set_user_active(user_id, False)


@bp.post("/gebruikers/<int:user_id>/aanzetten")
@require("users.manage")
def user_reactivate(user_id: int):
    return _set_user_active(user_id, True)


def _set_user_active(user_id: int, active: bool):
    user = _get_user_or_404(user_id)
    with domain_action():
        service.set_user_active(user, active, by=current_user, now=utcnow())
        db.session.commit()
        if active:
            flash(_("%(name)s kan weer inloggen.", name=user.name), "success")
        else:
            flash(_("%(name)s staat uit en kan niet meer inloggen.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- E-mail that was given up ------------------------------------------------------------------

@bp.get("/e-mail/")
@require("mail.manage")
def failed_mail():
    notes = db.session.scalars(given_up_query()).all()
    return render_template("admin/failed_mail.html", notes=notes)


@bp.post("/e-mail/opnieuw")
@require("mail.manage")
def failed_mail_retry():
    note_id = form_id("id")
    count = retry_given_up(None if note_id is None else [note_id])
    db.session.commit()
    flash(ngettext("%(num)d e-mail gaat bij de volgende verzendronde opnieuw weg.",
                   "%(num)d e-mails gaan bij de volgende verzendronde opnieuw weg.", count),
          "success")
    return redirect(url_for("admin.failed_mail"))


# --- Locations -------------------------------------------------------------------------------

@bp.get("/vestigingen/")
@require("locations.manage")
def locations():
    query = (sa.select(Location).order_by(Location.active.desc(), Location.name)
             .options(joinedload(Location.default_owner).lazyload(User.locations)))
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/locations.html", page=page)


@bp.route("/vestigingen/nieuw", methods=["GET", "POST"], defaults={"location_id": None})
@bp.route("/vestigingen/<int:location_id>/", methods=["GET", "POST"])
@require("locations.manage")
def location_edit(location_id: int | None):
    location = None
    if location_id is not None:
        location = db.session.get(Location, location_id) or abort(404)
    form = LocationForm(obj=location)
    # Only its own coordinators can own its trajectories; a new location has none yet.
    coordinators = coordinators_at([location.id]) if location is not None else []
    form.default_owner_id.choices = [SelectChoice("", _("Kies een coördinator"))] + [
        SelectChoice(str(c.id), c.name) for c in coordinators]
    if request.method == "GET" and location is not None:
        form.default_owner_id.data = str(location.default_owner_id or "")
    if form.validate_on_submit():
        if service.location_name_taken(form.name.data, exclude_id=location_id):
            form.name.errors.append(_("Er is al een vestiging met deze naam."))
        else:
            chosen = {str(c.id): c for c in coordinators}.get(form.default_owner_id.data)
            location = service.save_location(location, name=form.name.data,
                                             municipality=form.municipality.data,
                                             owner_mode=form.owner_mode.data,
                                             default_owner=chosen,
                                             address=form.address.data,
                                             phone=form.phone.data,
                                             directions=form.directions.data,
                                             by=current_user, now=utcnow())
            db.session.commit()
            flash(_("Vestiging %(name)s is opgeslagen.", name=location.name), "success")
            return redirect(url_for("admin.locations"))
    return render_template("admin/location_form.html", form=form, location=location,
                           coordinators=coordinators)


@bp.post("/vestigingen/<int:location_id>/uitzetten", defaults={"active": False},
         endpoint="location_deactivate")
@bp.post("/vestigingen/<int:location_id>/aanzetten", defaults={"active": True},
         endpoint="location_reactivate")
@require("locations.manage")
def location_set_active(location_id: int, active: bool):
    location = db.session.get(Location, location_id) or abort(404)
    service.set_location_active(location, active, by=current_user, now=utcnow())
    db.session.commit()
    if active:
        flash(_("Vestiging %(name)s is weer actief.", name=location.name), "success")
    else:
        flash(_("Vestiging %(name)s staat uit. Er kunnen geen nieuwe deelnemers meer bij.",
                name=location.name), "success")
    return redirect(url_for("admin.locations"))


# --- Reference lists -------------------------------------------------------------------------

def _list_name_or_404(list_name: str) -> str:
    if list_name not in service.reference_list_names():
        abort(404)
    return list_name


def _item_or_404(list_name: str, item_id: int) -> ReferenceItem:
    item = db.session.get(ReferenceItem, item_id)
    if item is None or item.list_name != list_name:
        abort(404)
    return item


# --- Closed days ------------------------------------------------------------------------

@bp.route("/sluitingsdagen", methods=["GET", "POST"])
@require("locations.manage")
def closed_days():
    form = ClosedDaysForm()
    if request.method == "GET":
        current = calendar.current()
        form.holidays.data = sorted(current.holidays)
        form.liberation_day.data = current.liberation_day
        form.own_days.data = calendar.format_days(current.own)
    if form.validate_on_submit():
        calendar.save(holidays=form.holidays.data or [], liberation_day=form.liberation_day.data,
                      own_days=form.parsed_days, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("De sluitingsdagen zijn opgeslagen."), "success")
        return redirect(url_for("admin.closed_days"))
    return render_template("admin/closed_days.html", form=form)


@bp.get("/lijsten/")
@require("reference.manage")
def reference_lists():
    counts = dict(db.session.execute(
        sa.select(ReferenceItem.list_name, sa.func.count())
        .where(ReferenceItem.active.is_(True)).group_by(ReferenceItem.list_name)
    ).all())
    lists = [(name, service.reference_list_title(name), counts.get(name, 0))
             for name in service.reference_list_names()]
    return render_template("admin/reference_lists.html", lists=lists)


@bp.route("/lijsten/<list_name>/", methods=["GET", "POST"])
@require("reference.manage")
def reference_list(list_name: str):
    _list_name_or_404(list_name)
    form = ReferenceItemForm()
    if form.validate_on_submit():
        if service.reference_label_taken(list_name, form.label.data):
            form.label.errors.append(_("Deze naam staat al in de lijst."))
        else:
            item = service.add_reference_item(list_name, form.label.data,
                                              sort_order=form.sort_order.data,
                                              by=current_user, now=utcnow())
            db.session.commit()
            flash(_("'%(label)s' is toegevoegd.", label=item.label), "success")
            return redirect(url_for("admin.reference_list", list_name=list_name))
    return render_template("admin/reference_list.html", list_name=list_name,
                           title=service.reference_list_title(list_name),
                           items=service.reference_items(list_name), form=form)


@bp.route("/lijsten/<list_name>/<int:item_id>/", methods=["GET", "POST"])
@require("reference.manage")
def reference_item(list_name: str, item_id: int):
    item = _item_or_404(list_name, item_id)
    form = ReferenceItemForm(obj=item)
    if form.validate_on_submit():
        if service.reference_label_taken(list_name, form.label.data, exclude_id=item.id):
            form.label.errors.append(_("Deze naam staat al in de lijst."))
        else:
            service.update_reference_item(item, label=form.label.data,
                                          sort_order=form.sort_order.data,
                                          by=current_user, now=utcnow())
            db.session.commit()
            flash(_("'%(label)s' is opgeslagen.", label=item.label), "success")
            return redirect(url_for("admin.reference_list", list_name=list_name))
    return render_template("admin/reference_item.html", list_name=list_name,
                           title=service.reference_list_title(list_name), item=item,
                           form=form)


@bp.post("/lijsten/<list_name>/<int:item_id>/uitzetten", defaults={"active": False},
         endpoint="reference_item_deactivate")
@bp.post("/lijsten/<list_name>/<int:item_id>/aanzetten", defaults={"active": True},
         endpoint="reference_item_reactivate")
@require("reference.manage")
def reference_item_set_active(list_name: str, item_id: int, active: bool):
    item = _item_or_404(list_name, item_id)
    service.set_reference_item_active(item, active, by=current_user, now=utcnow())
    db.session.commit()
    if active:
        flash(_("'%(label)s' staat weer in de keuzelijst.", label=item.label), "success")
    else:
        flash(_("'%(label)s' staat uit. Nieuwe gegevens kunnen dit niet meer kiezen; oude "
                "gegevens houden het.", label=item.label), "success")
    return redirect(url_for("admin.reference_list", list_name=list_name))


# Beheer > Berichten lives in its own module; importing it puts its routes on bp.
from app.admin import message_texts  # noqa: E402,F401
