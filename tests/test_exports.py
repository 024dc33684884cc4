"""Exports: the municipality report (no personal data), the monitor file, the participant list."""

import csv
import io
from datetime import date

import openpyxl
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.reports import service

from . import factories
from .test_reports import YEAR, build


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _xlsx(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _figures(rows) -> dict[tuple[str, str], object]:
    start = next(i for i, row in enumerate(rows) if row and row[0] == "Onderdeel")
    return {(row[0], row[1]): row[2] for row in rows[start + 1:] if row and row[0]}


def test_municipality_xlsx_has_period_locations_and_the_known_figures(client, auth, db):
    data = build(db)
    auth.login(data["coordinator"])
    response = client.get("/rapportage/gemeente.xlsx", query_string=YEAR)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _xlsx(response)
    assert rows[0][0] == "Houvast jaarrapportage Taalhuis"
    assert rows[1][:3] == ["Periode", "2026-01-01", "2026-12-31"]
    assert rows[2][:2] == ["Locaties", "Bibliotheek Centrum"]
    figures = _figures(rows)
    assert figures[("Deelnemers", "Deelnemers in de periode")] == 4
    assert figures[("Deelnemers", "NT1")] == 1
    assert figures[("Deelnemers", "NT2")] == 2
    assert figures[("Aanmeldingen in de periode", "Aangemeld")] == 4
    assert figures[("Aanmeldingen in de periode", "Eerste contact")] == 3
    assert figures[("Aanmeldingen in de periode",
                    "Intake gedaan: mediaan dagen na vorige stap")] == 6.5
    assert figures[("Aanmeldingen per verwijzer", "Gemeente Utrecht: aangemeld")] == 2
    assert figures[("Aanmeldingen per verwijzer", "Gemeente Utrecht: gestart")] == 1
    assert figures[("Afgesloten trajecten", "Doel behaald")] == 1
    assert figures[("Leerdoelen", "Lezen: behaald")] == 1
    assert figures[("Vrijwilligers", "Actieve vrijwilligers")] == 1
    assert figures[("Vrijwilligers", "Uren")] == 3.0
    assert figures[("Bijeenkomsten per maand", "2026-01: bijeenkomsten")] == 2
    # Aggregated only: no names of people anywhere.
    text = repr(rows)
    for name in ("Fatima", "Jansen", "Olga", "Dekker", "Anneke", "Carla"):
        assert name not in text


def test_municipality_csv_has_the_same_figures(client, auth, db):
    data = build(db)
    auth.login(data["coordinator"])
    response = client.get("/rapportage/gemeente.csv", query_string=YEAR)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _csv(response)
    assert rows[1] == ["Periode", "2026-01-01", "2026-12-31"]
    figures = _figures(rows)
    assert figures[("Deelnemers", "Deelnemers in de periode")] == "4"
    assert figures[("Aanmeldingen in de periode", "Gestart")] == "1"
    assert figures[("Aanmeldingen per verwijzer", "Zonder verwijzer (zelf gekomen): aangemeld")
                   ] == "1"
    # Decimals with a comma, as Dutch Excel reads them.
    assert figures[("Aanmeldingen in de periode",
                    "Intake gedaan: mediaan dagen na vorige stap")] == "6,5"
    assert figures[("Vrijwilligers", "Uren")] == "3"
    assert figures[("Bijeenkomsten per maand", "2026-01: uren")] == "1,5"


def test_unknown_export_format_is_not_found(client, auth, db):
    auth.as_role("coordinator")
    assert client.get("/rapportage/gemeente.pdf").status_code == 404


def test_monitor_file_one_row_per_person_pseudonymous_and_empty_when_unknown(
        client, auth, db, app):
    data = build(db)
    auth.login(data["coordinator"])
    response = client.get("/rapportage/monitor.csv", query_string=YEAR)
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[0] == service.MONITOR_COLUMNS
    secret = app.config["SECRET_KEY"]
    by_id = {row[0]: row for row in rows[1:]}
    assert len(rows) - 1 == 4  # Fatima (two trajectories) once, Jan, Olga, Dirk; not Eva
    fatima = by_id[service.pseudonym(data["fatima"].id, secret)]
    # Her newest trajectory: a digital group offer (non-formal), started 1 June, still open.
    assert fatima == [service.pseudonym(data["fatima"].id, secret), "1985", "vrouw",
                      "Arabisch", "3511", "non-formeel", "digitaal", "2026-06-01", "", "NT2"]
    # Unknown values stay empty: no birth year, no sex, no offer, not started.
    jan = by_id[service.pseudonym(data["jan"].id, secret)]
    assert jan == [jan[0], "", "", "", "", "", "", "", "", "NT1"]
    olga = by_id[service.pseudonym(data["olga"].id, secret)]
    assert olga[-1] == ""  # NT1/NT2 not known yet
    dirk = by_id[service.pseudonym(data["dirk"].id, secret)]
    assert dirk[7:9] == ["", "2026-03-04"]
    # The pseudonym is not the database id and stays the same.
    assert fatima[0].startswith("HV-") and len(fatima[0]) == 15
    assert service.pseudonym(data["fatima"].id, secret) == service.pseudonym(
        data["fatima"].id, secret)
    assert service.pseudonym(data["fatima"].id, secret) != service.pseudonym(
        data["fatima"].id, "another key")
    text = response.get_data(as_text=True)
    assert "Fatima" not in text and "El Amrani" not in text
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.object_type == "monitor_file" and event.user_id == data["coordinator"].id


def test_monitor_file_takes_a_volunteer_matchs_type_from_the_learning_goals(client, auth, db):
    loc = factories.location()
    coordinator = factories.user("coordinator", locations=[loc])
    numbers = factories.trajectory(location_obj=loc, status="active",
                                   referred_on=date(2026, 2, 1), started_on=date(2026, 3, 1))
    for subject in ("rekenen", "rekenen", "digitaal"):
        factories.learning_goal(numbers, subject=subject)
    factories.match(numbers, factories.volunteer(locations=[loc]))
    no_goals = factories.trajectory(location_obj=loc, status="active",
                                    referred_on=date(2026, 2, 2), started_on=date(2026, 3, 2))
    factories.match(no_goals, factories.volunteer(locations=[loc]))
    db.session.commit()
    auth.login(coordinator)
    rows = _csv(client.get("/rapportage/monitor.csv", query_string=YEAR))
    by_start = {row[7]: row for row in rows[1:]}
    # Most goals are about numeracy: "rekenen"; without goals the type is not guessed.
    assert by_start["2026-03-01"][5:7] == ["non-formeel", "rekenen"]
    assert by_start["2026-03-02"][5:7] == ["non-formeel", ""]


def test_participant_list_export_uses_the_list_filters_and_is_audited(client, auth, db):
    data = build(db)
    auth.login(data["coordinator"])
    response = client.get("/rapportage/deelnemers.csv", query_string={"status": "waiting"})
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[0][:3] == ["Voornaam", "Achternaam", "Telefoon"]
    assert [row[:2] for row in rows[1:]] == [["Jan", "Jansen"]]
    assert rows[1][6:8] == ["Bibliotheek Centrum", "Wacht op aanbod"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.object_type == "participant_list"
    assert "1 personen" in event.summary


def test_participant_list_page_offers_the_download_with_its_filters(client, auth, db):
    import html as html_lib
    import re

    data = build(db)
    auth.login(data["coordinator"])
    page = client.get("/deelnemers/", query_string={"status": "waiting"}).get_data(as_text=True)
    link = re.search(r'href="(/rapportage/deelnemers\.csv[^"]*)"', page)
    assert link and "status=waiting" in link.group(1)
    rows = _csv(client.get(html_lib.unescape(link.group(1))))
    assert [row[:2] for row in rows[1:]] == [["Jan", "Jansen"]]
    # Staff may see the list but not take it out.
    auth.logout()
    auth.login(factories.user("staff", locations=[data["l1"]]))
    assert "/rapportage/deelnemers.csv" not in client.get("/deelnemers/").get_data(as_text=True)


def test_participant_list_xlsx_only_own_locations(client, auth, db):
    data = build(db)
    auth.login(data["coordinator"])
    response = client.get("/rapportage/deelnemers.xlsx")
    rows = _xlsx(response)
    names = sorted(row[0] for row in rows[1:])
    assert names == ["Dirk", "Fatima", "Jan", "Olga"]  # not Eva of the other location
    fatima = next(row for row in rows if row[0] == "Fatima")
    assert fatima[9] is not None and "2026-05-04" in str(fatima[9])
    # A location outside their own is ignored rather than shown.
    other = _xlsx(client.get("/rapportage/deelnemers.xlsx",
                             query_string={"location": data["l2"].id}))
    assert len(other) == 5


def test_formula_like_text_is_not_run_as_a_formula(client, auth, db):
    loc = factories.location()
    coordinator = factories.user("coordinator", locations=[loc])
    factories.trajectory(factories.participant("=HYPERLINK(1)", "Test"), location_obj=loc)
    db.session.commit()
    auth.login(coordinator)
    rows = _csv(client.get("/rapportage/deelnemers.csv"))
    assert rows[1][0] == "'=HYPERLINK(1)"
    xrows = _xlsx(client.get("/rapportage/deelnemers.xlsx"))
    assert xrows[1][0] == "'=HYPERLINK(1)"
