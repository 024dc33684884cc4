"""Buiten beeld: silent trajectories are flagged and listed until contact is made again."""

from datetime import date, timedelta

import pytest

from app.checkins import service
from app.participants.service import record_contact

from . import factories
from .factories import aware

NOW = aware(2026, 11, 25, 11, 0)


def silent_for(days, *, status="active", location=None, first_name="Fatima", **kwargs):
    return factories.trajectory(factories.participant(first_name=first_name),
                                location_obj=location, status=status,
                                referred_on=date(2026, 6, 1),
                                last_contact_at=NOW - timedelta(days=days), **kwargs)


def not_reached(trajectory, days_ago):
    return factories.checkin(trajectory, due_on=date(2026, 11, 1), status="not_reached",
                             done_at=NOW - timedelta(days=days_ago))


def test_42_days_without_contact_flags_41_does_not(db):
    quiet = silent_for(43)
    recent = silent_for(41)
    assert service.scan_out_of_view(NOW) == [quiet]
    assert quiet.out_of_view_since == NOW
    assert recent.out_of_view_since is None
    # A second scan flags nothing new and keeps the first date.
    assert service.scan_out_of_view(NOW + timedelta(hours=1)) == []
    assert quiet.out_of_view_since == NOW


def test_a_changed_out_of_view_setting_moves_the_scan(db):
    from app.checkins.models import FollowUpSetting

    thirty = silent_for(30)
    db.session.commit()
    assert service.scan_out_of_view(NOW) == []
    db.session.add(FollowUpSetting(key="out_of_view_days", value=28))
    db.session.commit()
    assert service.scan_out_of_view(NOW + timedelta(hours=1)) == [thirty]


def test_never_contacted_counts_from_the_referral(db):
    never = factories.trajectory(status="referred", referred_on=date(2026, 10, 13))
    fresh = factories.trajectory(status="referred", referred_on=date(2026, 10, 15))
    assert service.scan_out_of_view(NOW) == [never]
    assert fresh.out_of_view_since is None


def test_closed_trajectories_are_never_flagged(db):
    ended = silent_for(100, status="ended")
    assert service.scan_out_of_view(NOW) == []
    assert ended.out_of_view_since is None


def test_two_checkins_in_a_row_not_reached_flag(db):
    twice = silent_for(10)
    not_reached(twice, 8)
    not_reached(twice, 2)
    once = silent_for(10)
    not_reached(once, 2)
    assert service.scan_out_of_view(NOW) == [twice]
    assert once.out_of_view_since is None


def test_a_contact_in_between_breaks_the_row(db):
    trajectory = silent_for(20)
    not_reached(trajectory, 15)
    record_contact(trajectory, NOW - timedelta(days=10))
    not_reached(trajectory, 2)
    assert service.scan_out_of_view(NOW) == []


def test_contact_clears_the_flag_and_it_stays_cleared(db):
    trajectory = silent_for(10)
    not_reached(trajectory, 8)
    not_reached(trajectory, 2)
    assert service.scan_out_of_view(NOW) == [trajectory]

    record_contact(trajectory, NOW + timedelta(hours=2))
    assert trajectory.out_of_view_since is None
    assert service.scan_out_of_view(NOW + timedelta(hours=3)) == []
    assert trajectory.out_of_view_since is None


def test_a_done_checkin_clears_the_flag(db):
    coordinator = factories.user("coordinator")
    trajectory = silent_for(50, location=coordinator.locations[0], owner=coordinator)
    service.scan_out_of_view(NOW)
    checkin = factories.checkin(trajectory, due_on=date(2026, 11, 25), assignee=coordinator)
    service.complete_checkin(checkin, outcome="going_well", note=None, user=coordinator,
                             now=NOW + timedelta(hours=1))
    assert trajectory.out_of_view_since is None
    assert service.scan_out_of_view(NOW + timedelta(hours=2)) == []


def test_the_scan_is_set_based(db, count_queries):
    def statements_for(n):
        for i in range(n):
            silent_for(43 + i)
            t = silent_for(5)
            not_reached(t, 4)
            not_reached(t, 3)
        db.session.commit()
        with count_queries() as statements:
            flagged = service.scan_out_of_view(NOW + timedelta(minutes=n))
        assert len(flagged) == 2 * n
        return len(statements)

    # The thresholds, the flagging and the clearing: the same few statements at any size.
    assert statements_for(2) == statements_for(20) == 4


def test_waiting_too_long_after_21_days(db):
    loc = factories.location()
    long_wait = factories.trajectory(location_obj=loc, status="waiting",
                                     waiting_since=date(2026, 11, 3))
    factories.trajectory(location_obj=loc, status="waiting", waiting_since=date(2026, 11, 4))
    other = factories.trajectory(status="waiting", waiting_since=date(2026, 10, 1))
    assert service.waiting_too_long(NOW, scope=[loc.id]) == [long_wait]
    assert service.waiting_too_long(NOW) == [other, long_wait]


def test_coordinator_sees_the_out_of_view_list_of_their_locations(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    loc = me.locations[0]
    flagged = silent_for(50, location=loc, first_name="Samira", owner=me)
    silent_for(50, location=factories.location(), first_name="Elders")
    silent_for(10, location=loc, first_name="Recent")
    factories.trajectory(factories.participant(first_name="Wachter"), location_obj=loc,
                         status="waiting", waiting_since=date(2026, 10, 28))
    service.scan_out_of_view(NOW)
    db.session.commit()

    html = client.get("/buiten-beeld").get_data(as_text=True)
    assert "Samira" in html
    assert f'href="/deelnemers/{flagged.participant_id}"' in html
    assert "<td>50</td>" in html
    assert "Elders" not in html and "Recent" not in html
    # Waiting for 28 days is on the same page.
    assert "Wachter" in html and "28 okt 2026, in totaal 28 dagen" in html


@pytest.mark.parametrize("role", ["staff", "volunteer", "partner"])
def test_out_of_view_page_is_for_coordinators(client, auth, db, role):
    auth.as_role(role)
    assert client.get("/buiten-beeld").status_code == 403


def test_out_of_view_list_is_paginated(client, auth, db, frozen, app):
    me = auth.as_role("coordinator")
    for i in range(app.config["PER_PAGE"] + 2):
        silent_for(50 + i, location=me.locations[0], first_name=f"Stil{i:02d}")
    service.scan_out_of_view(NOW)
    db.session.commit()
    html = client.get("/buiten-beeld").get_data(as_text=True)
    assert "Pagina 1 van 2" in html
    # The longest silent first.
    assert "Stil26" in html and "Stil00" not in html
    assert "Stil00" in client.get("/buiten-beeld?page=2").get_data(as_text=True)


def test_a_late_logged_old_session_does_not_bring_the_person_back_into_view(client, auth,
                                                                             db, frozen):
    """A volunteer catching up on their log is no new contact: the person stays on the list
    until someone has reached them since they went out of view."""
    from app.core.timeutil import local_date
    from app.matching import service as matching

    me = auth.as_role("coordinator")
    loc = me.locations[0]
    trajectory = silent_for(50, location=loc, first_name="Samira", owner=me)
    last_contact = trajectory.last_contact_at
    volunteer, volunteer_user = factories.volunteer_with_account(locations=[loc])
    match = factories.match(trajectory, volunteer, started_on=date(2026, 8, 3))
    service.scan_out_of_view(NOW)
    db.session.commit()

    def log(days_ago):
        matching.log_session(match, held_on=local_date(NOW) - timedelta(days=days_ago),
                             minutes=60, practised="Lezen", goal_marks={}, remark=None,
                             concern=False, by=volunteer_user, now=NOW + timedelta(hours=1))
        db.session.commit()

    log(60)  # before the last known contact
    assert trajectory.last_contact_at == last_contact
    assert trajectory.out_of_view_since == NOW
    log(45)  # newer than the last contact, but long before the person went out of view
    assert trajectory.out_of_view_since == NOW
    assert "Samira" in client.get("/buiten-beeld").get_data(as_text=True)

    log(0)  # seen today: back in view
    assert trajectory.out_of_view_since is None
    assert "Samira" not in client.get("/buiten-beeld").get_data(as_text=True)
