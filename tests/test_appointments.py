"""Intakes are appointments: planning records when, where and who; the agenda per location;
Mijn taken of the one who holds it; "Niet gekomen" as a failed attempt with a new plan; and
an intake whose day passed without outcome as a task the next working day."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.appointments.models import Appointment
from app.appointments.service import (
    has_planned_appointment,
    intakes_section,
    mark_no_show,
    task_lists,
)
from app.intakes.service import save_intake
from app.participants.models import Trajectory
from app.participants.timeline import timeline
from app.referrals.models import ContactAttempt
from app.referrals.service import plan_intake

from . import factories

# Wednesday 25 November 2026, 10:00 in Amsterdam (UTC+1 in winter).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def _contacted(location, first_name="Ahmed", **kwargs) -> Trajectory:
    trajectory = factories.trajectory(factories.participant(first_name=first_name,
                                                            last_name="Test"),
                                      location_obj=location, status="contacted", **kwargs)
    factories.db.session.add(ContactAttempt(trajectory=trajectory, at=NOW - timedelta(days=1),
                                            reached=True, channel="phone"))
    factories.db.session.flush()
    return trajectory


def _form(trajectory, host, day="2026-12-01", time="10:30", **extra) -> dict:
    return {"day": day, "time": time, "location_id": trajectory.location_id,
            "room": "Spreekkamer 2", "with_user_id": host.id, **extra}


def _appointments(db, trajectory) -> list[Appointment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Appointment).where(
        Appointment.trajectory_id == trajectory.id).order_by(Appointment.id)))


# --- Planning -----------------------------------------------------------------------------

def test_planning_records_date_time_place_and_who_holds_it(client, auth, db, frozen):
    staff = auth.as_role("staff")
    location = staff.locations[0]
    colleague = factories.user("coordinator", name="Coördinator Cor", locations=[location])
    trajectory = _contacted(location)
    db.session.commit()

    page = html_of(client.get(f"/aanmeldingen/{trajectory.id}/intake"))
    assert "Wie doet de intake?" in page and "Coördinator Cor" in page
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data=_form(trajectory, colleague))
    assert response.status_code == 302

    [appointment] = _appointments(db, trajectory)
    assert appointment.kind == "intake" and appointment.status == "planned"
    assert appointment.starts_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert (appointment.location_id, appointment.room) == (location.id, "Spreekkamer 2")
    assert appointment.with_user_id == colleague.id
    assert appointment.planned_by_id == staff.id and appointment.created_at == NOW
    # The trajectory's own copy, which other pages read, is in step.
    trajectory = db.session.get(Trajectory, trajectory.id)
    assert trajectory.status == "intake_planned"
    assert trajectory.intake_planned_at == appointment.starts_at
    queue = html_of(client.get("/aanmeldingen/"))
    assert "Spreekkamer 2, met Coördinator Cor" in queue
    titles = [(i.title, i.detail) for i in timeline([trajectory], staff)]
    assert ("Intake gepland op dinsdag 1 december 2026 om 10:30",
            f"{location.name}, Spreekkamer 2, met Coördinator Cor") in titles


def test_someone_of_another_location_cannot_hold_it(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _contacted(staff.locations[0])
    stranger = factories.user("staff", name="Elders Werkend")
    other_location = stranger.locations[0]
    db.session.commit()

    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data=_form(trajectory, stranger))
    html = html_of(response)
    assert response.status_code == 200
    assert "Kies wie de intake doet." in html  # not on the list: not of these locations
    assert 'value="Spreekkamer 2"' in html  # what was typed stays
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data=_form(trajectory, staff, location_id=other_location.id))
    assert "Kies een vestiging." in html_of(response)
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data=_form(trajectory, staff, day="2026-11-25", time="09:00"))
    assert "Dit moment is al voorbij" in html_of(response)
    assert _appointments(db, trajectory) == []


def test_a_colleague_of_another_location_of_mine_is_refused_for_this_location(
        client, auth, db, frozen):
    here, there = factories.location("Hier"), factories.location("Daar")
    staff = factories.user("staff", locations=[here, there])
    only_there = factories.user("staff", name="Alleen Daar", locations=[there])
    trajectory = _contacted(here)
    db.session.commit()
    auth.login(staff)
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data=_form(trajectory, only_there))
    assert "Deze persoon werkt niet op de gekozen vestiging" in html_of(response)
    assert _appointments(db, trajectory) == []
    # At the other location (the intake is held there) the same person may hold it.
    response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                           data=_form(trajectory, only_there, location_id=there.id))
    assert response.status_code == 302
    assert [a.location_id for a in _appointments(db, trajectory)] == [there.id]


def test_the_same_form_sent_twice_is_one_appointment(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = _contacted(staff.locations[0])
    db.session.commit()
    page = html_of(client.get(f"/aanmeldingen/{trajectory.id}/intake"))
    key = re.search(r'name="form_key" type="hidden" value="([^"]+)"', page)
    key = key or re.search(r'name="form_key" value="([^"]+)"', page)
    data = _form(trajectory, staff, form_key=key.group(1))
    assert client.post(f"/aanmeldingen/{trajectory.id}/intake", data=data).status_code == 302
    assert client.post(f"/aanmeldingen/{trajectory.id}/intake", data=data).status_code == 302
    assert len(_appointments(db, trajectory)) == 1


def test_moving_keeps_the_old_appointment_on_the_timeline(app, db):
    staff = factories.user("staff")
    trajectory = _contacted(staff.locations[0])
    first = plan_intake(trajectory, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff, NOW)
    second = plan_intake(trajectory, datetime(2026, 12, 3, 13, 0, tzinfo=UTC), staff,
                         NOW + timedelta(hours=1))
    assert (first.status, first.moved_to_id) == ("moved", second.id)
    assert second.status == "planned"
    assert trajectory.intake_planned_at == second.starts_at
    titles = [i.title for i in timeline([trajectory], staff)]
    assert titles[:2] == ["Intake verplaatst naar donderdag 3 december 2026 om 14:00",
                          "Intake gepland op dinsdag 1 december 2026 om 10:30"]


def test_a_planned_appointment_is_a_next_step(app, db):
    staff = factories.user("staff")
    planned, without = _contacted(staff.locations[0]), _contacted(staff.locations[0], "Bo")
    plan_intake(planned, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff, NOW)
    ids = set(db.session.scalars(sa.select(Trajectory.id).where(has_planned_appointment())))
    assert planned.id in ids and without.id not in ids


# --- The agenda ---------------------------------------------------------------------------

def test_the_agenda_shows_a_day_and_a_week_of_one_location_only(client, auth, db, frozen):
    staff = auth.as_role("staff")
    here = staff.locations[0]
    other = factories.user("staff")
    tuesday = _contacted(here, "Dinsdagmens")
    thursday = _contacted(here, "Donderdagmens")
    elsewhere = _contacted(other.locations[0], "Andersmens")
    plan_intake(tuesday, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff, NOW)
    plan_intake(thursday, datetime(2026, 12, 3, 13, 0, tzinfo=UTC), staff, NOW)
    plan_intake(elsewhere, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), other, NOW)
    db.session.commit()

    day = html_of(client.get("/agenda/?dag=2026-12-01"))
    assert "Dinsdagmens" in day and "Donderdagmens" not in day
    assert "10:30" in day and "Spreekkamer" not in day  # no room given
    week = html_of(client.get("/agenda/?dag=2026-12-02&weergave=week"))
    assert "Dinsdagmens" in week and "Donderdagmens" in week
    assert week.index("Dinsdagmens") < week.index("Donderdagmens")
    # Another location's agenda is not there for this user, also when asked by id.
    asked = html_of(client.get(
        f"/agenda/?dag=2026-12-01&weergave=week&locatie={other.locations[0].id}"))
    assert "Andersmens" not in asked and "Dinsdagmens" in asked
    assert 'href="/agenda/"' in html_of(client.get("/taken"))  # in the navigation


def test_the_agenda_is_for_staff_coordinators_and_admins(client, auth, db):
    for role in ("volunteer", "partner"):
        auth.as_role(role)
        assert client.get("/agenda/").status_code == 403
        auth.logout()
    for role in ("staff", "coordinator", "admin"):
        if role == "admin":
            factories.location()
        auth.as_role(role)
        assert client.get("/agenda/").status_code == 200
        auth.logout()


# --- Mijn taken ---------------------------------------------------------------------------

def test_the_one_who_holds_it_has_it_under_mijn_taken_on_that_day(client, auth, db, frozen):
    staff = factories.user("staff")
    host = factories.user("staff", name="Houder", locations=staff.locations)
    trajectory = _contacted(staff.locations[0])
    plan_intake(trajectory, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff, NOW,
                with_user=host, room="Spreekkamer 1")
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tick=False):
        auth.login(host)
        assert "Ahmed Test" not in html_of(client.get("/taken"))
    with time_machine.travel(datetime(2026, 12, 1, 7, 0, tzinfo=UTC), tick=False):
        auth.login(host)
        html = html_of(client.get("/taken"))
        assert "Intakes vandaag" in html and "Ahmed Test" in html
        assert "Spreekkamer 1" in html
        # Before the time it can only be moved; "Niet gekomen" comes after it.
        assert "Niet gekomen" not in html
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False):
        auth.login(host)
        html = html_of(client.get("/taken"))
        assert "Niet gekomen" in html and "Intake invullen" in html
    # The planner does not get it on that day: it is the host's. (Signing out on that day:
    # a session signed in at a later moment than the clock's does not sign out.)
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False):
        auth.logout()
        auth.login(staff)
        assert "Ahmed Test" not in html_of(client.get("/taken"))


# --- After the appointment ----------------------------------------------------------------

def test_niet_gekomen_is_a_failed_attempt_and_offers_to_plan_again(client, auth, db, emitted):
    staff = factories.user("staff")
    trajectory = _contacted(staff.locations[0])
    appointment = plan_intake(trajectory, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff,
                              NOW, room="Spreekkamer 1")
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        auth.login(staff)
        # Before the appointment: refused, nothing recorded.
        early = client.post(f"/agenda/afspraak/{appointment.id}/niet-gekomen")
    after = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    with time_machine.travel(after, tick=False):
        auth.login(staff)
        response = client.post(f"/agenda/afspraak/{appointment.id}/niet-gekomen")
        assert response.headers["Location"] == f"/aanmeldingen/{trajectory.id}/intake"
        again = client.post(f"/agenda/afspraak/{appointment.id}/niet-gekomen")
        page = html_of(client.get(response.headers["Location"]))
    assert early.status_code == 302
    db.session.expire_all()
    attempts = db.session.scalars(sa.select(ContactAttempt).where(
        ContactAttempt.trajectory_id == trajectory.id, ContactAttempt.reached.is_(False))).all()
    assert len(attempts) == 1 and attempts[0].at == after  # a double click is one attempt
    assert again.status_code == 302
    trajectory = db.session.get(Trajectory, trajectory.id)
    assert trajectory.status == "contacted" and trajectory.intake_planned_at is None
    assert ("contact_failed", trajectory.id, {"attempts": 1}) in emitted
    # The plan form again, with the same place and person, a week later at the same time.
    assert 'value="Spreekkamer 1"' in page and 'value="2026-12-08"' in page
    assert 'value="10:30"' in page
    assert re.search(rf'<option selected value="{staff.id}"|value="{staff.id}" selected',
                     page)

    with time_machine.travel(after + timedelta(minutes=5), tick=False):
        auth.login(staff)
        response = client.post(f"/aanmeldingen/{trajectory.id}/intake",
                               data=_form(trajectory, staff, day="2026-12-08"))
    assert response.status_code == 302
    old, new = _appointments(db, trajectory)
    assert (old.status, new.status) == ("no_show", "planned")
    titles = [i.title for i in timeline([db.session.get(Trajectory, trajectory.id)], staff)]
    assert titles[0] == "Intake opnieuw gepland op dinsdag 8 december 2026 om 10:30"
    assert set(titles[1:3]) == {
        "Niet gekomen op de intake van dinsdag 1 december 2026 om 10:30",
        "Persoonlijk (aan de balie of langs geweest): niet bereikt"}


def test_no_shows_count_towards_the_attempts_limit(app, db):
    staff = factories.user("staff")
    trajectory = _contacted(staff.locations[0])
    now = NOW
    for n in range(3):
        appointment = plan_intake(trajectory, now + timedelta(days=1), staff, now)
        now += timedelta(days=2)
        mark_no_show(appointment, staff, now)
        assert trajectory.status == ("unreachable" if n == 2 else "contacted")
    assert trajectory.referral.result == "not_reached"


def test_saving_the_intake_records_it_as_held(app, db):
    staff = factories.user("staff")
    trajectory = _contacted(staff.locations[0])
    appointment = plan_intake(trajectory, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff,
                              NOW)
    save_intake(trajectory, {"held_on": date(2026, 12, 1), "scale": "nt2"},
                [{"subject": "lezen", "context": "geld", "own_words": "Brieven lezen",
                  "target_date": None}], staff, datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    assert appointment.status == "held"
    assert task_lists(staff, datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == ([], [])


@pytest.mark.parametrize(("starts_at", "first_task_day"), [
    # Thursday 24 December: Christmas, Boxing Day and the weekend come first.
    (datetime(2026, 12, 24, 13, 0, tzinfo=UTC), date(2026, 12, 28)),
    # A Friday: the next Monday.
    (datetime(2026, 11, 27, 13, 0, tzinfo=UTC), date(2026, 11, 30)),
    # A Monday: the Tuesday.
    (datetime(2026, 11, 30, 13, 0, tzinfo=UTC), date(2026, 12, 1)),
])
def test_passed_without_outcome_is_a_task_for_the_planner_the_next_working_day(
        app, db, starts_at, first_task_day):
    planner = factories.user("staff")
    host = factories.user("coordinator", locations=planner.locations)
    trajectory = _contacted(planner.locations[0])
    appointment = plan_intake(trajectory, starts_at, planner, NOW, with_user=host)
    day = starts_at.date()
    while day <= first_task_day:
        moment = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
        _today, late = task_lists(planner, moment)
        assert late == ([appointment] if day == first_task_day else []), day
        day += timedelta(days=1)
    # Only the planner: the host had it on the day itself.
    assert task_lists(host, datetime.combine(first_task_day, datetime.min.time(), UTC)) == (
        [], [])
    # It is in the planner's daily digest too.
    section = intakes_section(planner, datetime(first_task_day.year, first_task_day.month,
                                                first_task_day.day, 6, 0, tzinfo=UTC))
    assert len(section.items) == 1 and "nog niet ingevuld" in section.items[0][0]


def test_a_passed_intake_shows_on_the_planners_task_page(client, auth, db):
    staff = factories.user("staff")
    trajectory = _contacted(staff.locations[0])
    plan_intake(trajectory, datetime(2026, 11, 27, 13, 0, tzinfo=UTC), staff, NOW)
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=UTC), tick=False):
        auth.login(staff)
        html = html_of(client.get("/taken"))
    assert "Intake: nog vastleggen hoe het ging" in html and "Ahmed Test" in html
    assert "Er staat niets open" not in html


def test_staff_of_another_location_cannot_record_a_no_show(client, auth, db):
    owner = factories.user("staff")
    trajectory = _contacted(owner.locations[0])
    appointment = plan_intake(trajectory, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), owner, NOW)
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=UTC), tick=False):
        auth.as_role("staff")
        assert client.post(
            f"/agenda/afspraak/{appointment.id}/niet-gekomen").status_code == 404
    assert _appointments(db, trajectory)[0].status == "planned"


def test_ending_the_trajectory_cancels_the_planned_intake(app, db):
    from app.referrals.service import log_contact_attempt

    staff = factories.user("staff")
    trajectory = _contacted(staff.locations[0])
    appointment = plan_intake(trajectory, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), staff,
                              NOW)
    # On the phone before the day: the person does not want help after all.
    log_contact_attempt(trajectory, reached=True, channel="phone", note=None, user=staff,
                        now=NOW + timedelta(days=1), outcome="declined")
    assert appointment.status == "cancelled"
    assert "Intake van dinsdag 1 december 2026 om 10:30 gaat niet door" in [
        i.title for i in timeline([trajectory], staff)]
    assert task_lists(staff, datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == ([], [])


def test_the_agenda_and_mijn_taken_cost_the_same_queries_for_1_or_6_intakes(
        client, auth, db, frozen, count_queries):
    staff = auth.as_role("staff")

    def plan(n):
        for i in range(n):
            trajectory = _contacted(staff.locations[0], f"Persoon{i}")
            # Today, from 11:00 on: on the agenda and under Mijn taken.
            plan_intake(trajectory, NOW + timedelta(hours=1 + i), staff, NOW)
        db.session.commit()

    def cost():
        with count_queries() as statements:
            agenda = html_of(client.get("/agenda/?weergave=week"))
            tasks = html_of(client.get("/taken"))
        return len(statements), agenda.count('class="task"'), tasks.count('class="task"')

    plan(1)
    small = cost()
    plan(5)
    large = cost()
    assert small[1:] == (1, 1) and large[1:] == (6, 6)
    assert small[0] == large[0]
