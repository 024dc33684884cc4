"""Paper for people who prefer a letter (and anyone who needs one): the appointment card as
a printable page and several as one PDF, the "Te printen" list of a location, and
"Geprint of meegegeven" marking a letter once; the location's address, phone and directions
under Beheer."""

import io
import re
from datetime import UTC, datetime

import pypdf
import sqlalchemy as sa

from app.admin.models import Location
from app.appointments.models import Appointment
from app.audit.models import AuditEvent
from app.messaging.service import queue_message
from app.messaging.texts import place_text, say_moment
from app.notifications.models import Notification

from . import factories

# Monday 7 December 2026, 10:00 in Amsterdam: the intakes below are tomorrow.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
# Tuesday 8 December 2026, 10.30 in Amsterdam.
TUESDAY_1030 = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def _location(name="Bibliotheek Centrum") -> Location:
    location = factories.location(name)
    location.address = "Oudegracht 12, 3511 AB Utrecht"
    location.phone = "+31302345678"
    location.directions = "Ingang naast de bibliotheek, 1e etage"
    return location


def _intake(location, first_name="Fatima", starts_at=TUESDAY_1030, channel="letter",
            status="planned", room="Spreekkamer 2") -> Appointment:
    host = factories.user("staff", locations=[location])
    person = factories.participant(first_name=first_name, preferred_channel=channel)
    trajectory = factories.trajectory(person, location_obj=location, status="intake_planned")
    appointment = Appointment(trajectory=trajectory, starts_at=starts_at, location=location,
                              room=room, with_user_id=host.id, status=status)
    factories.db.session.add(appointment)
    factories.db.session.flush()
    return appointment


def _letter(appointment) -> Notification:
    trajectory = appointment.trajectory
    return queue_message(
        participant=trajectory.participant, trajectory=trajectory, code="intake_confirmation",
        subject_key=f"appointment:{appointment.id}", period_key="confirmation",
        values={"datum": say_moment(appointment.starts_at),
                "adres": place_text(appointment.location, appointment.room)}, now=NOW)


def _pdf_pages(body: bytes) -> list[str]:
    """The text of each page, its lines and spaces joined to single spaces."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


# --- The location under Beheer -----------------------------------------------------------

def test_admin_gives_a_location_its_address_phone_and_directions(client, auth, db):
    auth.as_role("admin")
    location = factories.location("Buurthuis De Linde")
    db.session.commit()
    response = client.post(f"/beheer/vestigingen/{location.id}/", data={
        "name": "Buurthuis De Linde", "municipality": "Utrecht", "owner_mode": "registrar",
        "address": "Lindelaan 4, 3521 AB Utrecht", "phone": "030-2345678",
        "directions": "Blauwe deur aan de achterkant"})
    assert response.status_code == 302
    db.session.expire_all()
    location = db.session.get(Location, location.id)
    assert (location.address, location.phone, location.directions) == (
        "Lindelaan 4, 3521 AB Utrecht", "+31302345678", "Blauwe deur aan de achterkant")
    listing = html_of(client.get("/beheer/vestigingen/"))
    assert "Lindelaan 4, 3521 AB Utrecht" in listing and "030 234 5678" in listing
    form = html_of(client.get(f"/beheer/vestigingen/{location.id}/"))
    assert 'value="030 234 5678"' in form and "Hoe vindt u ons" in form


def test_a_phone_number_that_is_none_is_refused_at_the_field(client, auth, db):
    auth.as_role("admin")
    location = factories.location("Buurthuis De Eik")
    db.session.commit()
    response = client.post(f"/beheer/vestigingen/{location.id}/", data={
        "name": "Buurthuis De Eik", "municipality": "Utrecht", "owner_mode": "registrar",
        "address": "Eikstraat 1", "phone": "12345", "directions": ""})
    page = html_of(response)
    assert response.status_code == 200
    assert re.search(r'id="phone-error"[^>]*>\s*Dit is geen telefoonnummer', page)
    assert 'value="Eikstraat 1"' in page and 'value="12345"' in page
    db.session.expire_all()
    assert db.session.get(Location, location.id).phone is None


# --- The card ------------------------------------------------------------------------------

def test_the_card_says_who_when_where_and_whom_to_call(client, auth, db, frozen):
    location = _location()
    appointment = _intake(location, first_name="Łukasz")
    staff = factories.user("staff", locations=[location])
    db.session.commit()
    auth.login(staff)

    page = html_of(client.get(f"/agenda/{appointment.id}/kaart"))
    assert "Łukasz" in page and "Uw afspraak bij het Taalhuis" in page
    assert "dinsdag 8 december, 10.30 uur" in page
    assert "Bibliotheek Centrum, Spreekkamer 2, Oudegracht 12, 3511 AB Utrecht" in page
    assert "Ingang naast de bibliotheek, 1e etage" in page and "030 234 5678" in page
    for pictogram in ("building", "calendar", "clock", "phone"):
        assert f"pictograms/{pictogram}.svg" in page
        with client.get(f"/static/pictograms/{pictogram}.svg") as svg:
            assert svg.status_code == 200 and b"<svg" in svg.data
    assert "print-card.css" in page
    with client.get("/static/css/print-card.css") as css:
        assert b"@media print" in css.data
    # The agenda of that day links the card, and the day's PDF.
    agenda = html_of(client.get(f"/agenda/?locatie={location.id}&dag=2026-12-08"))
    assert f"/agenda/{appointment.id}/kaart" in agenda and "Kaart printen" in agenda
    assert "Kaarten voor dinsdag 8 december 2026" in agenda
    viewed = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "appointment_card", AuditEvent.object_id == appointment.id))
    assert viewed.user_id == staff.id
    assert viewed.participant_id == appointment.trajectory.participant_id


def test_the_participant_page_links_the_card_of_the_planned_intake(client, auth, db, frozen):
    location = _location()
    appointment = _intake(location)
    staff = factories.user("staff", locations=[location])
    db.session.commit()
    auth.login(staff)
    page = html_of(client.get(f"/deelnemers/{appointment.trajectory.participant_id}"))
    assert f"/agenda/{appointment.id}/kaart" in page and "Kaart printen" in page


def test_staff_of_another_location_cannot_open_the_card(client, auth, db, frozen):
    appointment = _intake(_location())
    db.session.commit()
    auth.as_role("staff")  # works at a location of its own
    assert client.get(f"/agenda/{appointment.id}/kaart").status_code == 404
    assert client.get(f"/agenda/kaarten.pdf?locatie={appointment.location_id}"
                      "&dag=2026-12-08").status_code == 404


def test_the_pdf_has_a_card_for_each_planned_intake_of_tomorrow(client, auth, db, frozen):
    location = _location()
    names = ["Fatima", "Oleksandr", "Łukasz", "Zoë", "Олександр"]
    for minute, name in enumerate(names):
        _intake(location, first_name=name,
                starts_at=TUESDAY_1030.replace(minute=30 + minute * 5))
    # Not on the cards: cancelled, another day, another location.
    _intake(location, first_name="Geannuleerd", status="cancelled")
    _intake(location, first_name="Woensdag", starts_at=datetime(2026, 12, 9, 9, 30, tzinfo=UTC))
    _intake(_location("Buurthuis Noord"), first_name="Elders")
    staff = factories.user("staff", locations=[location])
    db.session.commit()
    auth.login(staff)

    response = client.get(f"/agenda/kaarten.pdf?locatie={location.id}&dag=2026-12-08")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pdf_pages(response.data)
    # One card a page, by time; the day and the time each on a line of their own.
    assert len(pages) == len(names)
    for minute, (name, text) in enumerate(zip(names, pages, strict=True)):
        assert text.startswith(f"{name} Uw afspraak bij het Taalhuis")
        assert f"dinsdag 8 december {10}.{30 + minute * 5} uur" in text
        assert "Oudegracht 12, 3511 AB Utrecht" in text and "030 234 5678" in text
        assert "Ingang naast de bibliotheek, 1e etage" in text
    everything = " ".join(pages)
    for other in ("Geannuleerd", "Woensdag", "Elders"):
        assert other not in everything
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "appointment_card")) == len(names)


def test_a_day_without_planned_intakes_gives_no_empty_pdf(client, auth, db, frozen):
    location = _location()
    staff = factories.user("staff", locations=[location])
    db.session.commit()
    auth.login(staff)
    response = client.get(f"/agenda/kaarten.pdf?locatie={location.id}&dag=2026-12-08",
                          follow_redirects=True)
    assert "Op deze dag staan geen geplande intakes" in html_of(response)


# --- Te printen ----------------------------------------------------------------------------

def test_the_print_list_shows_the_letters_of_my_location_only(client, auth, db, frozen):
    mine, other = _location(), _location("Buurthuis Noord")
    card = _letter(_intake(mine, first_name="Zoë"))
    free_person = factories.participant(first_name="Oleksandr", last_name="Petrenko",
                                        preferred_channel="letter")
    free_trajectory = factories.trajectory(free_person, location_obj=mine)
    free = queue_message(participant=free_person, trajectory=free_trajectory, code="free",
                         subject_key="free:abc", period_key="free", now=NOW,
                         values={"tekst": "Wij hebben een plek voor u.", "afzender": "Sanne"})
    _letter(_intake(other, first_name="Elders"))
    # An SMS is no letter.
    sms_person = factories.participant(first_name="Sms", preferred_channel="sms")
    factories.consent(sms_person, kind="messages", given=True)
    _letter(_intake(mine, first_name="Sms", channel="sms"))
    staff = factories.user("staff", locations=[mine])
    db.session.commit()
    auth.login(staff)

    page = html_of(client.get("/berichten-deelnemer/te-printen"))
    assert "Zoë E." in page and "Oleksandr P." in page
    assert "Elders" not in page and "Sms" not in page
    assert "Intake: bevestiging" in page and "Eigen bericht" in page
    assert "Te printen" in page and re.search(r"Te printen <span class=\"badge[^>]*>2<", page)

    # The card of an appointment letter; the own text of another letter, in large type.
    letter = html_of(client.get(f"/berichten-deelnemer/te-printen/{card.id}"))
    assert "dinsdag 8 december, 10.30 uur" in letter and "Uw afspraak bij het Taalhuis" in letter
    letter = html_of(client.get(f"/berichten-deelnemer/te-printen/{free.id}"))
    assert "Wij hebben een plek voor u." in letter and "pictograms/phone.svg" in letter
    others = db.session.scalar(sa.select(Notification.id).where(
        Notification.body.contains("Elders")))
    assert client.get(f"/berichten-deelnemer/te-printen/{others}").status_code == 404
    assert client.post(f"/berichten-deelnemer/te-printen/{others}/geprint").status_code == 404


def test_printed_marks_the_letter_once(client, auth, db, frozen):
    location = _location()
    note = _letter(_intake(location))
    staff = factories.user("staff", locations=[location])
    db.session.commit()
    auth.login(staff)

    first = client.post(f"/berichten-deelnemer/te-printen/{note.id}/geprint",
                        follow_redirects=True)
    assert "deze brief is geprint of meegegeven" in html_of(first)
    second = client.post(f"/berichten-deelnemer/te-printen/{note.id}/geprint",
                         follow_redirects=True)
    assert "Deze brief was al afgevinkt." in html_of(second)
    db.session.expire_all()
    note = db.session.get(Notification, note.id)
    assert note.status == "sent" and note.sent_at == NOW
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "letter", AuditEvent.action == "update")) == 1
    assert "Er is niets te printen." in html_of(client.get("/berichten-deelnemer/te-printen"))


def test_a_volunteer_has_no_print_list(client, auth, db):
    auth.as_role("volunteer")
    assert client.get("/berichten-deelnemer/te-printen").status_code == 403


def test_the_card_of_a_moved_appointment_says_not_to_print_it(client, auth, db, frozen):
    location = _location()
    appointment = _intake(location)
    note = _letter(appointment)
    appointment.status = "moved"
    staff = factories.user("staff", locations=[location])
    db.session.commit()
    auth.login(staff)
    page = html_of(client.get(f"/berichten-deelnemer/te-printen/{note.id}"))
    assert "deze afspraak staat niet meer gepland" in page


def test_the_print_list_takes_the_same_queries_for_a_longer_page(
        client, auth, db, frozen, count_queries):
    location = _location()
    staff = factories.user("staff", locations=[location])
    for name in ("Fatima", "Zoë"):
        _letter(_intake(location, first_name=name))
    db.session.commit()
    auth.login(staff)

    def statements_of_page() -> int:
        with count_queries() as statements:
            assert client.get("/berichten-deelnemer/te-printen").status_code == 200
        return len(statements)

    few = statements_of_page()
    for name in ("Oleksandr", "Łukasz", "Amira", "Yusuf"):
        _letter(_intake(location, first_name=name))
    db.session.commit()
    assert statements_of_page() == few
