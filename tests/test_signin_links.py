"""Password links work only for the address they were sent to, only as the newest link, once,
and for PASSWORD_LINK_HOURS (issue 19)."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import time_machine

from . import factories
from .conftest import SMTPRecorder

NOW = factories.aware(2026, 11, 23, 10, 0)
NEW_PASSWORD = "fiets regen kopje zeven"


def link_path(msg) -> str:
    match = re.search(r"https?://\S+/wachtwoord/\S+", SMTPRecorder.body(msg))
    assert match, "the mail holds a link to choose a password"
    return urlsplit(match.group(0)).path


def _choose(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def test_a_link_sent_to_a_mistyped_address_stops_working_once_corrected(
        app, client, auth, db, smtp_server):
    auth.as_role("admin")
    response = client.post("/beheer/gebruikers/nieuw", data={
        "name": "Sanne de Vries", "email": "sanne@exmaple.org", "role": "admin",
        "locations": [], "partner_id": ""})
    assert response.status_code == 302
    user = factories.user_by_email("sanne@exmaple.org")
    mistyped = link_path(smtp_server.messages[0])
    assert app.test_client().get(mistyped).status_code == 200

    corrected = client.post(f"/beheer/gebruikers/{user.id}/", data={
        "name": "Sanne de Vries", "email": "sanne@example.org", "role": "admin",
        "locations": [], "partner_id": ""})
    assert corrected.status_code == 302

    stranger = app.test_client()
    page = stranger.get(mistyped)
    assert page.status_code == 400
    assert "Deze link werkt niet meer" in page.get_data(as_text=True)
    assert _choose(stranger, mistyped).status_code == 400
    assert factories.user_by_email("sanne@example.org").password_hash is None

    # A new link to the right address works.
    client.post(f"/beheer/gebruikers/{user.id}/link")
    assert smtp_server.messages[-1].envelope_to == ["sanne@example.org"]
    assert _choose(app.test_client(), link_path(smtp_server.messages[-1])).status_code == 302


def test_sending_a_new_link_ends_the_old_ones(app, client, auth, db, smtp_server):
    auth.as_role("admin")
    user = factories.user("staff", email="vera@example.org")
    db.session.commit()
    client.post(f"/beheer/gebruikers/{user.id}/link")
    client.post(f"/beheer/gebruikers/{user.id}/link")
    first, second = (link_path(m) for m in smtp_server.messages)
    assert first != second

    other = app.test_client()
    assert other.get(first).status_code == 400
    assert _choose(other, first).status_code == 400
    assert other.get(second).status_code == 200
    assert _choose(other, second).status_code == 302
    assert other.post("/inloggen", data={"email": user.email,
                                         "password": NEW_PASSWORD}).status_code == 302


def test_a_link_works_once(app, client, auth, db, smtp_server):
    auth.as_role("admin")
    user = factories.user("staff")
    db.session.commit()
    client.post(f"/beheer/gebruikers/{user.id}/link")
    path = link_path(smtp_server.messages[0])
    other = app.test_client()
    assert _choose(other, path).status_code == 302
    assert other.get(path).status_code == 400
    assert _choose(other, path, "een ander lang wachtwoord").status_code == 400
    assert other.post("/inloggen", data={"email": user.email,
                                         "password": NEW_PASSWORD}).status_code == 302


def test_a_link_works_for_a_limited_time(app, client, auth, db, smtp_server):
    hours = app.config["PASSWORD_LINK_HOURS"]
    with time_machine.travel(NOW, tick=False) as clock:
        auth.as_role("admin")
        user = factories.user("staff")
        db.session.commit()
        client.post(f"/beheer/gebruikers/{user.id}/link")
        path = link_path(smtp_server.messages[0])
        auth.logout()
        clock.shift(timedelta(hours=hours) - timedelta(minutes=1))
        assert client.get(path).status_code == 200
        clock.shift(timedelta(minutes=2))
        assert client.get(path).status_code == 400
        assert _choose(client, path).status_code == 400


def test_a_forged_or_garbled_token_is_refused(client, db):
    for token in ("ongeldig", "eyJ1IjoxfQ.abc.def", "x" * 500):
        assert client.get(f"/wachtwoord/{token}").status_code == 400
