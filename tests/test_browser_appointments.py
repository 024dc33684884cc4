"""Plan, miss and re-plan an intake in a real browser at phone size (375 px): the staff
member plans it with place and person, finds it in the agenda, marks "Niet gekomen" and plans
it again from the form that comes back prefilled."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser

# The narrowest phone in common use.
SMALL_PHONE = {"width": 375, "height": 812}


def _world(live):
    from app.core.timeutil import local_date, local_datetime, utcnow
    from app.extensions import db
    from app.referrals.models import ContactAttempt
    from app.referrals.service import plan_intake

    with live.app.app_context():
        location = factories.location("Bibliotheek Agenda")
        staff = factories.user("staff", email="mila@taalhuis.example", name="Mila Medewerker",
                               locations=[location])
        factories.user("coordinator", name="Cas Coördinator", locations=[location])
        now = utcnow()
        to_plan = factories.trajectory(factories.participant(first_name="Yara",
                                                             last_name="Plan"),
                                       location_obj=location, status="contacted")
        missed = factories.trajectory(factories.participant(first_name="Omar",
                                                            last_name="Gemist"),
                                      location_obj=location, status="contacted")
        for trajectory in (to_plan, missed):
            db.session.add(ContactAttempt(trajectory=trajectory, at=now - timedelta(days=3),
                                          reached=True, channel="phone"))
        # Planned two days ago for a few minutes ago: the appointment time has passed.
        starts_at = now - timedelta(minutes=5)
        plan_intake(missed, starts_at, staff, now - timedelta(days=2), room="Spreekkamer 1")
        db.session.commit()
        return {"staff": staff.email, "to_plan": to_plan.id, "missed": missed.id,
                "missed_day": local_datetime(starts_at).date().isoformat(),
                "tomorrow": (local_date(now) + timedelta(days=1)).isoformat()}


def test_plan_miss_and_replan_an_intake_on_a_phone(live_server, browser_page):
    world = _world(live_server)
    page = browser_page(SMALL_PHONE)
    sign_in(page, live_server, world["staff"], factories.PASSWORD)

    # Plan Yara's intake: date, time, place and who holds it.
    page.goto(live_server(f"/aanmeldingen/{world['to_plan']}/intake"))
    page.get_by_label("Datum").fill(world["tomorrow"])
    page.get_by_label("Tijd").fill("10:00")
    page.get_by_label("Ruimte (bijvoorbeeld: spreekkamer 2, bij de balie)").fill("Leeshoek")
    page.get_by_label("Wie doet de intake?").select_option(label="Cas Coördinator "
                                                                 "(Bibliotheek Agenda)")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Intake plannen").click()
    expect(page.get_by_text("Bibliotheek Agenda, Leeshoek, met Cas Coördinator").first
           ).to_be_visible()

    # The agenda of tomorrow shows it.
    page.goto(live_server(f"/agenda/?dag={world['tomorrow']}"))
    expect(page.get_by_text("Yara Plan")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []

    # Omar's intake time has passed: he did not come.
    page.goto(live_server(f"/agenda/?dag={world['missed_day']}"))
    row = page.locator("li.task", has_text="Omar Gemist")
    expect(row.get_by_text("Nog invullen")).to_be_visible()
    assert axe_violations(page) == []
    row.get_by_role("button", name="Niet gekomen").click()

    # The plan form comes back with the same place and person; a new date is enough.
    expect(page.get_by_text("is niet gekomen").first).to_be_visible()
    expect(page.get_by_label("Ruimte (bijvoorbeeld: spreekkamer 2, bij de balie)")
           ).to_have_value("Spreekkamer 1")
    assert axe_violations(page) == []
    page.get_by_label("Datum").fill(world["tomorrow"])
    page.get_by_label("Tijd").fill("14:00")
    page.get_by_role("button", name="Intake plannen").click()
    expect(page.get_by_text("Intake met Omar Gemist gepland op").first).to_be_visible()

    # The timeline tells the story.
    page.goto(live_server("/deelnemers/"))
    page.get_by_role("link", name="Omar Gemist").click()
    body = page.locator("main").inner_text()
    assert "Niet gekomen op de intake" in body and "Intake opnieuw gepland" in body
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []
