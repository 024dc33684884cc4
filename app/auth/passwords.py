"""Password hashing with argon2 (argon2-cffi)."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 10

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
