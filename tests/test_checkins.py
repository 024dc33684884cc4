"""Mijn taken: what is due, in the order people work, completed in two taps."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.checkins import service
from app.checkins.models import CheckIn
from app.participants.timeline import next_due, timeline

from . import factories
from .factories import aware

# Wednesday 25 November 2026, noon in Amsterdam.
NOW = aware(2026, 11, 25, 11, 0)
TODAY = date(2026, 11, 25)


def task(first_name, due_on, *, assignee, location, status="planned", rule_code="waiting",
         last_name="Jansen", trajectory_status="waiting"):
    person = factories.participant(first_name=first_name, last_name=last_name)
    trajectory = factories.trajectory(person, location_obj=location, status=trajectory_status,
                                      owner=assignee if assignee and
                                      assignee.role == "coordinator" else None,
                                      waiting_since=date(2026, 11, 1))
    return factories.checkin(trajectory, due_on=due_on, assignee=assignee, status=status,
                             rule_code=rule_code)


def test_my_tasks_late_today_this_week_in_that_order(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    loc = me.locations[0]
    colleague = factories.user("coordinator", locations=[loc])
    task("Cor", TODAY, assignee=me, location=loc)
    task("Bram", date(2026, 11, 23), assignee=me, location=loc)
    task("Dina", date(2026, 11, 29), assignee=me, location=loc)  # Sunday: still this week
    task("Anna", date(2026, 11, 20), assignee=me, location=loc)
    task("Eva", date(2026, 11, 30), assignee=me, location=loc)  # next week
    task("Fenna", date(2026, 11, 24), assignee=colleague, location=loc)
    task("Gert", date(2026, 11, 19), assignee=me, location=loc, status="done")
    db.session.commit()

    html = client.get("/taken").get_data(as_text=True)
    order = ["Te laat", "Anna", "Bram", "Vandaag", "Cor", "Deze week", "Dina"]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)
    for absent in ("Eva", "Fenna", "Gert"):
        assert absent not in html


def test_coordinator_switches_to_the_tasks_of_their_location(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    loc = me.locations[0]
    colleague = factories.user("coordinator", locations=[loc], name="Petra Smit")
    task("Fenna", date(2026, 11, 24), assignee=colleague, location=loc)
    task("Eva", date(2026, 12, 14), assignee=me, location=loc)
    task("Hans", TODAY, assignee=None, location=loc)
    task("Ingrid", TODAY, assignee=None, location=factories.location())
    db.session.commit()

    mine = client.get("/taken").get_data(as_text=True)
    # Nobody owns Hans yet: the coordinators of his location see him on their own list.
    assert "Hans" in mine and "Nog van niemand" in mine
    assert "Fenna" not in mine and "Ingrid" not in mine

    html = client.get("/taken?van=vestiging").get_data(as_text=True)
    assert "Taken van mijn vestiging" in html
    assert "Fenna" in html and "voor Petra Smit" in html
    assert "Eva" in html and "Later" in html
    assert "Hans" in html
    assert "Ingrid" not in html


def test_staff_have_no_location_list(client, auth, db, frozen):
    me = auth.as_role("staff")
    loc = me.locations[0]
    task("Fenna", TODAY, assignee=factories.user("coordinator", locations=[loc]), location=loc)
    db.session.commit()
    html = client.get("/taken?van=vestiging").get_data(as_text=True)
    assert "Mijn taken" in html and "Taken van mijn vestiging" not in html
    assert "Fenna" not in html


def test_two_taps_complete_a_checkin_and_plan_the_next(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    checkin = task("Anna", date(2026, 11, 20), assignee=me, location=me.locations[0])
    db.session.commit()

    html = client.get("/taken").get_data(as_text=True)
    assert f'action="/taken/{checkin.id}/afronden"' in html
    for label in ("Gaat goed", "Zorgen", "Dreigt te stoppen", "Niet bereikt"):
        assert label in html

    response = client.post(f"/taken/{checkin.id}/afronden",
                           data={"outcome": "going_well", "note": "Zoekt nog een taalmaatje",
                                 "next": "/taken"})
    assert response.status_code == 302 and response.headers["Location"] == "/taken"
    page = client.get("/taken").get_data(as_text=True)
    assert "Het volgende contactmoment is op woensdag 9 december" in page

    db.session.expire_all()
    assert (checkin.status, checkin.outcome, checkin.note) == (
        "done", "going_well", "Zoekt nog een taalmaatje")
    assert checkin.done_by_id == me.id and checkin.done_at == NOW
    assert checkin.trajectory.last_contact_at == NOW
    [following] = db.session.scalars(sa.select(CheckIn).where(CheckIn.status == "planned"))
    assert following.due_on == date(2026, 12, 9)


def test_not_reached_is_no_contact(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    checkin = task("Anna", TODAY, assignee=me, location=me.locations[0])
    db.session.commit()
    client.post(f"/taken/{checkin.id}/afronden", data={"outcome": "not_reached"})
    db.session.expire_all()
    assert checkin.status == "not_reached" and checkin.outcome is None
    assert checkin.trajectory.last_contact_at is None


def test_a_checkin_cannot_be_completed_twice_or_without_an_outcome(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    checkin = task("Anna", TODAY, assignee=me, location=me.locations[0])
    db.session.commit()

    response = client.post(f"/taken/{checkin.id}/afronden", data={"outcome": "fantastisch"},
                           follow_redirects=True)
    assert "Kies hoe het ging" in response.get_data(as_text=True)
    db.session.expire_all()
    assert checkin.status == "planned"

    client.post(f"/taken/{checkin.id}/afronden", data={"outcome": "concerns"})
    response = client.post(f"/taken/{checkin.id}/afronden", data={"outcome": "going_well"},
                           follow_redirects=True)
    assert "al afgerond" in response.get_data(as_text=True)
    db.session.expire_all()
    assert checkin.outcome == "concerns"


def test_volunteer_sees_only_own_tasks_by_first_name(client, auth, db, frozen):
    me = auth.as_role("volunteer")
    other_volunteer = factories.user("volunteer")
    loc = factories.location()
    mine = task("Fatima", TODAY, assignee=me, location=loc, last_name="El Amrani",
                rule_code="match_2w_volunteer", trajectory_status="active")
    theirs = task("Yusuf", TODAY, assignee=other_volunteer, location=loc, last_name="Demir",
                  rule_code="match_2w_volunteer", trajectory_status="active")
    owners = task("Karin", TODAY, assignee=factories.user("coordinator", locations=[loc]),
                  location=loc)
    db.session.commit()

    html = client.get("/taken").get_data(as_text=True)
    assert "Fatima" in html and "Klikt het?" in html
    assert "El Amrani" not in html and "/deelnemers/" not in html
    assert "Yusuf" not in html and "Karin" not in html
    assert "Taken van mijn vestiging" not in html

    for other in (theirs, owners):
        response = client.post(f"/taken/{other.id}/afronden", data={"outcome": "going_well"})
        assert response.status_code == 404
    client.post(f"/taken/{mine.id}/afronden", data={"outcome": "going_well"})
    db.session.expire_all()
    assert (mine.status, theirs.status, owners.status) == ("done", "planned", "planned")


def test_coordinator_of_another_location_gets_404(client, auth, db, frozen):
    auth.as_role("coordinator")
    elsewhere = factories.location()
    checkin = task("Anna", TODAY, assignee=factories.user("coordinator", locations=[elsewhere]),
                   location=elsewhere)
    db.session.commit()
    assert client.post(f"/taken/{checkin.id}/afronden",
                       data={"outcome": "going_well"}).status_code == 404


def test_partner_has_no_tasks_and_nav_shows_them_to_the_others(client, auth, db, frozen):
    auth.as_role("partner")
    assert client.get("/taken").status_code == 403
    auth.logout()
    auth.as_role("volunteer")
    assert 'href="/taken"' in client.get("/taken").get_data(as_text=True)


def test_task_list_costs_the_same_queries_for_few_or_many_tasks(client, auth, db, frozen,
                                                                count_queries):
    me = auth.as_role("coordinator")
    loc = me.locations[0]

    def add_tasks(n):
        for i in range(n):
            other_loc = factories.location()
            me.locations.append(other_loc)
            colleague = factories.user("coordinator", locations=[other_loc])
            task(f"Persoon{i}", TODAY - timedelta(days=i % 4), assignee=me,
                 location=other_loc, rule_code=("waiting", "match_2w_owner")[i % 2])
            task(f"Collega{i}", TODAY + timedelta(days=i % 3), assignee=colleague,
                 location=loc)
        db.session.commit()

    def queries(path):
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    add_tasks(2)
    few = (queries("/taken"), queries("/taken?van=vestiging"))
    add_tasks(10)
    many = (queries("/taken"), queries("/taken?van=vestiging"))
    assert many == few


def test_task_list_is_paginated(client, auth, db, frozen, app):
    me = auth.as_role("coordinator")
    for i in range(app.config["PER_PAGE"] + 3):
        task(f"Persoon{i:02d}", TODAY, assignee=me, location=me.locations[0])
    db.session.commit()
    first = client.get("/taken").get_data(as_text=True)
    assert "Pagina 1 van 2" in first and "Persoon02" in first
    second = client.get("/taken?page=2").get_data(as_text=True)
    assert "Persoon27" in second and "Persoon02" not in second


def test_first_contact_task_sends_staff_to_the_referral_contact_page(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    checkin = task("Anna", TODAY, assignee=me, location=me.locations[0],
                   rule_code="first_contact", trajectory_status="referred")
    db.session.commit()
    html = client.get("/taken").get_data(as_text=True)
    assert f"/aanmeldingen/{checkin.trajectory_id}/contact" in html
    assert f'action="/taken/{checkin.id}/afronden"' not in html


def test_participant_page_providers_show_done_and_next_checkins(app, db):
    # Other features' providers build links, as on the real page.
    with app.test_request_context():
        _providers_show_done_and_next_checkins()


def _providers_show_done_and_next_checkins():
    coordinator = factories.user("coordinator")
    checkin = task("Anna", date(2026, 11, 20), assignee=coordinator,
                   location=coordinator.locations[0])
    service.complete_checkin(checkin, outcome="concerns", note="Slaapt slecht",
                             user=coordinator, now=NOW)
    trajectory = checkin.trajectory

    [item] = [i for i in timeline([trajectory], coordinator) if i.kind == "checkin"]
    assert "Zorgen" in item.title and "Slaapt slecht" in item.detail
    assert item.at == NOW
    [due] = [d for d in next_due([trajectory], coordinator) if "Contactmoment" in d.title]
    assert due.due_on == date(2026, 12, 9)

    # A volunteer sees only their own check-ins there.
    volunteer = factories.user("volunteer")
    assert [i for i in timeline([trajectory], volunteer) if i.kind == "checkin"] == []
    assert [d for d in next_due([trajectory], volunteer) if "Contactmoment" in d.title] == []


def test_digest_checkins_match_late_and_today_on_the_task_list(db):
    coordinator = factories.user("coordinator")
    loc = coordinator.locations[0]
    late = task("Anna", date(2026, 11, 20), assignee=coordinator, location=loc)
    today = task("Bram", TODAY, assignee=coordinator, location=loc)
    task("Cor", date(2026, 11, 27), assignee=coordinator, location=loc)
    task("Dina", date(2026, 11, 20), assignee=factories.user("coordinator"), location=loc)
    assert service.digest_checkins(coordinator, NOW) == [late, today]
    assert service.overdue_checkins(NOW, service.assigned_to(coordinator)) == [late]
    assert service.overdue_checkins(NOW, [loc.id], include_today=True)[-1] == today
