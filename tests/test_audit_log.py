"""The audit log page speaks Dutch: actions, kinds of records and the names of people (not
"#43"), summaries without codes; filters by person, user, action and period, with a calm
message for bad input; paginated at a fixed number of queries. Every action and kind of
record the code logs has its Dutch words."""

import ast
import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.audit import labels
from app.audit.models import AuditEvent

from . import factories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def html_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _event(user, action, object_type, object_id=None, participant=None, summary=None,
           at=NOW):
    event = AuditEvent(user_id=getattr(user, "id", None), action=action,
                       object_type=object_type, object_id=object_id,
                       participant_id=getattr(participant, "id", None), summary=summary, at=at)
    factories.db.session.add(event)
    return event


@pytest.fixture
def log(db, frozen):
    admin = factories.user("admin", name="Ada Beheer")
    staff = factories.user("staff", name="Bart Balie")
    fatima = factories.participant(first_name="Fatima", last_name="El Amrani")
    gone = factories.participant(first_name="Oud", last_name="Geval",
                                 anonymised_at=datetime(2026, 1, 1, tzinfo=UTC))
    t = factories.trajectory(fatima)
    _event(staff, "view", "participant", fatima.id, fatima,
           at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    _event(staff, "update", "participant", fatima.id, fatima, "gewijzigd: phone, first_name",
           at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    _event(staff, "update", "consent", None, fatima, "toestemming processing: ingetrokken",
           at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC))
    _event(staff, "view", "referral_queue", None, None, "lijst nieuw, pagina 1",
           at=datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    _event(staff, "update", "trajectory", t.id, gone, "traject afgesloten: moved, verhuisd",
           at=datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
    _event(admin, "update", "user", staff.id, None, "link voor wachtwoord gestuurd",
           at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    volunteer = factories.volunteer("Anneke", "de Boer")
    centrum, noord = factories.location("Bibliotheek Centrum"), factories.location("Noord")
    _event(staff, "create", "match", None, fatima,
           f"koppeling met vrijwilliger {volunteer.id} voorgesteld",
           at=datetime(2026, 11, 19, 9, 0, tzinfo=UTC))
    _event(staff, "update", "trajectory", t.id, fatima,
           f"verhuisd van locatie {centrum.id} naar {noord.id}",
           at=datetime(2026, 11, 19, 10, 0, tzinfo=UTC))
    factories.db.session.commit()
    return {"admin": admin, "staff": staff, "fatima": fatima, "gone": gone}


def _page(client, auth, log, query="") -> str:
    auth.login(log["admin"])
    response = client.get(f"/logboek/{query}")
    assert response.status_code == 200
    return html_of(response)


def test_the_log_speaks_dutch_and_names_people(client, auth, log):
    page = _page(client, auth, log)
    for word in ("bekeken", "gewijzigd", "deelnemer", "toestemming", "traject",
                 "werklijst aanmeldingen", "gebruiker: Bart Balie"):
        assert word in page, word
    assert ">Fatima El Amrani</a>" in page
    assert ">geanonimiseerd</a>" in page and "Geval" not in page
    assert "gewijzigd: telefoon, voornaam" in page
    assert "toestemming Gegevens vastleggen door het Taalhuis: ingetrokken" in page
    assert "traject afgesloten: Verhuisd" in page
    # Ids in a summary read as names too.
    assert "koppeling met vrijwilliger Anneke de Boer voorgesteld" in page
    assert "verhuisd van locatie Bibliotheek Centrum naar locatie Noord" in page
    for raw in ("<td>view</td>", "<td>update</td>", "referral_queue", "processing:"):
        assert raw not in page, raw
    assert not re.search(r"#\d", page), "records by name, not by number"
    # In Amsterdam time.
    assert "20 nov 2026 10:00" in page


def test_filters_by_person_user_action_and_period(client, auth, log):
    by_name = _page(client, auth, log, "?persoon=fatima+amrani")
    assert "gewijzigd: telefoon" in by_name and "werklijst aanmeldingen" not in by_name
    by_number = _page(client, auth, log, f"?persoon={log['fatima'].id}")
    assert "gewijzigd: telefoon" in by_number and "link voor wachtwoord" not in by_number
    # An anonymised person is not found by a name.
    assert "traject afgesloten" not in _page(client, auth, log, "?persoon=geval")
    by_user = _page(client, auth, log, f"?gebruiker={log['admin'].id}")
    assert "link voor wachtwoord" in by_user and "gewijzigd: telefoon" not in by_user
    by_action = _page(client, auth, log, "?actie=view")
    assert "werklijst aanmeldingen" in by_action and "gewijzigd: telefoon" not in by_action
    by_period = _page(client, auth, log, "?van=2026-11-21&tot=21-11-2026")
    assert "gewijzigd: telefoon" in by_period and "ingetrokken" in by_period
    assert "werklijst aanmeldingen" not in by_period and "link voor wachtwoord" not in by_period
    both = _page(client, auth, log, f"?gebruiker={log['staff'].id}&actie=update&van=2026-11-01")
    assert "gewijzigd: telefoon" in both and "traject afgesloten" not in both
    assert "Alles tonen" in both
    # The participant page's link keeps working.
    linked = _page(client, auth, log, f"?deelnemer={log['fatima'].id}")
    assert "gewijzigd: telefoon" in linked and "link voor wachtwoord" not in linked


@pytest.mark.parametrize("query", [
    "?van=gisteren", "?tot=31-31-2026", "?van=2026-11-22&tot=2026-11-01", "?persoon=" + "x" * 150,
    "?gebruiker=abc&actie=weg", "?page=abc", "?deelnemer=abc"])
def test_bad_filter_input_gets_a_calm_dutch_message(client, auth, log, query):
    page = _page(client, auth, log, query)
    assert "Logboek" in page
    if "van=" in query or "tot=" in query or "persoon" in query:
        assert "Een zoekveld is niet goed ingevuld" in page
        assert ("Vul een datum in, bijvoorbeeld 20-11-2026." in page
                or "Deze datum ligt vóór de datum bij ‘Vanaf’." in page
                or "Gebruik hoogstens 100 tekens." in page)
    # What could be used still shows the log; what was typed stays in the field.
    assert "Bart Balie" in page
    if query == "?van=gisteren":
        assert 'value="gisteren"' in page


def test_the_log_is_paginated_newest_first(client, auth, db, log):
    for n in range(60):
        _event(log["staff"], "view", "participant", log["fatima"].id, log["fatima"],
               summary=f"keer {n}", at=datetime(2026, 11, 22, 11, n, tzinfo=UTC))
    db.session.commit()
    first = _page(client, auth, log)
    assert "Pagina 1 van 2" in first
    assert first.index("keer 59") < first.index("keer 58")
    second = _page(client, auth, log, "?actie=view&page=2")
    assert "keer 0<" in second and "keer 59" not in second
    assert "actie=view" in _page(client, auth, log, "?actie=view")


def test_the_page_takes_a_fixed_number_of_queries(client, auth, db, log, count_queries):
    # One of each kind of record whose name the page looks up, then many of each: the
    # names cost one query per kind, whatever the number of rows.
    _event(log["admin"], "update", "location", log["staff"].locations[0].id)
    db.session.commit()
    auth.login(log["admin"])
    with count_queries() as few:
        client.get("/logboek/")
    for n in range(40):
        person = factories.participant(first_name=f"Persoon{n}")
        other = factories.user("staff")
        _event(other, "view", "participant", person.id, person)
        _event(other, "update", "user", other.id)
        _event(other, "update", "location", other.locations[0].id)
    db.session.commit()
    with count_queries() as many:
        page = html_of(client.get("/logboek/"))
    assert "Persoon39" in page
    # 120 newer rows fill the page with fewer kinds of records than before: no more queries.
    assert len(many) <= len(few), (len(few), len(many))


@pytest.mark.parametrize("role", ["coordinator", "staff", "volunteer", "partner"])
def test_only_the_admin_sees_the_log(client, auth, db, log, role):
    auth.as_role(role)
    assert client.get("/logboek/").status_code == 403


# --- Every code the code logs has its Dutch words -------------------------------------------

def _logged_codes():
    """(actions, object types) of every audit call in app/ and jobs/ with literal codes."""
    actions, types = set(), set()
    for path in [*ROOT.joinpath("app").rglob("*.py"), *ROOT.joinpath("jobs").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            owner = getattr(getattr(node.func, "value", None), "id", None)
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if name == "record" and owner == "audit" and len(args) >= 3:
                actions.add(args[1])
                types.add(args[2])
            elif name == "record_views" and owner == "audit":
                actions.add("view")
                types.add(args[1])
            elif name == "set_active" and owner == "audit":
                actions.add("update")
                types.add(args[2])
            elif name == "_record_list_view":
                types.add(args[0])
    # Codes chosen at run time: existing_or_added gives "create" or "update".
    actions |= {"create", "update"}
    return actions - {None}, types - {None}


def test_every_logged_action_and_object_type_has_a_dutch_label():
    actions, types = _logged_codes()
    assert {"view", "export", "login", "delete"} <= actions
    assert {"participant", "trajectory", "referral_queue", "inzage"} <= types
    assert actions - set(labels.ACTIONS) == set()
    assert types - set(labels.OBJECT_TYPES) == set()


def test_an_unknown_code_reads_as_itself():
    assert labels.event_text("wink", "thing", "x: y") == "thing wink: x: y"
