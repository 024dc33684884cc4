"""Issue 11, rules in one place: the thresholds page under Beheer and everything that reads it."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.checkins import service
from app.checkins.models import FollowUpRule, FollowUpSetting
from app.matching import service as matching
from app.notifications import digest
from app.referrals.service import first_contact_due, log_contact_attempt
from jobs.scan import out_of_view_scan

from . import factories
from .factories import aware

NOW = aware(2026, 11, 25, 11, 0)   # a Wednesday
PAGE = "/beheer/opvolgregels/termijnen"


def _values(**changed) -> dict:
    values = {"out_of_view_days": 42, "not_reached_in_a_row": 2, "max_contact_attempts": 3,
              "waiting_too_long_days": 21, "volunteer_silence_reminder_days": 21,
              "volunteer_silence_alert_days": 42, "vog_max_age_years": 3,
              "group_absent_in_a_row": 2, "session_no_shows_in_a_row": 2,
              "quiet_hours_start": 21, "quiet_hours_end": 8,
              "retention_trajectory_months": 24, "retention_audit_years": 5,
              "retention_skipped_digest_months": 3}
    values.update(changed)
    return values


def _opened(client) -> str:
    html = client.get(PAGE).get_data(as_text=True)
    return html.split('name="opened" type="hidden" value="')[1].split('"')[0]


def test_admin_changes_out_of_view_to_28_days_and_list_digest_and_scan_follow(
        client, auth, db, frozen):
    admin = auth.as_role("admin")
    location = factories.location()
    coordinator = factories.user("coordinator", locations=[location])
    thirty = factories.trajectory(factories.participant(first_name="Samira"),
                                  location_obj=location, status="active", owner=coordinator,
                                  referred_on=date(2026, 6, 1),
                                  last_contact_at=NOW - timedelta(days=30))
    db.session.commit()
    assert out_of_view_scan(NOW) == [] or thirty.out_of_view_since is None

    page = client.get(PAGE).get_data(as_text=True)
    assert "Buiten beeld na" in page and "Standaard: 6 weken" in page
    assert "contactmomenten houden hun datum" in page
    response = client.post(PAGE, data=_values(out_of_view_days=28) | {"opened": _opened(client)})
    assert response.status_code == 302
    assert db.session.get(FollowUpSetting, "out_of_view_days").value == 28
    [event] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "followup_settings")).all()
    assert event.user_id == admin.id and "6 weken → 4 weken" in event.summary

    # The scan's next run uses it (a moved clock: an hour later).
    out_of_view_scan(NOW + timedelta(hours=1))
    db.session.expire_all()
    assert thirty.out_of_view_since is not None
    section = digest.out_of_view_section(coordinator, NOW + timedelta(days=1))
    assert "4 weken" in section.title and "Samira" in section.items[0][0]
    listing = client.get("/buiten-beeld").get_data(as_text=True)
    assert "Samira" in listing and "4 weken of langer geen contact" in listing


def test_a_value_outside_its_bounds_gets_a_dutch_message_and_nothing_is_saved(client, auth, db):
    auth.as_role("admin")
    db.session.commit()
    html = client.post(PAGE, data=_values(out_of_view_days=3, vog_max_age_years="")
                       | {"opened": _opened(client)}).get_data(as_text=True)
    assert "Kies een getal van 7 tot 365 dagen." in html
    assert "Vul een getal in." in html
    assert 'value="3"' in html, "the form keeps what was typed"
    assert db.session.scalars(sa.select(FollowUpSetting)).all() == []


def test_only_an_admin_may_change_the_thresholds(client, auth, db):
    auth.as_role("coordinator")
    db.session.commit()
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data=_values(out_of_view_days=28)).status_code == 403
    assert db.session.scalars(sa.select(FollowUpSetting)).all() == []


def test_a_save_in_between_is_not_overwritten(client, auth, db):
    auth.as_role("admin")
    db.session.commit()
    opened = _opened(client)
    # Another admin saves 35 days after this page was opened.
    db.session.add(FollowUpSetting(key="out_of_view_days", value=35))
    db.session.commit()
    html = client.post(PAGE, data=_values(out_of_view_days=28, waiting_too_long_days=14)
                       | {"opened": opened}).get_data(as_text=True)
    assert "Iemand anders heeft dit net gewijzigd" in html
    db.session.expire_all()
    assert db.session.get(FollowUpSetting, "out_of_view_days").value == 35
    assert db.session.get(FollowUpSetting, "waiting_too_long_days") is None
    # Saving again, now knowingly, works.
    html = client.post(PAGE, data=_values(out_of_view_days=28) | {"opened": _opened(client)})
    db.session.expire_all()
    assert db.session.get(FollowUpSetting, "out_of_view_days").value == 28


def test_first_contact_rule_of_2_working_days_moves_the_queue_deadline(client, auth, db):
    auth.as_role("admin")
    rule = db.session.scalar(sa.select(FollowUpRule).where(FollowUpRule.code == "first_contact"))
    db.session.commit()
    friday = date(2026, 11, 27)
    assert first_contact_due(friday) == date(2026, 12, 4)   # 5 working days
    response = client.post(f"/beheer/opvolgregels/{rule.id}", data={
        "name": rule.name, "offset": 2, "offset_unit": "working_days", "assignee": "owner",
        "repeat_every": "", "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert first_contact_due(friday) == date(2026, 12, 1)   # Monday, Tuesday
    assert service.due_date(db.session.get(FollowUpRule, rule.id), friday) == date(2026, 12, 1)


def test_max_contact_attempts_decides_when_a_referral_is_unreachable(db):
    db.session.add(FollowUpSetting(key="max_contact_attempts", value=2))
    trajectory = factories.trajectory(status="referred")
    db.session.commit()
    log_contact_attempt(trajectory, reached=False, channel="phone", note=None, user=None,
                        now=NOW)
    assert trajectory.status == "referred"
    log_contact_attempt(trajectory, reached=False, channel="phone", note=None, user=None,
                        now=NOW + timedelta(hours=2))
    assert trajectory.status == "unreachable"


def test_the_contact_page_names_the_configured_attempts(client, auth, db):
    db.session.add(FollowUpSetting(key="max_contact_attempts", value=4))
    staff = auth.as_role("staff")
    trajectory = factories.trajectory(location_obj=staff.locations[0], status="referred")
    log_contact_attempt(trajectory, reached=False, channel="phone", note=None, user=None,
                        now=NOW)
    db.session.commit()
    html = client.get(f"/aanmeldingen/{trajectory.id}/contact").get_data(as_text=True)
    assert "Al 1 keer niet bereikt. Na 4 keer komt" in html


def test_vog_age_setting_decides_whether_a_vog_counts(db):
    volunteer = factories.volunteer(vog_on=date(2024, 6, 1))
    db.session.commit()
    assert matching.vog_max_age_years() == 3
    db.session.add(FollowUpSetting(key="vog_max_age_years", value=2))
    db.session.commit()
    assert matching.vog_max_age_years() == 2
    from app.matching import scoring
    assert not scoring.vog_valid(volunteer.vog_on, date(2026, 11, 25), 2)


def test_texts_say_the_configured_period(app, db):
    from app.core.followup import period_text
    from app.matching.digest import silent_matches_section

    assert period_text(42) == "6 weken" and period_text(10) == "10 dagen"
    assert period_text(7) == "1 week" and period_text(1) == "1 dag"
    db.session.add(FollowUpSetting(key="volunteer_silence_alert_days", value=35))
    db.session.add(FollowUpSetting(key="waiting_too_long_days", value=14))
    coordinator = factories.user("coordinator", locations=[factories.location()])
    db.session.commit()
    assert "5 weken of langer" in silent_matches_section(coordinator, NOW).title
    assert "meer dan 2 weken" in digest.waiting_section(coordinator, NOW).title


def test_waiting_again_keeps_the_total_waiting_time(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    trajectory = factories.waiting_trajectory(location, first_name="Olga",
                                              waiting_since=date(2026, 10, 1))
    offer = factories.offer(location)
    db.session.commit()
    enrollment = matching.enroll(trajectory, offer, start_on=date(2026, 10, 10),
                                 by=coordinator, now=aware(2026, 10, 10, 10))
    assert trajectory.waiting_since is None
    matching.end_enrollment(enrollment, by=coordinator, now=aware(2026, 11, 20, 10))
    db.session.commit()
    assert trajectory.status == "waiting"
    assert trajectory.waiting_since == date(2026, 11, 20)
    assert trajectory.first_waiting_since == date(2026, 10, 1)
    today = date(2026, 11, 25)
    assert trajectory.waiting_days(today) == 55
    # The 21-day alert counts the total: 5 days in this wait, but 55 in all.
    assert service.waiting_too_long(NOW, scope=[location.id]) == [trajectory]
    html = client.get("/koppelen/").get_data(as_text=True)
    page = client.get(f"/deelnemers/{trajectory.participant_id}").get_data(as_text=True)
    assert "1 okt 2026, in totaal 55 dagen" in page and "weer sinds 20 nov 2026" in page
    assert "in totaal 55 dagen" in html
