"""The participant list, the participant page, editing details, consent and ownership."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.participants.models import Consent, Participant, Trajectory

from . import factories

NOW = factories.aware(2026, 11, 16, 10, 0)


@pytest.fixture
def desk(db, auth, frozen):
    """A staff member signed in at one location."""
    loc = factories.location("Bibliotheek Centrum")
    staff = auth.as_role("staff", locations=[loc])
    return {"location": loc, "staff": staff}


def _person(loc, first="Fatima", last="El Amrani", phone="0612345678", **kwargs):
    p = factories.participant(first_name=first, last_name=last, phone=phone)
    t = factories.trajectory(p, location_obj=loc, **kwargs)
    return p, t


def _names(html: str, *names) -> list[str]:
    return [name for name in names if name in html]


# --- The list ---------------------------------------------------------------------------------

def test_list_search_by_name_is_partial_and_ignores_case(client, db, desk):
    _person(desk["location"], "Fatima", "El Amrani")
    _person(desk["location"], "Jan", "de Boer", phone="0687654321")
    db.session.commit()
    html = client.get("/deelnemers/?q=FATI").get_data(as_text=True)
    assert _names(html, "Fatima El Amrani", "Jan de Boer") == ["Fatima El Amrani"]
    html = client.get("/deelnemers/?q=boer").get_data(as_text=True)
    assert _names(html, "Fatima El Amrani", "Jan de Boer") == ["Jan de Boer"]
    html = client.get("/deelnemers/?q=fatima amr").get_data(as_text=True)
    assert _names(html, "Fatima El Amrani", "Jan de Boer") == ["Fatima El Amrani"]
    assert "1 deelnemer gevonden." in html


@pytest.mark.parametrize("typed", ["06 1234 5678", "+31 6 1234 5678", "06-12345678", "5678",
                                   "06 123"])
def test_list_search_by_phone_matches_digits(client, db, desk, typed):
    _person(desk["location"], "Fatima", "El Amrani", phone="0612345678")
    _person(desk["location"], "Jan", "de Boer", phone="0687654321")
    db.session.commit()
    html = client.get("/deelnemers/", query_string={"q": typed}).get_data(as_text=True)
    assert _names(html, "Fatima El Amrani", "Jan de Boer") == ["Fatima El Amrani"]


def test_list_filters_on_status_location_and_owner_of_newest_trajectory(client, db, auth,
                                                                          frozen):
    north, south = factories.location("Noord"), factories.location("Zuid")
    coordinator = auth.as_role("coordinator", locations=[north, south])
    old_waiting, _ = _person(north, "Anna", "Oud", status="waiting")
    # Anna came back: her newest trajectory is referred again, at Zuid.
    factories.trajectory(old_waiting, location_obj=south, status="referred")
    _person(north, "Bram", "Wacht", status="waiting", owner=coordinator)
    _person(south, "Cor", "Actief", status="active",
            out_of_view_since=factories.aware(2026, 11, 1, 6, 0))
    db.session.commit()
    names = ("Anna Oud", "Bram Wacht", "Cor Actief")

    html = client.get("/deelnemers/?status=waiting").get_data(as_text=True)
    assert _names(html, *names) == ["Bram Wacht"]
    html = client.get(f"/deelnemers/?location={south.id}").get_data(as_text=True)
    assert _names(html, *names) == ["Anna Oud", "Cor Actief"]
    html = client.get("/deelnemers/?owner=me").get_data(as_text=True)
    assert _names(html, *names) == ["Bram Wacht"]
    html = client.get("/deelnemers/?status=out_of_view").get_data(as_text=True)
    assert _names(html, *names) == ["Cor Actief"]
    assert "Buiten beeld</span>" in html
    html = client.get("/deelnemers/?owner=none&status=open").get_data(as_text=True)
    assert _names(html, *names) == ["Anna Oud", "Cor Actief"]
    # A value that is not an option is no filter (and no error).
    html = client.get("/deelnemers/?status=bestaat-niet&location=abc").get_data(as_text=True)
    assert _names(html, *names) == list(names)


def test_list_is_paginated_and_the_pager_keeps_the_search(client, db, desk):
    for i in range(30):
        _person(desk["location"], "Sam", f"Achternaam{i:02d}", phone=f"06000000{i:02d}")
    db.session.commit()
    first = client.get("/deelnemers/?q=sam").get_data(as_text=True)
    assert first.count('href="/deelnemers/') >= 25
    assert "Achternaam24" in first and "Achternaam25" not in first
    assert "30 deelnemers gevonden." in first
    assert 'href="/deelnemers/?page=2&amp;q=sam"' in first
    second = client.get("/deelnemers/?q=sam&page=2").get_data(as_text=True)
    assert "Achternaam25" in second and "Achternaam29" in second
    assert "Achternaam24" not in second


def _queries_for(client, count_queries, url: str) -> int:
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_list_query_count_does_not_grow_with_rows(client, db, auth, frozen, count_queries):
    loc = factories.location()
    coordinator = auth.as_role("coordinator", locations=[loc])
    for i in range(3):
        _person(loc, "Lid", f"Nummer{i}", owner=coordinator,
                last_contact_at=factories.aware(2026, 11, 10, 9, 0))
    db.session.commit()
    few = _queries_for(client, count_queries, "/deelnemers/")
    for i in range(3, 20):
        _person(loc, "Lid", f"Nummer{i}", owner=factories.user("coordinator", locations=[loc]),
                last_contact_at=factories.aware(2026, 11, 10, 9, 0))
    db.session.commit()
    many = _queries_for(client, count_queries, "/deelnemers/")
    assert few == many


def test_names_with_html_are_escaped(client, db, desk):
    p, t = _person(desk["location"], "<b>Ali</b>", "<script>x()</script>")
    factories.learning_goal(t, own_words="<i>lezen</i>")
    db.session.commit()
    for url in ("/deelnemers/", f"/deelnemers/{p.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<b>Ali</b>" not in html and "<script>x()" not in html
        assert "&lt;b&gt;Ali&lt;/b&gt;" in html
    assert "<i>lezen</i>" not in html and "&lt;i&gt;lezen&lt;/i&gt;" in html


def test_staff_sees_only_their_own_locations(client, db, desk):
    mine, _ = _person(desk["location"], "Eigen", "Deelnemer")
    elsewhere, _ = _person(factories.location("Elders"), "Andere", "Deelnemer")
    db.session.commit()
    html = client.get("/deelnemers/").get_data(as_text=True)
    assert _names(html, "Eigen Deelnemer", "Andere Deelnemer") == ["Eigen Deelnemer"]
    assert client.get(f"/deelnemers/{elsewhere.id}").status_code == 404
    assert client.get(f"/deelnemers/{elsewhere.id}/bewerken").status_code == 404
    assert client.get(f"/deelnemers/{elsewhere.id}/toestemming").status_code == 404
    assert client.get(f"/deelnemers/{mine.id}").status_code == 200


def test_participant_with_an_older_trajectory_elsewhere_shows_only_what_staff_may_see(
        client, db, desk):
    p, _ = _person(desk["location"], "Twee", "Trajecten")
    factories.trajectory(p, location_obj=factories.location("Bibliotheek Elders"),
                         referred_on=date(2024, 1, 10))
    db.session.commit()
    html = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "Bibliotheek Centrum" in html
    assert "Bibliotheek Elders" not in html


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_volunteers_and_partners_have_no_participant_pages(client, db, auth, role):
    auth.as_role(role)
    p, _ = _person(factories.location())
    db.session.commit()
    assert client.get("/deelnemers/").status_code == 403
    assert client.get(f"/deelnemers/{p.id}").status_code == 404
    assert client.get(f"/deelnemers/{p.id}/bewerken").status_code in (403, 404)


def test_admin_sees_everyone(client, db, auth, frozen):
    auth.as_role("admin")
    a, _ = _person(factories.location("Noord"), "Noor", "Noord")
    b, _ = _person(factories.location("Zuid"), "Zoë", "Zuid")
    lonely = factories.participant(first_name="Zonder", last_name="Traject")
    db.session.commit()
    html = client.get("/deelnemers/").get_data(as_text=True)
    assert _names(html, "Noor Noord", "Zoë Zuid", "Zonder Traject") == [
        "Noor Noord", "Zoë Zuid", "Zonder Traject"]
    for p in (a, b, lonely):
        assert client.get(f"/deelnemers/{p.id}").status_code == 200


# --- The participant page ------------------------------------------------------------------

def test_page_shows_details_trajectory_timeline_and_next_due(client, db, desk):
    p, t = _person(desk["location"], "Fatima", "El Amrani", status="waiting",
                   waiting_since=date(2026, 11, 10),
                   last_contact_at=factories.aware(2026, 11, 10, 9, 0))
    p.native_language = "Tamazight"
    factories.intake(t, held_on=date(2026, 11, 10), by=desk["staff"],
                     level_speaking="A1", availability=["tue-morning"],
                     advised_offer="taalmaatje", created_at=factories.aware(2026, 11, 10, 9, 0))
    factories.learning_goal(t, own_words="Brieven van de gemeente kunnen lezen",
                            target_date=date(2027, 2, 1),
                            created_at=factories.aware(2026, 11, 10, 9, 5))
    factories.consent(p, "processing", True, by=desk["staff"])
    db.session.commit()

    html = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "<h1>Fatima El Amrani</h1>" in html
    assert "Tamazight" in html
    assert "Wacht op aanbod" in html
    # timeline: intake, goal, consent
    timeline = html.split('id="tijdlijn"')[1]
    assert "Intakegesprek" in timeline
    assert "Leerdoel gemaakt" in timeline
    assert "Toestemming gegeven: Gegevens vastleggen door het Taalhuis" in timeline
    # next due: the goal's target date
    assert "Doeldatum leerdoel: Brieven van de gemeente kunnen lezen" in html
    assert 'datetime="2027-02-01"' in html
    # intake summary with the availability grid, read-only
    assert "Taalmaatje 1-op-1" in html
    assert "Dinsdag ochtend: kan" in html and "Maandag ochtend: kan niet" in html
    assert 'type="checkbox"' not in html
    assert f'href="/intake/{t.id}"' in html and "Intake bijwerken" in html


def test_page_offers_first_steps_for_a_new_referral(client, db, desk):
    p, t = _person(desk["location"])
    db.session.commit()
    html = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "Intake invullen" in html
    assert f'href="/intake/{t.id}"' in html
    assert f'href="/aanmeldingen/{t.id}/contact"' in html
    assert f'href="/aanmeldingen/{t.id}/intake"' in html


def test_viewing_a_participant_is_logged(client, db, desk):
    p, _ = _person(desk["location"])
    db.session.commit()
    client.get(f"/deelnemers/{p.id}")
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "participant"))
    assert (event.action, event.participant_id, event.user_id) == (
        "view", p.id, desk["staff"].id)


@pytest.mark.parametrize(("page", "logged"), [("bewerken", r"deelnemer: [^<]+<br><small>bewerken"),
                                             ("toestemming", "toestemming</td>")],
                         ids=["bewerken", "toestemming"])
def test_opening_the_edit_and_consent_pages_is_logged(client, auth, db, desk, page, logged):
    p, _ = _person(desk["location"])
    db.session.commit()
    assert client.get(f"/deelnemers/{p.id}/{page}").status_code == 200
    assert re.search(rf"<td>bekeken</td>\s*<td>{logged}", auth.audit_log(p.id))


# --- Editing details -------------------------------------------------------------------------

def _details(**overrides) -> dict:
    data = {"first_name": "Fatima", "last_name": "El Amrani", "phone": "06 1111 2222",
            "email": "", "preferred_channel": "whatsapp", "birth_year": "1985",
            "language_background": "nt2", "native_language": "Arabisch",
            "other_languages": "Frans", "sex": "vrouw", "postcode4": "3511",
            "found_via": "via_via"}
    data.update(overrides)
    return data


def test_edit_details_saves_and_logs_only_field_names(client, db, desk):
    p, _ = _person(desk["location"])
    db.session.commit()
    form = client.get(f"/deelnemers/{p.id}/bewerken").get_data(as_text=True)
    assert 'value="El Amrani"' in form
    assert "BSN" in form  # the reminder not to ask for it
    response = client.post(f"/deelnemers/{p.id}/bewerken", data=_details())
    assert response.status_code == 302
    person = db.session.get(Participant, p.id)
    assert person.phone == person.phone_normalised == "+31611112222"
    assert (person.postcode4, person.sex, person.found_via) == ("3511", "vrouw", "via_via")
    assert person.email is None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update"))
    assert "phone" in event.summary and "postcode4" in event.summary
    assert "3511" not in event.summary and "1111" not in event.summary
    assert not hasattr(person, "bsn") and not hasattr(person, "nationality")


@pytest.mark.parametrize("postcode", ["351", "3511AB", "abcd"])
def test_bad_postcode_is_refused_and_input_kept(client, db, desk, postcode):
    p, _ = _person(desk["location"])
    db.session.commit()
    response = client.post(f"/deelnemers/{p.id}/bewerken",
                           data=_details(postcode4=postcode, native_language="Berbers"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="postcode4-error"' in html and "4 cijfers" in html
    assert 'value="Berbers"' in html
    person = db.session.get(Participant, p.id)
    assert person.postcode4 is None and person.native_language is None
    assert factories.count(AuditEvent, AuditEvent.action == "update") == 0


def test_edit_form_shows_the_number_the_dutch_way_and_saving_it_changes_nothing(
        client, db, desk):
    p, _ = _person(desk["location"])
    db.session.commit()
    form = client.get(f"/deelnemers/{p.id}/bewerken").get_data(as_text=True)
    assert 'value="06 12345678"' in form and "+31612345678" not in form
    response = client.post(f"/deelnemers/{p.id}/bewerken",
                           data=_details(phone="06 12345678", preferred_channel="phone"))
    assert response.status_code == 302
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update"))
    assert "postcode4" in event.summary and "phone" not in event.summary


def test_bad_phone_and_birth_year_are_refused(client, db, desk):
    p, _ = _person(desk["location"])
    db.session.commit()
    html = client.post(f"/deelnemers/{p.id}/bewerken",
                       data=_details(phone="bel mij", birth_year="1850")).get_data(as_text=True)
    assert 'id="phone-error"' in html and 'id="birth_year-error"' in html
    assert db.session.get(Participant, p.id).phone == "+31612345678"


# --- Consent ---------------------------------------------------------------------------------

def test_consent_can_be_withdrawn_and_history_is_kept(client, db, desk):
    p, t = _person(desk["location"])
    t.referral.partner = factories.partner("Gemeente Oost")
    factories.consent(p, "share_with_referrer", True, by=desk["staff"], referral=t.referral)
    db.session.commit()
    response = client.post(f"/deelnemers/{p.id}/toestemming", data={
        "kind": "share_with_referrer", "referral_id": str(t.referral.id), "given": "no",
        "method": "verbal",
        "note": "Wil niet dat de gemeente meekijkt"})
    assert response.status_code == 302
    rows = db.session.scalars(sa.select(Consent).order_by(Consent.recorded_at)).all()
    assert [(c.given, c.recorded_by_id) for c in rows] == [
        (True, desk["staff"].id), (False, desk["staff"].id)]
    assert rows[1].recorded_at == NOW
    html = client.get(f"/deelnemers/{p.id}/toestemming").get_data(as_text=True)
    assert "Ingetrokken" in html and "Gegeven" in html
    assert "Wil niet dat de gemeente meekijkt" in html
    page = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "Toestemming ingetrokken: Verwijzer hoort hoe het gaat (Gemeente Oost)" in page


def test_consent_needs_a_method(client, db, desk):
    p, _ = _person(desk["location"])
    db.session.commit()
    html = client.post(f"/deelnemers/{p.id}/toestemming", data={
        "kind": "processing", "given": "yes", "method": ""}).get_data(as_text=True)
    assert 'id="method-error"' in html
    assert factories.count(Consent) == 0


# --- Ownership -------------------------------------------------------------------------------

def test_coordinator_takes_ownership(client, db, auth, frozen):
    loc = factories.location()
    coordinator = auth.as_role("coordinator", locations=[loc])
    p, t = _person(loc)
    db.session.commit()
    assert "Ik word eigenaar" in client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    response = client.post(f"/deelnemers/traject/{t.id}/eigenaar",
                           data={"owner_id": str(coordinator.id)})
    assert response.status_code == 302
    assert db.session.get(Trajectory, t.id).owner_id == coordinator.id
    other = factories.user("coordinator", locations=[loc])
    db.session.commit()
    client.post(f"/deelnemers/traject/{t.id}/eigenaar", data={"owner_id": str(other.id)})
    assert db.session.get(Trajectory, t.id).owner_id == coordinator.id


def test_staff_cannot_take_ownership(client, db, desk):
    p, t = _person(desk["location"])
    db.session.commit()
    assert "Ik word eigenaar" not in client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    response = client.post(f"/deelnemers/traject/{t.id}/eigenaar",
                           data={"owner_id": str(desk["staff"].id)})
    assert response.status_code in (403, 404)
    assert db.session.get(Trajectory, t.id).owner_id is None


def test_admin_assigns_a_coordinator_of_the_location(client, db, auth, frozen):
    auth.as_role("admin")
    loc = factories.location()
    here = factories.user("coordinator", name="Carla Hier", locations=[loc])
    there = factories.user("coordinator", name="Dirk Daar")
    p, t = _person(loc)
    db.session.commit()
    html = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "Carla Hier" in html and "Dirk Daar" not in html
    client.post(f"/deelnemers/traject/{t.id}/eigenaar", data={"owner_id": str(there.id)})
    assert db.session.get(Trajectory, t.id).owner_id is None
    client.post(f"/deelnemers/traject/{t.id}/eigenaar", data={"owner_id": str(here.id)})
    assert db.session.get(Trajectory, t.id).owner_id == here.id
    page = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "Carla Hier is nu eigenaar van dit traject." in page


def test_participant_page_offers_the_next_steps_for_a_waiting_trajectory(client, auth, db):
    coordinator = auth.as_role("coordinator")
    trajectory = factories.trajectory(location_obj=coordinator.locations[0], status="waiting")
    db.session.commit()
    html = client.get(f"/deelnemers/{trajectory.participant_id}").get_data(as_text=True)
    assert f"/trajecten/{trajectory.id}/koppelen" in html
    assert "Koppel een vrijwilliger" in html
    assert f"/trajecten/{trajectory.id}/afsluiten" in html


def test_saving_a_person_without_a_recorded_sex_keeps_it_empty(client, db, desk):
    p, _ = _person(desk["location"])
    db.session.commit()
    form = client.get(f"/deelnemers/{p.id}/bewerken").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="sex".*?</select>', form, re.S).group(0)
    options = re.findall(r'<option([^>]*)value="([^"]*)"', select)
    # A browser posts the selected option, or the first one when none is selected.
    posted = next((value for attrs, value in options if "selected" in attrs), options[0][1])
    assert posted == "" and "Niet ingevuld" in select
    response = client.post(f"/deelnemers/{p.id}/bewerken", data=_details(sex=posted))
    assert response.status_code == 302
    assert db.session.get(Participant, p.id).sex is None


def test_a_save_over_someone_elses_newer_change_is_refused_and_keeps_what_was_typed(
        client, db, desk):
    p, _ = _person(desk["location"])
    db.session.commit()
    opened = client.get(f"/deelnemers/{p.id}/bewerken").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    # A colleague opened the same form and saved a new phone number first.
    first = client.post(f"/deelnemers/{p.id}/bewerken",
                        data=_details(phone="06 1111 2222", version=version))
    assert first.status_code == 302

    second = client.post(f"/deelnemers/{p.id}/bewerken",
                         data=_details(phone="06 12345678", native_language="Berbers",
                                       version=version))
    html = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "Iemand anders heeft dit net gewijzigd" in html
    assert 'value="Berbers"' in html and 'value="06 12345678"' in html
    person = db.session.get(Participant, p.id)
    assert person.phone == "+31611112222" and person.native_language == "Arabisch"

    newest = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    again = client.post(f"/deelnemers/{p.id}/bewerken",
                        data=_details(phone="06 12345678", version=newest))
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Participant, p.id).phone == "+31612345678"
