"""What the participant page shows about a trajectory, gathered from every feature.

Features connect providers (in their package's `connect_hooks()`) instead of the participant
page importing each feature:
- a timeline provider returns `TimelineItem`s for a list of trajectories;
- a next-due provider returns `DueItem`s (things planned that have not happened yet).
Providers take a list of trajectories so they can load everything in one query per feature
(no N+1), and the viewer, so they can leave out what that user may not see.
"""

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core.choices import CONSENT_KIND, CONSENT_METHOD, label
from app.extensions import db
from app.participants.models import Consent, TrajectoryMove
from app.participants.service import referrer_name
from app.referrals.models import Referral


@dataclass(frozen=True)
class TimelineItem:
    trajectory_id: int
    at: datetime  # aware UTC; for events that only have a date, use at_date()
    kind: str  # "referral", "contact", "intake", "goal", "checkin", "session", ...
    title: str  # short Dutch line, e.g. "Aangemeld door UWV"
    detail: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class DueItem:
    trajectory_id: int
    due_on: date
    title: str
    url: str | None = None


TimelineProvider = Callable[[Sequence, object], list[TimelineItem]]
DueProvider = Callable[[Sequence, object], list[DueItem]]
_timeline_providers: list[TimelineProvider] = []
_due_providers: list[DueProvider] = []


def at_date(day: date) -> datetime:
    """Sort key for date-only events: noon UTC keeps them on the right local day."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def timeline_provider(fn: TimelineProvider) -> TimelineProvider:
    if fn not in _timeline_providers:
        _timeline_providers.append(fn)
    return fn


def due_provider(fn: DueProvider) -> DueProvider:
    if fn not in _due_providers:
        _due_providers.append(fn)
    return fn


def _takes_limit(provider) -> bool:
    return "limit" in inspect.signature(provider).parameters


def timeline(trajectories: Sequence, viewer, limit: int | None = None) -> list[TimelineItem]:
    """Newest first; with `limit`, only the newest `limit` items.

    A provider that can have many rows for one person (check-ins, contact attempts) takes a
    `limit` keyword and reads only its newest that many: the newest `limit` items of all
    are among those, so the page reads and shows a bounded number of rows however long
    the history is.
    """
    items: list[TimelineItem] = []
    for provider in _timeline_providers:
        if limit is not None and _takes_limit(provider):
            items.extend(provider(trajectories, viewer, limit=limit))
        else:
            items.extend(provider(trajectories, viewer))
    items.sort(key=lambda item: item.at, reverse=True)
    return items if limit is None else items[:limit]


def next_due(trajectories: Sequence, viewer) -> list[DueItem]:
    """Soonest first."""
    items: list[DueItem] = []
    for provider in _due_providers:
        items.extend(provider(trajectories, viewer))
    return sorted(items, key=lambda item: item.due_on)


def consent_timeline(trajectories, viewer) -> list[TimelineItem]:
    """Consent decisions belong to the person; they are shown on their newest trajectory.
    A share decision is about one referral: it names the referrer and is shown on that
    referral's trajectory."""
    if not trajectories:
        return []
    newest: dict[int, int] = {}
    for t in trajectories:
        newest[t.participant_id] = max(newest.get(t.participant_id, 0), t.id)
    shown = {t.id for t in trajectories}
    consents = db.session.scalars(
        sa.select(Consent).where(Consent.participant_id.in_(list(newest)))
        .options(joinedload(Consent.recorded_by).lazyload(User.locations),
                 joinedload(Consent.referral).joinedload(Referral.partner),
                 joinedload(Consent.referral).joinedload(Referral.partner_contact))
    ).all()
    items = []
    for c in consents:
        kind = label(CONSENT_KIND, c.kind)
        trajectory_id = newest[c.participant_id]
        if c.kind == "share_with_referrer":
            if c.referral is not None:
                kind = f"{kind} ({referrer_name(c.referral)})"
                if c.referral.trajectory_id in shown:
                    trajectory_id = c.referral.trajectory_id
            else:
                kind = _("%(kind)s (oude vastlegging, geldt voor geen verwijzer)", kind=kind)
        title = (_("Toestemming gegeven: %(kind)s", kind=kind) if c.given
                 else _("Toestemming ingetrokken: %(kind)s", kind=kind))
        detail = label(CONSENT_METHOD, c.method)
        if c.recorded_by:
            detail = _("%(method)s, vastgelegd door %(name)s", method=detail,
                       name=c.recorded_by.name)
        items.append(TimelineItem(trajectory_id=trajectory_id, at=c.recorded_at,
                                  kind="consent", title=title, detail=detail))
    return items


def move_timeline(trajectories, viewer) -> list[TimelineItem]:
    """Moves to another location, with the reason (staff only: it can say where someone lives)."""
    ids = [t.id for t in trajectories]
    if not ids:
        return []
    moves = db.session.scalars(
        sa.select(TrajectoryMove).where(TrajectoryMove.trajectory_id.in_(ids))
        .options(joinedload(TrajectoryMove.from_location), joinedload(TrajectoryMove.to_location),
                 joinedload(TrajectoryMove.moved_by).lazyload(User.locations))
    ).all()
    show_reason = getattr(viewer, "role", None) not in ("partner", "volunteer")
    items = []
    for move in moves:
        detail = move.reason if show_reason else None
        if detail and move.moved_by is not None:
            detail = _("%(reason)s (door %(name)s)", reason=detail, name=move.moved_by.name)
        items.append(TimelineItem(
            trajectory_id=move.trajectory_id, at=move.moved_at, kind="move",
            title=_("Verhuisd van %(old)s naar %(new)s", old=move.from_location.name,
                    new=move.to_location.name),
            detail=detail))
    return items
