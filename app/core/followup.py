"""The thresholds of DESIGN.md's follow-up table that are not check-in rules of their own.

One home for each number. A row in `followup_settings` holds a value an admin changed under
Beheer (/beheer/opvolgregels/termijnen); a missing row means the default of DESIGN.md. The
scans, the digests, the pages and their texts read `thresholds()`, never a constant.
"""

from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import Session

from app.checkins.models import FollowUpSetting
from app.extensions import db


@dataclass(frozen=True)
class Threshold:
    key: str
    default: int
    # "days", "times", "months", "years" or "hour" (a time of day): how the admin page and
    # texts say it.
    unit: str
    minimum: int
    maximum: int
    # What the admin page calls it, and what changing it does, in plain Dutch.
    label: str = ""
    explanation: str = ""


# Unit and bounds say what a valid value is; the order is the order to show them in.
THRESHOLDS: tuple[Threshold, ...] = (
    # No contact for this long, and an open trajectory is "buiten beeld".
    Threshold("out_of_view_days", 42, "days", 7, 365, _l("Buiten beeld na"),
              _l("Is er zo lang geen contact geweest met iemand met een open traject? Dan "
                 "staat die persoon bij Buiten beeld, en krijgt de eigenaar een melding.")),
    # Or this many check-ins in a row not reached.
    Threshold("not_reached_in_a_row", 2, "times", 1, 10, _l("Buiten beeld na keer niet bereikt"),
              _l("Zo vaak achter elkaar niet bereikt bij een contactmoment, en de persoon "
                 "staat ook bij Buiten beeld.")),
    # Failed first-contact attempts before a referral counts as "niet bereikt".
    Threshold("max_contact_attempts", 3, "times", 1, 10, _l("Pogingen eerste contact"),
              _l("Zo vaak mag het eerste contact na een aanmelding mislukken. Daarna staat de "
                 "aanmelding bij Niet bereikt en hoort de verwijzer het (als de deelnemer "
                 "dat goed vindt).")),
    # Waiting for an offer longer than this: an alert to the coordinator.
    Threshold("waiting_too_long_days", 21, "days", 1, 365, _l("Te lang wachten na"),
              _l("Wacht iemand langer op een taalmaatje of een groep? Dan krijgt de "
                 "coördinator een melding. De wachttijd telt vanaf de eerste dag dat iemand in "
                 "dit traject ging wachten.")),
    # No session logged on an active match: a reminder to the volunteer, then an alert to the
    # coordinator.
    Threshold("volunteer_silence_reminder_days", 21, "days", 1, 365,
              _l("Herinnering aan de vrijwilliger na"),
              _l("Zo lang geen bijeenkomst vastgelegd bij een koppeling, en de vrijwilliger "
                 "krijgt een herinnering.")),
    Threshold("volunteer_silence_alert_days", 42, "days", 1, 365,
              _l("Melding aan de coördinator na"),
              _l("Zo lang geen bijeenkomst vastgelegd bij een koppeling, en de coördinator "
                 "krijgt een melding.")),
    # A VOG (certificate of conduct) older than this no longer counts for matching.
    Threshold("vog_max_age_years", 3, "years", 1, 10, _l("VOG geldig"),
              _l("Een VOG die ouder is, telt niet meer. Een vrijwilliger met zo'n VOG kan niet "
                 "gekoppeld worden tot er een nieuwe is.")),
    # This many group meetings in a row absent without notice: a check-in for the owner.
    Threshold("group_absent_in_a_row", 2, "times", 1, 10, _l("Groep: keer afwezig zonder bericht"),
              _l("Zo vaak achter elkaar niet naar de groep gekomen zonder af te melden, en de "
                 "eigenaar krijgt een contactmoment: Komt niet meer naar de groep.")),
    # A volunteer reports this many sessions in a row where the participant did not come
    # ("niet gekomen"): a concern for the coordinator.
    Threshold("session_no_shows_in_a_row", 2, "times", 1, 10,
              _l("Taalmaatje: keer niet gekomen"),
              _l("Zo vaak achter elkaar meldt de vrijwilliger dat de deelnemer niet kwam, en de "
                 "coördinator ziet het bij Zorgen.")),
    # No SMS or WhatsApp to a participant from this hour until the end hour (local time);
    # what falls in between waits.
    Threshold("quiet_hours_start", 21, "hour", 18, 23, _l("Geen sms of WhatsApp vanaf"),
              _l("Vanaf dit uur gaan er geen sms- en WhatsApp-berichten meer naar deelnemers. "
                 "Wat dan klaarstaat, gaat de volgende ochtend.")),
    Threshold("quiet_hours_end", 8, "hour", 6, 11, _l("Weer sms of WhatsApp vanaf"),
              _l("Vanaf dit uur in de ochtend gaan berichten aan deelnemers weer weg.")),
    # Retention (jobs/retention.py): how long data is kept before it is anonymised or removed.
    Threshold("retention_trajectory_months", 24, "months", 6, 120,
              _l("Gegevens bewaren na afsluiten"),
              _l("Zo lang na het einde van een traject bewaart Houvast de namen, "
                 "telefoonnummers, notities en berichten. Daarna haalt Houvast die weg. De "
                 "cijfers voor de rapportages blijven.")),
    Threshold("retention_audit_years", 5, "years", 1, 20, _l("Logboek bewaren"),
              _l("Zo lang blijft in het logboek staan wie welke gegevens bekeek of "
                 "veranderde. Oudere regels haalt Houvast weg.")),
    Threshold("retention_skipped_digest_months", 3, "months", 1, 24,
              _l("Lege dagberichten bewaren"),
              _l("Zo lang bewaart Houvast dat er op een dag niets te melden was. Daarna "
                 "haalt Houvast die regels weg.")),
)

BY_KEY = {t.key: t for t in THRESHOLDS}

_CACHE_KEY = "houvast_followup_thresholds"


def stored_values() -> dict[str, int]:
    """The values admins saved ({key: value}), without the defaults."""
    return dict(db.session.execute(sa.select(FollowUpSetting.key, FollowUpSetting.value)).all())


def thresholds() -> SimpleNamespace:
    """The thresholds in force as attributes (`thresholds().out_of_view_days`), read once per
    transaction (one small query)."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is not None:
        return cached
    stored = stored_values()
    values = {t.key: int(stored.get(t.key, t.default)) for t in THRESHOLDS}
    current = SimpleNamespace(**values)
    db.session.info[_CACHE_KEY] = current
    return current


def period_text(days: int) -> str:
    """A period in days as people say it: "6 weken" when it is whole weeks, else "10 dagen"."""
    if days and days % 7 == 0:
        weeks = days // 7
        return ngettext("%(num)s week", "%(num)s weken", weeks)
    return ngettext("%(num)s dag", "%(num)s dagen", days)


def amount_text(threshold: Threshold, value: int) -> str:
    """A threshold's value with its unit, as the admin page and texts say it."""
    if threshold.unit == "days":
        return period_text(value)
    if threshold.unit == "months":
        return ngettext("%(num)s maand", "%(num)s maanden", value)
    if threshold.unit == "years":
        return ngettext("%(num)s jaar", "%(num)s jaar", value)
    if threshold.unit == "hour":
        return ngettext("%(num)s uur", "%(num)s uur", value)
    return ngettext("%(num)s keer", "%(num)s keer", value)


# A value saved here or by another process is seen from the next transaction on: a long-running
# scheduler must not keep yesterday's thresholds.
@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget_at_transaction_end(session: Session) -> None:
    session.info.pop(_CACHE_KEY, None)
