"""How well a volunteer fits a waiting trajectory: one pure function, no database.

`score()` turns what the trajectory needs and what one volunteer offers into a number, the
factors behind it and the hard limits that keep the volunteer off the proposal list. The
service loads both sides in a few set-based queries; the page turns factors into Dutch words
with `describe()`. Only the volunteers on screen get described, which keeps ranking thousands
of volunteers fast.
"""

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext

from app.volunteers.models import VolunteerStatus

# Points per factor. Availability and learning domains weigh most: without a shared moment or
# the right skills a match does not last. Location next: travel is the usual reason to stop.
POINTS_PER_SHARED_SLOT = 10
MAX_SHARED_SLOTS = 3
NO_SHARED_SLOT = -20
POINTS_PER_DOMAIN = 15
MAX_DOMAINS = 2
SAME_LOCATION = 20
# A shared language matters for NT2 beginners (A0/A1): it is how the first sessions work.
SHARED_LANGUAGE_BEGINNER = 25
PREFERENCE_MET = 15
PREFERENCE_MISSED = -25
PREFERRED_LANGUAGE = 10
POINTS_PER_FREE_PLACE = 3
MAX_FREE_PLACES = 3
# Someone who waits long goes first when a volunteer is matched to one of several people.
WAITING_POINTS_MAX = 10
WAITING_DAYS_FOR_MAX = 90
# A volunteer this trajectory had before (and that ended) is only proposed again on purpose.
EARLIER_MATCH = -30

NT2_BEGINNER_LEVELS = ("A0", "A1")


@dataclass(frozen=True)
class Need:
    """What one waiting trajectory asks of a volunteer."""

    location_id: int
    availability: frozenset[str] = frozenset()
    goal_subjects: tuple[str, ...] = ()
    # Normalised (lower case) languages the participant speaks besides Dutch.
    languages: frozenset[str] = frozenset()
    nt2_beginner: bool = False
    # Lower-cased preferences from the intake ("liefst een vrouw", "iemand die Turks spreekt").
    preferences: str = ""
    preferred_sex: str | None = None
    waiting_days: int = 0
    # Volunteers with an open match on this trajectory, and those it had before.
    current_volunteer_ids: frozenset[int] = frozenset()
    earlier_volunteer_ids: frozenset[int] = frozenset()
    # The words of `preferences`, worked out once: checked against every volunteer.
    preference_words: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self):
        object.__setattr__(self, "preference_words",
                           frozenset(re.findall(r"\w+", self.preferences.lower())))


class Candidate(NamedTuple):
    """One volunteer as the ranking sees it (a tuple: thousands are made per ranking)."""

    id: int
    name: str
    status: str
    capacity: int
    load: int
    vog_on: date | None
    # Any collection: the loader passes the short lists it decoded as they are.
    location_ids: Collection[int] = frozenset()
    availability: Collection[str] = frozenset()
    domains: Collection[str] = frozenset()
    # Normalised language → the spelling to show ("arabisch" → "Arabisch").
    languages: Mapping[str, str] = MappingProxyType({})
    sex: str | None = None

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.load, 0)


class Factor(NamedTuple):
    """One reason behind a score: what (kind), about what (value), and its points."""

    kind: str
    value: object
    points: int


class Fit(NamedTuple):
    candidate: Candidate
    score: int
    factors: tuple[Factor, ...]
    # Hard limits as (kind, value); a volunteer with any of them is not proposed.
    blockers: tuple[tuple[str, object], ...]

    @property
    def proposable(self) -> bool:
        return not self.blockers


def normalise_language(name: str) -> str:
    return " ".join(name.strip().lower().split())


def split_languages(text: str | None) -> list[str]:
    """"Arabisch, Frans en Engels" → ["Arabisch", "Frans", "Engels"] (Dutch itself left out)."""
    if not text:
        return []
    parts = re.split(r",|;|/|\ben\b|\band\b|\+", text)
    result = []
    for part in parts:
        cleaned = " ".join(part.split())
        if cleaned and normalise_language(cleaned) not in ("nederlands", "dutch"):
            result.append(cleaned)
    return result


def preferred_sex(preferences: str | None) -> str | None:
    """"Liefst een vrouw" → "vrouw". None when both or neither are named ("maakt niet uit")."""
    if not preferences:
        return None
    text = preferences.lower()
    woman = re.search(r"\b(vrouw\w*|dame\w*)\b", text) is not None
    man = re.search(r"\b(man|mannelijk\w*|heer)\b", text) is not None
    if woman == man:
        return None
    return "vrouw" if woman else "man"


def is_nt2_beginner(scale: str | None, levels: Iterable[str | None],
                    knows_latin_alphabet: bool | None = None) -> bool:
    """NT2 learners at A0/A1 (lowest known level), or who do not read the Latin alphabet yet."""
    if scale != "nt2":
        return False
    if knows_latin_alphabet is False:
        return True
    return any(level in NT2_BEGINNER_LEVELS for level in levels)


def vog_valid(vog_on: date | None, today: date, max_age_years: int) -> bool:
    return vog_on is not None and vog_on > _years_before(today, max_age_years) and \
        vog_on <= today


@lru_cache(maxsize=64)
def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def score(need: Need, candidate: Candidate, *, today: date, vog_max_age_years: int,
          explain: bool = True) -> Fit:
    """The fit of one volunteer for one trajectory (higher is better).

    With `explain=False` only the score and the hard limits are worked out (factors stay
    empty): ranking thousands of volunteers that way, then explaining the few on screen, is
    several times faster. The points are the same either way.
    """
    vid, _name, status, capacity, load, vog_on, location_ids, availability, domains, \
        languages, sex = candidate
    blockers: list[tuple[str, object]] = []
    if vid in need.current_volunteer_ids:
        blockers.append(("already_matched", None))
    if status != VolunteerStatus.ACTIVE:
        blockers.append(("status", status))
    if load >= capacity:
        blockers.append(("full", (load, capacity)))
    if vog_on is None:
        blockers.append(("no_vog", None))
    elif not (_years_before(today, vog_max_age_years) < vog_on <= today):
        blockers.append(("old_vog", vog_on))

    factors: list[Factor] = []
    total = 0
    if need.location_id in location_ids:
        total += SAME_LOCATION
        if explain:
            factors.append(Factor("location", None, SAME_LOCATION))
    elif explain:
        factors.append(Factor("other_location", None, 0))

    wanted = need.availability
    if wanted and availability:
        shared = len(wanted.intersection(availability))
        if shared:
            points = POINTS_PER_SHARED_SLOT * min(shared, MAX_SHARED_SLOTS)
            total += points
            if explain:
                factors.append(Factor("availability", shared, points))
        else:
            total += NO_SHARED_SLOT
            if explain:
                factors.append(Factor("no_availability", None, NO_SHARED_SLOT))

    subjects = need.goal_subjects
    if subjects:
        covered = [s for s in subjects if s in domains]
        total += POINTS_PER_DOMAIN * min(len(covered), MAX_DOMAINS)
        if explain:
            for n, subject in enumerate(covered):
                points = POINTS_PER_DOMAIN if n < MAX_DOMAINS else 0
                factors.append(Factor("domain", subject, points))
            if not covered:
                factors.append(Factor("no_domain", None, 0))

    if languages:
        if need.languages:
            shared_languages = need.languages.intersection(languages)
            if shared_languages:
                points = SHARED_LANGUAGE_BEGINNER if need.nt2_beginner else 0
                total += points
                if explain:
                    factors.append(Factor("language", languages[min(shared_languages)],
                                          points))
        words = need.preference_words
        if words:
            for norm, shown in languages.items():
                if norm in words or (" " in norm and words.issuperset(re.findall(r"\w+", norm))):
                    total += PREFERRED_LANGUAGE
                    if explain:
                        factors.append(Factor("preference_language", shown,
                                              PREFERRED_LANGUAGE))
                    break

    wanted_sex = need.preferred_sex
    if wanted_sex and sex:
        if sex == wanted_sex:
            total += PREFERENCE_MET
            if explain:
                factors.append(Factor("preference_sex", wanted_sex, PREFERENCE_MET))
        else:
            total += PREFERENCE_MISSED
            if explain:
                factors.append(Factor("preference_sex_missed", wanted_sex, PREFERENCE_MISSED))

    free = capacity - load
    if free > 0:
        points = POINTS_PER_FREE_PLACE * min(free, MAX_FREE_PLACES)
        total += points
        if explain:
            factors.append(Factor("room", free, points))

    waiting = need.waiting_days
    if waiting > 0:
        points = WAITING_POINTS_MAX * min(waiting, WAITING_DAYS_FOR_MAX) // WAITING_DAYS_FOR_MAX
        total += points
        if explain:
            factors.append(Factor("waiting", waiting, points))

    if vid in need.earlier_volunteer_ids:
        total += EARLIER_MATCH
        if explain:
            factors.append(Factor("earlier_match", None, EARLIER_MATCH))

    return Fit(candidate, total, tuple(factors), tuple(blockers))


def rank(fits: Iterable[Fit]) -> tuple[list[Fit], list[Fit]]:
    """(proposed, kept apart): best first; among equals the volunteer with most room first."""
    proposed, apart = [], []
    for fit in fits:
        (proposed if fit.proposable else apart).append(fit)
    # load - capacity: the most free places first (cheaper than the property per item).
    proposed.sort(key=lambda f: (-f.score, f.candidate.load - f.candidate.capacity,
                                 f.candidate.name))
    apart.sort(key=lambda f: (-f.score, f.candidate.name))
    return proposed, apart


# --- Words -----------------------------------------------------------------------------------

def describe(factor: Factor, subject_labels: Mapping[str, str]) -> str:
    """The factor in plain Dutch, e.g. "3 dagdelen overlap" or "spreekt Arabisch"."""
    kind, value = factor.kind, factor.value
    if kind == "location":
        return _("zelfde locatie")
    if kind == "other_location":
        return _("andere locatie")
    if kind == "availability":
        return ngettext("%(num)s dagdeel overlap", "%(num)s dagdelen overlap", value)
    if kind == "no_availability":
        return _("geen dagdeel samen")
    if kind == "domain":
        return _("helpt met %(subject)s", subject=subject_labels.get(value, value))
    if kind == "no_domain":
        return _("helpt niet met deze leerdoelen")
    if kind == "language":
        return _("spreekt %(language)s", language=value)
    if kind == "preference_sex":
        return _("past bij de wens: een %(sex)s", sex=value)
    if kind == "preference_sex_missed":
        return _("de wens was een %(sex)s", sex=value)
    if kind == "preference_language":
        return _("past bij de wens: spreekt %(language)s", language=value)
    if kind == "room":
        return _("nog ruimte voor %(num)s", num=value)
    if kind == "waiting":
        return ngettext("wacht al %(num)s dag", "wacht al %(num)s dagen", value)
    if kind == "earlier_match":
        return _("was eerder gekoppeld aan deze deelnemer")
    return kind


def describe_blocker(blocker: tuple[str, object], vog_max_age_years: int) -> str:
    kind, value = blocker
    if kind == "already_matched":
        return _("is al gekoppeld aan deze deelnemer")
    if kind == "status":
        return _("gestopt") if value == VolunteerStatus.STOPPED else _("gepauzeerd")
    if kind == "full":
        load, capacity = value
        return _("vol (%(load)s van %(capacity)s)", load=load, capacity=capacity)
    if kind == "no_vog":
        return _("geen VOG")
    if kind == "old_vog":
        return _("VOG is ouder dan %(years)s jaar (%(day)s)", years=vog_max_age_years,
                 day=f"{value:%d-%m-%Y}")
    return kind
