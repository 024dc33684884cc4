"""Volunteer profiles as coordinators manage them: contact, grid, domains, trainings, VOG,
status, account, and the overview with load against capacity."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.auth.models import User
from app.checkins.models import FollowUpSetting
from app.matching.models import Match
from app.volunteers.models import Volunteer

from . import factories

NOW = factories.aware(2026, 11, 23, 10, 0)


def profile_data(location, **changes):
    data = {
        "first_name": "Samira", "last_name": "Bakker", "email": "samira@example.org",
        "phone": "06 1234 5678", "sex": "vrouw", "locations": [str(location.id)],
        "availability": ["mon-morning", "wed-evening"], "capacity": "2",
        "domains": ["digitaal", "lezen"], "languages": "Arabisch, Frans en Engels",
        "vog_on": "2025-03-01",
    }
    data.update(changes)
    return data


def test_coordinator_creates_a_volunteer_profile(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    response = client.post("/vrijwilligers/nieuw", data=profile_data(location))
    assert response.status_code == 302
    volunteer = db.session.scalar(sa.select(Volunteer))
    assert volunteer.full_name == "Samira Bakker"
    assert volunteer.availability == ["mon-morning", "wed-evening"]
    assert volunteer.domains == ["digitaal", "lezen"]
    assert volunteer.languages == ["Arabisch", "Frans", "Engels"]
    assert volunteer.vog_on == date(2025, 3, 1) and volunteer.capacity == 2
    assert [loc.id for loc in volunteer.locations] == [location.id]
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "volunteer"))

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Samira Bakker" in html
    assert "Digitale vaardigheden" in html and "Arabisch, Frans, Engels" in html
    assert "0 van 2 deelnemers" in html


def test_profile_form_keeps_input_and_saves_nothing_on_error(client, auth, db):
    coordinator = auth.as_role("coordinator")
    response = client.post("/vrijwilligers/nieuw", data=profile_data(
        coordinator.locations[0], first_name="", capacity="50", email="geen-mail"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vul de voornaam in." in html
    assert "Kies een aantal van 0 tot 20." in html
    assert "Dit e-mailadres klopt niet." in html
    assert 'value="Bakker"' in html
    assert 'value="mon-morning" id="availability-mon-morning" checked' in html
    assert factories.count(Volunteer) == 0


def test_editing_keeps_locations_of_other_coordinators(client, auth, db):
    coordinator = auth.as_role("coordinator")
    mine = coordinator.locations[0]
    theirs = factories.location("Bibliotheek Noord")
    volunteer = factories.volunteer(locations=[mine, theirs])
    db.session.commit()
    page = client.get(f"/vrijwilligers/{volunteer.id}/wijzigen").get_data(as_text=True)
    assert "Bibliotheek Noord" not in page
    client.post(f"/vrijwilligers/{volunteer.id}/wijzigen",
                data=profile_data(mine, first_name="Anneke"))
    db.session.expire_all()
    assert {loc.id for loc in volunteer.locations} == {mine.id, theirs.id}


@pytest.mark.parametrize(("vog_on", "warning"), [
    (None, "Er is geen VOG bekend."),
    (date(2023, 1, 5), "De VOG is ouder dan 3 jaar"),
    (date(2025, 1, 5), None),
])
def test_vog_warning(client, auth, db, frozen, vog_on, warning):
    coordinator = auth.as_role("coordinator")
    volunteer = factories.volunteer(locations=coordinator.locations, vog_on=vog_on)
    db.session.commit()
    html = client.get(f"/vrijwilligers/{volunteer.id}").get_data(as_text=True)
    if warning:
        assert warning in html
    else:
        assert "VOG is ouder" not in html and "geen VOG" not in html


def test_vog_limit_follows_the_setting(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    volunteer = factories.volunteer(locations=coordinator.locations, vog_on=date(2024, 6, 1))
    db.session.commit()
    assert "ouder dan" not in client.get(f"/vrijwilligers/{volunteer.id}").get_data(as_text=True)
    db.session.add(FollowUpSetting(key="vog_max_age_years", value=2))
    db.session.commit()
    html = client.get(f"/vrijwilligers/{volunteer.id}").get_data(as_text=True)
    assert "De VOG is ouder dan 2 jaar" in html


def test_pausing_needs_a_reason(client, auth, db):
    coordinator = auth.as_role("coordinator")
    volunteer = factories.volunteer(locations=coordinator.locations)
    db.session.commit()
    response = client.post(f"/vrijwilligers/{volunteer.id}/status",
                           data={"status-status": "paused", "status-reason": ""},
                           follow_redirects=True)
    assert "Schrijf kort op waarom." in response.get_data(as_text=True)
    db.session.expire_all()
    assert volunteer.status == "active"
    client.post(f"/vrijwilligers/{volunteer.id}/status",
                data={"status-status": "paused", "status-reason": "Op vakantie tot januari"})
    db.session.expire_all()
    assert volunteer.status == "paused" and volunteer.status_reason == "Op vakantie tot januari"


def test_stopping_ends_the_matches_and_puts_participants_back_on_the_list(
        client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    volunteer = factories.volunteer(locations=[location])
    trajectory = factories.trajectory(location_obj=location, status="active")
    match = factories.match(trajectory, volunteer)
    db.session.commit()
    response = client.post(f"/vrijwilligers/{volunteer.id}/status",
                           data={"status-status": "stopped",
                                 "status-reason": "Verhuist naar Groningen"},
                           follow_redirects=True)
    assert "weer op de wachtlijst" in response.get_data(as_text=True)
    db.session.expire_all()
    assert volunteer.status == "stopped"
    assert match.status == "ended" and match.end_reason == "vrijwilliger_gestopt"
    assert trajectory.status == "waiting" and trajectory.waiting_since == date(2026, 11, 23)


def test_trainings_with_dates(client, auth, db):
    coordinator = auth.as_role("coordinator")
    volunteer = factories.volunteer(locations=coordinator.locations)
    db.session.commit()
    client.post(f"/vrijwilligers/{volunteer.id}/trainingen",
                data={"training-name": "Basistraining", "training-done_on": "2025-09-12"})
    client.post(f"/vrijwilligers/{volunteer.id}/trainingen",
                data={"training-name": "Training NT2", "training-done_on": ""})
    html = client.get(f"/vrijwilligers/{volunteer.id}").get_data(as_text=True)
    assert "Basistraining" in html and "12 sep 2025" in html and "Training NT2" in html
    training = volunteer.trainings[0]
    client.post(f"/vrijwilligers/{volunteer.id}/trainingen/{training.id}/weg")
    db.session.expire_all()
    assert len(volunteer.trainings) == 1


def test_invite_creates_a_volunteer_account_and_mails_it(client, auth, db, smtp_server):
    coordinator = auth.as_role("coordinator")
    volunteer = factories.volunteer("Joke", locations=coordinator.locations,
                                    email="joke@example.org")
    db.session.commit()
    response = client.post(f"/vrijwilligers/{volunteer.id}/account/uitnodigen",
                           follow_redirects=True)
    assert "Joke krijgt een e-mail" in response.get_data(as_text=True)
    db.session.expire_all()
    user = volunteer.user
    assert user.role == "volunteer" and user.email == "joke@example.org"
    assert user.password_hash is None and user.locations == []
    assert [m["To"] for m in smtp_server.messages] == ["joke@example.org"]
    assert "/wachtwoord/" in smtp_server.body(smtp_server.messages[0])


def test_invite_needs_an_email_address(client, auth, db):
    coordinator = auth.as_role("coordinator")
    volunteer = factories.volunteer(locations=coordinator.locations, email=None)
    db.session.commit()
    response = client.post(f"/vrijwilligers/{volunteer.id}/account/uitnodigen",
                           follow_redirects=True)
    assert "Vul eerst een e-mailadres in" in response.get_data(as_text=True)
    assert factories.count(User, User.role == "volunteer") == 0


def test_link_and_unlink_an_existing_account(client, auth, db):
    coordinator = auth.as_role("coordinator")
    volunteer = factories.volunteer(locations=coordinator.locations)
    account = factories.user("volunteer", name="Piet Vrijwilliger")
    staff = factories.user("staff")
    db.session.commit()
    assert "Piet Vrijwilliger" in client.get(f"/vrijwilligers/{volunteer.id}").get_data(
        as_text=True)
    assert client.post(f"/vrijwilligers/{volunteer.id}/account/koppelen",
                       data={"account-user_id": staff.id}).status_code == 404
    client.post(f"/vrijwilligers/{volunteer.id}/account/koppelen",
                data={"account-user_id": account.id})
    db.session.expire_all()
    assert volunteer.user_id == account.id
    client.post(f"/vrijwilligers/{volunteer.id}/account/loskoppelen")
    db.session.expire_all()
    assert volunteer.user_id is None


def test_overview_shows_load_against_capacity(client, auth, db):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    busy = factories.volunteer("Bas", locations=[location], capacity=1)
    factories.match(factories.trajectory(location_obj=location, status="active"), busy)
    roomy = factories.volunteer("Ria", locations=[location], capacity=3)
    factories.match(factories.trajectory(location_obj=location, status="active"), roomy,
                    status="proposed")
    ended = factories.match(factories.trajectory(location_obj=location, status="active"),
                            roomy)
    ended.status = "ended"
    factories.volunteer("Elders", locations=[factories.location()])
    db.session.commit()
    html = client.get("/vrijwilligers/").get_data(as_text=True)
    assert "Elders" not in html
    assert "1 van 1" in html and "vol" in html
    assert "1 van 3" in html and "ruimte voor 2" in html
    with_room = client.get("/vrijwilligers/?ruimte=1").get_data(as_text=True)
    assert "Ria" in with_room and "Bas" not in with_room


def test_overview_is_paginated_with_a_fixed_number_of_queries(client, auth, db, count_queries):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    for n in range(3):
        factories.volunteer(f"Klein{n}", locations=[location])
    db.session.commit()
    with count_queries() as few:
        client.get("/vrijwilligers/")
    for n in range(30):
        v = factories.volunteer(f"Groot{n:02d}", locations=[location, factories.location()])
        factories.match(factories.trajectory(location_obj=location, status="active"), v)
    db.session.commit()
    with count_queries() as many:
        first = client.get("/vrijwilligers/").get_data(as_text=True)
    assert len(many) == len(few)
    assert "33 vrijwilligers" in first and "Pagina 1 van 2" in first
    second = client.get("/vrijwilligers/?page=2").get_data(as_text=True)
    assert "Pagina 2 van 2" in second


def test_staff_and_volunteers_do_not_manage_volunteers(client, auth, db):
    volunteer = factories.volunteer()
    db.session.commit()
    auth.as_role("staff")
    assert client.get("/vrijwilligers/").status_code == 403
    assert client.get(f"/vrijwilligers/{volunteer.id}").status_code == 404
    assert client.post(f"/vrijwilligers/{volunteer.id}/status",
                       data={"status-status": "stopped", "status-reason": "x"}).status_code == 404
    db.session.expire_all()
    assert volunteer.status == "active"


def test_suggestions_rank_waiting_people_for_a_volunteer(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    volunteer = factories.volunteer(locations=[location], availability=("tue-morning",),
                                    domains=("digitaal",))
    factories.waiting_trajectory(location, first_name="Lang", waiting_since=date(2026, 8, 1),
                                 availability=("tue-morning",), subjects=("digitaal",))
    factories.waiting_trajectory(location, first_name="Kort", waiting_since=date(2026, 11, 20),
                                 availability=("tue-morning",), subjects=("digitaal",))
    factories.waiting_trajectory(location, first_name="Past", waiting_since=date(2026, 11, 1),
                                 availability=("sat-evening",), subjects=("rekenen",))
    db.session.commit()
    html = client.get(f"/vrijwilligers/{volunteer.id}/wie-past").get_data(as_text=True)
    assert html.index("Lang") < html.index("Kort") < html.index("Past")
    assert "wacht al 114 dagen" in html
    assert factories.count(Match) == 0


def test_a_profile_saved_over_a_colleagues_newer_change_is_refused(client, auth, db):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    volunteer = factories.volunteer("Samira", last_name="Bakker", locations=[location])
    db.session.commit()
    url = f"/vrijwilligers/{volunteer.id}/wijzigen"
    opened = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    assert client.post(url, data=profile_data(location, capacity="1",
                                              version=version)).status_code == 302

    late = client.post(url, data=profile_data(location, capacity="3", languages="Turks",
                                              version=version))
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and "Iemand anders heeft dit net gewijzigd" in html
    assert 'value="Turks"' in html
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).capacity == 1
