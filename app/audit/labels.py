"""The Dutch words for what the audit log stores as codes: actions, object types and the
codes inside summaries. One place, so the audit log page, "Wie keek er?" and the inzage say
the same thing. A code without a label is shown as it is (never an error): a test checks
that every action and object type the code logs has one here.
"""

import re
from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from app.core import choices

ACTIONS = {
    "view": _l("bekeken"),
    "create": _l("aangemaakt"),
    "update": _l("gewijzigd"),
    "delete": _l("verwijderd"),
    "export": _l("gedownload of geprint"),
    "login": _l("ingelogd"),
    # Sessions ended (issue 19): sign-out, "overal afmelden", password change, deactivation.
    "logout": _l("afgemeld"),
    # Privacy (issue 13): restriction, anonymisation and erasure.
    "restrict": _l("verwerking beperkt"),
    "anonymise": _l("geanonimiseerd"),
    "erase": _l("gewist"),
}

OBJECT_TYPES = {
    "participant": _l("deelnemer"),
    "participant_list": _l("lijst deelnemers"),
    "trajectory": _l("traject"),
    "referral": _l("aanmelding"),
    "referral_queue": _l("werklijst aanmeldingen"),
    "contact_attempt": _l("contactpoging"),
    "intake": _l("intake"),
    "learning_goal": _l("leerdoel"),
    "match": _l("koppeling met vrijwilliger"),
    "session": _l("bijeenkomst met vrijwilliger"),
    "enrollment": _l("deelname aan een groep"),
    "attendance": _l("aanwezigheid in de groep"),
    "checkin": _l("contactmoment"),
    "consent": _l("toestemming"),
    "appointment": _l("afspraak"),
    "appointment_card": _l("afsprakenkaart"),
    "agenda": _l("agenda"),
    "letter": _l("brief"),
    "message": _l("bericht aan deelnemer"),
    "message_answer": _l("antwoord van deelnemer"),
    "message_template": _l("tekst van een bericht"),
    "user": _l("gebruiker"),
    "location": _l("locatie"),
    "partner": _l("partner"),
    "partner_contact": _l("contactpersoon van partner"),
    "partner_referrals": _l("aanmeldingen van een partner"),
    "reference_item": _l("keuzelijst"),
    "followup_rule": _l("regel voor opvolging"),
    "followup_settings": _l("termijnen voor opvolging"),
    "calendar_settings": _l("sluitingsdagen"),
    "offer": _l("aanbod"),
    "group_meeting": _l("bijeenkomst van een groep"),
    "volunteer": _l("vrijwilliger"),
    "self_registration": _l("zelfmelding"),
    "self_registration_queue": _l("lijst zelfmeldingen"),
    "task_list": _l("takenlijst"),
    "out_of_view_list": _l("lijst buiten beeld"),
    "without_next_step_list": _l("lijst zonder volgende stap"),
    "api_token": _l("API-sleutel"),
    "monitor_file": _l("monitorbestand"),
    # Privacy (issue 13).
    "inzage": _l("inzage"),
    "audit_trail": _l("wie keek er"),
    "erasure_request": _l("verzoek om gegevens te wissen"),
    # The page that says what an erasure removes (app/privacy/erasure.py).
    "erasure": _l("gegevens wissen"),
    "restricted_list": _l("lijst verwerking beperkt"),
    "retention": _l("bewaartermijn"),
    # Beheer > Beveiliging (issue 19, app/auth/security_settings.py).
    "security_settings": _l("instellingen voor beveiliging"),
}

# The fields a change of a participant names ("gewijzigd: first_name, phone").
FIELDS = {
    "first_name": _l("voornaam"), "last_name": _l("achternaam"), "phone": _l("telefoon"),
    "email": _l("e-mail"), "preferred_channel": _l("contact het liefst via"),
    "birth_year": _l("geboortejaar"), "language_background": _l("taal"),
    "native_language": _l("moedertaal"), "other_languages": _l("spreekt ook"),
    "sex": _l("geslacht"), "postcode4": _l("postcode"), "found_via": _l("kwam bij ons via"),
    "message_language": _l("berichten ook in"), "owner": _l("eigenaar"),
    # Beheer > Beveiliging (issue 19).
    "two_factor_admin": _l("code verplicht voor beheerders"),
    "two_factor_coordinator": _l("code verplicht voor coördinatoren"),
    "two_factor_staff": _l("code verplicht voor medewerkers"),
    "session_idle_minutes": _l("afmelden na minuten niets doen"),
}

def action_label(code: str | None) -> str:
    return str(ACTIONS.get(code or "", code or ""))


def object_label(code: str | None) -> str:
    return str(OBJECT_TYPES.get(code or "", code or ""))


def _words(mapping: dict) -> Callable[[str], str]:
    return lambda code: choices.label(mapping, code) if code in mapping else code


def _fields(text: str) -> str:
    return ", ".join(str(FIELDS.get(name.strip(), name.strip())) for name in text.split(","))


def _message_kind(code: str) -> str:
    from app.messaging.texts import BY_CODE

    kind = BY_CODE.get(code)
    return str(getattr(kind, "label", None) or code) if kind is not None else code


def _ref(list_name: str) -> Callable[[str], str]:
    def label(code: str) -> str:
        from app.admin.service import reference_label

        return reference_label(list_name, code) or code
    return label


_CONSENT = _words(choices.CONSENT_KIND)
# Why sessions ended (app/auth/server_sessions.py), as the audit log says it.
SESSION_END_REASONS = {
    "afgemeld": _l("uitgelogd"),
    "wachtwoord": _l("nieuw wachtwoord"),
    "gedeactiveerd": _l("gebruiker uitgezet"),
    "2fa-reset": _l("inloggen met code opnieuw ingesteld"),
    "overal-afgemeld": _l("overal afgemeld"),
    "beheerder": _l("door de beheerder"),
    "partner-uitgezet": _l("partnerorganisatie uitgezet"),
}
_SESSION_END = _words(SESSION_END_REASONS)
_CHANNEL = _words({**choices.CONTACT_CHANNEL, **choices.PREFERRED_CHANNEL})

# (pattern, the line it becomes, how each group reads): the summaries that carry codes. The
# rest is Dutch as it was written.
_SUMMARY_RULES: list[tuple[re.Pattern, str, tuple[Callable[[str], str], ...]]] = [
    (re.compile(r"^gewijzigd: (.+)$"), "gewijzigd: {0}", (_fields,)),
    (re.compile(r"^toestemming (\w+): (gegeven|ingetrokken)$"), "toestemming {0}: {1}",
     (_CONSENT, str)),
    (re.compile(r"^bericht (\w+) via (\w+)$"), "bericht {0} via {1}", (_message_kind, _CHANNEL)),
    (re.compile(r"^contact vastgelegd \((\w+)\): (.+)$"), "contact vastgelegd ({0}): {1}",
     (_CHANNEL, str)),
    (re.compile(r"^contactmoment afgerond: (\w+)$"), "contactmoment afgerond: {0}",
     (_words({**choices.CHECKIN_OUTCOME, **choices.CHECKIN_STATUS}),)),
    (re.compile(r"^status: (\w+)$"), "status: {0}", (_words(choices.GOAL_STATUS),)),
    (re.compile(r"^status (\w+)(.*)$"), "status {0}{1}",
     (_words(choices.VOLUNTEER_STATUS), str)),
    (re.compile(r"^traject afgesloten: (\w+), (\w+)$"), "traject afgesloten: {0}, {1}",
     (_words(choices.TRAJECTORY_OUTCOME_LABELS), _ref("end_reason"))),
    (re.compile(r"^koppeling beëindigd: (\w+)$"), "koppeling beëindigd: {0}",
     (_ref("match_end_reason"),)),
    (re.compile(r"^bijeenkomst ging niet door \((\w+)\)(.*)$"),
     "bijeenkomst ging niet door ({0}){1}", (_words(choices.SESSION_NOT_HELD), str)),
    (re.compile(r"^sessies beëindigd \((\d+)\): ([\w-]+)$"), "sessies beëindigd ({0}): {1}",
     (str, _SESSION_END)),
    (re.compile(r"^sessie beëindigd: ([\w-]+)$"), "sessie beëindigd: {0}", (_SESSION_END,)),
]


def summary_text(summary: str | None, names=None) -> str:
    """A stored summary with the codes in it replaced by their Dutch words, and with
    `names` (app.audit.names.Names) the ids in it by the names of those records."""
    if not summary:
        return ""
    if names is not None:
        summary = names.in_summary(summary)
    for pattern, line, readers in _SUMMARY_RULES:
        found = pattern.match(summary)
        if found:
            return line.format(*(str(read(part)) for read, part in
                                 zip(readers, found.groups(), strict=True)))
    return summary


def event_text(action: str | None, object_type: str | None, summary: str | None,
               names=None) -> str:
    """One line in plain Dutch: "traject bekeken: intake plannen"."""
    text = f"{object_label(object_type)} {action_label(action)}".strip()
    readable = summary_text(summary, names)
    return f"{text}: {readable}" if readable else text
