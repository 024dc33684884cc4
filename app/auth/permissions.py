"""The one place that decides who may do what, and which records a user may see.

Views ask `require(...)`/`has(...)` for actions and use the scoped queries below for data.
Records outside a user's scope are reported as 404, never 403, so ids leak nothing.
"""

from collections.abc import Callable
from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.extensions import db
from app.participants.models import Participant, Trajectory

_STAFF_WORK = {
    "participants.view", "participants.edit", "referrals.create", "referrals.contact",
    "intakes.edit", "consents.edit", "partners.view",
}

CAPABILITIES: dict[str, set[str]] = {
    "admin": _STAFF_WORK | {
        "users.manage", "locations.manage", "partners.manage", "audit.view",
        "reference.manage", "participants.all_locations", "trajectories.own",
    },
    "coordinator": _STAFF_WORK | {"trajectories.own"},
    "staff": set(_STAFF_WORK),
    # Volunteers see their own matched participants only (through their own pages).
    "volunteer": set(),
    # Partners see the status of their own referrals only (through the partner portal).
    "partner": set(),
}


def has(user, capability: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return capability in CAPABILITIES.get(user.role, set())


def require(capability: str) -> Callable:
    """View decorator: 403 unless the signed-in user has `capability`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not has(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def trajectory_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Trajectory: the trajectories `user` may see."""
    if has(user, "participants.all_locations"):
        return sa.true()
    if has(user, "participants.view"):
        ids = user.location_ids
        return Trajectory.location_id.in_(ids) if ids else sa.false()
    return sa.false()


def participant_scope(user) -> sa.ColumnElement[bool]:
    """SQL condition on Participant: people with at least one trajectory `user` may see."""
    if has(user, "participants.all_locations"):
        return sa.true()
    return sa.exists().where(
        Trajectory.participant_id == Participant.id, trajectory_scope(user)
    )


def visible_participants(user) -> sa.Select:
    return sa.select(Participant).where(participant_scope(user))


def visible_trajectories(user) -> sa.Select:
    return sa.select(Trajectory).where(trajectory_scope(user))


def get_participant_or_404(user, participant_id: int) -> Participant:
    participant = db.session.scalar(
        visible_participants(user).where(Participant.id == participant_id)
    )
    if participant is None:
        abort(404)
    return participant


def get_trajectory_or_404(user, trajectory_id: int) -> Trajectory:
    trajectory = db.session.scalar(
        visible_trajectories(user).where(Trajectory.id == trajectory_id)
    )
    if trajectory is None:
        abort(404)
    return trajectory


def can_edit_trajectory(user, trajectory: Trajectory) -> bool:
    return has(user, "participants.edit") and (
        has(user, "participants.all_locations") or trajectory.location_id in user.location_ids
    )


def allowed_locations(user):
    """Locations where `user` may register or move trajectories."""
    from app.admin.models import Location

    query = sa.select(Location).where(Location.active.is_(True)).order_by(Location.name)
    if not has(user, "participants.all_locations"):
        query = query.where(Location.id.in_(user.location_ids or {-1}))
    return db.session.scalars(query).all()
