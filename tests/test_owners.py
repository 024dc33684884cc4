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
    location, (anna, bram, _c) = _location_with_coordinators(mode="registrar")
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
    assert bram.name in html_of(client.get("/beheer/vestigingen/"))

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
    location, _coordinators = _location_with_coordinators(mode="registrar")
    me = auth.as_role("coordinator", locations=[location])
    client.post("/aanmeldingen/nieuw", data=referral_form(location))
    assert _newest_trajectory(db).owner_id == me.id


def test_without_a_setting_what_staff_register_goes_to_the_coordinators_in_turn(client, auth,
                                                                                db):
    location, (anna, bram, _c) = _location_with_coordinators(mode="registrar")
    auth.as_role("staff", locations=[location])
    owners = []
    for i in range(2):
        client.post("/aanmeldingen/nieuw", data=referral_form(
            location, first_name=f"Persoon{i}", phone=f"06-3000000{i}"))
        trajectory = _newest_trajectory(db)
        owners.append(trajectory.owner_id)
        assert _first_contact_checkin(trajectory).assignee_id == trajectory.owner_id
    assert owners == [anna.id, bram.id]



# --- Handing several over at once -----------------------------------------------------------------

def _owned(location, owner, n, rule_code="first_contact"):
    trajectories = []
    for i in range(n):
        t = factories.trajectory(factories.participant(first_name=f"Deelnemer{i}",
                                                       phone=f"06-2000000{i}"),
                                 location_obj=location, owner=owner)
        factories.checkin(t, due_on=date(2026, 12, 1), assignee=owner, rule_code=rule_code)
        trajectories.append(t)
    return trajectories


def test_coordinator_hands_several_over_at_once_with_their_checkins(client, auth, db):
    location, (anna, bram, _c) = _location_with_coordinators(mode="registrar")
    mine = _owned(location, anna, 3)
    volunteer_user = factories.user("volunteer")
    volunteer_checkin = factories.checkin(mine[0], due_on=date(2026, 12, 2),
                                          assignee=volunteer_user, rule_code="match_2w_volunteer")
    db.session.commit()
    auth.login(anna)
    page = html_of(client.get("/deelnemers/"))
    assert 'name="trajectory_ids"' in page and "Overdragen aan" in page
    assert bram.name in page

    response = client.post("/deelnemers/overdragen", data={
        "trajectory_ids": [str(mine[0].id), str(mine[1].id)], "new_owner_id": str(bram.id),
        "status": "open"})
    assert response.status_code == 302 and "status=open" in response.headers["Location"]
    db.session.expire_all()
    assert [db.session.get(Trajectory, t.id).owner_id for t in mine] == [bram.id, bram.id,
                                                                         anna.id]
    owner_checkins = db.session.scalars(sa.select(CheckIn).where(
        CheckIn.trajectory_id.in_([mine[0].id, mine[1].id]), CheckIn.kind == "first_contact"))
    assert {c.assignee_id for c in owner_checkins} == {bram.id}
    assert db.session.get(CheckIn, volunteer_checkin.id).assignee_id == volunteer_user.id
    assert "2 traject(en) overgedragen aan" in html_of(client.get("/deelnemers/"))
    logged = db.session.scalars(sa.select(AuditEvent.summary).where(
        AuditEvent.object_type == "trajectory")).all()
    assert logged.count("gewijzigd: owner") == 2


def test_hand_over_refuses_a_trajectory_outside_the_users_scope(client, auth, db):
    location, (anna, bram, _c) = _location_with_coordinators(mode="registrar")
    elsewhere, (other,) = _location_with_coordinators(n=1, mode="registrar")
    (mine,) = _owned(location, anna, 1)
    (theirs,) = _owned(elsewhere, other, 1)
    db.session.commit()
    auth.login(anna)
    response = client.post("/deelnemers/overdragen", data={
        "trajectory_ids": [str(mine.id), str(theirs.id)], "new_owner_id": str(bram.id)})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Trajectory, mine.id).owner_id == anna.id
    assert db.session.get(Trajectory, theirs.id).owner_id == other.id


def test_hand_over_to_a_coordinator_of_another_location_moves_nothing(client, auth, db):
    location, (anna, _b, _c) = _location_with_coordinators(mode="registrar")
    second, (dirk,) = _location_with_coordinators(n=1, mode="registrar")
    anna.locations = [location, second]
    (here,) = _owned(location, anna, 1)
    (there,) = _owned(second, anna, 1)
    db.session.commit()
    auth.login(anna)
    response = client.post("/deelnemers/overdragen", data={
        "trajectory_ids": [str(here.id), str(there.id)], "new_owner_id": str(dirk.id)},
        follow_redirects=True)
    assert "is geen coördinator van" in html_of(response)
    db.session.expire_all()
    assert db.session.get(Trajectory, there.id).owner_id == anna.id


def test_staff_cannot_hand_over(client, auth, db):
    location, (anna, bram, _c) = _location_with_coordinators(mode="registrar")
    (mine,) = _owned(location, anna, 1)
    db.session.commit()
    auth.as_role("staff", locations=[location])
    assert 'name="trajectory_ids"' not in html_of(client.get("/deelnemers/"))
    response = client.post("/deelnemers/overdragen", data={
        "trajectory_ids": [str(mine.id)], "new_owner_id": str(bram.id)})
    assert response.status_code == 403


# --- A second referrer ----------------------------------------------------------------------------

def test_second_referrer_is_recorded_on_the_open_trajectory(client, auth, db):
    location, (anna, _b, _c) = _location_with_coordinators(mode="fixed")
    auth.as_role("staff", locations=[location])
    first = client.post("/aanmeldingen/nieuw", data=referral_form(location))
    participant_id = participant_id_from(first)
    uwv = factories.partner("UWV Utrecht", kind="uwv")
    joris = factories.partner_contact(uwv, name="Joris Bakker")
    db.session.commit()
    second_form = referral_form(location, partner_id=str(uwv.id),
                                partner_contact_id=str(joris.id),
                                question="Wil een sollicitatiebrief kunnen schrijven.",
                                form_key="tweede-aanmelding-0123456789")
    warned = html_of(client.post("/aanmeldingen/nieuw", data=second_form))
    assert "Voeg deze aanmelding toe aan dat traject" in warned
    trajectory = db.session.get(Participant, participant_id).trajectories[0]

    added = client.post("/aanmeldingen/nieuw", data={
        **second_form, "decision": f"add_to:{trajectory.id}"})
    assert added.status_code == 302
    # A double click saves it once.
    again = client.post("/aanmeldingen/nieuw", data={
        **second_form, "decision": f"add_to:{trajectory.id}"})
    assert again.status_code == 302
    db.session.expire_all()
    trajectory = db.session.get(Trajectory, trajectory.id)
    assert len(trajectory.referrals) == 2
    assert trajectory.referral.partner_id is None  # the first one stays the primary one
    assert trajectory.partner_id is None  # and the reports' copy stays the first one's
    extra = trajectory.referrals[1]
    assert not extra.is_primary and extra.partner_contact_id == joris.id
    assert factories.count(Trajectory) == 1

    page = html_of(client.get(f"/deelnemers/{participant_id}"))
    assert "Ook aangemeld door" in page and "UWV Utrecht – Joris Bakker" in page
    assert "sollicitatiebrief" in page


def test_second_referral_to_a_trajectory_of_another_location_is_not_found(client, auth, db):
    location, _cs = _location_with_coordinators(mode="registrar")
    elsewhere = factories.location()
    other = factories.trajectory(location_obj=elsewhere)
    auth.as_role("staff", locations=[location])
    response = client.post("/aanmeldingen/nieuw", data={
        **referral_form(location), "decision": f"add_to:{other.id}"})
    assert response.status_code == 404
    assert factories.count(Referral) == 1


# --- Moving to another location -------------------------------------------------------------------

def _move(client, trajectory, **data):
    return client.post(f"/deelnemers/traject/{trajectory.id}/verhuizen", data={
        "from_location_id": str(trajectory.location_id), "owner_id": "", **data})


def test_move_with_a_reason_goes_to_the_new_default_owner_with_its_checkins(client, auth, db):
    old, (anna, _b, _c) = _location_with_coordinators(mode="registrar")
    new, (_d, erik, _f) = _location_with_coordinators(mode="fixed")
    (trajectory,) = _owned(old, anna, 1)
    volunteer_user = factories.user("volunteer")
    volunteer_checkin = factories.checkin(trajectory, due_on=date(2026, 12, 2),
                                          assignee=volunteer_user, rule_code="match_2w_volunteer")
    db.session.commit()
    auth.login(anna)
    form = html_of(client.get(f"/deelnemers/traject/{trajectory.id}/verhuizen"))
    assert "Waarom verhuist het traject?" in form and new.name in form

    missing = html_of(_move(client, trajectory, location_id=str(new.id), reason=""))
    assert "Schrijf op waarom het traject verhuist." in missing
    same = html_of(_move(client, trajectory, location_id=str(old.id), reason="Verhuisd"))
    assert "Het traject is al van deze locatie." in same
    assert "Verhuisd" in same  # what was typed stays

    response = _move(client, trajectory, location_id=str(new.id), reason="Verhuisd naar Zeist")
    assert response.status_code == 302
    db.session.expire_all()
    trajectory = db.session.get(Trajectory, trajectory.id)
    assert trajectory.location_id == new.id and trajectory.owner_id == erik.id
    assert _first_contact_checkin(trajectory).assignee_id == erik.id
    assert db.session.get(CheckIn, volunteer_checkin.id).assignee_id == volunteer_user.id
    move = db.session.scalar(sa.select(TrajectoryMove))
    assert move.from_location_id == old.id and move.reason == "Verhuisd naar Zeist"
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.summary.like("verhuisd van locatie%"))) is not None
    # Anna no longer sees it: it is not her location's any more.
    assert client.get(f"/deelnemers/{trajectory.participant_id}").status_code == 404

    auth.logout()
    auth.login(erik)
    page = html_of(client.get(f"/deelnemers/{trajectory.participant_id}"))
    assert f"Verhuisd van {old.name} naar {new.name}" in page and "Verhuisd naar Zeist" in page


def test_move_to_a_chosen_coordinator_of_the_new_location(client, auth, db):
    old, (anna, _b, _c) = _location_with_coordinators(mode="registrar")
    new, (dirk, _e, _f) = _location_with_coordinators(mode="rotation")
    (trajectory,) = _owned(old, anna, 1)
    db.session.commit()
    auth.as_role("admin")
    wrong = html_of(_move(client, trajectory, location_id=str(new.id), reason="Liever daar",
                          owner_id=f"{old.id}:{anna.id}"))
    assert "Kies een coördinator van de nieuwe locatie" in wrong
    _move(client, trajectory, location_id=str(new.id), reason="Liever daar",
          owner_id=f"{new.id}:{dirk.id}")
    db.session.expire_all()
    trajectory = db.session.get(Trajectory, trajectory.id)
    assert trajectory.location_id == new.id and trajectory.owner_id == dirk.id


def test_only_coordinators_of_the_location_and_admins_may_move(client, auth, db):
    old, (anna, _b, _c) = _location_with_coordinators(mode="registrar")
    new, _cs = _location_with_coordinators(n=1, mode="registrar")
    (trajectory,) = _owned(old, anna, 1)
    db.session.commit()
    auth.as_role("staff", locations=[old])
    assert "Naar een andere locatie" not in html_of(
        client.get(f"/deelnemers/{trajectory.participant_id}"))
    assert _move(client, trajectory, location_id=str(new.id), reason="x").status_code == 404
    auth.logout()
    auth.as_role("coordinator", locations=[new])
    assert _move(client, trajectory, location_id=str(new.id), reason="x").status_code == 404
    auth.logout()
    auth.login(anna)
    assert "Naar een andere locatie" in html_of(
        client.get(f"/deelnemers/{trajectory.participant_id}"))
    db.session.expire_all()
    assert db.session.get(Trajectory, trajectory.id).location_id == old.id


def test_rotation_read_by_two_at_once_gives_each_their_own_turn(app, db):
    """Two registrations at the same moment: the second reads the pointer again under the
    row lock, so it does not give the same coordinator a second turn."""
    from app.participants.owners import owner_for_new_trajectory

    location, (anna, bram, _c) = _location_with_coordinators(mode="rotation")
    db.session.commit()
    assert db.session.get(Location, location.id).last_owner_id is None  # read while fresh

    with app.app_context():
        first = owner_for_new_trajectory(location.id, None)
        db.session.commit()
        first_id = first.id
        db.session.remove()

    second = owner_for_new_trajectory(location.id, None)
    db.session.commit()
    assert (first_id, second.id) == (anna.id, bram.id)


def test_self_registration_of_someone_open_here_becomes_a_second_referral(client, auth, db):
    location, (_a, bram, _c) = _location_with_coordinators(mode="fixed")
    known = factories.participant("Fatima", "El Amrani", phone="06-12345678")
    open_trajectory = factories.trajectory(known, location_obj=location, status="waiting")
    client.post("/aanmelden", data={
        "first_name": "Fatima", "phone": "06-12345678", "best_moment": "ochtend",
        "topics": ["lezen"], "question": "Ik wil brieven lezen", "helped_by": "",
        "website": ""})
    auth.as_role("staff", locations=[location])
    registration = db.session.scalar(sa.select(SelfRegistration))
    refused = html_of(client.post(f"/zelfmeldingen/{registration.id}/", data={
        "accept-location_id": str(location.id), "accept-decision": f"attach:{known.id}"}))
    assert "Aannemen als tweede aanmelding bij dat traject" in refused

    response = client.post(f"/zelfmeldingen/{registration.id}/", data={
        "accept-location_id": str(location.id),
        "accept-decision": f"add_to:{open_trajectory.id}"})
    assert response.status_code == 302
    db.session.expire_all()
    trajectory = db.session.get(Trajectory, open_trajectory.id)
    assert [r.is_primary for r in trajectory.referrals] == [True, False]
    assert factories.count(Trajectory) == 1 and factories.count(Participant) == 1
    assert db.session.get(SelfRegistration, registration.id).trajectory_id == trajectory.id
