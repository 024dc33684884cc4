"""Server-side sessions that can be ended (issue 19).

Signing in makes a `UserSession` row and puts a random token in the (signed) Flask session
cookie; the database keeps only the token's sha256. Every request the user loader
(app/auth/session.py) looks the token up: a session that has ended, has been idle too long
or is older than LIFETIME signs nobody in, so a copied cookie dies with its server session.

Limits:
- Idle: `security_settings.idle_minutes()` (default 30), the same for EVERY role. Volunteers
  and partners see personal data too (a volunteer their participants' phone numbers, a
  partner its referrals), often on a shared phone, and ASVS level 2 (V3.3.2) asks for 30
  minutes of inactivity for every account: no role gets a longer limit.
- Absolute: LIFETIME (12 hours) after signing in, whatever the activity.
- last_seen_at is written at most once per TOUCH_EVERY, not on every request; the idle
  limit is therefore exact to that minute.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import g, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.auth import security_settings
from app.auth.models import Role, User, UserSession
from app.extensions import db

# The key of the token in the Flask session cookie.
SESSION_KEY = "houvast_session"
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
# Ended or expired rows are kept this long (the user's own page, the audit trail), then
# removed when the user next signs in.
KEEP_ENDED = timedelta(days=30)
# Where the loader leaves why it just ended this browser's session (idle / lifetime), for
# the "U bent afgemeld" page.
ENDED_FLAG = "houvast_session_ended"
IDLE, EXPIRED = "inactief", "verlopen"
# The keys Flask-Login keeps in the session; removed when the server refuses the session.
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", SESSION_KEY)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit(user: User) -> timedelta:
    """How long a session of `user` may go without a request (see the module docstring:
    the same for every role, on purpose)."""
    return timedelta(minutes=security_settings.idle_minutes())


def _live(user_id: int, now: datetime) -> sa.ColumnElement[bool]:
    """SQL: the sessions of `user_id` that still sign someone in at `now`."""
    return sa.and_(
        UserSession.user_id == user_id,
        UserSession.ended_at.is_(None),
        UserSession.created_at > now - LIFETIME,
        UserSession.last_seen_at > now - timedelta(minutes=security_settings.idle_minutes()),
    )


# --- Signing in and out ------------------------------------------------------------------

def start(user: User, now: datetime) -> None:
    """Sign `user` in on this browser: a new server session, its token in the cookie."""
    # Rows that ended long ago only take room; this user's own sign-in is a cheap moment.
    db.session.execute(
        sa.delete(UserSession)
        .where(UserSession.user_id == user.id, UserSession.created_at < now - KEEP_ENDED)
        .execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    agent = request.headers.get("User-Agent", "") if has_request_context() else ""
    db.session.add(UserSession(token_hash=token_hash(token), user_id=user.id, created_at=now,
                               last_seen_at=now, device=device_label(agent)))
    db.session.flush()
    # Never the remember cookie: it would sign the user in again without a server session.
    login_user(user, remember=False)
    session[SESSION_KEY] = token


def end_current(now: datetime, reason: str = "afgemeld") -> None:
    """Sign this browser out, on the server too."""
    token = session.get(SESSION_KEY)
    if token:
        ended = db.session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == token_hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
            .execution_options(synchronize_session=False)).rowcount
        if ended and current_user.is_authenticated:
            audit.record(current_user, "logout", "user", current_user.id, now=now,
                         summary=f"sessie beëindigd: {reason}")
    logout_user()
    session.pop(SESSION_KEY, None)


def end_all(user: User, now: datetime, reason: str, *, except_current: bool = False,
            by=None) -> int:
    """End every open session of `user` (password change, deactivation, 2FA reset, "overal
    afmelden"); the number ended. `by`: who did it, for the audit log (default: whoever is
    signed in). The caller commits."""
    query = sa.update(UserSession).where(_live(user.id, now))
    token = session.get(SESSION_KEY) if has_request_context() else None
    if except_current and token:
        query = query.where(UserSession.token_hash != token_hash(token))
    ended = db.session.execute(
        query.values(ended_at=now, ended_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if ended:
        if by is None and has_request_context() and current_user.is_authenticated:
            by = current_user
        audit.record(by, "logout", "user", user.id, now=now,
                     summary=f"sessies beëindigd ({ended}): {reason}")
    return ended


def end_all_of_partner(partner_id: int, now: datetime, *, by=None) -> int:
    """A partner organisation was switched off: its portal users are signed out at once."""
    users = db.session.scalars(sa.select(User).where(User.partner_id == partner_id)).all()
    return sum(end_all(user, now, "partner-uitgezet", by=by) for user in users)


# --- The user loader ---------------------------------------------------------------------

def may_sign_in(user: User) -> bool:
    """Whether the account itself may be signed in: active, and for a partner user an
    active partner organisation."""
    if not user.active:
        return False
    if user.role == Role.PARTNER and user.partner is not None and not user.partner.active:
        return False
    return True


def _forget() -> None:
    # Not logout_user(): it would ask Flask-Login for the user it is loading right now.
    for key in _LOGIN_KEYS:
        session.pop(key, None)


def user_for_request(user_id: str, now: datetime) -> User | None:
    """The user this browser's server session signs in, or None (and the cookie forgets
    it). Commits: an expired session is marked ended, last_seen_at moves once a minute.
    Called early in the request (before any view has changed anything)."""
    token = session.get(SESSION_KEY)
    if not token:
        _forget()
        return None
    # The user in the same query: one look-up per request, as before server sessions.
    # The partner too: may_sign_in reads it for every partner user's request.
    row = db.session.scalar(sa.select(UserSession)
                            .options(joinedload(UserSession.user).joinedload(User.partner))
                            .where(UserSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None or str(row.user_id) != str(user_id):
        _forget()
        return None
    user = row.user
    if not may_sign_in(user):
        row.ended_at, row.ended_reason = now, "geblokkeerd"
        db.session.commit()
        _forget()
        return None
    reason = None
    if now - row.created_at >= LIFETIME:
        reason = EXPIRED
    # The setting is at least 5 minutes: a request within that needs no look-up of it.
    elif now - row.last_seen_at >= timedelta(minutes=5) and \
            now - row.last_seen_at >= idle_limit(user):
        reason = IDLE
    if reason is not None:
        row.ended_at, row.ended_reason = now, reason
        db.session.commit()
        g.setdefault(ENDED_FLAG, reason)
        _forget()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return user


def just_ended() -> str | None:
    """IDLE or EXPIRED when this request found its session ended by time."""
    return g.get(ENDED_FLAG)


def where_you_were() -> str | None:
    """The page to return to after signing in again: this page for a GET; for a form that
    was sent, the page it was sent from (the form itself is lost)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    if request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return None


# --- What the user and the admin see -----------------------------------------------------

def open_sessions(user: User, now: datetime) -> list[UserSession]:
    """The sessions of `user` that still sign someone in, most recently used first."""
    return db.session.scalars(
        sa.select(UserSession).where(_live(user.id, now))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).all()


def open_count(user: User, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(UserSession).where(_live(user.id, now)))


def is_current(row: UserSession) -> bool:
    token = session.get(SESSION_KEY) if has_request_context() else None
    return bool(token) and row.token_hash == token_hash(token)


# Looked for in this order: Edge and Opera also say "Chrome/", Chrome also says "Safari/",
# Android also says "Linux", an iPhone also says "Mac OS X".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"),
             ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"),
             ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Android", "Android"), ("CrOS", "ChromeOS"), ("Macintosh", "macOS"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


def _first(table: tuple[tuple[str, str], ...], user_agent: str) -> str | None:
    return next((name for needle, name in table if needle in user_agent), None)


def device_label(user_agent: str) -> str | None:
    """"Chrome op Linux" from a User-Agent header: enough to recognise one's own devices,
    nothing more is stored. None when neither part is known."""
    browser, system = _first(_BROWSERS, user_agent), _first(_SYSTEMS, user_agent)
    if browser and system:
        return _("%(browser)s op %(system)s", browser=browser, system=system)[:80]
    return browser or system
