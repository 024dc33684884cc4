"""Fixed code lists with their Dutch labels.

Lists an admin can extend live in the `reference_items` table instead; these ones drive
behaviour (statuses, scales) so code depends on their values.
"""

from flask_babel import lazy_gettext as _l

TRAJECTORY_STATUS = {
    "referred": _l("Aangemeld"),
    "contacted": _l("Contact gehad"),
    "intake_planned": _l("Intake gepland"),
    "unreachable": _l("Niet bereikt"),
    "waiting": _l("Wacht op aanbod"),
    "active": _l("Actief"),
    "ended": _l("Afgesloten"),
}

PREFERRED_CHANNEL = {
    "phone": _l("Bellen"),
    "sms": _l("Sms"),
    "whatsapp": _l("WhatsApp"),
    "email": _l("E-mail"),
    "letter": _l("Brief"),
    "via_referrer": _l("Via de verwijzer"),
}

# The languages a message template may have a translation in, besides the Dutch text that
# is always sent. The languages Taalhuis participants speak most; codes are ISO 639.
MESSAGE_LANGUAGE = {
    "": _l("Alleen Nederlands"),
    "en": _l("Engels"),
    "ar": _l("Arabisch"),
    "tr": _l("Turks"),
    "pl": _l("Pools"),
    "uk": _l("Oekraïens"),
    "ti": _l("Tigrinya"),
    "so": _l("Somalisch"),
    "fa": _l("Perzisch (Farsi, Dari)"),
    "ru": _l("Russisch"),
    "es": _l("Spaans"),
    "fr": _l("Frans"),
    "pt": _l("Portugees"),
    "zgh": _l("Berbers (Tamazight)"),
}

LANGUAGE_BACKGROUND = {
    "nt1": _l("NT1 (Nederlands is de eerste taal)"),
    "nt2": _l("NT2 (Nederlands is een tweede taal)"),
    "unknown": _l("Weet ik nog niet"),
}

SEX = {"": _l("Niet ingevuld"), "man": _l("Man"), "vrouw": _l("Vrouw"), "anders": _l("Anders")}

REFERRAL_CHANNEL = {
    "phone": _l("Telefoon"),
    "email": _l("E-mail"),
    "desk": _l("Aan de balie"),
    "warm_handover": _l("Samen langsgekomen (warme overdracht)"),
    "form": _l("Formulier of portaal"),
    "other": _l("Anders"),
}

REFERRAL_RESULT = {
    "pending": _l("Nog geen contact"),
    "reached": _l("Bereikt"),
    "not_reached": _l("Niet bereikt"),
    "declined": _l("Wil niet"),
    "forwarded": _l("Elders naartoe verwezen"),
}

CONSENT_KIND = {
    "processing": _l("Gegevens vastleggen door het Taalhuis"),
    "share_with_referrer": _l("Verwijzer hoort hoe het gaat"),
    # A purpose of its own: without it no SMS, WhatsApp or e-mail goes to the person.
    "messages": _l("Berichten sturen via sms, WhatsApp of e-mail"),
}
CONSENT_METHOD = {
    "verbal": _l("Mondeling"),
    "paper": _l("Op papier"),
    "digital": _l("Digitaal"),
}

# The two scales are different on purpose: NT2 learners are placed on CEFR, NT1 learners
# on the reference levels for Dutch (instroom, 1F, 2F, 3F).
NT2_LEVELS = {
    "unknown": _l("Onbekend"), "A0": "A0", "A1": "A1", "A2": "A2",
    "B1": "B1", "B2": "B2", "C1": "C1", "C2": "C2",
}
NT1_LEVELS = {
    "unknown": _l("Onbekend"), "instroom": _l("Instroom"), "1F": "1F", "2F": "2F", "3F": "3F",
}
SKILLS = {
    "speaking": _l("Spreken"),
    "listening": _l("Luisteren"),
    "reading": _l("Lezen"),
    "writing": _l("Schrijven"),
}
DIGITAL_LEVEL = {
    "unknown": _l("Onbekend"),
    "none": _l("Geen ervaring"),
    "basic": _l("Basis (kan een telefoon of computer aanzetten en iets opzoeken)"),
    "independent": _l("Zelfstandig (mail, DigiD, formulieren)"),
}
NUMERACY_LEVEL = {
    "unknown": _l("Onbekend"), "instroom": _l("Instroom"), "1F": "1F", "2F": "2F", "3F": "3F",
}
SCREENING_TOOL = {
    "": _l("Geen"),
    "taalmeter": "Taalmeter",
    "rekenmeter": "Rekenmeter",
    "digimeter": "Digimeter",
}
WEEKDAYS = {"mon": _l("Maandag"), "tue": _l("Dinsdag"), "wed": _l("Woensdag"),
            "thu": _l("Donderdag"), "fri": _l("Vrijdag"), "sat": _l("Zaterdag")}
DAYPARTS = {"morning": _l("Ochtend"), "afternoon": _l("Middag"), "evening": _l("Avond")}
AVAILABILITY_SLOTS = [f"{d}-{p}" for d in WEEKDAYS for p in DAYPARTS]

GOAL_STATUS = {
    "open": _l("Open"),
    "in_progress": _l("Bezig"),
    "achieved": _l("Behaald"),
    "partly_achieved": _l("Deels behaald"),
    "stopped": _l("Gestopt"),
}

ROLE_LABELS = {
    "admin": _l("Beheerder"),
    "coordinator": _l("Coördinator"),
    "staff": _l("Medewerker Taalhuis"),
    "volunteer": _l("Vrijwilliger"),
    "partner": _l("Partner (verwijzer)"),
}


def label(mapping: dict, code: str | None) -> str:
    """The Dutch label of a code, or the code itself when unknown (never crash a page)."""
    if code is None:
        return ""
    return str(mapping.get(code, code))

# How a first-contact attempt was made (referrals: the contact page).
CONTACT_CHANNEL = {
    "phone": _l("Gebeld"),
    "sms": _l("Sms"),
    "whatsapp": _l("WhatsApp"),
    "email": _l("E-mail"),
    "in_person": _l("Persoonlijk (aan de balie of langs geweest)"),
    "via_referrer": _l("Via de verwijzer"),
    "letter": _l("Brief"),
    "message": _l("Bericht (sms, WhatsApp of e-mail)"),
    "via_volunteer": _l("Via de vrijwilliger"),
}
# The ways "Contact vastleggen" offers on any open trajectory (labels in CONTACT_CHANNEL).
ANY_CONTACT_CHANNELS = ("phone", "in_person", "message", "via_referrer", "via_volunteer")


# --- Volunteers and matching ---------------------------------------------------------------

VOLUNTEER_STATUS = {
    "active": _l("Actief"),
    "paused": _l("Gepauzeerd"),
    "stopped": _l("Gestopt"),
}
MATCH_STATUS = {
    "proposed": _l("Voorgesteld"),
    "active": _l("Actief"),
    "paused": _l("Gepauzeerd"),
    "ended": _l("Beëindigd"),
}
ENROLLMENT_STATUS = {"active": _l("Doet mee"), "ended": _l("Gestopt")}
OFFER_DOMAIN = {
    "language": _l("Taal"),
    "numeracy": _l("Rekenen"),
    "digital": _l("Digitale vaardigheden"),
}
# How a session went for one learning goal, as the volunteer sees it.
# Why a volunteer's session did not happen ("ging niet door").
SESSION_NOT_HELD = {
    "cancelled_by_participant": _l("Afgezegd door de deelnemer"),
    "cancelled_by_volunteer": _l("Afgezegd door mij"),
    "no_show": _l("Niet gekomen"),
}
SESSION_PROGRESS = {
    "hard": _l("Nog moeilijk"),
    "some": _l("Een beetje vooruit"),
    "good": _l("Goed vooruit"),
    "reached": _l("Doel gehaald"),
}
TRAJECTORY_OUTCOME = {
    "formal_education": _l("Doorstroom formeel onderwijs"),
    "non_formal": _l("Vervolg non-formeel"),
    "work": _l("Werk gevonden"),
    "goal_reached": _l("Doel behaald"),
    "stopped": _l("Gestopt"),
    "moved": _l("Verhuisd"),
    "unreachable": _l("Niet bereikbaar"),
}
# Outcomes set by the first contact itself (the person was reached but wants no help here);
# not offered when a coordinator ends a trajectory, but shown in reports and on the page.
TRAJECTORY_OUTCOME_LABELS = {
    **TRAJECTORY_OUTCOME,
    "declined": _l("Wilde geen hulp"),
    "forwarded": _l("Elders naartoe verwezen"),
}
# Per learning goal when a trajectory ends; stored as the goal's status.
GOAL_RESULT = {
    "achieved": _l("Behaald"),
    "partly_achieved": _l("Deels behaald"),
    "stopped": _l("Niet behaald"),
}

# Check-ins (contactmomenten) and the follow-up rules that plan them.
CHECKIN_STATUS = {
    "planned": _l("Gepland"),
    "done": _l("Gedaan"),
    "not_reached": _l("Niet bereikt"),
    "cancelled": _l("Vervallen"),
}
CHECKIN_OUTCOME = {
    "going_well": _l("Gaat goed"),
    "concerns": _l("Zorgen"),
    "may_stop": _l("Dreigt te stoppen"),
}
CHECKIN_KIND = {
    "first_contact": _l("Eerste contact"),
    "waiting": _l("Wacht op aanbod"),
    "match_2w": _l("Klikt het?"),
    "match_6w": _l("Hoe gaat het? (6 weken)"),
    "match_3m": _l("Hoe gaat het? (3 maanden)"),
    "match_end": _l("Eindgesprek koppeling"),
    "goal_evaluation": _l("Leerdoel bespreken"),
    "aftercare": _l("Nazorg"),
    "group_fit": _l("Bevalt de groep?"),
    "group_end": _l("Evaluatie groep"),
    "group_absent": _l("Komt niet meer naar de groep"),
    "manual": _l("Zelf gepland"),
    # Planned by app/messaging, never by a rule: the person prefers a call to a message,
    # or answered "kan niet".
    "call_instead": _l("Bellen in plaats van een bericht"),
    "reschedule": _l("Afspraak opnieuw plannen"),
}
# Check-in kinds no follow-up rule may have: they are planned by hand or by messaging.
NOT_FOR_RULES = ("manual", "call_instead", "reschedule")
FOLLOWUP_EVENT = {
    "referral_registered": _l("Aanmelding binnen"),
    "intake_done": _l("Intake gedaan"),
    "waiting": _l("Wacht (weer) op een aanbod"),
    "match_started": _l("Koppeling gestart"),
    "match_ended": _l("Koppeling gestopt"),
    "goal_target_set": _l("Streefdatum van een leerdoel"),
    "trajectory_ended": _l("Traject afgesloten"),
    "enrolled": _l("Ingeschreven voor een groep"),
    "enrollment_ended": _l("Gestopt met een groep"),
}
OFFSET_UNIT = {"days": _l("dagen"), "working_days": _l("werkdagen")}
# The unit of a follow-up threshold (app/core/followup.py), next to its number field.
THRESHOLD_UNIT = {"days": _l("dagen"), "times": _l("keer"), "months": _l("maanden"),
                  "years": _l("jaar"),
                  "hour": _l("uur van de dag")}
RULE_ASSIGNEE = {
    "owner": _l("Eigenaar van het traject (coördinator)"),
    "volunteer": _l("Vrijwilliger van de koppeling"),
}
