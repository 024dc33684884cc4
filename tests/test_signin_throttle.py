"""Failed sign-ins are throttled per account and per address, counted in the database, with
growing delays; blocked attempts cost no argon2; an admin can unblock (issue 19)."""

from datetime import timedelta

import argon2
import pytest
import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEvent

from . import factories
from .conftest import make_app

NOW = factories.aware(2026, 11, 23, 10, 0)
REFUSED = "Te veel pogingen om in te loggen."
FAILED = "Dit e-mailadres en wachtwoord horen niet bij elkaar."


@pytest.fixture
def verifies(monkeypatch):
    """How many argon2 verifications ran (the library's own call, spied on, not replaced)."""
    calls = []
    real = argon2.PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(hash_)
        return real(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


def _sign_in(client, email, password, address="127.0.0.1"):
    return client.post("/inloggen", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_55_wrong_passwords_in_a_minute_then_the_right_one_is_refused_too(client, db,
                                                                          verifies):
    with time_machine.travel(NOW, tick=False) as clock:
        user = factories.user("coordinator", email="cora@example.org")
        db.session.commit()
        answers = []
        for n in range(55):
            response = _sign_in(client, user.email, f"geraden-wachtwoord-{n}")
            answers.append(response.status_code)
            clock.shift(1)
        # Five free tries; then 30 s wait after the fifth, then 60 s after the sixth.
        assert answers[:5] == [200] * 5
        assert answers[5:34] == [429] * 29
        assert answers[34] == 200
        assert answers[35:] == [429] * 20
        assert len(verifies) == 6, "a refused attempt does no argon2 work"

        right = _sign_in(client, user.email, factories.PASSWORD)
        assert right.status_code == 429
        text = right.get_data(as_text=True)
        assert REFUSED in text and "seconden opnieuw" in text
        assert client.get("/mijn-account").status_code == 302, "not signed in"
        assert len(verifies) == 6

        clock.shift(60)
        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 302
        assert client.get("/mijn-account").status_code == 200


def test_delays_double_and_are_capped(client, db, app):
    with time_machine.travel(NOW, tick=False) as clock:
        user = factories.user("staff")
        db.session.commit()
        expected = []
        for n in range(1, 13):
            assert _sign_in(client, user.email, f"fout-{n}-wachtwoord").status_code == 200
            if n >= 5:
                wait = min(30 * 2 ** (n - 5), 900)
                expected.append(wait)
                clock.shift(wait - 1)
                assert _sign_in(client, user.email, "te-vroeg-geprobeerd").status_code == 429
                clock.shift(1)
        assert expected == [30, 60, 120, 240, 480, 900, 900, 900]
        clock.shift(-900)
        # After 12 counted failures the delay is the cap (900 s), not 30 * 2**7.
        refused = _sign_in(client, user.email, "nog-een-keer-fout")
        assert refused.status_code == 429
        assert "Probeer het over 15 minuten opnieuw." in refused.get_data(as_text=True)
        clock.shift(899)
        assert _sign_in(client, user.email, "nog-een-keer-fout").status_code == 429
        clock.shift(1)
        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 302


def test_unknown_and_known_accounts_get_the_same_answers(client, db):
    with time_machine.travel(NOW, tick=False):
        known = factories.user("staff", email="bestaat@example.org")
        db.session.commit()

        def answers(email, address):
            out = []
            for n in range(7):
                response = _sign_in(client, email, f"verkeerd-wachtwoord-{n}", address)
                out.append((response.status_code,
                            response.get_data(as_text=True).replace(email, "EMAIL")))
            return out

        assert answers(known.email, "10.1.1.1") == answers("bestaat-niet@example.org",
                                                           "10.1.1.2")


def test_the_address_is_limited_across_accounts(client, db):
    with time_machine.travel(NOW, tick=False):
        victim = factories.user("staff")
        db.session.commit()
        for n in range(20):
            assert _sign_in(client, f"iemand{n}@example.org", "probeer-dit-eens-1",
                            "192.0.2.9").status_code == 200
        blocked = _sign_in(client, victim.email, factories.PASSWORD, "192.0.2.9")
        assert blocked.status_code == 429
        # Another address is not affected, and neither is the account itself.
        assert _sign_in(client, victim.email, factories.PASSWORD, "192.0.2.10").status_code == 302


def test_a_second_app_on_the_same_database_sees_the_same_count(client, db, database_url,
                                                                instance_path):
    with time_machine.travel(NOW, tick=False):
        user = factories.user("staff")
        db.session.commit()
        for n in range(5):
            assert _sign_in(client, user.email, f"fout-wachtwoord-{n}").status_code == 200
        other = make_app(database_url, instance_path)
        try:
            refused = _sign_in(other.test_client(), user.email, factories.PASSWORD)
            text = refused.get_data(as_text=True)
            refused.close()
        finally:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()
        assert refused.status_code == 429
        assert REFUSED in text


def test_a_right_password_resets_the_count_of_the_account(client, db, auth):
    with time_machine.travel(NOW, tick=False):
        user = factories.user("staff")
        db.session.commit()
        for n in range(4):
            _sign_in(client, user.email, f"fout-wachtwoord-{n}")
        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 302
        auth.logout()
        for n in range(4):
            assert _sign_in(client, user.email, f"fout-wachtwoord-{n}").status_code == 200
        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 302


def test_admin_sees_the_block_and_unblocks(app, client, db):
    with time_machine.travel(NOW, tick=False):
        admin = factories.user("admin", name="Bram Beheer")
        user = factories.user("staff", name="Vera Vergrendeld")
        db.session.commit()
        for n in range(6):
            _sign_in(client, user.email, f"fout-wachtwoord-{n}")
        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 429

        admin_client = app.test_client()
        assert _sign_in(admin_client, admin.email, factories.PASSWORD).status_code == 302
        page = admin_client.get(f"/beheer/gebruikers/{user.id}/").get_data(as_text=True)
        assert "Geblokkeerd tot" in page and "Deblokkeren" in page
        quiet = admin_client.get(f"/beheer/gebruikers/{admin.id}/").get_data(as_text=True)
        assert "Geblokkeerd tot" not in quiet

        done = admin_client.post(f"/beheer/gebruikers/{user.id}/deblokkeren")
        assert done.status_code == 302
        after = admin_client.get(done.headers["Location"]).get_data(as_text=True)
        assert "Vera Vergrendeld kan weer inloggen." in after
        assert "Geblokkeerd tot" not in after
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id,
            AuditEvent.user_id == admin.id))
        assert event.summary == "gedeblokkeerd na mislukte inlogpogingen"

        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 302


def test_only_an_admin_unblocks(app, client, db, auth):
    with time_machine.travel(NOW, tick=False):
        user = factories.user("staff")
        db.session.commit()
        for n in range(6):
            _sign_in(client, user.email, f"fout-wachtwoord-{n}")
        coordinator_client = app.test_client()
        coordinator = factories.user("coordinator")
        db.session.commit()
        assert _sign_in(coordinator_client, coordinator.email,
                        factories.PASSWORD).status_code == 302
        assert coordinator_client.post(
            f"/beheer/gebruikers/{user.id}/deblokkeren").status_code == 404
        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 429


def test_failures_are_forgotten_after_a_day(client, db):
    with time_machine.travel(NOW, tick=False) as clock:
        user = factories.user("staff")
        db.session.commit()
        for n in range(5):
            _sign_in(client, user.email, f"fout-wachtwoord-{n}")
        clock.shift(timedelta(hours=24, seconds=1))
        assert _sign_in(client, user.email, "weer-fout-wachtwoord").status_code == 200
        assert _sign_in(client, user.email, factories.PASSWORD).status_code == 302
