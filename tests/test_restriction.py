"""Withdrawing "gegevens vastleggen" restricts the person (AVG art. 18): they leave every list,
task list, digest, export and proposal; nothing more is sent to or about them, the referrer
hears nothing more; their page shows only a banner. Recording consent again brings it all back.

Every check has a control person, set up the same way, who stays where they were."""

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.appointments.models import Appointment
from app.audit.models import AuditEvent
from app.auth.permissions import visible_participants
from app.groups.models import GroupMeeting
from app.matching.models import Enrollment
from app.notifications.models import Notification
from app.notifications.service import deliver_pending, notify
from app.participants.models import Participant
from app.participants.service import set_consent
from app.referrals.service import find_possible_duplicates, hidden_duplicate_exists
from app.reports import service as reports
from jobs.sweeps import run_jobs

from . import factories
from .factories import aware

# Wednesday 25 November 2026, 12:00 in Amsterdam: a working day, after the digest hour.
NOW = aware(2026, 11, 25, 11, 0)
WITHDRAWN_AT = aware(2026, 11, 24, 9, 0)


class World:
    """One location with a coordinator (who owns everything), a staff member, a volunteer
    with an account and a group; `person()` adds someone with work in every list."""

    def __init__(self):
        self.location = factories.location("Bibliotheek Oost")
        self.coordinator = factories.user("coordinator", locations=[self.location],
                                          name="Els Visser", email="els@taalhuis.example")
        self.staff = factories.user("staff", locations=[self.location], name="Piet Jansen")
        self.partner = factories.partner("Wijkteam Oost", kind="wijkteam")
        self.partner.signals_enabled = True
        self.contact = factories.partner_contact(self.partner, name="Sanne de Vries",
                                                 email="sanne@wijkteam.example")
        self.volunteer, self.volunteer_user = factories.volunteer_with_account(
            "Anneke", locations=[self.location], capacity=5)
        self.offer = factories.offer(self.location, name="Klik & Tik dinsdag")
        self.meeting = GroupMeeting(offer=self.offer, held_on=date(2026, 11, 24))
        factories.db.session.add(self.meeting)

    def _referred_by_partner(self, trajectory):
        trajectory.referral.partner = self.partner
        trajectory.referral.partner_contact = self.contact
        # The person said yes to this referrer hearing how it goes (consent per referral).
        factories.consent(trajectory.participant, "share_with_referrer", True,
                          recorded_at=aware(2026, 9, 1, 9), by=self.coordinator,
                          referral=trajectory.referral)

    def person(self, first_name: str, last_name: str, email: str, phone: str):
        person = factories.participant(first_name=first_name, last_name=last_name, phone=phone,
                                       email=email, preferred_channel="email")
        for kind in ("processing", "messages"):
            factories.consent(person, kind, True, recorded_at=aware(2026, 9, 1, 9),
                              by=self.coordinator)
        # Waiting too long, with an open (late) check-in and a group place.
        waiting = factories.trajectory(person, location_obj=self.location, status="waiting",
                                       referred_on=date(2026, 9, 1), owner=self.coordinator,
                                       waiting_since=date(2026, 10, 1),
                                       last_contact_at=aware(2026, 11, 20, 9))
        self._referred_by_partner(waiting)
        factories.intake(waiting, availability=["tue-morning"], held_on=date(2026, 9, 20))
        factories.learning_goal(waiting, subject="lezen")
        factories.checkin(waiting, due_on=date(2026, 11, 20), assignee=self.coordinator)
        factories.db.session.add(Enrollment(trajectory=waiting, offer=self.offer,
                                            status="active", started_on=date(2026, 10, 6)))
        # Matched with the volunteer, silent for weeks (no session, no contact), and an
        # intake appointment tomorrow.
        matched = factories.trajectory(person, location_obj=self.location, status="active",
                                       referred_on=date(2026, 9, 1), owner=self.coordinator,
                                       started_on=date(2026, 10, 1),
                                       last_contact_at=aware(2026, 10, 1, 9))
        self._referred_by_partner(matched)
        match = factories.match(matched, self.volunteer, started_on=date(2026, 10, 1))
        # One session, long ago, with a concern nobody picked up.
        factories.match_session(match, held_on=date(2026, 10, 2), concern=True,
                                created_at=aware(2026, 10, 2, 15))
        factories.db.session.add(Appointment(
            trajectory=matched, starts_at=aware(2026, 11, 26, 9), location=self.location,
            with_user_id=self.coordinator.id, planned_by_id=self.coordinator.id,
            created_at=aware(2026, 11, 20, 9)))
        # Just referred, first contact late: the referrals queue.
        referred = factories.trajectory(person, location_obj=self.location, status="referred",
                                        referred_on=date(2026, 11, 16))
        self._referred_by_partner(referred)
        # Reached, nothing planned yet: "zonder volgende stap".
        contacted = factories.trajectory(person, location_obj=self.location,
                                         status="contacted", referred_on=date(2026, 11, 2),
                                         owner=self.coordinator,
                                         last_contact_at=aware(2026, 11, 4, 9))
        factories.db.session.flush()
        person.t = {"waiting": waiting, "matched": matched, "referred": referred,
                    "contacted": contacted, "match": match}
        return person


@pytest.fixture
def world(db):
    w = World()
    w.rachid = w.person("Rachid", "Bakker", "rachid@example.org", "06-11112222")
    w.fatima = w.person("Fatima", "El Amrani", "fatima@example.org", "06-33334444")
    db.session.commit()
    return w


def withdraw(world, person, at=WITHDRAWN_AT):
    set_consent(person, "processing", False, "verbal", world.coordinator, at)
    factories.db.session.commit()


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _main(html: str) -> str:
    """The page without the menu (which names lists, not people)."""
    return html[html.index("<main"):html.index("</main>")]


# --- Restricting and lifting -------------------------------------------------------------------

def test_withdrawing_on_the_consent_form_restricts_and_is_logged(world, client, auth, db,
                                                                 frozen):
    auth.login(world.coordinator)
    response = client.post(f"/deelnemers/{world.rachid.id}/toestemming", data={
        "kind": "processing", "given": "no", "method": "verbal", "note": ""})
    assert response.status_code == 302
    person = db.session.get(Participant, world.rachid.id)
    assert person.is_restricted and person.restricted_at == NOW
    assert person.restricted_by_id == world.coordinator.id
    assert not db.session.get(Participant, world.fatima.id).is_restricted
    summaries = db.session.scalars(sa.select(AuditEvent.summary).where(
        AuditEvent.participant_id == person.id, AuditEvent.object_type == "participant"))
    assert any("verwerking beperkt" in (s or "") for s in summaries)

    # Giving another kind of consent, or withdrawing again, changes nothing.
    set_consent(person, "messages", True, "verbal", world.coordinator, aware(2026, 11, 25, 12))
    db.session.commit()
    assert db.session.get(Participant, world.rachid.id).restricted_at == NOW


def test_the_page_shows_only_the_banner_and_the_two_choices(world, client, auth, db):
    withdraw(world, world.rachid)
    auth.login(world.coordinator)
    html = _main(_page(client, f"/deelnemers/{world.rachid.id}"))
    assert "Rachid Bakker" in html
    assert "Verwerking beperkt op 24 nov 2026 door Els Visser" in html
    assert "Toestemming opnieuw vastleggen" in html
    assert f"/deelnemers/{world.rachid.id}/toestemming?soort=processing" in html
    assert "Gegevens wissen" in html and f"/deelnemers/{world.rachid.id}/wissen" in html
    # No other data of the person: no phone, e-mail, trajectory, location, goal.
    for hidden in ("06 1111", "1111 2222", "rachid@example.org", "Bibliotheek Oost", "Wacht",
                   "Beter worden", "Tijdlijn", "Toestemming</h2>"):
        assert hidden not in html, hidden
    # The consent form opens on "gegevens vastleggen".
    form = _page(client, f"/deelnemers/{world.rachid.id}/toestemming?soort=processing")
    assert '<option selected value="processing">' in form
    # (the preset follows the link: another kind opens on that kind)
    form = _page(client, f"/deelnemers/{world.rachid.id}/toestemming?soort=messages")
    assert '<option selected value="messages">' in form
    # The control person's page is whole.
    other = _page(client, f"/deelnemers/{world.fatima.id}")
    assert "Verwerking beperkt" not in other and "fatima@example.org" in other


def test_staff_see_the_banner_without_the_choices(world, client, auth):
    withdraw(world, world.rachid)
    auth.login(world.staff)
    html = _main(_page(client, f"/deelnemers/{world.rachid.id}"))
    assert "Verwerking beperkt op 24 nov 2026 door Els Visser" in html
    assert "Gegevens wissen" not in html and "Toestemming opnieuw vastleggen" not in html
    assert "rachid@example.org" not in html


def test_the_other_pages_of_the_person_send_back_to_the_banner(world, client, auth):
    withdraw(world, world.rachid)
    auth.login(world.coordinator)
    rachid, fatima = world.rachid, world.fatima
    banner = f"/deelnemers/{rachid.id}"
    for url in (f"/deelnemers/{rachid.id}/bewerken",
                f"/trajecten/{rachid.t['matched'].id}/begeleiding",
                f"/trajecten/{rachid.t['waiting'].id}/koppelen",
                f"/aanmeldingen/{rachid.t['referred'].id}/contact",
                f"/traject/{rachid.t['waiting'].id}/contact",
                f"/intake/{rachid.t['waiting'].id}",
                f"/berichten-deelnemer/deelnemer/{rachid.id}/sturen"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith(banner), url
    page = client.get(f"/deelnemers/{rachid.id}/bewerken", follow_redirects=True)
    assert "De verwerking van de gegevens van deze persoon is beperkt." in page.get_data(
        as_text=True)
    # Changing them is refused too, and the control person's pages still open.
    response = client.post(f"/deelnemers/{rachid.id}/bewerken",
                           data={"first_name": "X", "last_name": "Y"})
    assert response.status_code == 302
    assert factories.db.session.get(Participant, rachid.id).first_name == "Rachid"
    assert client.get(f"/deelnemers/{fatima.id}/bewerken").status_code == 200
    assert client.get(f"/trajecten/{fatima.t['matched'].id}/begeleiding").status_code == 200


# --- Every list ---------------------------------------------------------------------------------

def _lists(world, client, auth) -> dict[str, str]:
    """Every staff page that lists people, as the coordinator (and the volunteer) sees it."""
    day = "2026-11-26"
    auth.login(world.coordinator)
    pages = {
        "participants": _page(client, "/deelnemers/"),
        "search": _page(client, "/deelnemers/?q=a"),
        "my tasks": _page(client, "/taken"),
        "location tasks": _page(client, "/taken?van=vestiging"),
        "out of view": _page(client, "/buiten-beeld"),
        "without next step": _page(client, "/zonder-volgende-stap"),
        "concerns": _page(client, "/zorgen"),
        "waiting list": _page(client, "/koppelen/"),
        "referrals queue": _page(client, "/aanmeldingen/"),
        "agenda": _page(client, f"/agenda/?locatie={world.location.id}&dag={day}"),
        "group": _page(client, f"/groepen/{world.offer.id}"),
        "group register": _page(client, f"/bijeenkomsten/{world.meeting.id}"),
        "volunteer": _page(client, f"/vrijwilligers/{world.volunteer.id}"),
        "proposals": _page(client, f"/vrijwilligers/{world.volunteer.id}/wie-past"),
        "dashboard": _page(client, "/rapportage/"),
        "export": _page(client, "/rapportage/deelnemers.csv"),
    }
    auth.logout()
    auth.login(world.volunteer_user)
    pages["volunteer's own"] = _page(client, "/mijn/deelnemers")
    pages["volunteer's tasks"] = _page(client, "/taken")
    auth.logout()
    return pages


def test_a_restricted_person_leaves_every_list_and_the_control_stays(world, client, auth, db,
                                                                     frozen):
    from jobs.scan import out_of_view_scan

    withdraw(world, world.rachid)
    out_of_view_scan(NOW)  # flags the silent trajectories (the control's only)
    db.session.commit()
    pages = _lists(world, client, auth)
    for name, html in pages.items():
        assert "Rachid" not in html and "Bakker" not in html, name
        if name not in ("volunteer's tasks",):
            assert "Fatima" in html, name
    # Mijn taken keeps the control person's check-in; the volunteer has no task of theirs.
    assert "Fatima" in pages["my tasks"] and "Fatima" in pages["location tasks"]


def test_the_duplicate_check_does_not_show_a_restricted_person(world, db):
    withdraw(world, world.rachid)
    scope = visible_participants(world.coordinator)
    assert find_possible_duplicates(scope, "Rachid", "Bakker", "06-11112222", 1985) == []
    assert not hidden_duplicate_exists(world.staff, "Rachid", "Bakker", "06-11112222", 1985)
    assert find_possible_duplicates(scope, "Fatima", "El Amrani", "06-33334444", 1985) == [
        world.fatima]


def test_exports_leave_the_person_out_and_the_report_numbers_stay(world, client, auth, db,
                                                                  frozen):
    auth.login(world.coordinator)
    numbers_before = _page(client, "/rapportage/gemeente.csv")
    monitor_before = _page(client, "/rapportage/monitor.csv")
    withdraw(world, world.rachid)
    numbers_after = _page(client, "/rapportage/gemeente.csv")
    monitor_after = _page(client, "/rapportage/monitor.csv")
    # The counts keep counting the person: the numbers must stay right.
    assert numbers_after == numbers_before
    secret = client.application.config["SECRET_KEY"]
    rachid, fatima = (reports.pseudonym(p.id, secret) for p in (world.rachid, world.fatima))
    assert rachid in monitor_before and fatima in monitor_before
    assert rachid not in monitor_after and fatima in monitor_after
    rows = list(csv.reader(io.StringIO(_page(client, "/rapportage/deelnemers.csv"),
                                       newline=""), delimiter=";"))
    text = "\n".join(";".join(r) for r in rows)
    assert "Fatima" in text and "Rachid" not in text


# --- Nothing is sent ----------------------------------------------------------------------------

def _all_mail(smtp_server) -> str:
    return "\n\n".join(f"{m['To']}\n{m['Subject']}\n{smtp_server.body(m)}"
                       for m in smtp_server.messages)


def _ledger_about(db, person) -> list[Notification]:
    keys = [f"{prefix}:{obj.id}" for prefix, obj in (
        ("trajectory", person.t["waiting"]), ("trajectory", person.t["matched"]),
        ("trajectory", person.t["referred"]), ("trajectory", person.t["contacted"]),
        ("match", person.t["match"]))]
    keys += [f"appointment:{a}" for a in db.session.scalars(sa.select(Appointment.id).where(
        Appointment.trajectory_id == person.t["matched"].id))]
    return db.session.scalars(sa.select(Notification).where(sa.or_(
        Notification.participant_id == person.id, Notification.subject_key.in_(keys)))).all()


def test_the_jobs_send_nothing_to_or_about_a_restricted_person(world, db, smtp_server,
                                                               frozen):
    withdraw(world, world.rachid)
    run_jobs(NOW)
    mail = _all_mail(smtp_server)
    # The control person: an intake reminder and "niet vergeten" to her, the referrer's
    # "buiten beeld" signal, the coordinator's digest and the volunteer's reminder about her.
    assert "fatima@example.org" in mail and "sanne@wijkteam.example" in mail
    assert "els@taalhuis.example" in mail and "Fatima" in mail
    assert world.volunteer_user.email in mail
    # Nothing to or about the restricted person: not to them, not in a digest, not to the
    # volunteer, nothing to the referrer.
    assert "Rachid" not in mail and "rachid@example.org" not in mail
    assert _ledger_about(db, world.rachid) == []
    in_app = db.session.scalars(sa.select(Notification.subject).where(
        Notification.channel == "app")).all()
    assert in_app and not any("Rachid" in s for s in in_app)
    assert any("Fatima" in s for s in in_app)


def test_what_was_queued_before_the_restriction_is_not_sent(world, db, smtp_server, frozen):
    from jobs.participant_messages import job as participant_messages
    from jobs.scan import out_of_view_scan
    from jobs.sweeps import referrer_signals

    out_of_view_scan(NOW)
    referrer_signals(NOW)
    participant_messages(NOW)
    db.session.commit()
    queued = [n for n in _ledger_about(db, world.rachid) if n.channel != "app"]
    assert {n.kind for n in queued} >= {"referrer_signal"}
    assert any(n.participant_id == world.rachid.id for n in queued)
    withdraw(world, world.rachid, at=NOW)
    deliver_pending(NOW)
    mail = _all_mail(smtp_server)
    assert "Rachid" not in mail and "rachid@example.org" not in mail
    assert "Fatima" in mail
    for note in _ledger_about(db, world.rachid):
        db.session.refresh(note)
        assert note.sent_at is None or note.channel == "app", (note.kind, note.status)


def test_a_message_claimed_after_the_restriction_is_refused_at_delivery(world, db,
                                                                        smtp_server):
    withdraw(world, world.rachid)
    for person in (world.rachid, world.fatima):
        notify(kind="session_concern", subject_key=f"match:{person.t['match'].id}",
               recipient=world.coordinator, period_key="x",
               subject=f"Zorgen over {person.first_name}", body="Bel even.", link=None,
               now=NOW)
    db.session.commit()
    deliver_pending(NOW)
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == ["Zorgen over Fatima"]
    refused = db.session.scalar(sa.select(Notification).where(
        Notification.subject == "Zorgen over Rachid"))
    assert refused.status == "skipped"


# --- Consent again: everything is back -------------------------------------------------------

def test_recording_consent_again_brings_them_back(world, client, auth, db, frozen):
    withdraw(world, world.rachid)
    auth.login(world.coordinator)
    response = client.post(f"/deelnemers/{world.rachid.id}/toestemming", data={
        "kind": "processing", "given": "yes", "method": "verbal", "note": ""})
    assert response.status_code == 302
    person = db.session.get(Participant, world.rachid.id)
    assert person.restricted_at is None and person.restricted_by_id is None
    auth.logout()
    pages = _lists(world, client, auth)
    for name in ("participants", "my tasks", "location tasks", "waiting list", "concerns",
                 "without next step", "referrals queue", "agenda", "group", "group register",
                 "proposals", "volunteer's own", "export", "dashboard"):
        assert "Rachid" in pages[name], name
    auth.login(world.coordinator)
    html = _page(client, f"/deelnemers/{world.rachid.id}")
    assert "Verwerking beperkt" not in html and "rachid@example.org" in html


def test_the_in_app_list_leaves_out_what_is_about_a_restricted_person(world, client, auth, db,
                                                                      frozen):
    from jobs.scan import out_of_view_scan

    out_of_view_scan(NOW)  # "Buiten beeld" and "wacht al" alerts about both, in the app
    db.session.commit()
    auth.login(world.coordinator)
    before_page = _page(client, "/berichten/")
    before = _main(before_page)
    assert "Rachid" in before and "Fatima" in before
    unread = int(re.search(r'<span class="badge badge-alert">(\d+)', before_page)[1])
    withdraw(world, world.rachid, at=NOW)
    after_page = _page(client, "/berichten/")
    after = _main(after_page)
    assert "Rachid" not in after and "Fatima" in after
    # The menu's unread count no longer counts what the list does not show.
    about_fatima = int(re.search(r'<span class="badge badge-alert">(\d+)', after_page)[1])
    assert 0 < about_fatima < unread


def test_a_letter_waiting_to_be_printed_is_taken_off_the_list(world, client, auth, db):
    from app.messaging.service import queue_message

    notes = {}
    for person in (world.rachid, world.fatima):
        person.preferred_channel = "letter"
        notes[person.first_name] = queue_message(
            participant=person, trajectory=person.t["waiting"], code="free",
            subject_key=f"free:{person.id}", period_key="once",
            values={"tekst": "Tot dinsdag.", "afzender": "Els"}, now=NOW)
    db.session.commit()
    withdraw(world, world.rachid, at=NOW)
    assert db.session.get(Notification, notes["Rachid"].id).status == "skipped"
    assert db.session.get(Notification, notes["Fatima"].id).status == "pending"
    # And nothing new is queued for the restricted person, in no channel.
    assert queue_message(participant=db.session.get(Participant, world.rachid.id),
                         trajectory=world.rachid.t["waiting"], code="free",
                         subject_key="free:again", period_key="once",
                         values={"tekst": "Nog iets.", "afzender": "Els"}, now=NOW) is None


def test_the_referrer_is_told_nothing_more_on_the_portal(world, client, auth, db):
    referrer = factories.user("partner", partner=world.partner, email="sanne@wijkteam.example")
    db.session.commit()
    auth.login(referrer)
    stages = {}
    for person in (world.rachid, world.fatima):
        referral_id = person.t["matched"].referral.id
        stages[person.first_name] = _main(_page(client, f"/partner/aanmeldingen/{referral_id}"))
    assert "Gestart" in stages["Rachid"] and "Gestart" in stages["Fatima"]
    withdraw(world, world.rachid)
    rachid = _main(_page(client, f"/partner/aanmeldingen/{world.rachid.t['matched'].referral.id}"))
    fatima = _main(_page(client, f"/partner/aanmeldingen/{world.fatima.t['matched'].referral.id}"))
    assert "Gestart" not in rachid and "Aangemeld" in rachid
    assert "Gestart" in fatima


def test_leaving_them_out_costs_no_query_per_person(world, client, auth, db, count_queries,
                                                    frozen):
    """The filter is one condition in each list's own query: the pages cost the same number
    of queries with one restricted person as with many."""
    urls = ("/deelnemers/", "/taken?van=vestiging", "/koppelen/", "/aanmeldingen/")

    def costs():
        result = {}
        for url in urls:
            with count_queries() as statements:
                _page(client, url)
            result[url] = len(statements)
        return result

    withdraw(world, world.rachid)
    auth.login(world.coordinator)
    one = costs()
    for n in range(6):
        extra = world.person(f"Sami{n}", "Yilmaz", f"sami{n}@example.org", f"06-5555{n:04d}")
        set_consent(extra, "processing", False, "verbal", world.coordinator, WITHDRAWN_AT)
    db.session.commit()
    assert costs() == one


def test_a_restricted_person_can_be_erased_from_the_banner_with_all_their_data(
        world, client, auth, db, frozen):
    """The banner's "Gegevens wissen" leads to an erasure that sees (and removes) everything
    of the person, although every list leaves them out."""
    from app.privacy.models import ErasureRequest
    from app.referrals.models import Referral

    withdraw(world, world.rachid)
    auth.login(world.coordinator)
    banner = _page(client, f"/deelnemers/{world.rachid.id}")
    erase_url = f"/deelnemers/{world.rachid.id}/wissen"
    assert f'href="{erase_url}"' in banner
    page = _page(client, erase_url)
    # The counts of what goes are the person's own, not the (empty) lists' view of them.
    assert "Er is nog een open traject" in page and "Bakker" in page
    assert client.post(erase_url, data={"submit": "1"}).status_code == 302
    auth.logout()

    admin = factories.user("admin", name="Ada Beheer")
    db.session.commit()
    auth.login(admin)
    erasure = db.session.scalar(sa.select(ErasureRequest).where(
        ErasureRequest.participant_id == world.rachid.id))
    assert client.post(f"/beheer/wissen/{erasure.id}", data={"confirm": "1"}).status_code == 302
    db.session.expire_all()
    person = db.session.get(Participant, world.rachid.id)
    assert person.anonymised_at is not None and "Bakker" not in person.full_name
    assert person.email is None and person.phone is None
    questions = db.session.scalars(sa.select(Referral.question).join(Referral.trajectory).where(
        Referral.trajectory.has(participant_id=world.rachid.id))).all()
    assert questions and set(questions) == {"[verwijderd]"}
    # The control person is untouched.
    assert db.session.get(Participant, world.fatima.id).anonymised_at is None


def test_a_restricted_person_keeps_the_right_to_see_their_data(world, client, auth, db,
                                                              frozen):
    """The lists leave them out; the inzage (and "who looked") from the banner does not."""
    withdraw(world, world.rachid)
    auth.login(world.coordinator)
    banner = _page(client, f"/deelnemers/{world.rachid.id}")
    inzage_url = f"/deelnemers/{world.rachid.id}/inzage"
    assert f'href="{inzage_url}"' in banner
    assert f'href="/deelnemers/{world.rachid.id}/wie-keek-er"' in banner
    html = _page(client, inzage_url)
    assert "Rachid" in html and "Klik &amp; Tik dinsdag" in html and "Beter lezen" in html
    data = client.get(f"{inzage_url}.json").get_json()
    assert len(data["trajectories"]) == 4


def test_the_restricted_are_found_on_their_own_list_by_a_coordinator(world, client, auth, db,
                                                                     frozen):
    """Every other list leaves them out; this one lets a coordinator find them again (to
    record consent anew, or to ask for an erasure), and only them."""
    withdraw(world, world.rachid)
    auth.login(world.coordinator)
    index = _page(client, "/deelnemers/")
    assert 'href="/deelnemers/beperkt"' in index and "Rachid" not in _main(index)
    listing = _main(_page(client, "/deelnemers/beperkt"))
    assert f'href="/deelnemers/{world.rachid.id}"' in listing and "Rachid Bakker" in listing
    assert "Els Visser" in listing and "Fatima" not in listing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "restricted_list",
        AuditEvent.participant_id == world.rachid.id)) == 1
    auth.logout()
    # Staff may not ask for an erasure: no such list for them.
    auth.login(world.staff)
    assert client.get("/deelnemers/beperkt").status_code == 403
    assert 'href="/deelnemers/beperkt"' not in _page(client, "/deelnemers/")
