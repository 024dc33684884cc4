"""Self-service "Wachtwoord vergeten?": the same answer whether or not the address has an
account, a mail with the one-time link only to an active account, rate limits (issue 19)."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEvent

from . import factories
from .conftest import SMTPRecorder
from .test_signin_links import link_path

NOW = factories.aware(2026, 11, 23, 10, 0)
NEW_PASSWORD = "fiets regen kopje zeven"


def _ask(client, email, address="127.0.0.1"):
    return client.post("/wachtwoord-vergeten", data={"email": email},
                       environ_base={"REMOTE_ADDR": address})


def _answer(response, email) -> str:
    return response.get_data(as_text=True).replace(email, "EMAIL")


def test_sign_in_page_links_to_the_reset_form(client):
    page = client.get("/inloggen").get_data(as_text=True)
    assert 'href="/wachtwoord-vergeten"' in page and "Wachtwoord vergeten?" in page
    form = client.get("/wachtwoord-vergeten")
    assert form.status_code == 200
    assert "Vul het e-mailadres in waarmee u inlogt" in form.get_data(as_text=True)


def test_a_known_user_gets_a_link_and_chooses_a_new_password(app, client, db, smtp_server):
    with time_machine.travel(NOW, tick=False):
        user = factories.user("staff", email="vera@example.org", name="Vera Vergeten")
        db.session.commit()
        response = _ask(client, "  Vera@Example.org ")
        assert response.status_code == 200
        assert "Kijk in uw e-mail" in response.get_data(as_text=True)

        assert [m.envelope_to for m in smtp_server.messages] == [["vera@example.org"]]
        msg = smtp_server.messages[0]
        assert msg["Subject"] == "Nieuw wachtwoord voor Houvast"
        text = SMTPRecorder.body(msg)
        assert "U heeft gevraagd om een nieuw wachtwoord" in text
        assert "Heeft u dat niet gevraagd?" in text
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id))
        assert event.summary == "link voor nieuw wachtwoord aangevraagd"

        path = link_path(msg)
        assert client.post(path, data={"password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD}).status_code == 302
        assert client.post("/inloggen", data={"email": user.email,
                                              "password": NEW_PASSWORD}).status_code == 302
        assert app.test_client().post("/inloggen", data={
            "email": user.email, "password": factories.PASSWORD}).status_code == 200


def test_the_answer_is_the_same_for_unknown_and_deactivated_addresses(client, db,
                                                                      smtp_server):
    with time_machine.travel(NOW, tick=False):
        factories.user("staff", email="bekend@example.org")
        factories.user("staff", email="uitgezet@example.org", active=False)
        db.session.commit()
        known = _ask(client, "bekend@example.org", "10.0.0.1")
        unknown = _ask(client, "onbekend@example.org", "10.0.0.2")
        off = _ask(client, "uitgezet@example.org", "10.0.0.3")
        assert known.status_code == unknown.status_code == off.status_code == 200
        assert (_answer(known, "bekend@example.org")
                == _answer(unknown, "onbekend@example.org")
                == _answer(off, "uitgezet@example.org"))
        # Only the active account got a mail.
        assert [m.envelope_to for m in smtp_server.messages] == [["bekend@example.org"]]


def test_a_never_activated_user_can_ask_for_a_link_too(client, db, smtp_server):
    user = factories.user("staff", email="nieuw@example.org")
    user.password_hash = None
    db.session.commit()
    _ask(client, user.email)
    path = link_path(smtp_server.messages[0])
    assert client.post(path, data={"password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD}).status_code == 302


def test_a_double_click_sends_one_mail(client, db, smtp_server):
    with time_machine.travel(NOW, tick=False) as clock:
        factories.user("staff", email="dubbel@example.org")
        db.session.commit()
        first = _ask(client, "dubbel@example.org")
        clock.shift(2)
        second = _ask(client, "dubbel@example.org")
        assert _answer(first, "x") == _answer(second, "x")
        assert len(smtp_server.messages) == 1
        # The one link that was sent still works.
        assert client.get(link_path(smtp_server.messages[0])).status_code == 200


def test_the_reset_form_is_limited_per_e_mail_address(client, db, smtp_server, app):
    limit, _window = app.config["PASSWORD_RESET_RATE_LIMIT"]
    with time_machine.travel(NOW, tick=False) as clock:
        factories.user("staff", email="veel@example.org")
        db.session.commit()
        for n in range(limit):
            assert _ask(client, "veel@example.org", f"10.0.1.{n}").status_code == 200
            clock.shift(timedelta(minutes=2))
        refused = _ask(client, "veel@example.org", "10.0.2.1")
        assert refused.status_code == 429
        assert "te vaak een nieuwe link gevraagd" in refused.get_data(as_text=True)
        assert len(smtp_server.messages) == limit
        # An unknown address hits the same limit, with the same words.
        for n in range(limit):
            _ask(client, "niemand@example.org", f"10.0.3.{n}")
            clock.shift(timedelta(minutes=2))
        assert _answer(_ask(client, "niemand@example.org", "10.0.4.1"), "niemand@example.org") \
            == _answer(refused, "veel@example.org")
        clock.shift(timedelta(hours=1))
        assert _ask(client, "veel@example.org", "10.0.5.1").status_code == 200
        assert len(smtp_server.messages) == limit + 1


def test_the_reset_form_is_limited_per_address(client, db, smtp_server, app):
    limit, _window = app.config["PASSWORD_RESET_RATE_LIMIT"]
    with time_machine.travel(NOW, tick=False):
        factories.user("staff", email="slachtoffer@example.org")
        db.session.commit()
        for n in range(limit):
            assert _ask(client, f"poging{n}@example.org", "192.0.2.50").status_code == 200
        assert _ask(client, "slachtoffer@example.org", "192.0.2.50").status_code == 429
        assert smtp_server.messages == []
        assert _ask(client, "slachtoffer@example.org", "192.0.2.51").status_code == 200
        assert len(smtp_server.messages) == 1


def test_a_self_service_link_ends_the_admins_earlier_link(app, client, auth, db, smtp_server):
    auth.as_role("admin")
    user = factories.user("staff", email="twee@example.org")
    db.session.commit()
    client.post(f"/beheer/gebruikers/{user.id}/link")
    auth.logout()
    _ask(client, user.email)
    admins, own = (link_path(m) for m in smtp_server.messages)
    assert client.get(admins).status_code == 400
    assert client.get(own).status_code == 200


def test_bad_input_answers_next_to_the_field(client, db):
    empty = client.post("/wachtwoord-vergeten", data={"email": ""})
    assert empty.status_code == 200
    assert "Vul uw e-mailadres in." in empty.get_data(as_text=True)
    long = client.post("/wachtwoord-vergeten", data={"email": "a" * 300 + "@example.org"})
    assert long.status_code == 200
    assert "Dit e-mailadres is te lang." in long.get_data(as_text=True)


def test_a_signed_in_user_goes_to_their_own_page(client, auth):
    auth.as_role("staff")
    response = client.get("/wachtwoord-vergeten")
    assert response.status_code == 302 and response.headers["Location"] == "/mijn-account"


def test_a_new_password_by_link_lifts_the_block_of_the_account(client, db, smtp_server):
    with time_machine.travel(NOW, tick=False):
        user = factories.user("staff", email="geblokkeerd@example.org")
        db.session.commit()
        for n in range(6):
            client.post("/inloggen", data={"email": user.email, "password": f"fout-{n}-fout"})
        assert client.post("/inloggen", data={"email": user.email,
                                              "password": factories.PASSWORD}).status_code == 429
        _ask(client, user.email)
        path = link_path(smtp_server.messages[0])
        assert client.post(path, data={"password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD}).status_code == 302
        assert client.post("/inloggen", data={"email": user.email,
                                              "password": NEW_PASSWORD}).status_code == 302
