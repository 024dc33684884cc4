"""Groups: meetings from a schedule (with extra and cancelled dates), the attendance register,
presence as contact, absence streaks, the group rules, and who may see and run a group."""

from datetime import date, time, timedelta

import sqlalchemy as sa

from app.checkins.models import CheckIn, FollowUpSetting
from app.extensions import db as _db
from app.groups import service as groups
from app.groups.models import Attendance, GroupMeeting
from app.matching import service as matching
from app.participants.models import Trajectory

from . import factories
from .factories import aware

NOW = aware(2026, 11, 24, 13, 0)  # Tuesday 24 November 2026, 14:00 in Amsterdam
TODAY = date(2026, 11, 24)


def a_group(location=None, *, weeks_back=4, weeks_ahead=4, by=None, capacity=8):
    """A Tuesday 10:00 group running from `weeks_back` weeks ago to `weeks_ahead` ahead."""
    offer = factories.offer(location, capacity=capacity)
    groups.save_schedule(offer, weekday=1, at=time(10, 0),
                         starts_on=TODAY - timedelta(weeks=weeks_back),
                         ends_on=TODAY + timedelta(weeks=weeks_ahead), by=by, now=NOW)
    return offer


def member(offer, *, owner=None, first_name="Fatima", started_on=None, **kwargs):
    """An active trajectory enrolled in `offer` (from the group's first week by default)."""
    trajectory = factories.trajectory(factories.participant(first_name=first_name),
                                      location_obj=offer.location, status="waiting",
                                      waiting_since=date(2026, 10, 1), owner=owner, **kwargs)
    by = owner or factories.user("staff", locations=[offer.location])
    return matching.enroll(trajectory, offer,
                           start_on=started_on or offer.schedule_starts_on, by=by, now=NOW)


def meeting_on(offer, day) -> GroupMeeting:
    return _db.session.scalar(sa.select(GroupMeeting).where(GroupMeeting.offer_id == offer.id,
                                                            GroupMeeting.held_on == day))


def open_checkins(trajectory, kind):
    _db.session.expire_all()
    return _db.session.scalars(sa.select(CheckIn).where(
        CheckIn.trajectory_id == trajectory.id, CheckIn.kind == kind,
        CheckIn.status == "planned")).all()


# --- Schedule and dates --------------------------------------------------------------------------

def test_a_schedule_makes_one_meeting_per_week_on_its_weekday():
    days = groups.schedule_dates(1, date(2026, 11, 1), date(2026, 11, 30))
    assert days == [date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 17),
                    date(2026, 11, 24)]
    assert groups.schedule_dates(1, date(2026, 11, 25), date(2026, 11, 30)) == []


def test_extra_and_cancelled_dates_survive_a_new_schedule(db):
    offer = a_group(weeks_back=2, weeks_ahead=2)
    assert [m.held_on for m in db.session.scalars(groups.meetings_query(offer)
                                                  .order_by(GroupMeeting.held_on))] == [
        date(2026, 11, 10), date(2026, 11, 17), date(2026, 11, 24), date(2026, 12, 1),
        date(2026, 12, 8)]
    groups.set_cancelled(meeting_on(offer, date(2026, 12, 1)), True, by=None, now=NOW)
    groups.add_extra_meeting(offer, held_on=date(2026, 12, 3), at=None, by=None, now=NOW)
    kept = member(offer)
    groups.record_attendance(meeting_on(offer, date(2026, 11, 10)), kept, "present", by=None,
                             now=NOW)

    # The group moves to Thursday and starts a week later.
    added, removed = groups.save_schedule(offer, weekday=3, at=time(19, 0),
                                          starts_on=date(2026, 11, 16),
                                          ends_on=date(2026, 12, 10), by=None, now=NOW)

    rows = {m.held_on: m for m in db.session.scalars(groups.meetings_query(offer))}
    # Tuesdays go, except the one with attendance and the cancelled one; Thursdays come.
    assert sorted(rows) == [date(2026, 11, 10), date(2026, 11, 19), date(2026, 11, 26),
                            date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 10)]
    assert rows[date(2026, 12, 1)].cancelled
    assert rows[date(2026, 12, 3)].extra and not rows[date(2026, 12, 3)].cancelled
    assert rows[date(2026, 11, 19)].starts_at == time(19, 0)
    assert (added, removed) == (3, 3)


def test_bad_schedule_and_extra_dates_get_a_dutch_message_at_the_field(client, auth, db,
                                                                        frozen):
    me = auth.as_role("coordinator")
    offer = a_group(me.locations[0], weeks_back=2)
    db.session.commit()

    response = client.post(f"/groepen/{offer.id}/rooster", data={
        "weekday": "1", "at": "10:00", "starts_on": "2026-12-01", "ends_on": "2026-11-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="ends_on-error"' in html and "De laatste datum ligt voor de eerste datum." in html
    assert 'value="2026-12-01"' in html and 'value="2026-11-01"' in html  # kept as typed

    response = client.post(f"/groepen/{offer.id}/rooster/extra", data={
        "extra-held_on": "2026-11-02", "extra-at": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="extra-held_on-error"' in html
    assert "Deze datum ligt voor de start van de groep (10-11-2026)." in html
    assert 'value="2026-11-02"' in html
    # Nothing saved by either.
    db.session.expire_all()
    assert offer.schedule_ends_on == date(2026, 12, 22)
    assert meeting_on(offer, date(2026, 11, 2)) is None

    response = client.post(f"/groepen/{offer.id}/rooster/extra", data={
        "extra-held_on": "2026-11-26", "extra-at": "15:30"})
    assert response.status_code == 302
    extra = meeting_on(offer, date(2026, 11, 26))
    assert extra.extra and extra.starts_at == time(15, 30)


# --- The register --------------------------------------------------------------------------------

def test_attendance_is_saved_at_once_and_a_second_tap_changes_the_same_row(client, auth, db,
                                                                           frozen):
    me = auth.as_role("staff")
    offer = a_group(me.locations[0])
    enrollment = member(offer, first_name="Amina")
    meeting = meeting_on(offer, TODAY)
    db.session.commit()
    url = f"/bijeenkomsten/{meeting.id}/deelnemers/{enrollment.id}"

    for status in ("present", "present", "absent"):
        response = client.post(url, data={"status": status})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"#deelnemer-{enrollment.id}")
    assert factories.count(Attendance) == 1
    assert db.session.scalar(sa.select(Attendance.status)) == "absent"

    # The page's script gets JSON back, on the same row.
    response = client.post(url, data={"status": "excused"},
                           headers={"Accept": "application/json"})
    assert response.get_json() == {"status": "excused", "label": "Afgemeld"}
    assert factories.count(Attendance) == 1

    page = client.get(f"/bijeenkomsten/{meeting.id}").get_data(as_text=True)
    assert "Amina El Amrani" in page
    assert 'value="excused" class="small" aria-pressed="true"' in page


def test_the_same_upsert_twice_in_one_transaction_keeps_one_row(db):
    offer = a_group()
    enrollment = member(offer)
    meeting = meeting_on(offer, TODAY)
    groups.record_attendance(meeting, enrollment, "absent", by=None, now=NOW)
    groups.record_attendance(meeting, enrollment, "present", by=None, now=NOW)
    db.session.commit()
    assert [a.status for a in db.session.scalars(sa.select(Attendance))] == ["present"]


def test_two_taps_at_once_from_two_phones_leave_one_row(app, db):
    """Both phones loaded the register before either tap was saved: the second tap becomes
    an update of the first one's row, not a second row (SQLite and PostgreSQL)."""
    from app.matching.models import Enrollment

    offer = a_group()
    enrollment = member(offer)
    meeting = meeting_on(offer, TODAY)
    db.session.commit()
    assert groups.register(meeting)[0].status is None  # this phone saw an empty row

    with app.app_context():
        groups.record_attendance(db.session.get(GroupMeeting, meeting.id),
                                 db.session.get(Enrollment, enrollment.id), "present",
                                 by=None, now=NOW)
        db.session.commit()
        db.session.remove()

    groups.record_attendance(meeting, enrollment, "excused", by=None, now=NOW)
    db.session.commit()
    assert [a.status for a in db.session.scalars(sa.select(Attendance))] == ["excused"]


def test_only_meetings_that_took_place_and_people_enrolled_that_day(client, auth, db, frozen):
    me = auth.as_role("staff")
    offer = a_group(me.locations[0])
    early = member(offer, first_name="Vroeg")
    late = member(offer, first_name="Laat", started_on=TODAY)
    next_week = meeting_on(offer, TODAY + timedelta(weeks=1))
    last_week = meeting_on(offer, TODAY - timedelta(weeks=1))
    db.session.commit()

    response = client.post(f"/bijeenkomsten/{next_week.id}/deelnemers/{early.id}",
                           data={"status": "present"}, follow_redirects=True)
    assert "Deze bijeenkomst is nog niet geweest." in response.get_data(as_text=True)
    page = client.get(f"/bijeenkomsten/{last_week.id}").get_data(as_text=True)
    assert "Vroeg" in page and "Laat" not in page
    assert client.post(f"/bijeenkomsten/{last_week.id}/deelnemers/{late.id}",
                       data={"status": "present"}).status_code == 404
    assert factories.count(Attendance) == 0


def test_presence_is_contact_and_brings_the_person_back_into_view(client, auth, db, frozen,
                                                                  emitted):
    me = auth.as_role("staff")
    offer = a_group(me.locations[0])
    enrollment = member(offer, first_name="Amina")
    trajectory = enrollment.trajectory
    trajectory.last_contact_at = NOW - timedelta(days=50)
    trajectory.out_of_view_since = NOW - timedelta(days=8)
    meeting = meeting_on(offer, TODAY)
    db.session.commit()

    client.post(f"/bijeenkomsten/{meeting.id}/deelnemers/{enrollment.id}",
                data={"status": "present"})

    db.session.expire_all()
    assert trajectory.out_of_view_since is None
    assert trajectory.last_contact_at == aware(2026, 11, 24, 9, 0)  # the meeting, 10:00 local
    assert ("back_in_view", trajectory.id, {}) in emitted
    page = client.get(f"/deelnemers/{trajectory.participant_id}").get_data(as_text=True)
    assert "Aanwezig bij Klik &amp; Tik dinsdag" in page


def test_absent_with_notice_is_no_contact_and_no_warning(db):
    offer = a_group()
    enrollment = member(offer)
    for weeks in (2, 1, 0):
        groups.record_attendance(meeting_on(offer, TODAY - timedelta(weeks=weeks)), enrollment,
                                 "excused", by=None, now=NOW)
    assert enrollment.trajectory.last_contact_at is None
    assert open_checkins(enrollment.trajectory, "group_absent") == []


def test_two_absences_in_a_row_plan_one_checkin_for_the_owner(db):
    owner = factories.user("coordinator")
    offer = a_group(owner.locations[0], weeks_back=6)
    enrollment = member(offer, owner=owner)
    trajectory = enrollment.trajectory

    def keep(weeks_ago, status):
        day = TODAY - timedelta(weeks=weeks_ago)
        groups.record_attendance(meeting_on(offer, day), enrollment, status, by=None,
                                 now=aware(day.year, day.month, day.day, 12, 0))

    keep(6, "present")
    keep(5, "absent")
    assert open_checkins(trajectory, "group_absent") == []
    keep(4, "absent")
    [checkin] = open_checkins(trajectory, "group_absent")
    assert (checkin.assignee_id, checkin.due_on, checkin.enrollment_id) == (
        owner.id, TODAY - timedelta(weeks=4), enrollment.id)
    assert checkin.title == "Komt niet meer naar de groep"
    # The same streak goes on, or the same tap comes twice: nothing new.
    keep(4, "absent")
    keep(3, "absent")
    assert len(open_checkins(trajectory, "group_absent")) == 1
    # The person came back; a new streak later is a new signal.
    checkin.status = "done"
    keep(2, "present")
    keep(1, "absent")
    keep(0, "absent")
    assert len(open_checkins(trajectory, "group_absent")) == 1
    assert factories.count(CheckIn, CheckIn.kind == "group_absent") == 2


def test_the_number_of_absences_is_a_setting(db):
    offer = a_group()
    enrollment = member(offer)
    db.session.add(FollowUpSetting(key="group_absent_in_a_row", value=3))
    db.session.commit()
    for weeks, expected in ((2, 0), (1, 0), (0, 1)):
        groups.record_attendance(meeting_on(offer, TODAY - timedelta(weeks=weeks)), enrollment,
                                 "absent", by=None, now=NOW)
        assert len(open_checkins(enrollment.trajectory, "group_absent")) == expected


def test_a_cancelled_meeting_does_not_break_a_streak(db):
    offer = a_group()
    enrollment = member(offer)
    groups.record_attendance(meeting_on(offer, TODAY - timedelta(weeks=2)), enrollment,
                             "absent", by=None, now=NOW)
    groups.set_cancelled(meeting_on(offer, TODAY - timedelta(weeks=1)), True, by=None, now=NOW)
    groups.record_attendance(meeting_on(offer, TODAY), enrollment, "absent", by=None, now=NOW)
    assert len(open_checkins(enrollment.trajectory, "group_absent")) == 1


# --- The group rules -----------------------------------------------------------------------------

def test_enrolment_plans_bevalt_de_groep_and_its_end_an_evaluation(db):
    owner = factories.user("coordinator")
    offer = factories.offer(owner.locations[0])
    trajectory = factories.trajectory(location_obj=offer.location, owner=owner,
                                      status="waiting", waiting_since=date(2026, 11, 1))
    enrollment = matching.enroll(trajectory, offer, start_on=date(2026, 11, 23), by=owner,
                                 now=NOW)
    [fit] = open_checkins(trajectory, "group_fit")
    assert (fit.due_on, fit.assignee_id, fit.enrollment_id, fit.title) == (
        date(2026, 12, 14), owner.id, enrollment.id, "Bevalt de groep? (3 weken na de start)")
    # The same event twice plans nothing twice.
    from app.core.events import emit

    emit("enrolled", trajectory, NOW, enrollment=enrollment)
    assert len(open_checkins(trajectory, "group_fit")) == 1

    matching.end_enrollment(enrollment, by=owner, now=aware(2026, 12, 1, 10, 0))

    assert open_checkins(trajectory, "group_fit") == []
    [evaluation] = open_checkins(trajectory, "group_end")
    assert (evaluation.due_on, evaluation.assignee_id) == (date(2026, 12, 1), owner.id)


def test_the_group_evaluation_stays_when_the_whole_trajectory_ends(db):
    owner = factories.user("coordinator")
    offer = factories.offer(owner.locations[0])
    trajectory = factories.trajectory(location_obj=offer.location, owner=owner,
                                      status="waiting", waiting_since=date(2026, 11, 1))
    matching.enroll(trajectory, offer, start_on=date(2026, 11, 2), by=owner, now=NOW)
    matching.end_trajectory(trajectory, outcome="stopped", end_reason="anders", goal_results={},
                            by=owner, now=NOW)
    assert open_checkins(trajectory, "group_fit") == []
    assert len(open_checkins(trajectory, "group_end")) == 1


def test_has_meeting_ahead_for_the_next_step_list(db):
    offer = a_group(weeks_ahead=1)
    with_meeting = member(offer).trajectory
    ended = member(offer, first_name="Gestopt")
    matching.end_enrollment(ended, by=factories.user("staff", locations=[offer.location]),
                            now=NOW)
    elsewhere = factories.trajectory(status="active")
    db.session.commit()

    def ahead(day):
        return set(db.session.scalars(
            sa.select(Trajectory.id).where(groups.has_meeting_ahead(day))))

    assert ahead(TODAY) == {with_meeting.id}
    groups.set_cancelled(meeting_on(offer, TODAY + timedelta(weeks=1)), True, by=None, now=NOW)
    assert ahead(TODAY + timedelta(days=1)) == set()
    assert elsewhere.id not in ahead(TODAY)


# --- Who sees and runs a group -------------------------------------------------------------------

def test_coordinator_sees_the_groups_of_their_own_location_only(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    own = a_group(me.locations[0])
    member(own, first_name="Eigen")
    other = a_group(factories.location("Elders"))
    other.name = "Taalcafé elders"
    member(other, first_name="Vreemd")
    db.session.commit()

    offers = client.get("/aanbod/").get_data(as_text=True)
    assert "Klik &amp; Tik dinsdag" in offers and "Taalcafé elders" not in offers
    group = client.get(f"/groepen/{own.id}").get_data(as_text=True)
    assert "Eigen El Amrani" in group and "Vreemd" not in group
    assert "Rooster en data" in group
    assert client.get(f"/groepen/{other.id}").status_code == 404
    assert client.get(f"/bijeenkomsten/{meeting_on(other, TODAY).id}").status_code == 404


def test_staff_keep_the_register_but_do_not_change_the_schedule(client, auth, db, frozen):
    me = auth.as_role("staff")
    offer = a_group(me.locations[0])
    db.session.commit()
    assert "Rooster en data" not in client.get(f"/groepen/{offer.id}").get_data(as_text=True)
    assert client.get(f"/groepen/{offer.id}/rooster").status_code == 404
    assert client.get(f"/bijeenkomsten/{meeting_on(offer, TODAY).id}").status_code == 200


def test_only_a_volunteer_linked_to_the_group_keeps_its_register(client, auth, db, frozen):
    coordinator = factories.user("coordinator")
    location = coordinator.locations[0]
    offer = a_group(location)
    enrollment = member(offer, first_name="Amina")
    linked, linked_user = factories.volunteer_with_account("Anneke", locations=[location])
    other, other_user = factories.volunteer_with_account("Bram", locations=[location])
    meeting = meeting_on(offer, TODAY)
    db.session.commit()

    auth.login(coordinator)
    client.post(f"/groepen/{offer.id}/begeleiders", data={"volunteer_id": linked.id})
    auth.logout()

    auth.login(other_user)
    assert client.get(f"/groepen/{offer.id}").status_code == 404
    assert client.get(f"/bijeenkomsten/{meeting.id}").status_code == 404
    assert client.post(f"/bijeenkomsten/{meeting.id}/deelnemers/{enrollment.id}",
                       data={"status": "present"}).status_code == 404
    assert "U begeleidt nog geen groep" in client.get("/groepen/").get_data(as_text=True)
    auth.logout()

    auth.login(linked_user)
    assert "Klik &amp; Tik dinsdag" in client.get("/groepen/").get_data(as_text=True)
    page = client.get(f"/bijeenkomsten/{meeting.id}").get_data(as_text=True)
    # First name and initial: what a volunteer needs to call the register.
    assert "Amina E." in page and "El Amrani" not in page
    assert client.post(f"/bijeenkomsten/{meeting.id}/deelnemers/{enrollment.id}",
                       data={"status": "present"}).status_code == 302
    assert db.session.scalar(sa.select(Attendance.recorded_by_id)) == linked_user.id


def test_a_volunteer_of_another_location_cannot_be_linked(client, auth, db):
    me = auth.as_role("coordinator")
    offer = a_group(me.locations[0])
    stranger = factories.volunteer("Vreemd")
    db.session.commit()
    assert client.post(f"/groepen/{offer.id}/begeleiders",
                       data={"volunteer_id": stranger.id}).status_code == 404
    assert groups.group_volunteers(offer) == []


def test_the_register_costs_the_same_queries_for_a_small_or_a_big_group(client, auth, db,
                                                                        frozen, count_queries):
    me = auth.as_role("staff")
    offer = a_group(me.locations[0], capacity=40)
    meeting = meeting_on(offer, TODAY)

    def queries():
        db.session.commit()
        with count_queries() as statements:
            assert client.get(f"/bijeenkomsten/{meeting.id}").status_code == 200
        return len(statements)

    for i in range(2):
        enrollment = member(offer, first_name=f"Klein{i}")
        groups.record_attendance(meeting, enrollment, "present", by=me, now=NOW)
    few = queries()
    for i in range(12):
        enrollment = member(offer, first_name=f"Groot{i}")
        groups.record_attendance(meeting, enrollment, "excused", by=me, now=NOW)
    assert queries() == few


def test_the_demo_has_groups_with_a_schedule_and_kept_registers(demo_data, db):
    from app.auth.models import User

    meetings = factories.count(GroupMeeting)
    assert meetings > 100
    assert factories.count(GroupMeeting, GroupMeeting.cancelled.is_(True)) >= 2
    assert factories.count(Attendance, Attendance.status == "present") > 100
    # Someone stopped coming two weeks ago: the owner has the call to make.
    assert factories.count(CheckIn, CheckIn.kind == "group_absent",
                           CheckIn.status == "planned") == 1
    # The demo volunteer keeps the register of one group.
    from app.auth.permissions import own_group_ids

    volunteer = db.session.scalar(sa.select(User).where(User.email == "volunteer@houvast.demo"))
    assert len(db.session.scalars(own_group_ids(volunteer)).all()) == 1
