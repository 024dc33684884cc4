"""Time-limited, single-use links for setting a password (invitation and reset).

A link is valid only
- for the address it was sent to: the token carries the e-mail, and a link mailed to a
  mistyped address stops working once the admin corrects it;
- as the newest link: each link carries a fresh nonce that replaces the one stored on the
  user (User.password_link_nonce), so sending a new link ends the old ones;
- once: setting the password clears the nonce (service.set_password);
- for PASSWORD_LINK_HOURS (the signature's timestamp).
"""

import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.auth.models import User
from app.extensions import db

# A new salt with the new token format: links of the old format (without address and
# nonce) no longer verify at all.
_SALT = "houvast-set-password-v2"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_password_token(user: User) -> str:
    """A link token for `user`; every older link of theirs stops working once this is
    stored. The caller commits (after the mail went out: a failed mail keeps the old link)."""
    user.password_link_nonce = secrets.token_hex(16)
    return _serializer().dumps({"u": user.id, "e": user.email, "n": user.password_link_nonce})


def user_for_password_token(token: str) -> User | None:
    """The user a valid, unexpired, unused, newest token belongs to; None otherwise."""
    max_age = current_app.config["PASSWORD_LINK_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or not user.password_link_nonce:
        return None
    if data.get("e") != user.email:
        return None
    if not hmac.compare_digest(str(data.get("n", "")), user.password_link_nonce):
        return None
    return user
