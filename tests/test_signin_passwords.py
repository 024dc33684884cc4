"""The rules for a new password, on every page where one is chosen, and changing one's own
password on /mijn-account (issue 19)."""

import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEvent
from app.auth.passwords import password_problem
from app.auth.tokens import make_password_token

from . import factories

NOW = factories.aware(2026, 11, 23, 10, 0)
NEW_PASSWORD = "fiets regen kopje zeven"


def _set_password_path(db, user) -> str:
    token = make_password_token(user)
    db.session.commit()
    return f"/wachtwoord/{token}"


def _choose(client, path, password):
    response = client.post(path, data={"password": password, "confirm": password})
    return response.status_code, response.get_data(as_text=True)


def test_set_password_page_refuses_weak_choices_with_a_dutch_reason(client, db):
    user = factories.user("staff", email="sanne.devries@example.org", name="Sanne de Vries")
    user.password_hash = None
    db.session.commit()
    path = _set_password_path(db, user)
    page = client.get(path).get_data(as_text=True)
    assert "minstens 12 tekens" in page

    refusals = {
        "kort-maar11": "minstens 12 tekens",
        "1qaz2wsx3edc": "lijst van veelgebruikte of uitgelekte wachtwoorden",
        "qwerty123456": "lijst van veelgebruikte of uitgelekte wachtwoorden",
        "sanne.devries@example.org": "niet uw e-mailadres of naam",
        "ikbensannedevries": "niet uw e-mailadres of naam",
        "Sanne de Vries 2026": "niet uw e-mailadres of naam",
        "sanne.devries-1234": "niet uw e-mailadres of naam",
        "Welkom123456": "te makkelijk te raden",
        "Houvast2026!": "te makkelijk te raden",
        "wachtwoord1234": "te makkelijk te raden",
    }
    for password, reason in refusals.items():
        status, text = _choose(client, path, password)
        assert status == 200, password
        assert reason in text, password
        assert "field-error" in text, f"{password}: the reason stands next to the field"
        # The strength hint in Dutch, after sending.
        assert "Sterkte:" in text, password
    assert factories.user_by_email(user.email).password_hash is None

    status, _text = _choose(client, path, NEW_PASSWORD)
    assert status == 302
    assert client.post("/inloggen", data={"email": user.email,
                                          "password": NEW_PASSWORD}).status_code == 302


def test_long_passphrases_are_welcome_and_overlong_input_is_refused_calmly(client, db):
    user = factories.user("staff")
    db.session.commit()
    path = _set_password_path(db, user)
    status, text = _choose(client, path, "x" * 5000)
    assert status == 200 and "hoogstens 200 tekens" in text
    long_one = "de kat van de buren zit elke ochtend op ons schuurdak te zingen " * 2
    status, _text = _choose(client, path, long_one)
    assert status == 302


def test_the_test_and_demo_passwords_pass_the_rules(demo_data):
    assert password_problem(factories.PASSWORD, email="staff1@example.org",
                            name="Staff 1") is None
    assert password_problem(demo_data.password, email="admin@houvast.demo",
                            name="Demo Beheerder") is None


def _account_change(client, current, new, confirm=None):
    return client.post("/mijn-account/wachtwoord", data={
        "current": current, "password": new, "confirm": new if confirm is None else confirm})


def test_user_changes_own_password_with_the_current_one(app, client, auth, db):
    with time_machine.travel(NOW, tick=False):
        user = auth.as_role("staff")
        page = client.get("/mijn-account").get_data(as_text=True)
        assert "Huidig wachtwoord" in page and "Wachtwoord veranderen" in page

        wrong = _account_change(client, "niet-mijn-wachtwoord", NEW_PASSWORD)
        assert wrong.status_code == 200
        assert "Dit is niet uw huidige wachtwoord." in wrong.get_data(as_text=True)

        weak = _account_change(client, factories.PASSWORD, "qwerty123456")
        text = weak.get_data(as_text=True)
        assert weak.status_code == 200 and "veelgebruikte" in text and "Sterkte:" in text
        mismatch = _account_change(client, factories.PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
        assert "niet gelijk" in mismatch.get_data(as_text=True)
        empty = client.post("/mijn-account/wachtwoord", data={})
        assert empty.status_code == 200
        assert "Vul uw huidige wachtwoord in." in empty.get_data(as_text=True)

        done = _account_change(client, factories.PASSWORD, NEW_PASSWORD)
        assert done.status_code == 302 and done.headers["Location"] == "/mijn-account"
        assert "Uw wachtwoord is veranderd." in client.get("/mijn-account").get_data(
            as_text=True)
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id,
            AuditEvent.summary == "wachtwoord gewijzigd"))
        assert event is not None and event.user_id == user.id

        other = app.test_client()
        assert other.post("/inloggen", data={"email": user.email,
                                             "password": factories.PASSWORD}).status_code == 200
        assert other.post("/inloggen", data={"email": user.email,
                                             "password": NEW_PASSWORD}).status_code == 302


def test_guessing_the_current_password_is_throttled(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        auth.as_role("staff")
        for n in range(5):
            assert _account_change(client, f"gok-nummer-{n}-fout",
                                   NEW_PASSWORD).status_code == 200
        refused = _account_change(client, factories.PASSWORD, NEW_PASSWORD)
        assert refused.status_code == 429
        assert "Te veel pogingen" in refused.get_data(as_text=True)


def test_the_account_page_get_of_the_change_route_leads_to_the_form(client, auth):
    auth.as_role("volunteer")
    response = client.get("/mijn-account/wachtwoord")
    assert response.status_code == 302
    assert response.headers["Location"] == "/mijn-account#wachtwoord"


def test_seed_demo_refuses_a_weak_demo_password(runner, db):
    result = runner.invoke(args=["seed-demo", "--now", "2026-11-20T09:00"],
                           env={"HOUVAST_DEMO_PASSWORD": "welkom123"})
    assert result.exit_code != 0
    assert "HOUVAST_DEMO_PASSWORD: Kies een wachtwoord van minstens 12 tekens." in result.output
    assert factories.count(factories.User) == 0
