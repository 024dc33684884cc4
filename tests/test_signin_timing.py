"""No account enumeration by timing: every failed sign-in does exactly one argon2 verify with
the same parameters, whatever failed (issue 19). Counted, not timed: the work is the same."""

import argon2
import pytest
import time_machine

from app.auth.passwords import hash_password

from . import factories

NOW = factories.aware(2026, 11, 23, 10, 0)
FAILED = "Dit e-mailadres en wachtwoord horen niet bij elkaar."


@pytest.fixture
def verifies(monkeypatch):
    """Each argon2 verification that ran: the parameters of the hash it checked against."""
    calls = []
    real = argon2.PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(argon2.extract_parameters(hash_))
        return real(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


def test_every_failure_costs_one_equal_argon2_verify(client, db, verifies):
    with time_machine.travel(NOW, tick=False):
        active = factories.user("staff", email="actief@example.org")
        off = factories.user("staff", email="uit@example.org", active=False)
        invited = factories.user("staff", email="uitgenodigd@example.org")
        invited.password_hash = None
        db.session.commit()
        cases = {
            "unknown e-mail": ("onbekend@example.org", factories.PASSWORD),
            "wrong password": (active.email, "niet-het-goede-wachtwoord"),
            "deactivated, right password": (off.email, factories.PASSWORD),
            "deactivated, wrong password": (off.email, "niet-het-goede-wachtwoord"),
            "never activated (no password)": (invited.email, factories.PASSWORD),
        }
        # Each case from its own address, so the throttle of one leaves the others alone.
        for n, (case, (email, password)) in enumerate(cases.items()):
            verifies.clear()
            response = client.post("/inloggen", data={"email": email, "password": password},
                                   environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"})
            assert response.status_code == 200, case
            assert FAILED in response.get_data(as_text=True), case
            assert len(verifies) == 1, f"{case}: {len(verifies)} verifies"
            # The same argon2 cost as a real account's hash.
            assert verifies[0] == argon2.extract_parameters(hash_password("x")), case


def test_a_right_password_also_costs_one_verify(client, db, verifies):
    with time_machine.travel(NOW, tick=False):
        user = factories.user("staff")
        db.session.commit()
        response = client.post("/inloggen", data={"email": user.email,
                                                  "password": factories.PASSWORD})
        assert response.status_code == 302
        assert len(verifies) == 1
