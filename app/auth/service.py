"""Sign-in and account functions, free of request handling."""

from datetime import datetime

import sqlalchemy as sa

from app.auth.models import User
from app.auth.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from app.extensions import db


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str, now: datetime) -> User | None:
    """The active user with these credentials, or None.

    Every path does exactly one argon2 verify: an unknown e-mail, a deactivated account and
    an account without a password yet are checked against a dummy hash, so how long the
    answer takes does not tell which accounts exist or what state they are in."""
    # Made on every path (the first one in a process hashes it once), not only on failures.
    dummy = dummy_hash()
    user = find_user_by_email(email)
    usable = user is not None and user.active and user.password_hash
    ok = verify_password(user.password_hash if usable else dummy, password)
    if not (usable and ok):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def check_password(user: User, password: str) -> bool:
    """The user's current password (asked again before it is changed)."""
    return verify_password(user.password_hash, password)


def set_password(user: User, password: str, now: datetime) -> None:
    """The new password; every password link sent before stops working."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.password_link_nonce = None


def create_user(*, email: str, name: str, role: str, locations=(), partner=None,
                password: str | None = None) -> User:
    user = User(email=email.strip().lower(), name=name.strip(), role=role, partner=partner)
    user.locations = list(locations)
    if password:
        user.password_hash = hash_password(password)
    db.session.add(user)
    return user
