"""The volunteer's path in a real browser at phone size: matched from the ranked list, signs in,
sees only that participant, logs a session with a concern; the coordinator sees the concern."""

from datetime import timedelta

import pytest

from tests import factories
from tests.browser_support import PHONE, axe_violations, sign_in

pytestmark = pytest.mark.browser


def _world(live):
    from app.core.timeutil import local_date, utcnow
    from app.extensions import db

    with live.app.app_context():
        location = factories.location("Bibliotheek Browser")
        coordinator = factories.user("coordinator", email="carla@taalhuis.example",
                                     name="Carla Coördinator", locations=[location])
        today = local_date(utcnow())
        trajectory = factories.waiting_trajectory(
            location, first_name="Amina", waiting_since=today - timedelta(days=30),
            availability=("tue-morning", "thu-afternoon"), subjects=("digitaal",))
        trajectory.participant.last_name = "Achternaamgeheim"
        volunteer, user = factories.volunteer_with_account(
            "Anneke", locations=[location], availability=("tue-morning", "thu-afternoon"),
            domains=("digitaal",), vog_on=today - timedelta(days=200))
        user.email = "anneke@vrijwilliger.example"
        factories.volunteer("Geen", last_name="VOG", locations=[location], vog_on=None)
        other = factories.waiting_trajectory(location, first_name="Bashir")
        other.status = "active"
        factories.match(other, factories.volunteer("Bram", locations=[location]),
                        started_on=today - timedelta(days=10))
        db.session.commit()
        return {"coordinator": coordinator.email, "volunteer": user.email,
                "volunteer_name": volunteer.full_name}


def test_volunteer_path_on_a_phone(live_server, browser_page):
    people = _world(live_server)
    password = factories.PASSWORD

    # The coordinator matches Amina from the ranked list.
    coordinator = browser_page(PHONE)
    sign_in(coordinator, live_server, people["coordinator"], password)
    coordinator.get_by_role("link", name="Wachtlijst").click()
    coordinator.get_by_role("row", name="Amina").get_by_role(
        "button", name="Koppel een vrijwilliger").click()
    ranked = coordinator.locator("section", has_text="Vrijwilligers die passen")
    assert "zelfde locatie" in ranked.inner_text()
    assert "2 dagdelen overlap" in ranked.inner_text()
    assert "helpt met Digitale vaardigheden" in ranked.inner_text()
    apart = coordinator.locator("section", has_text="Kunnen nu niet").inner_text()
    assert "Geen VOG" in apart and "geen VOG" in apart
    assert axe_violations(coordinator) == []
    coordinator.get_by_role("button", name=f"Kies {people['volunteer_name']}").click()
    coordinator.get_by_role("button", name="Koppelen en starten").click()
    assert "is gekoppeld aan Amina" in coordinator.locator("main").inner_text()

    # The volunteer signs in on the phone and sees only Amina.
    volunteer = browser_page(PHONE)
    sign_in(volunteer, live_server, people["volunteer"], password)
    main = volunteer.locator("main")
    assert main.get_by_role("heading", name="Mijn deelnemers").is_visible()
    text = main.inner_text()
    assert "Amina" in text and "Bashir" not in text and "Achternaamgeheim" not in text
    assert "Dinsdag ochtend" in text
    assert axe_violations(volunteer) == []

    # Logging a session: today is filled in, a few taps and one sentence.
    volunteer.get_by_role("button", name="Bijeenkomst vastleggen").click()
    assert volunteer.get_by_label("Datum").input_value()
    volunteer.get_by_label("Wat hebben jullie geoefend?").fill("E-mail aan de werkgever")
    volunteer.get_by_label("Beter worden in digitaal").select_option(label="Goed vooruit")
    volunteer.get_by_label("Opmerking (mag leeg blijven)").fill("Ze heeft geen geld voor eten")
    volunteer.get_by_label("Ik maak me zorgen").check()
    assert axe_violations(volunteer) == []
    save = volunteer.get_by_role("button", name="Opslaan")
    assert save.bounding_box()["width"] > PHONE["width"] * 0.7  # easy to hit with a thumb
    save.click()
    assert "De coördinator ziet uw zorgen" in volunteer.locator("main").inner_text()
    assert "zorgen gemeld" in volunteer.locator("main").inner_text()
    # Nothing on the page scrolls sideways at phone width.
    assert volunteer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The coordinator sees the concern at once.
    coordinator.goto(live_server("/"))
    coordinator.get_by_role("link", name="Zorgen").click()
    concerns = coordinator.locator("main").inner_text()
    assert "Amina" in concerns and "Ze heeft geen geld voor eten" in concerns
    assert axe_violations(coordinator) == []
    coordinator.get_by_role("button", name="Opgepakt").click()
    assert "Geen open zorgen." in coordinator.locator("main").inner_text()
