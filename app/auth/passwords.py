"""Password hashing with argon2 (argon2-cffi), and the rules for a new password."""

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

# ASVS 2.1.1/2.1.2: at least 12 characters, long ones allowed (passphrases).
MIN_LENGTH = 12
MAX_LENGTH = 200
# zxcvbn's score (0-4). 3: "safely unguessable", ~10^10 guesses; below it a password is on,
# or a small variation of, a list of common and leaked passwords.
MIN_SCORE = 3
# zxcvbn refuses longer input; the first 72 characters decide the score of a long one.
_SCORED_LENGTH = 72
# Words of this app and of Dutch that zxcvbn's (English) lists lack; guessing starts there.
_LOCAL_WORDS = ("houvast", "taalhuis", "bibliotheek", "wachtwoord", "welkom", "geheim",
                "inloggen", "gebruiker", "beheerder", "vrijwilliger", "taalmaatje",
                "zomer", "winter", "lente", "herfst", "januari", "december")

# argon2-cffi's own defaults (RFC 9106 "low memory"): production strength. The test config
# lowers them, as cookiecutter-flask does, because hashing dominated the suite's run time.
DEFAULT_PARAMETERS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    params = dict(DEFAULT_PARAMETERS)
    if has_app_context():
        params.update(current_app.config.get("ARGON2_PARAMETERS") or {})
    return _hasher_for(params["time_cost"], params["memory_cost"], params["parallelism"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True for hashes made with other parameters (e.g. weaker ones of an older release)."""
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-000")


def dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, so both paths take as long."""
    return _dummy_hash(_hasher())


# --- The rules for a new password -------------------------------------------------------------

def _personal_words(email: str | None, name: str | None) -> list[str]:
    words = []
    if email:
        email = email.strip().lower()
        local = email.split("@", 1)[0]
        words += [email, local, *re.split(r"[._+-]+", local)]
    if name:
        words += [name.strip().lower(), *re.split(r"[\s.-]+", name.strip().lower())]
    return [w for w in words if len(w) >= 3]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _is_common(password: str) -> bool:
    """On zxcvbn's list of the 30,000 most common passwords (from leaked password sets)."""
    return password.lower() in _common_passwords()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # Imported here, not at the top: zxcvbn's word lists take ~12 MB in every web worker,
    # and only the pages that set a password need them (issue 14: worker memory).
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def strength(password: str, *, email: str | None = None, name: str | None = None) -> int:
    """zxcvbn's score 0-4, knowing the user's e-mail and name and this app's words."""
    from zxcvbn import zxcvbn  # lazily, see _common_passwords

    inputs = [*_personal_words(email, name), *_LOCAL_WORDS]
    return zxcvbn(password[:_SCORED_LENGTH], user_inputs=inputs)["score"]


def password_problem(password: str, *, email: str | None = None,
                     name: str | None = None) -> str | None:
    """Why `password` may not be chosen (Dutch, for next to the field); None: it may."""
    if len(password) < MIN_LENGTH:
        return _("Kies een wachtwoord van minstens %(n)s tekens.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Kies een wachtwoord van hoogstens %(n)s tekens.", n=MAX_LENGTH)
    # Compared without spaces and punctuation: "Sanne de Vries!" and "sanne.devries" count.
    squashed = _squash(password)
    email = (email or "").strip().lower()
    own = [_squash(email), _squash(email.split("@", 1)[0]), _squash(name or "")]
    # (A one- or two-letter name would forbid half the alphabet.)
    if any(len(word) >= 3 and word in squashed for word in own):
        return _("Uw wachtwoord mag niet uw e-mailadres of naam zijn of bevatten.")
    if _is_common(password):
        return _("Dit wachtwoord staat op een lijst van veelgebruikte of uitgelekte "
                 "wachtwoorden. Kies een ander wachtwoord.")
    if strength(password, email=email, name=name) < MIN_SCORE:
        return _("Dit wachtwoord is te makkelijk te raden. Het lijkt op een veelgebruikt "
                 "wachtwoord. Maak het langer, bijvoorbeeld met een paar losse woorden.")
    return None


def strength_hint(password: str, *, email: str | None = None, name: str | None = None) -> str:
    """A plain Dutch word on how strong the password is, for after it was sent."""
    score = strength(password, email=email, name=name) if password else 0
    return {
        0: _("Sterkte: heel zwak."),
        1: _("Sterkte: zwak."),
        2: _("Sterkte: matig."),
        3: _("Sterkte: goed."),
        4: _("Sterkte: sterk."),
    }[score]

