"""Beheer > Berichten: an admin changes the Dutch text of a message and adds translations;
what is sent afterwards uses them. Unknown placeholders and broken {{ }} are refused at the
field, two admins saving at once do not overwrite each other, and the preview says how many
SMS a message takes."""

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.messaging import texts
from app.messaging.models import MessageTemplate

from . import factories

# Thursday 3 December 2026, 10:00 in Amsterdam: the sample date is the coming Tuesday.
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
URL = "/beheer/berichten/intake_reminder"
DUTCH = ("Hallo {{ voornaam }}. Morgen is uw afspraak: {{ datum }}. "
         "Adres: {{ adres }}. Bel {{ telefoon }} als u niet kunt.")
ARABIC = "مرحبا {{ voornaam }}. موعدك غدا: {{ datum }}."


def html_of(response) -> str:
    return response.get_data(as_text=True)


def _csrf_free_form(**fields) -> dict:
    # The edit page's fields: the version token comes from the page the admin opened.
    return {"dutch": DUTCH, **{f"tr_{lang}": "" for lang in ("en", "ar", "tr", "pl", "uk")},
            **fields}


def _token(page: str) -> str:
    return re.search(r'name="versions" type="hidden" value="([^"]*)"', page).group(1)


def _values():
    return {"voornaam": "Fatima", "taalhuis": "Bibliotheek Centrum", "telefoon": "030 234 5678",
            "datum": "dinsdag 8 december, 10.30 uur", "adres": "Oudegracht 12, Utrecht"}


def test_the_list_shows_every_kind_with_its_text(client, auth, db):
    auth.as_role("admin")
    page = html_of(client.get("/beheer/berichten/"))
    for kind in texts.KINDS:
        assert str(kind.label) in page
    assert "Morgen heeft u een afspraak bij het Taalhuis." in page
    assert "Standaardtekst" in page


def test_only_an_admin_edits_message_texts(client, auth, db):
    auth.as_role("coordinator")
    assert client.get("/beheer/berichten/").status_code == 403
    assert client.get(URL).status_code == 404


def test_a_saved_text_and_translation_are_in_the_next_message(client, auth, db, frozen):
    admin = auth.as_role("admin")
    page = html_of(client.get(URL))
    assert "{{ datum }}" in page and "dag, datum en tijd" in page  # the placeholders, in Dutch
    assert "Vertaling: Arabisch" in page
    response = client.post(URL, data=_csrf_free_form(versions=_token(page), tr_ar=ARABIC,
                                                     save="Opslaan"))
    assert response.status_code == 302

    message = texts.compose("intake_reminder", _values(), "ar")
    assert message.startswith("Hallo Fatima. Morgen is uw afspraak: dinsdag 8 december, "
                              "10.30 uur. Adres: Oudegracht 12, Utrecht.")
    assert message.endswith("مرحبا Fatima. موعدك غدا: dinsdag 8 december, 10.30 uur.")
    # Someone without a translation in their language gets the Dutch only.
    assert texts.compose("intake_reminder", _values(), "tr").endswith("als u niet kunt.")
    listing = html_of(client.get("/beheer/berichten/"))
    assert "Morgen is uw afspraak" in listing and "Arabisch" in listing
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "message_template"))
    assert event.user_id == admin.id and event.summary == "intake_reminder: nl, ar"


def test_an_unknown_placeholder_is_refused_next_to_its_field(client, auth, db):
    auth.as_role("admin")
    page = html_of(client.get(URL))
    typed = "Hallo {{ voornaam }}. Uw groep {{ groep }} begint."
    response = client.post(URL, data=_csrf_free_form(versions=_token(page), dutch=typed,
                                                     tr_en="Hello {{ name", save="Opslaan"))
    page = html_of(response)
    assert response.status_code == 200
    assert re.search(r'id="dutch-error"[^>]*>\s*\{\{ groep \}\} kan in dit bericht niet\. '
                     r"U kunt deze gebruiken: \{\{ voornaam \}\}", page)
    assert re.search(r'id="tr_en-error"[^>]*>\s*De haakjes kloppen niet', page)
    assert "Uw groep {{ groep }} begint." in page and "Hello {{ name" in page  # kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0


def test_the_second_of_two_admins_saving_at_once_is_refused(client, auth, db):
    auth.as_role("admin")
    opened = _token(html_of(client.get(URL)))
    # Another admin saves first, from the same page.
    first = client.post(URL, data=_csrf_free_form(versions=opened, save="Opslaan"))
    assert first.status_code == 302
    second = client.post(URL, data=_csrf_free_form(
        versions=opened, dutch="Hallo {{ voornaam }}. Tot morgen.", save="Opslaan"))
    page = html_of(second)
    assert second.status_code == 200
    assert "Iemand anders heeft dit net veranderd" in page
    assert "Hallo {{ voornaam }}. Tot morgen." in page  # what was typed is kept
    db.session.expire_all()
    assert texts.source_for("intake_reminder") == DUTCH
    # Saving again, now deliberately over the newer text, works.
    third = client.post(URL, data=_csrf_free_form(
        versions=_token(page), dutch="Hallo {{ voornaam }}. Tot morgen.", save="Opslaan"))
    assert third.status_code == 302
    db.session.expire_all()
    assert texts.source_for("intake_reminder") == "Hallo {{ voornaam }}. Tot morgen."


def test_the_preview_fills_in_samples_and_counts_the_sms(client, auth, db, frozen):
    auth.as_role("admin")
    token = _token(html_of(client.get(URL)))
    response = client.post(URL, data=_csrf_free_form(versions=token, tr_ar=ARABIC,
                                                     preview="Voorbeeld"))
    page = html_of(response)
    assert "Hallo Fatima. Morgen is uw afspraak: dinsdag 8 december, 10.30 uur." in page
    # Dutch alone: 169 plain SMS letters; with the Arabic: another alphabet, 67 a part.
    assert "2 sms&#39;jes: de tekst is langer dan 160 tekens." in page
    assert ("4 sms&#39;jes, want er staat een teken in dat niet in het gewone sms-alfabet "
            "zit") in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0


def test_the_default_text_comes_back(client, auth, db):
    auth.as_role("admin")
    factories.db.session.add(MessageTemplate(code="intake_reminder", language="nl",
                                             body="Eigen tekst {{ voornaam }}."))
    db.session.commit()
    page = html_of(client.get(URL))
    assert "Eigen tekst {{ voornaam }}." in page
    reset = html_of(client.post(URL, data=_csrf_free_form(
        versions=_token(page), dutch="Eigen tekst {{ voornaam }}.",
        reset="Standaardtekst terugzetten")))
    default = texts.BY_CODE["intake_reminder"].default
    assert "Klik op Opslaan" in reset and default in reset
    saved = client.post(URL, data=_csrf_free_form(versions=_token(reset), dutch=default,
                                                  save="Opslaan"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert texts.stored_texts("intake_reminder") == {}
