"""Administration: inviting users by mail, changing and switching off users, locations,
reference lists, and that only an admin gets in."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import time_machine

from app.admin.models import Location, ReferenceItem
from app.admin.service import reference_choices, reference_label
from app.audit.models import AuditEvent
from app.auth.models import User
from app.notifications import service as notifications

from . import factories
from .conftest import SMTPRecorder, free_port

NEW_PASSWORD = "lange-zin-om-te-onthouden"


def _invite(client, **overrides):
    data = {"name": "Sanne de Vries", "email": "Sanne.deVries@Example.org", "role": "staff",
            "locations": [], "partner_id": ""}
    data.update(overrides)
    return client.post("/beheer/gebruikers/nieuw", data=data)


def _link_path(msg) -> str:
    match = re.search(r"https?://\S+/wachtwoord/\S+", SMTPRecorder.body(msg))
    assert match, "the mail holds a link to choose a password"
    return urlsplit(match.group(0)).path


# --- Invitation ------------------------------------------------------------------------------

def test_invited_user_gets_a_mail_sets_a_password_and_signs_in(client, auth, db, smtp_server):
    admin = auth.as_role("admin", name="Bram Beheer")
    noord = factories.location("Bibliotheek Noord")
    db.session.commit()

    response = _invite(client, locations=[noord.id])
    assert response.status_code == 302
    user = factories.user_by_email("sanne.devries@example.org")
    assert user is not None and user.password_hash is None
    assert [loc.name for loc in user.locations] == ["Bibliotheek Noord"]
    follow = client.get(response.headers["Location"])
    assert "krijgt een e-mail" in follow.get_data(as_text=True)

    assert len(smtp_server.messages) == 1
    msg = smtp_server.messages[0]
    assert msg.envelope_to == ["sanne.devries@example.org"]
    assert msg["Subject"] == "Uw account voor Houvast"
    text = SMTPRecorder.body(msg)
    assert "Beste Sanne de Vries," in text
    assert "Bram Beheer heeft een account voor u gemaakt" in text
    assert "Medewerker Taalhuis" in text
    assert "72 uur" in text
    assert "/wachtwoord/" in SMTPRecorder.body(msg, "html")
    path = _link_path(msg)

    auth.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert "Kies uw wachtwoord" in page.get_data(as_text=True)

    too_short = client.post(path, data={"password": "kort", "confirm": "kort"})
    assert "minstens 12 tekens" in too_short.get_data(as_text=True)
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert "niet gelijk" in mismatch.get_data(as_text=True)

    saved = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 302 and saved.headers["Location"].startswith("/inloggen")
    assert auth.login("sanne.devries@example.org", NEW_PASSWORD).status_code == 302
    assert client.get("/deelnemers/").status_code == 200

    # The link is used up: a second visit gets the Dutch "link no longer works" page.
    auth.logout()
    again = client.get(path)
    assert again.status_code == 400

    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user.id)).all()
    assert any(e.action == "create" and e.user_id == admin.id for e in events)


def test_invitation_link_expires(client, auth, db, smtp_server, app):
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    hours = app.config["PASSWORD_LINK_HOURS"]
    with time_machine.travel(start, tick=False):
        auth.as_role("admin")
        factories.location("Bibliotheek Centrum")
        db.session.commit()
        assert _invite(client, role="admin").status_code == 302
        # Signed out on the clock the session was made on (a moved clock can be earlier).
        auth.logout()
    path = _link_path(smtp_server.messages[0])

    with time_machine.travel(start + timedelta(hours=hours) - timedelta(minutes=5), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(start + timedelta(hours=hours, minutes=5), tick=False):
        expired = client.get(path)
        assert expired.status_code == 400
        posted = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert posted.status_code == 400
    assert factories.user_by_email("sanne.devries@example.org").password_hash is None


def test_failed_mail_keeps_the_user_and_offers_send_again(client, auth, db, smtp_server, app):
    auth.as_role("admin")
    db.session.commit()
    app.config["MAIL_PORT"] = free_port()  # nothing listens: the mail cannot go out

    response = _invite(client, role="admin", email="kees@example.org", name="Kees Jansen")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    user = factories.user_by_email("kees@example.org")
    assert user is not None, "the account exists even though the mail failed"
    assert "NIET verstuurd" in page
    assert "Link opnieuw sturen" in page
    assert smtp_server.messages == []

    app.config["MAIL_PORT"] = smtp_server.port
    again = client.post(f"/beheer/gebruikers/{user.id}/link")
    assert "nieuwe link gestuurd" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert [m.envelope_to for m in smtp_server.messages] == [["kees@example.org"]]
    assert client.get(_link_path(smtp_server.messages[0])).status_code == 200


def test_user_with_a_password_gets_a_link_for_a_new_one(client, auth, db, smtp_server, app):
    auth.as_role("admin")
    user = factories.user("staff", email="vergeten@example.org", name="Vera Vergeten")
    db.session.commit()

    client.post(f"/beheer/gebruikers/{user.id}/link")
    msg = smtp_server.messages[0]
    assert msg["Subject"] == "Nieuw wachtwoord voor Houvast"
    log = client.get("/logboek/").get_data(as_text=True)
    assert "gebruiker: Vera Vergeten<br><small>link voor wachtwoord gestuurd" in log
    assert "nieuw wachtwoord" in SMTPRecorder.body(msg)
    path = _link_path(msg)

    other = app.test_client()
    other.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    ok = other.post("/inloggen", data={"email": user.email, "password": NEW_PASSWORD})
    assert ok.status_code == 302
    old = app.test_client().post("/inloggen", data={"email": user.email,
                                                     "password": factories.PASSWORD})
    assert old.status_code == 200, "the old password no longer works"


def test_switched_off_user_gets_no_link(client, auth, db, smtp_server):
    auth.as_role("admin")
    user = factories.user("staff", active=False)
    db.session.commit()
    response = client.post(f"/beheer/gebruikers/{user.id}/link")
    assert "Deze gebruiker staat uit." in client.get(response.headers["Location"]).get_data(
        as_text=True)
    assert smtp_server.messages == []


def test_user_page_warns_about_open_trajectories_they_own(client, auth, db):
    auth.as_role("admin")
    coordinator = factories.user("coordinator")
    factories.trajectory(owner=coordinator, status="waiting")
    factories.trajectory(owner=coordinator, status="ended")
    db.session.commit()
    html = client.get(f"/beheer/gebruikers/{coordinator.id}/").get_data(as_text=True)
    assert "1 open traject" in html
    assert "Geef de open trajecten dan eerst aan een andere coördinator." in html


def test_duplicate_email_is_refused_in_dutch_and_input_is_kept(client, auth, db):
    auth.as_role("admin")
    factories.user("staff", email="jan@example.org")
    db.session.commit()
    count = factories.count(User)

    response = _invite(client, email="JAN@example.org", name="Jan Tweede", role="admin")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Er is al een gebruiker met dit e-mailadres." in html
    assert 'value="Jan Tweede"' in html
    assert 'value="JAN@example.org"' in html
    assert factories.count(User) == count


def test_partner_role_needs_a_partner_organisation(client, auth, db):
    auth.as_role("admin")
    partner = factories.partner("UWV Utrecht", kind="uwv")
    db.session.commit()

    response = _invite(client, role="partner", email="consulent@uwv.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kies de partnerorganisatie" in html
    assert factories.user_by_email("consulent@uwv.example") is None

    ok = _invite(client, role="partner", email="consulent@uwv.example", partner_id=partner.id)
    assert ok.status_code == 302
    assert factories.user_by_email("consulent@uwv.example").partner_id == partner.id


def test_staff_and_coordinator_need_a_location(client, auth, db):
    auth.as_role("admin")
    db.session.commit()
    response = _invite(client, role="coordinator")
    assert "Kies minstens één vestiging" in response.get_data(as_text=True)
    assert factories.user_by_email("sanne.devries@example.org") is None


def test_bad_email_address_gets_a_dutch_message(client, auth, db):
    auth.as_role("admin")
    db.session.commit()
    response = _invite(client, email="geen-mailadres", role="admin")
    assert "Dit is geen goed e-mailadres." in response.get_data(as_text=True)


# --- Changing users --------------------------------------------------------------------------

def test_admin_changes_name_role_and_locations(client, auth, db):
    admin = auth.as_role("admin")
    centrum = factories.location("Bibliotheek Centrum")
    noord = factories.location("Bibliotheek Noord")
    user = factories.user("staff", name="Piet Klaassen", locations=[centrum])
    db.session.commit()

    page = client.get(f"/beheer/gebruikers/{user.id}/").get_data(as_text=True)
    assert 'value="Piet Klaassen"' in page

    response = client.post(f"/beheer/gebruikers/{user.id}/", data={
        "name": "Piet Klaassen-Smit", "email": user.email, "role": "coordinator",
        "locations": [centrum.id, noord.id], "partner_id": ""})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.name == "Piet Klaassen-Smit"
    assert user.role == "coordinator"
    assert user.location_ids == {centrum.id, noord.id}
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user.id,
        AuditEvent.action == "update"))
    assert event.user_id == admin.id and "rol staff -> coordinator" in event.summary


def test_admin_cannot_change_own_role(client, auth, db):
    admin = auth.as_role("admin")
    response = client.post(f"/beheer/gebruikers/{admin.id}/", data={
        "name": admin.name, "email": admin.email, "role": "staff",
        "locations": [factories.location().id], "partner_id": ""})
    assert response.status_code == 200
    assert "U kunt uw eigen rol niet veranderen." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"


def test_deactivated_user_cannot_sign_in_until_reactivated(client, auth, db, app):
    auth.as_role("admin")
    user = factories.user("staff", email="weg@example.org")
    db.session.commit()

    response = client.post(f"/beheer/gebruikers/{user.id}/uitzetten")
    assert "kan niet meer inloggen" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False

    other = app.test_client()
    refused = other.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert refused.status_code == 200
    assert "horen niet bij elkaar" in refused.get_data(as_text=True)

    client.post(f"/beheer/gebruikers/{user.id}/aanzetten")
    allowed = other.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert allowed.status_code == 302


def test_signed_in_user_is_signed_out_once_deactivated(client, auth, db, app):
    user = factories.user("staff")
    admin = factories.user("admin")
    db.session.commit()
    auth.login(user)
    assert client.get("/deelnemers/").status_code == 200

    admin_client = app.test_client()
    admin_client.post("/inloggen", data={"email": admin.email, "password": factories.PASSWORD})
    admin_client.post(f"/beheer/gebruikers/{user.id}/uitzetten")

    assert client.get("/deelnemers/").status_code == 302


def test_admin_cannot_deactivate_themselves(client, auth, db):
    admin = auth.as_role("admin")
    response = client.post(f"/beheer/gebruikers/{admin.id}/uitzetten")
    assert "U kunt uzelf niet uitzetten." in client.get(response.headers["Location"]).get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).active is True


def test_user_list_filters_by_role_and_status_and_pages(client, auth, db):
    auth.as_role("admin", name="Anna Admin")
    factories.user("volunteer", name="Vera Vrijwilliger")
    factories.user("staff", name="Sam Uitgezet", active=False)
    for n in range(26):
        factories.user("staff", name=f"Medewerker {n:02d}")
    db.session.commit()

    def rows(url):
        html = client.get(url).get_data(as_text=True)
        return html[html.index("<tbody>"):html.index("</tbody>")], html

    volunteers, _ = rows("/beheer/gebruikers/?role=volunteer")
    assert "Vera Vrijwilliger" in volunteers and "Anna Admin" not in volunteers

    active, page = rows("/beheer/gebruikers/?role=staff")
    assert "Sam Uitgezet" not in active
    assert "Pagina 1 van 2" in page
    inactive, _ = rows("/beheer/gebruikers/?status=inactive")
    assert "Sam Uitgezet" in inactive and "Vera Vrijwilliger" not in inactive

    second, _ = rows("/beheer/gebruikers/?role=staff&page=2")
    assert "Medewerker 25" in second and "Medewerker 00" not in second
    found, _ = rows("/beheer/gebruikers/?q=vrijwill&status=all")
    assert "Vera Vrijwilliger" in found and "Medewerker 01" not in found


# --- Who gets in -----------------------------------------------------------------------------

def _admin_urls(app, db):
    """Every /beheer/ route with real ids filled in, with its methods."""
    target = factories.user("staff")
    loc = factories.location()
    item = db.session.scalar(sa.select(ReferenceItem).where(
        ReferenceItem.list_name == "partner_kind").limit(1))
    db.session.commit()
    values = {"user_id": target.id, "location_id": loc.id, "list_name": "partner_kind",
              "item_id": item.id}
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/beheer"):
            continue
        # Routes other features add under /beheer/ get a placeholder id.
        args = {name: values.get(name, 1) for name in rule.arguments
                if name not in (rule.defaults or {})}
        url = adapter.build(rule.endpoint, args)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url, bool(rule.arguments)))
    return target, loc, urls


@pytest.mark.parametrize("role", ["coordinator", "staff", "volunteer", "partner"])
def test_only_admins_get_into_administration(client, auth, db, app, role):
    auth.as_role(role)
    target, loc, urls = _admin_urls(app, db)
    assert len(urls) >= 15
    for method, url, about_a_record in urls:
        response = client.open(url, method=method, data={"name": "X", "role": "admin",
                                                          "email": "x@example.org"})
        # The permission module answers 404 for a page about one record (ids leak nothing).
        allowed = (403, 404) if about_a_record else (403,)
        assert response.status_code in allowed, f"{role} {method} {url}"
    db.session.expire_all()
    assert db.session.get(User, target.id).active is True
    assert db.session.get(Location, loc.id).active is True


def test_admin_home_links_to_every_part(client, auth):
    auth.as_role("admin")
    html = client.get("/beheer/").get_data(as_text=True)
    for href in ("/beheer/gebruikers/", "/beheer/vestigingen/", "/partners/",
                 "/beheer/lijsten/", "/logboek/"):
        assert f'href="{href}"' in html


# --- Locations -------------------------------------------------------------------------------

def test_locations_create_edit_and_deactivate(client, auth, db):
    auth.as_role("admin")
    response = client.post("/beheer/vestigingen/nieuw",
                           data={"name": "Bibliotheek Overvecht", "municipality": "Utrecht"})
    assert response.status_code == 302
    loc = db.session.scalar(sa.select(Location).where(Location.name == "Bibliotheek Overvecht"))
    assert loc.municipality == "Utrecht" and loc.active

    duplicate = client.post("/beheer/vestigingen/nieuw",
                            data={"name": "bibliotheek overvecht", "municipality": "Utrecht"})
    assert "Er is al een vestiging met deze naam." in duplicate.get_data(as_text=True)

    client.post(f"/beheer/vestigingen/{loc.id}/",
                data={"name": "Bibliotheek Overvecht", "municipality": "Stichtse Vecht"})
    client.post(f"/beheer/vestigingen/{loc.id}/uitzetten")
    db.session.expire_all()
    loc = db.session.get(Location, loc.id)
    assert loc.municipality == "Stichtse Vecht" and loc.active is False

    listing = client.get("/beheer/vestigingen/").get_data(as_text=True)
    assert "Bibliotheek Overvecht" in listing and "Uitgezet" in listing
    assert factories.count(Location) == 1


def test_inactive_location_is_not_offered_for_new_users(client, auth, db):
    auth.as_role("admin")
    factories.location("Bibliotheek Oud").active = False
    factories.location("Bibliotheek Nieuw")
    db.session.commit()
    html = client.get("/beheer/gebruikers/nieuw").get_data(as_text=True)
    assert "Bibliotheek Nieuw" in html and "Bibliotheek Oud" not in html


# --- Reference lists -------------------------------------------------------------------------

def test_reference_list_add_rename_reorder_and_deactivate(client, auth, db):
    auth.as_role("admin")
    overview = client.get("/beheer/lijsten/").get_data(as_text=True)
    assert "Soorten partners (verwijzers)" in overview

    client.post("/beheer/lijsten/offer/", data={"label": "Taalcafé Noord"})
    client.post("/beheer/lijsten/offer/", data={"label": "Taalcafe noord"})
    codes = dict(reference_choices("offer"))
    assert codes["taalcafe_noord"] == "Taalcafé Noord"
    assert codes["taalcafe_noord_2"] == "Taalcafe noord"
    assert list(codes)[-1] == "taalcafe_noord_2", "new items go to the bottom"

    same = client.post("/beheer/lijsten/offer/", data={"label": "taalcafé noord"})
    assert "Deze naam staat al in de lijst." in same.get_data(as_text=True)

    item = db.session.scalar(sa.select(ReferenceItem).where(
        ReferenceItem.list_name == "offer", ReferenceItem.code == "taalcafe_noord"))
    client.post(f"/beheer/lijsten/offer/{item.id}/",
                data={"label": "Taalcafé Overvecht", "sort_order": "0"})
    choices = reference_choices("offer")
    assert choices[0] == ("taalcafe_noord", "Taalcafé Overvecht"), "renamed, code kept, on top"

    client.post(f"/beheer/lijsten/offer/{item.id}/uitzetten")
    assert "taalcafe_noord" not in dict(reference_choices("offer"))
    # Old records still show their label; the item is never deleted.
    assert reference_label("offer", "taalcafe_noord") == "Taalcafé Overvecht"
    assert db.session.get(ReferenceItem, item.id) is not None


def test_reference_item_sort_number_must_be_a_number(client, auth, db):
    auth.as_role("admin")
    item = db.session.scalar(sa.select(ReferenceItem).where(ReferenceItem.list_name == "offer"))
    response = client.post(f"/beheer/lijsten/offer/{item.id}/",
                           data={"label": item.label, "sort_order": "tien"})
    assert response.status_code == 200
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_unknown_reference_list_is_404(client, auth):
    auth.as_role("admin")
    assert client.get("/beheer/lijsten/bestaat_niet/").status_code == 404


def test_admin_sees_given_up_mail_with_its_error_and_retries_it(client, auth, db):
    auth.as_role("admin")
    coordinator = factories.user("coordinator", email="noor@taalhuis.example")
    now = factories.aware(2026, 11, 23, 9, 0)
    note = notifications.notify(kind="digest", subject_key="user:1", recipient=coordinator,
                                period_key="2026-11-23", subject="Houvast: 2 dingen",
                                body="x", link=None, now=now)
    note.status, note.attempts, note.next_attempt_at = "failed", 11, None
    note.last_error = "mail to noor@taalhuis.example could not be sent: SMTPAuthenticationError"
    db.session.commit()

    page = client.get("/beheer/e-mail/").get_data(as_text=True)
    assert "Houvast: 2 dingen" in page and "SMTPAuthenticationError" in page
    assert "E-mail niet verstuurd" in client.get("/beheer/").get_data(as_text=True)

    response = client.post("/beheer/e-mail/opnieuw", data={"id": str(note.id)})
    assert response.status_code == 302
    db.session.refresh(note)
    assert note.status == "pending"
    assert "Alle e-mail is verstuurd." in client.get("/beheer/e-mail/").get_data(as_text=True)


def test_only_an_admin_sees_given_up_mail(client, auth):
    auth.as_role("coordinator")
    assert client.get("/beheer/e-mail/").status_code == 403
    assert client.post("/beheer/e-mail/opnieuw").status_code == 403
