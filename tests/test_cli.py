"""Operator commands: `flask create-user` and `flask seed-demo`."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.admin.models import Location
from app.auth.models import ROLES, User
from app.core.choices import TRAJECTORY_STATUS
from app.core.phone import normalise_phone
from app.intakes.models import Intake, LearningGoal
from app.participants.models import Consent, Participant, Trajectory
from app.partners.models import Partner, PartnerContact
from app.referrals.models import ContactAttempt, Referral
from app.volunteers.models import Volunteer

from . import factories
from .conftest import DEMO_NOW

PASSWORD = "een-goed-wachtwoord"


# --- create-user -----------------------------------------------------------------------------

def test_create_user_with_password_and_locations(runner, db, client, auth):
    factories.location("Bibliotheek Centrum")
    factories.location("Bibliotheek Noord")
    db.session.commit()
    result = runner.invoke(args=[
        "create-user", "--email", "Coord@Example.org", "--name", "Carla Coördinator",
        "--role", "coordinator", "--location", "Bibliotheek Centrum",
        "--location", "Bibliotheek Noord", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Gebruiker aangemaakt: coord@example.org (coordinator)" in result.output

    user = factories.user_by_email("coord@example.org")
    assert user.name == "Carla Coördinator"
    assert [loc.name for loc in user.locations] == ["Bibliotheek Centrum", "Bibliotheek Noord"]
    assert auth.login("coord@example.org", PASSWORD).status_code == 302


def test_create_user_asks_for_the_password_twice(runner, db, auth):
    result = runner.invoke(args=["create-user", "--email", "beheer@example.org",
                                 "--name", "Bea Beheer", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Wachtwoord:" in result.output and "Herhaal het wachtwoord:" in result.output
    assert PASSWORD not in result.output, "the typed password is not echoed"
    assert auth.login("beheer@example.org", PASSWORD).status_code == 302


def test_create_user_prompt_repeats_when_the_two_passwords_differ(runner, db):
    result = runner.invoke(args=["create-user", "--email", "b@example.org", "--name", "B",
                                 "--role", "admin"],
                           input=f"{PASSWORD}\niets-anders-123\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert factories.user_by_email("b@example.org") is not None


def test_create_user_prompt_asks_again_for_a_too_short_password(runner, db):
    result = runner.invoke(args=["create-user", "--email", "c@example.org", "--name", "C",
                                 "--role", "admin"],
                           input=f"kort\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "minstens 12 tekens" in result.output
    assert factories.user_by_email("c@example.org") is not None


def test_create_partner_user_needs_an_existing_partner(runner, db):
    partner = factories.partner("UWV Utrecht", kind="uwv")
    db.session.commit()
    base = ["create-user", "--email", "p@uwv.example", "--name", "P", "--role", "partner",
            "--password", PASSWORD]
    missing = runner.invoke(args=base)
    assert missing.exit_code != 0 and "--partner" in missing.output
    unknown = runner.invoke(args=[*base, "--partner", "UWV Nergens"])
    assert unknown.exit_code != 0 and "Partner 'UWV Nergens' bestaat niet." in unknown.output
    assert factories.user_by_email("p@uwv.example") is None

    ok = runner.invoke(args=[*base, "--partner", "UWV Utrecht"])
    assert ok.exit_code == 0, ok.output
    assert factories.user_by_email("p@uwv.example").partner_id == partner.id


def test_create_user_refuses_an_unknown_location(runner, db):
    result = runner.invoke(args=["create-user", "--email", "s@example.org", "--name", "S",
                                 "--role", "staff", "--location", "Bibliotheek Nergens",
                                 "--password", PASSWORD])
    assert result.exit_code != 0
    assert "Vestiging 'Bibliotheek Nergens' bestaat niet." in result.output
    assert factories.user_by_email("s@example.org") is None


def test_create_user_refuses_a_duplicate_email(runner, db):
    factories.user("staff", email="jan@example.org")
    db.session.commit()
    result = runner.invoke(args=["create-user", "--email", "JAN@example.org", "--name", "Jan",
                                 "--role", "admin", "--password", PASSWORD])
    assert result.exit_code != 0
    assert "Er is al een gebruiker met e-mailadres" in result.output
    assert factories.count(User) == 1


def test_create_user_refuses_a_short_password(runner, db):
    result = runner.invoke(args=["create-user", "--email", "k@example.org", "--name", "K",
                                 "--role", "admin", "--password", "kort"])
    assert result.exit_code != 0
    assert "minstens 12 tekens" in result.output
    assert factories.user_by_email("k@example.org") is None


def test_create_user_refuses_an_unknown_role(runner, db):
    result = runner.invoke(args=["create-user", "--email", "k@example.org", "--name", "K",
                                 "--role", "baas", "--password", PASSWORD])
    assert result.exit_code != 0
    assert factories.user_by_email("k@example.org") is None


# --- seed-demo -------------------------------------------------------------------------------

def _counts(db) -> dict:
    return {m.__name__: factories.count(m) for m in (User, Location, Partner, Participant,
                                                Trajectory, Referral, Intake, LearningGoal)}


def test_seed_demo_fills_an_empty_database_once(runner, db, client, auth, demo_data):
    lines = demo_data.output.strip().splitlines()
    accounts = [line for line in lines if line.split(":")[0] in ROLES]
    assert accounts == [
        "admin: admin@houvast.demo", "coordinator: coordinator@houvast.demo",
        "coordinator: coordinator2@houvast.demo", "staff: staff@houvast.demo",
        "volunteer: volunteer@houvast.demo", "partner: partner@houvast.demo",
    ]
    assert lines[-1] == f"password: {demo_data.password}"

    assert factories.count(Location) == 3
    assert factories.count(Partner) >= 8
    assert all(1 <= len(p.contacts) <= 2 for p in db.session.scalars(sa.select(Partner)))
    assert len({p.kind for p in db.session.scalars(sa.select(Partner))}) >= 6
    # 60 people, one per message channel (app/messaging/seed.py) and five whose trajectory
    # ended long ago, for the retention job (app/privacy/seed.py).
    assert factories.count(Participant) == 71
    names = db.session.execute(sa.select(Participant.first_name, Participant.last_name)).all()
    assert len(set(names)) == 71, "no two demo people share a name"
    statuses = set(db.session.scalars(sa.select(Trajectory.status).distinct()))
    assert statuses == set(TRAJECTORY_STATUS)
    assert {u.role for u in db.session.scalars(sa.select(User))} == set(ROLES)
    partner_user = factories.user_by_email("partner@houvast.demo")
    assert partner_user.partner is not None
    for email in ("staff@houvast.demo", "coordinator@houvast.demo",
                  "coordinator2@houvast.demo"):
        assert factories.user_by_email(email).locations

    # The stages hold what a Taalhuis would see.
    day = date.fromisoformat(DEMO_NOW[:10])
    overdue = db.session.scalars(sa.select(Referral).join(Trajectory).where(
        Trajectory.status == "referred", Referral.first_contact_due < day)).all()
    assert len(overdue) >= 2
    for t in db.session.scalars(sa.select(Trajectory).where(Trajectory.status == "unreachable")):
        failed = [a for a in t.contact_attempts if not a.reached]
        assert len(failed) >= 3 and t.referral.result == "not_reached"
    waiting = db.session.scalars(sa.select(Trajectory).where(Trajectory.status == "waiting"))
    waiting = list(waiting)
    assert all(t.intake and t.goals and t.intake.availability for t in waiting)
    assert sum(1 for t in waiting if t.waiting_since < day - timedelta(days=21)) >= 3
    for t in db.session.scalars(sa.select(Trajectory).where(Trajectory.status == "ended")):
        assert t.outcome and t.end_reason and t.ended_on
    for t in db.session.scalars(sa.select(Trajectory).where(
            Trajectory.status.in_(["contacted", "intake_planned", "waiting", "active"]))):
        assert t.last_contact_at is not None
    goals = set(db.session.scalars(sa.select(LearningGoal.own_words)))
    assert "Brieven van de gemeente kunnen lezen" in goals
    assert factories.count(Consent) >= 60 and factories.count(ContactAttempt) > 0
    # Every demo phone is a real number, stored the one way (E.164).
    for model in (Participant, Partner, PartnerContact, Volunteer):
        phones = db.session.scalars(sa.select(model.phone).where(model.phone.is_not(None)))
        assert all(normalise_phone(phone) == phone for phone in phones), model

    # The printed password works.
    assert auth.login("coordinator@houvast.demo", demo_data.password).status_code == 302
    assert client.get("/deelnemers/").status_code == 200

    # A second run refuses and changes nothing; --if-empty says so and succeeds.
    before = _counts(db)
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0
    assert "al gegevens" in again.output
    # (with the printed password now in HOUVAST_DEMO_PASSWORD)
    quiet = runner.invoke(args=["seed-demo", "--if-empty"],
                          env={"HOUVAST_DEMO_PASSWORD": demo_data.password})
    assert quiet.exit_code == 0
    assert "Niets gedaan" in quiet.output
    assert _counts(db) == before
    # `make run` again on this database: the same sign-ins as the first time.
    again_lines = quiet.output.strip().splitlines()
    assert [line for line in again_lines if line.split(":")[0] in ROLES] == accounts
    assert again_lines[-1] == "password: (uit HOUVAST_DEMO_PASSWORD)"
    assert demo_data.password not in quiet.output


def test_seed_demo_refuses_when_only_a_user_exists(runner, db):
    factories.user("admin")
    db.session.commit()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert factories.count(Participant) == 0


def test_seed_demo_if_empty_on_real_data_shows_no_sign_ins(runner, db):
    factories.user("admin", email="beheer@bibliotheek.example")
    factories.user("admin", email="admin@houvast.demo", active=False)
    db.session.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty"],
                           env={"HOUVAST_DEMO_PASSWORD": factories.PASSWORD})
    assert result.exit_code == 0, result.output
    assert "Niets gedaan" in result.output
    assert "houvast.demo" not in result.output and "password" not in result.output
    assert "beheer@bibliotheek.example" not in result.output


def test_seed_demo_prints_a_fresh_password_and_makes_the_same_data_every_run(
        runner, db, auth, monkeypatch, demo_data):
    from .conftest import _empty_tables

    monkeypatch.delenv("HOUVAST_DEMO_PASSWORD", raising=False)

    def snapshot():
        return sorted(db.session.execute(sa.select(
            Participant.first_name, Participant.last_name, Participant.birth_year,
            Participant.phone, Trajectory.status, Trajectory.referred_on,
        ).join(Trajectory)).all())

    def password_of(result):
        assert result.exit_code == 0, result.output
        return result.output.strip().splitlines()[-1].removeprefix("password: ")

    first_run = demo_data  # `seed-demo --now DEMO_NOW` without HOUVAST_DEMO_PASSWORD
    first_password = demo_data.password
    assert len(first_password) >= 10
    # Restarting `make run`: the sign-ins again, and where the password came from (it is
    # stored only as a hash, so it cannot be printed again).
    restart = runner.invoke(args=["seed-demo", "--if-empty"])
    assert restart.exit_code == 0, restart.output
    assert "Niets gedaan" in restart.output
    accounts = [line for line in first_run.output.splitlines() if line.split(":")[0] in ROLES]
    assert len(accounts) == 6
    assert [line for line in restart.output.splitlines()
            if line.split(":")[0] in ROLES] == accounts
    last = restart.output.strip().splitlines()[-1]
    assert last.startswith("password: ") and "eerste keer" in last
    assert "HOUVAST_DEMO_PASSWORD" in last
    assert first_password not in restart.output
    assert auth.login("admin@houvast.demo", first_password).status_code == 302
    auth.logout()
    first = snapshot()
    assert len(first) == 71

    # Another run, now with a chosen password: it is used, never printed, and the data are
    # the same (the password is not part of the seed).
    _empty_tables()
    second_run = runner.invoke(args=["seed-demo", "--if-empty", "--now", DEMO_NOW],
                               env={"HOUVAST_DEMO_PASSWORD": "demo-wachtwoord-2026"})
    assert password_of(second_run) == "(uit HOUVAST_DEMO_PASSWORD)"
    assert "demo-wachtwoord-2026" not in second_run.output
    assert snapshot() == first, "seeded: the same people in the same stages"
    assert auth.login("admin@houvast.demo", "demo-wachtwoord-2026").status_code == 302
