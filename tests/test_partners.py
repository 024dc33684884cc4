"""Partner organisations (verwijzers) and their contact people."""

import re

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.partners.models import Partner, PartnerContact

from . import factories


def _partner(db, name: str) -> Partner | None:
    return db.session.scalar(sa.select(Partner).where(Partner.name == name))


def test_admin_creates_a_partner_with_contact_people(client, auth, db):
    admin = auth.as_role("admin")
    response = client.post("/partners/nieuw", data={
        "name": "Gemeente Utrecht, Werk en Inkomen", "kind": "gemeente",
        "phone": "030 286 00 00", "email": "Werk@Utrecht.example", "signals_enabled": "y",
        "contact_name": "Sanne de Vries", "contact_role": "Klantmanager",
        "contact_email": "sanne@utrecht.example", "contact_phone": "06-12345678",
    })
    assert response.status_code == 302
    partner = _partner(db, "Gemeente Utrecht, Werk en Inkomen")
    assert partner.kind == "gemeente" and partner.signals_enabled is True
    assert partner.email == "werk@utrecht.example"
    assert [(c.name, c.role) for c in partner.contacts] == [("Sanne de Vries", "Klantmanager")]

    client.post(f"/partners/{partner.id}/contactpersonen/nieuw", data={
        "name": "Ahmed Bouzid", "role": "Consulent", "phone": "030-1234567"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gemeente (Werk &amp; Inkomen, Sociale dienst)" in page
    assert "Sanne de Vries" in page and "Ahmed Bouzid" in page and "Klantmanager" in page
    assert 'href="tel:+31301234567">030 123 4567</a>' in page

    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "partner", AuditEvent.object_id == partner.id,
        AuditEvent.action == "create")).user_id == admin.id


def test_contact_person_can_be_left_out_but_not_half_filled(client, auth, db):
    auth.as_role("admin")
    half = client.post("/partners/nieuw", data={
        "name": "Wijkteam Noord", "kind": "wijkteam", "contact_email": "iemand@wijk.example"})
    assert half.status_code == 200
    assert "Vul de naam van de contactpersoon in." in half.get_data(as_text=True)
    assert _partner(db, "Wijkteam Noord") is None

    ok = client.post("/partners/nieuw", data={"name": "Wijkteam Noord", "kind": "wijkteam"})
    assert ok.status_code == 302
    partner = _partner(db, "Wijkteam Noord")
    assert partner.contacts == []
    assert partner.signals_enabled is False, "an unticked box switches signals off"


def test_edit_partner_and_switch_off_signals(client, auth, db):
    auth.as_role("admin")
    partner = factories.partner("VluchtelingenWerk Midden", kind="vluchtelingenwerk")
    partner.signals_enabled = True
    db.session.commit()

    page = client.get(f"/partners/{partner.id}/bewerken").get_data(as_text=True)
    assert 'value="VluchtelingenWerk Midden"' in page
    client.post(f"/partners/{partner.id}/bewerken", data={
        "name": "VluchtelingenWerk Midden-Nederland", "kind": "vluchtelingenwerk",
        "phone": "", "email": ""})
    db.session.expire_all()
    partner = db.session.get(Partner, partner.id)
    assert partner.name == "VluchtelingenWerk Midden-Nederland"
    assert partner.signals_enabled is False


def test_duplicate_partner_name_is_refused_in_dutch(client, auth, db):
    auth.as_role("admin")
    factories.partner("UWV Utrecht", kind="uwv")
    db.session.commit()
    response = client.post("/partners/nieuw", data={"name": "uwv utrecht", "kind": "uwv"})
    html = response.get_data(as_text=True)
    assert "Er is al een partner met deze naam." in html
    assert 'value="uwv utrecht"' in html


def test_a_partner_name_on_two_lines_is_refused_in_dutch(client, auth, db):
    """The partner's name goes into the subject of every signal mail, where no line break
    can go."""
    auth.as_role("admin")
    response = client.post("/partners/nieuw", data={"name": "UWV\nUtrecht", "kind": "uwv"})
    assert response.status_code == 200
    assert "Schrijf dit op één regel, zonder Enter." in response.get_data(as_text=True)
    assert _partner(db, "UWV\nUtrecht") is None


def test_partner_needs_a_known_kind(client, auth, db):
    auth.as_role("admin")
    response = client.post("/partners/nieuw", data={"name": "Iets", "kind": "bestaat_niet"})
    assert response.status_code == 200
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert _partner(db, "Iets") is None


def test_contact_edit_and_deactivate(client, auth, db):
    auth.as_role("admin")
    contact = factories.partner_contact(name="Sanne de Vries")
    partner_id = contact.partner_id
    db.session.commit()

    client.post(f"/partners/{partner_id}/contactpersonen/{contact.id}/", data={
        "name": "Sanne de Vries-Bakker", "role": "Teamleider", "email": "sanne@example.org"})
    client.post(f"/partners/{partner_id}/contactpersonen/{contact.id}/uitzetten")
    db.session.expire_all()
    contact = db.session.get(PartnerContact, contact.id)
    assert contact.name == "Sanne de Vries-Bakker" and contact.role == "Teamleider"
    assert contact.active is False

    other = factories.partner()
    db.session.commit()
    wrong = client.post(f"/partners/{other.id}/contactpersonen/{contact.id}/aanzetten")
    assert wrong.status_code == 404, "a contact is only reached through its own partner"


def test_deactivated_partner_leaves_the_active_list(client, auth, db):
    auth.as_role("admin")
    partner = factories.partner("Humanitas Utrecht", kind="humanitas")
    factories.partner("GGD regio Utrecht", kind="ggd")
    db.session.commit()
    client.post(f"/partners/{partner.id}/uitzetten")

    def rows(url):
        html = client.get(url).get_data(as_text=True)
        return html[html.index("<tbody>"):html.index("</tbody>")]

    assert "Humanitas Utrecht" not in rows("/partners/")
    assert "Humanitas Utrecht" in rows("/partners/?status=inactive")
    assert "GGD regio Utrecht" in rows("/partners/?kind=ggd")
    assert "GGD regio Utrecht" not in rows("/partners/?kind=humanitas&status=all")


def test_staff_can_list_and_view_partners_but_not_change_them(client, auth, db):
    auth.as_role("staff")
    contact = factories.partner_contact(name="Sanne de Vries")
    partner = contact.partner
    db.session.commit()

    listing = client.get("/partners/")
    assert listing.status_code == 200
    assert partner.name in listing.get_data(as_text=True)
    assert "Partner toevoegen" not in listing.get_data(as_text=True)
    detail = client.get(f"/partners/{partner.id}/").get_data(as_text=True)
    assert "Sanne de Vries" in detail and "Gegevens veranderen" not in detail

    assert client.get("/partners/nieuw").status_code == 403
    assert client.post("/partners/nieuw", data={"name": "X", "kind": "uwv"}).status_code == 403
    for method, url in [
        ("GET", f"/partners/{partner.id}/bewerken"),
        ("POST", f"/partners/{partner.id}/bewerken"),
        ("POST", f"/partners/{partner.id}/uitzetten"),
        ("GET", f"/partners/{partner.id}/contactpersonen/nieuw"),
        ("POST", f"/partners/{partner.id}/contactpersonen/{contact.id}/"),
        ("POST", f"/partners/{partner.id}/contactpersonen/{contact.id}/uitzetten"),
    ]:
        # 403, or 404 where the permission module hides that the record exists.
        assert client.open(url, method=method, data={"name": "X"}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Partner, partner.id).active is True
    assert _partner(db, "X") is None


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_volunteers_and_partners_do_not_see_the_partner_list(client, auth, role):
    auth.as_role(role)
    assert client.get("/partners/").status_code == 403


def test_kind_must_be_chosen_on_purpose(client, auth, db):
    auth.as_role("admin")
    assert '<option value="">Kies de soort</option><option value="gemeente">' in client.get(
        "/partners/nieuw").get_data(as_text=True)
    response = client.post("/partners/nieuw", data={"name": "Zonder soort", "kind": ""})
    assert "Kies de soort organisatie." in response.get_data(as_text=True)
    assert _partner(db, "Zonder soort") is None


def test_a_partner_saved_over_a_colleagues_newer_change_is_refused(client, auth, db):
    auth.as_role("admin")
    partner = factories.partner("VluchtelingenWerk Midden", kind="vluchtelingenwerk")
    db.session.commit()
    url = f"/partners/{partner.id}/bewerken"
    opened = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    form = {"kind": "vluchtelingenwerk", "phone": "", "email": "", "version": version}
    assert client.post(url, data={**form, "name": "VWN Midden"}).status_code == 302

    late = client.post(url, data={**form, "name": "VluchtelingenWerk Utrecht"})
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and "Iemand anders heeft dit net gewijzigd" in html
    assert 'value="VluchtelingenWerk Utrecht"' in html
    db.session.expire_all()
    assert db.session.get(Partner, partner.id).name == "VWN Midden"
