"""The public privacy page for participants, "Wat doen wij met uw gegevens?": readable
without signing in, in plain Dutch, printable for the intake, linked from self-registration
and from every page's footer, with the Taalhuis location to ask when it is known."""

import re
from html.parser import HTMLParser
from pathlib import Path

from app.checkins.models import FollowUpSetting
from app.privacy.pages import DEFAULT_RETENTION_MONTHS, retention_text, retention_threshold

from . import factories

ROOT = Path(__file__).resolve().parent.parent
URL = "/privacy"
TITLE = "Wat doen wij met uw gegevens?"


class _Page(HTMLParser):
    """The headings (level, text), the scripts and the html element's language."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.scripts: list[dict] = []
        self.inline_scripts: list[str] = []
        self.lang = None
        self._heading = None
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), ""]
        if tag == "script":
            self.scripts.append(attrs)
            self._script = "" if "src" not in attrs else None

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag) and self._heading:
            self.headings.append((self._heading[0], " ".join(self._heading[1].split())))
            self._heading = None
        if tag == "script" and self._script is not None:
            self.inline_scripts.append(self._script)
            self._script = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data
        if self._script is not None:
            self._script += data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_anyone_can_read_it_without_signing_in(client):
    response = client.get(URL)
    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert TITLE in text
    # What we write down, and what we never ask.
    assert "Uw geboortejaar. Alleen het jaar." in text
    for never in ("BSN (burgerservicenummer)", "Uw geboortedatum.", "Uw nationaliteit",
                  "het land waar u vandaan komt", "Iets over uw gezondheid."):
        assert never in text
    # Who sees it: the referrer only how it goes, only with a yes, per referrer.
    assert "Die hoort alleen hoe het gaat. En alleen als u daar ja op zegt." in text
    assert "Dan vragen wij het u voor ieder apart." in text
    assert "Die ziet alleen wat nodig is voor de lessen." in text
    # The rights, STOP among them.
    for right in ("(dit heet inzage)", "Iets laten veranderen", "Uw gegevens laten weghalen",
                  "Stuur dan STOP terug"):
        assert right in text


def test_one_h1_headings_in_order_and_dutch(client):
    page = _parse(client.get(URL).get_data(as_text=True))
    assert page.lang == "nl"
    levels = [level for level, _text in page.headings]
    assert levels.count(1) == 1 and page.headings[0] == (1, TITLE)
    # No level skipped on the way down.
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    assert [text for level, text in page.headings if level == 2] == [
        "Wat schrijven wij op?", "Waarom schrijven wij dit op?", "Wie ziet uw gegevens?",
        "Hoe lang bewaren wij uw gegevens?", "Wat mag u?", "Wie kunt u iets vragen?"]


def test_sentences_are_short(client):
    # A2/B1: short sentences. Counted in the page's own text, not the footer or menu.
    html = client.get(URL).get_data(as_text=True)
    body = html.split('<article class="privacy-page">', 1)[1].split("</article>", 1)[0]
    sentences = [s for s in re.split(r"(?<=[.?!:])\s+", _text(body)) if s]
    longest = max(sentences, key=lambda s: len(s.split()))
    assert len(longest.split()) <= 15, longest


def test_it_says_how_long_we_keep_the_data(client, db):
    # DESIGN.md's 24 months, until an admin sets another period: then the page says that.
    assert retention_threshold().default == DEFAULT_RETENTION_MONTHS == 24
    assert "nog 24 maanden" in _text(client.get(URL).get_data(as_text=True))
    db.session.add(FollowUpSetting(key=retention_threshold().key, value=30))
    db.session.commit()
    assert retention_text() == "30 maanden"
    assert "nog 30 maanden" in _text(client.get(URL).get_data(as_text=True))


def test_the_print_button_is_a_script_from_static_and_print_hides_the_rest(client):
    html = client.get(URL).get_data(as_text=True)
    page = _parse(html)
    # Shown by the script: without it no button that does nothing.
    assert re.search(r'<button type="button"[^>]*data-print hidden>Printen</button>', html)
    assert page.inline_scripts == []
    assert {"src": "/static/js/print-button.js", "defer": None} in page.scripts
    with client.get("/static/js/print-button.js") as script:
        assert script.status_code == 200 and b"window.print()" in script.data
    assert '<link rel="stylesheet" href="/static/css/privacy-page.css">' in html
    css = (ROOT / "static/css/privacy-page.css").read_text()
    print_rules = css.split("@media print", 1)[1]
    assert re.search(r"header, footer, nav[^{]*\.print-actions \{ display: none", print_rules)
    # Big enough letters on paper.
    assert re.search(r"\.privacy-page \{[^}]*font-size: 1[4-9]pt", print_rules)


def test_a_location_in_the_link_gives_its_phone_and_address(client, db):
    location = factories.location("Bibliotheek Oost")
    location.phone = "030 123 4567"
    location.address = "Oostweg 1, Utrecht"
    closed = factories.location("Oud Gebouw")
    closed.phone = "030 999 9999"
    closed.active = False
    db.session.commit()

    html = client.get(f"{URL}?locatie={location.id}").get_data(as_text=True)
    assert "Bibliotheek Oost" in _text(html) and "Oostweg 1, Utrecht" in _text(html)
    # A number to tap on a phone.
    assert '<a href="tel:+31301234567">030 123 4567</a>' in html

    # A closed location, a wrong id or no id: the general sentence, never an error.
    for query in (f"?locatie={closed.id}", "?locatie=999999", "?locatie=abc", ""):
        response = client.get(f"{URL}{query}")
        assert response.status_code == 200
        text = _text(response.get_data(as_text=True))
        assert "Bel ons, of kom langs op de plek waar u leert." in text, query
        assert "Oud Gebouw" not in text and "999 9999" not in text


def test_staff_print_it_for_their_own_location(client, auth, db):
    location = factories.location("Bibliotheek West")
    location.phone = "030 765 4321"
    db.session.commit()
    auth.as_role("staff", locations=[location])
    text = _text(client.get(URL).get_data(as_text=True))
    assert "Bibliotheek West" in text and "Bel ons, of kom langs" not in text


def test_staff_of_several_locations_choose_which_one_to_print(client, auth, db):
    west, oost = factories.location("Bibliotheek West"), factories.location("Bibliotheek Oost")
    elsewhere = factories.location("Bibliotheek Elders")
    db.session.commit()
    auth.as_role("coordinator", locations=[west, oost])
    html = client.get(URL).get_data(as_text=True)
    assert f'href="/privacy?locatie={west.id}"' in html
    assert f'href="/privacy?locatie={oost.id}"' in html
    assert f"locatie={elsewhere.id}" not in html
    chosen = client.get(f"{URL}?locatie={oost.id}").get_data(as_text=True)
    assert f'href="/privacy?locatie={oost.id}" aria-current="page"' in chosen


def test_volunteers_and_partners_get_no_print_choices(client, auth, db):
    here = factories.location("Bibliotheek Hier")
    db.session.commit()
    auth.as_role("partner")
    assert "Printen voor een locatie" not in client.get(URL).get_data(as_text=True)
    auth.logout()
    _volunteer, user = factories.volunteer_with_account("Vrij", locations=[here])
    db.session.commit()
    auth.login(user)
    assert "Printen voor een locatie" not in client.get(URL).get_data(as_text=True)


def test_self_registration_links_to_it_next_to_what_we_do_with_the_data(client):
    html = client.get("/aanmelden").get_data(as_text=True)
    assert re.search(r"Wij gebruiken uw gegevens alleen om u te bellen over lessen bij het "
                     r"Taalhuis\. <a href=\"/privacy\">Lees wat wij met uw gegevens doen\.</a>",
                     html)


def test_every_page_links_to_it_in_the_footer(client, auth):
    footer = client.get("/inloggen").get_data(as_text=True).split("<footer", 1)[1]
    assert f'<a href="/privacy">{TITLE}</a>' in footer
    auth.as_role("staff")
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    footer = home.get_data(as_text=True).split("<footer", 1)[1]
    assert f'<a href="/privacy">{TITLE}</a>' in footer


def test_it_names_the_message_company_only_when_messages_really_go_through_one(
        app, client, monkeypatch):
    sentence = "Een sms of WhatsApp van ons gaat via een bedrijf dat berichten verstuurt."
    # The outbox keeps every message on our own machine.
    assert sentence not in _text(client.get(URL).get_data(as_text=True))
    monkeypatch.setitem(app.config, "MESSAGE_GATEWAY", "twilio")
    text = _text(client.get(URL).get_data(as_text=True))
    assert sentence in text
    assert "Dat bedrijf mag uw gegevens nergens anders voor gebruiken." in text
