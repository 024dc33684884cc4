"""Time-limited, single-use links for setting a password (invitation and reset)."""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.auth.models import User
from app.extensions import db

_SALT = "houvast-set-password"


def _fingerprint(user: User) -> str:
    # Changes as soon as the password is set, so a used link stops working.
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_password_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_password_token(token: str) -> User | None:
    """The user a valid, unexpired, unused token belongs to; None otherwise."""
    max_age = current_app.config["PASSWORD_LINK_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user
