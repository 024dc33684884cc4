from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.service import reference_label
from app.audit import service as audit
from app.auth.permissions import (
    allowed_locations,
    coordinators_at,
    has,
    report_locations,
    require,
    trajectory_scope,
    visible_participants,
)
from app.core import choices
from app.core.phone import display_phone
from app.core.timeutil import local_date, utcnow
from app.extensions import db
from app.participants.forms import ListFilterForm
from app.participants.service import (
    newest_trajectories_for,
    participant_list_query,
)
from app.reports import bp, service
from app.reports.forms import PeriodForm


def _step_labels() -> dict[str, str]:
    return {
        "referred": _("Aangemeld"),
        "contacted": _("Eerste contact"),
        "intake": _("Intake gedaan"),
        "started": _("Gestart"),
        "ended": _("Afgesloten"),
    }


def _period(today: date) -> tuple[PeriodForm, service.Period]:
    """The period and locations asked for, limited to the locations the user may see."""
    locations = report_locations(current_user)
    form = PeriodForm(request.args)
    form.location.choices = [(loc.id, loc.name) for loc in locations]
    default_start, default_end = service.quick_periods(today)["this_year"]
    valid = form.validate()
    start = form.start.data if valid and form.start.data else default_start
    end = form.end.data if valid and form.end.data else default_end
    if valid and form.start.data and not form.end.data:
        end = max(start, default_end)
    if valid and form.end.data and not form.start.data:
        start = min(end, default_start)
    allowed = {loc.id: loc.name for loc in locations}
    chosen = [i for i in (form.location.data or []) if i in allowed]
    ids = chosen or list(allowed)
    if not valid:
        form.start.raw_data = None
    form.start.data, form.end.data = start, end
    form.location.data = chosen
    everything = not chosen and has(current_user, "participants.all_locations")
    return form, service.Period(start, end, ids, [allowed[i] for i in ids],
                                all_locations=everything)


def _args(period: service.Period, chosen: list[int]) -> dict:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(),
            "location": chosen}


def _labels() -> dict:
    return {
        "steps": _step_labels(),
        "no_partner": _("Zonder verwijzer (zelf gekomen)"),
        "outcome": lambda code: (choices.label(choices.TRAJECTORY_OUTCOME_LABELS, code) if code
                                 else _("Onbekend")),
        "subject": lambda code: reference_label("goal_subject", code),
    }


@bp.get("/")
@require("reports.view")
def dashboard():
    today = local_date(utcnow())
    form, period = _period(today)
    data = service.dashboard(period, today)
    args = _args(period, form.location.data)
    quick = [
        (_("Dit jaar"), "this_year"), (_("Vorig jaar"), "last_year"),
        (_("Dit kwartaal"), "this_quarter"),
    ]
    periods = service.quick_periods(today)
    quick_links = [(label, url_for("reports.dashboard", start=periods[key][0].isoformat(),
                                   end=periods[key][1].isoformat(),
                                   location=form.location.data))
                   for label, key in quick]
    list_form = None
    if has(current_user, "reports.export_personal"):
        locations = allowed_locations(current_user)
        list_form = ListFilterForm(formdata=None)
        _list_choices(list_form, locations, coordinators_at([loc.id for loc in locations]))
        # Own ids: the period form on the same page has a "location" field too.
        for f in list_form:
            f.id = f.label.field_id = f"export-{f.name}"
    return render_template(
        "reports/dashboard.html", form=form, period=period, data=data, args=args,
        list_form=list_form,
        quick_links=quick_links, labels=_labels(), today=today,
        can_export_personal=has(current_user, "reports.export_personal"),
    )


def _list_choices(form: ListFilterForm, locations, owners) -> None:
    """The options of the participant list's filters (same values as /deelnemers/)."""
    form.status.choices = [("", _("Alle")), ("open", _("Alle open trajecten")),
                           ("out_of_view", _("Buiten beeld"))] + [
        (code, str(label)) for code, label in choices.TRAJECTORY_STATUS.items()]
    form.location.choices = [("", _("Alle locaties"))] + [
        (str(loc.id), loc.name) for loc in locations]
    owner_choices = [("", _("Iedereen"))]
    if has(current_user, "trajectories.own"):
        owner_choices.append(("me", _("Mijn deelnemers")))
    owner_choices.append(("none", _("Zonder eigenaar")))
    form.owner.choices = owner_choices + [(str(u.id), u.name) for u in owners]


def _download(body, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Separate routes per format: `require` answers 404 for any URL with arguments.
@bp.get("/gemeente.xlsx", endpoint="municipality_xlsx")
@require("reports.view")
def municipality_xlsx():
    return _municipality("xlsx")


@bp.get("/gemeente.csv", endpoint="municipality_csv")
@require("reports.view")
def municipality_csv():
    return _municipality("csv")


def _municipality(fmt: str) -> Response:
    today = local_date(utcnow())
    _form, period = _period(today)
    data = service.dashboard(period, today)
    if data["late"]:
        # A report with figures left out would be wrong, not just incomplete.
        flash(_("De jaarrapportage was niet op tijd klaar. Probeer het over een paar minuten "
                "opnieuw."), "warning")
        return redirect(url_for("reports.dashboard", **request.args.to_dict(flat=False)))
    rows = service.municipality_rows(period, data, _labels())
    name = f"houvast-jaarrapportage-{period.start.isoformat()}-{period.end.isoformat()}"
    if fmt == "xlsx":
        return _download(service.to_xlsx(rows, "Jaarrapportage"), f"{name}.xlsx", XLSX)
    return _download(service.to_csv(rows), f"{name}.csv", "text/csv; charset=utf-8")


@bp.get("/monitor.csv")
@require("reports.export_personal")
def monitor():
    today = local_date(utcnow())
    _form, period = _period(today)
    rows = service.monitor_rows(period, current_app.config["SECRET_KEY"])
    # Pseudonymous, but still about people: who took it out is logged.
    audit.record(current_user, "export", "monitor_file",
                 summary=f"monitor laaggeletterdheid {period.label}, {len(rows) - 1} rijen")
    db.session.commit()
    return _download(service.to_csv(rows),
                     f"monitor-laaggeletterdheid-{period.start.year}.csv",
                     "text/csv; charset=utf-8")


PARTICIPANT_COLUMNS = ["Voornaam", "Achternaam", "Telefoon", "E-mail", "Geboortejaar",
                       "NT1/NT2", "Locatie", "Status", "Eigenaar", "Aangemeld op",
                       "Laatste contact"]


@bp.get("/deelnemers.xlsx", endpoint="participants_xlsx")
@require("reports.export_personal")
def participants_xlsx():
    return _participants("xlsx")


@bp.get("/deelnemers.csv", endpoint="participants_csv")
@require("reports.export_personal")
def participants_csv():
    return _participants("csv")


def _participants(fmt: str) -> Response:
    """The participant list with the filters of /deelnemers/ (same arguments)."""
    locations = allowed_locations(current_user)
    owners = coordinators_at([loc.id for loc in locations])
    form = ListFilterForm(request.args)
    _list_choices(form, locations, owners)

    def allowed(f) -> str:
        return f.data if f.data in {value for value, _label in f.choices} else ""

    status, location, owner = allowed(form.status), allowed(form.location), allowed(form.owner)
    q = (form.q.data or "").strip()[:100]
    scope = trajectory_scope(current_user)
    query = participant_list_query(
        visible_participants(current_user), scope, q=q, status=status,
        location_id=int(location) if location else None, owner=owner,
        viewer_id=current_user.id,
    )
    people = db.session.scalars(query).all()
    newest = _newest(people, scope)
    rows: list[list] = [PARTICIPANT_COLUMNS]
    for p in people:
        t = newest.get(p.id)
        rows.append([
            p.first_name, p.last_name, display_phone(p.phone), p.email or "",
            p.birth_year if p.birth_year is not None else "",
            choices.label({"nt1": "NT1", "nt2": "NT2"}, p.language_background)
            if p.language_background in ("nt1", "nt2") else "",
            t.location.name if t else "",
            choices.label(choices.TRAJECTORY_STATUS, t.status) if t else "",
            t.owner.name if t and t.owner else "",
            t.referred_on if t else "",
            local_date(t.last_contact_at) if t and t.last_contact_at else "",
        ])
    filters = ", ".join(f"{k}={v}" for k, v in
                        {"q": "gezocht" if q else "", "status": status, "locatie": location,
                         "eigenaar": owner}.items() if v)
    audit.record(current_user, "export", "participant_list",
                 summary=f"deelnemerslijst {fmt}, {len(people)} personen"
                 + (f" ({filters})" if filters else ""))
    db.session.commit()
    name = f"deelnemers-{local_date(utcnow()).isoformat()}"
    if fmt == "xlsx":
        return _download(service.to_xlsx(rows, "Deelnemers"), f"{name}.xlsx", XLSX)
    return _download(service.to_csv(rows), f"{name}.csv", "text/csv; charset=utf-8")


def _newest(people, scope) -> dict:
    """{participant_id: newest visible trajectory}, a few queries for the whole export."""
    ids = [p.id for p in people]
    newest: dict = {}
    for i in range(0, len(ids), 500):
        newest.update(newest_trajectories_for(ids[i:i + 500], scope))
    return newest
