"""Saving an admin's message texts (MessageTemplate rows): the Dutch text of a kind and its
translations, checked, versioned against two admins at once, audited."""

import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from app.audit import service as audit
from app.core.records import ChangedMeanwhileError
from app.extensions import db
from app.messaging import texts
from app.messaging.models import MessageTemplate

MAX_LENGTH = 1000


def versions_token(stored: dict[str, MessageTemplate]) -> str:
    """What the edit form carries of the rows it was opened on: "ar=4.1;nl=3.2" (language,
    row id, version). A row created, changed or removed since makes a different token; the
    row id makes a text reset and typed again count as a change too."""
    return ";".join(f"{lang}={row.id}.{row.version}" for lang, row in sorted(stored.items()))


def text_error(code: str, source: str) -> str | None:
    """A Dutch message when `source` cannot be used for kind `code`, else None."""
    if len(source) > MAX_LENGTH:
        return _("Maximaal %(n)s tekens.", n=MAX_LENGTH)
    try:
        texts.check_text(code, source)
    except texts.TextError as error:
        unknown = re.search(r"'([^']+)' is undefined", str(error))
        allowed = ", ".join("{{ " + name + " }}" for name in texts.allowed_placeholders(code))
        if unknown:
            return _("{{ %(name)s }} kan in dit bericht niet. U kunt deze gebruiken: "
                     "%(allowed)s.", name=unknown.group(1), allowed=allowed)
        return _("De haakjes kloppen niet. Schrijf een invulplek zo: {{ voornaam }}, met twee "
                 "haakjes ervoor en twee erna.")
    return None


def save_texts(code: str, dutch: str, translations: dict[str, str], *, token: str, by,
               now: datetime) -> list[str]:
    """Store the texts of kind `code`; returns the languages that changed.

    Dutch equal to the built-in default and an empty translation remove their row: no row
    means the default (or no translation). ChangedMeanwhileError when another admin saved
    this kind since the form was opened (`token`); the UPDATE's version check (StaleDataError,
    turned into ChangedMeanwhileError by the caller) catches a save that runs at the same time.
    """
    stored = texts.stored_texts(code)
    if token != versions_token(stored):
        raise ChangedMeanwhileError()
    wanted = {texts.DUTCH: dutch.strip()} | {lang: value.strip()
                                             for lang, value in translations.items()}
    default = texts.BY_CODE[code].default
    changed = []
    for lang, value in wanted.items():
        row = stored.get(lang)
        keep = value and not (lang == texts.DUTCH and " ".join(value.split()) == default)
        if not keep:
            if row is not None:
                db.session.delete(row)
                changed.append(lang)
            continue
        if row is None:
            db.session.add(MessageTemplate(code=code, language=lang, body=value,
                                           updated_at=now, updated_by_id=by.id))
            changed.append(lang)
        elif row.body != value:
            row.body, row.updated_at, row.updated_by_id = value, now, by.id
            changed.append(lang)
    db.session.flush()
    texts.forget_texts()  # what is composed after this save, in this transaction, uses it
    if changed:
        audit.record(by, "update", "message_template", None, now=now,
                     summary=f"{code}: {', '.join(changed)}")
    return changed


SAMPLE_VALUES = {
    "voornaam": "Fatima",
    "taalhuis": "Bibliotheek Centrum",
    "telefoon": "030 123 4567",
    "adres": "Bibliotheek Centrum, zaal 2, Oudegracht 12, 3511 AB Utrecht",
    "vrijwilliger": "Anna",
    "groep": "Taalcafé dinsdag",
    "afzender": "Sanne van het Taalhuis",
    "kanaal": "sms",
    "tekst": "Wij hebben een vraag voor u.",
}


def sample_values(moment: datetime) -> dict:
    return SAMPLE_VALUES | {"datum": texts.say_moment(moment)}


def parts_text(message: str) -> str:
    """How many SMS a message takes, and why, in plain Dutch (B1)."""
    count, encoding = texts.sms_parts(message)
    if encoding == "gsm":
        return ngettext("%(num)s sms.", "%(num)s sms'jes: de tekst is langer dan 160 tekens.",
                        count)
    return ngettext(
        "%(num)s sms. Er staat een teken in dat niet in het gewone sms-alfabet zit. "
        "Dan passen er maar 70 tekens in één sms.",
        "%(num)s sms'jes, want er staat een teken in dat niet in het gewone sms-alfabet zit "
        "(bijvoorbeeld ë, Arabisch of een emoji). Dan passen er maar 70 tekens in één sms.",
        count)
