"""The texts of messages to participants: built-in Dutch defaults, an admin's own version
and translations (MessageTemplate), and how they are filled in.

Texts are A2: short sentences, one action per message, the date as people say it
("dinsdag 8 december, 10.30 uur"), the street address and the Taalhuis phone number. A
message is the Dutch text, then the translation in the person's language when the admin
added one for that kind: the Dutch always comes first, the person is learning it.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from babel.dates import format_date, format_time
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.orm import Session

from app.core.timeutil import local_datetime
from app.extensions import db
from app.messaging.models import MessageTemplate

DUTCH = "nl"


@dataclass(frozen=True)
class Kind:
    code: str
    # What the admin page calls it.
    label: str
    # The built-in Dutch text. Placeholders in {{ }}: see PLACEHOLDERS.
    default: str
    # The placeholders this kind may use (besides the common ones).
    extra: tuple[str, ...] = ()


# Every message may use these.
COMMON = ("voornaam", "taalhuis", "telefoon")
PLACEHOLDERS = {
    "voornaam": _l("de voornaam van de deelnemer"),
    "taalhuis": _l("de naam van de locatie"),
    "telefoon": _l("het telefoonnummer van de locatie"),
    "datum": _l("dag, datum en tijd, bijvoorbeeld: dinsdag 8 december, 10.30 uur"),
    "adres": _l("waar: de plek en het adres"),
    "vrijwilliger": _l("de voornaam van de vrijwilliger"),
    "groep": _l("de naam van de groep"),
    "afzender": _l("wie het bericht stuurt"),
    "kanaal": _l("sms of WhatsApp"),
    "tekst": _l("de tekst die een medewerker zelf schrijft"),
}

KINDS: tuple[Kind, ...] = (
    Kind("intake_confirmation", _l("Intake: bevestiging"),
         "Hallo {{ voornaam }}. U heeft een afspraak bij het Taalhuis. "
         "Dat is op {{ datum }}. Adres: {{ adres }}. "
         "Komt u? Stuur dan JA. Kunt u niet? Stuur NEE. Vragen? Bel {{ telefoon }}.",
         ("datum", "adres")),
    Kind("intake_reminder", _l("Intake: herinnering de dag ervoor"),
         "Hallo {{ voornaam }}. Morgen heeft u een afspraak bij het Taalhuis. "
         "Dat is op {{ datum }}. Adres: {{ adres }}. "
         "Kunt u niet? Stuur NEE of bel {{ telefoon }}.",
         ("datum", "adres")),
    Kind("match_first_meeting", _l("Taalmaatje: eerste afspraak"),
         "Hallo {{ voornaam }}. U krijgt hulp van {{ vrijwilliger }}. "
         "U ziet {{ vrijwilliger }} op {{ datum }}. Waar: {{ adres }}. "
         "Komt u? Stuur dan JA. Vragen? Bel {{ telefoon }}.",
         ("vrijwilliger", "datum", "adres")),
    Kind("group_first_meeting", _l("Groep: eerste les"),
         "Hallo {{ voornaam }}. U gaat naar de groep {{ groep }}. "
         "De eerste les is op {{ datum }}. Adres: {{ adres }}. "
         "Komt u? Stuur dan JA. Vragen? Bel {{ telefoon }}.",
         ("groep", "datum", "adres")),
    Kind("group_reminder", _l("Groep: herinnering na een gemiste les"),
         "Hallo {{ voornaam }}. De vorige les van {{ groep }} was u er niet. "
         "De volgende les is op {{ datum }}. Adres: {{ adres }}. "
         "Komt u? Stuur dan JA. Kunt u niet? Bel {{ telefoon }}.",
         ("groep", "datum", "adres")),
    Kind("waiting_not_forgotten", _l("Wachten: wij zijn u niet vergeten"),
         "Hallo {{ voornaam }}. Wij zijn u niet vergeten. "
         "Het Taalhuis zoekt nog een plek voor u. {{ afzender }} helpt u. "
         "Vragen? Bel {{ telefoon }}.",
         ("afzender",)),
    Kind("free", _l("Eigen bericht (begintekst)"),
         "Hallo {{ voornaam }}. {{ tekst }} Vragen? Bel {{ telefoon }}. Groet, {{ afzender }}",
         ("tekst", "afzender")),
    Kind("stop_confirmation", _l("Na STOP: laatste bericht"),
         "U krijgt geen berichten meer via {{ kanaal }}. "
         "Wilt u toch weer berichten? Bel {{ telefoon }}.",
         ("kanaal",)),
)
BY_CODE = {k.code: k for k in KINDS}

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class TextError(ValueError):
    """A template an admin typed cannot be filled in (unknown placeholder, broken {{ }})."""


def allowed_placeholders(code: str) -> tuple[str, ...]:
    return COMMON + BY_CODE[code].extra


def render_text(source: str, values: dict) -> str:
    try:
        text = _env.from_string(source).render(**values)
    except TemplateError as exc:
        raise TextError(str(exc)) from exc
    return " ".join(text.split())


def check_text(code: str, source: str) -> None:
    """Raise TextError when `source` uses a placeholder its kind does not have."""
    sample = {name: "x" for name in allowed_placeholders(code)}
    render_text(source, sample)


_CACHE_KEY = "houvast.message_texts"


def stored_texts(code: str) -> dict[str, MessageTemplate]:
    """{language: row} of the admin's texts for `code`.

    Read once per transaction for all kinds (one small query): a job that queues a message
    for each of a thousand waiting people must not read the texts a thousand times. A text
    saved by an admin is seen from the next transaction on.
    """
    cache = db.session.info.get(_CACHE_KEY)
    if cache is None:
        cache = {}
        for row in db.session.scalars(sa.select(MessageTemplate)):
            cache.setdefault(row.code, {})[row.language] = row
        db.session.info[_CACHE_KEY] = cache
    return dict(cache.get(code, {}))


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget_texts(session: Session) -> None:
    session.info.pop(_CACHE_KEY, None)


def forget_texts() -> None:
    """For the admin's save: the texts of this transaction are read again."""
    db.session.info.pop(_CACHE_KEY, None)


def source_for(code: str, language: str = DUTCH) -> str | None:
    row = stored_texts(code).get(language)
    if row is not None:
        return row.body
    return BY_CODE[code].default if language == DUTCH else None


def compose(code: str, values: dict, language: str | None) -> str:
    """The message: the Dutch text, and the translation when there is one for `language`."""
    texts = stored_texts(code)
    dutch = texts[DUTCH].body if DUTCH in texts else BY_CODE[code].default
    body = render_text(dutch, values)
    if language and language != DUTCH and language in texts:
        body = f"{body}\n\n{render_text(texts[language].body, values)}"
    return body


def say_moment(moment: datetime) -> str:
    """ "dinsdag 8 december, 10.30 uur": how people say it, in local time."""
    local = local_datetime(moment)
    day = format_date(local.date(), "EEEE d MMMM", locale="nl")
    return f"{day}, {format_time(local.time(), 'HH.mm', locale='nl')} uur"


# --- SMS parts --------------------------------------------------------------------------

# The GSM 03.38 alphabet: a text in it goes 160 characters in one SMS, 153 per part when
# split. One character outside it (an é is in it, but ë, emoji and Arabic are not) and the
# whole message is UCS-2: 70, and 67 per part.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def sms_parts(text: str) -> tuple[int, str]:
    """(number of SMS parts, "gsm" or "ucs2") for `text`."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        length = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part = 160, 153
        encoding = "gsm"
    else:
        # UTF-16 code units: an emoji counts twice.
        length = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
        encoding = "ucs2"
    if length <= single:
        return 1, encoding
    return -(-length // part), encoding


def place_text(location, room: str | None = None, place: str | None = None) -> str:
    """Where, as a message says it: the place, and the street address to find it.
    ("Bibliotheek Centrum, zaal 2, Oudegracht 12, Utrecht"). `place` overrides the location's
    name (a volunteer's first meeting in a community centre)."""
    parts = [place or (location.name if location is not None else "")]
    if room:
        parts.append(room)
    if place is None and location is not None and location.address:
        parts.append(location.address)
    return ", ".join(p for p in parts if p)
