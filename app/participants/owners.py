"""Who owns a trajectory: the owner a new one gets, handing several over at once, and moving a
trajectory to another location.

Functions add and flush; the caller commits once (one transaction per action).
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.admin.models import Location, OwnerMode
from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import coordinators_by_location, owner_on_registration
from app.core.errors import DomainError
from app.extensions import db
from app.participants.models import Trajectory, TrajectoryMove
from app.participants.service import set_owner


class OwnershipError(DomainError):
    """A hand-over or move is refused; `field` names the form field the message belongs to."""

    def __init__(self, message=None, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- The owner of a new trajectory ---------------------------------------------------------------

def _next_in_turn(coordinators: list[User], last_id: int | None) -> User:
    """The coordinator after `last_id` (by id, wrapping around): each gets one in turn, also
    when someone joins or leaves the location in between."""
    later = [c for c in coordinators if last_id is None or c.id > last_id]
    return (later or coordinators)[0]


def owner_for_new_trajectory(location_id: int, registrar) -> User | None:
    """The owner a trajectory registered at `location_id` gets, by the location's setting.

    "fixed": the chosen coordinator, while they are an active coordinator of the location.
    "registrar": a coordinator of the location who registers it takes it on.
    "rotation", and whenever the above finds nobody: the next active coordinator of the
    location in turn; the pointer is moved with the location row locked (FOR UPDATE on
    PostgreSQL; SQLite writes one at a time), so two registrations at once never get the
    same turn. Only a location without coordinators leaves it to whoever registers (a
    coordinator working elsewhere) or to nobody.
    """
    location = db.session.scalar(
        sa.select(Location).where(Location.id == location_id).with_for_update()
        .execution_options(populate_existing=True))
    coordinators = coordinators_by_location([location_id]).get(location_id, []) if location else []
    if location is not None and coordinators:
        if location.owner_mode == OwnerMode.FIXED:
            chosen = next((c for c in coordinators if c.id == location.default_owner_id), None)
            if chosen is not None:
                return chosen
        registering = owner_on_registration(registrar)
        if location.owner_mode == OwnerMode.REGISTRAR and registering in coordinators:
            return registering
        # Rotation, and the fallback of the other modes: nobody is left without an owner
        # while the location has a coordinator.
        chosen = _next_in_turn(coordinators, location.last_owner_id)
        location.last_owner_id = chosen.id
        db.session.flush()
        return chosen
    return owner_on_registration(registrar)


# --- Handing several over at once ----------------------------------------------------------------

def hand_over(trajectories: list[Trajectory], new_owner: User, user, now: datetime) -> int:
    """Make `new_owner` the owner of each of `trajectories` (the caller checked that `user`
    may change each and that `new_owner` is a coordinator of each one's location). Open
    owner check-ins follow through "owner_changed". Returns how many changed owner."""
    changed = 0
    for trajectory in trajectories:
        if set_owner(trajectory, new_owner, user, now):
            changed += 1
    if changed:
        audit.record(user, "update", "trajectory", None, now=now,
                     summary=f"{changed} trajecten overgedragen aan gebruiker {new_owner.id}")
    return changed


# --- Moving to another location ------------------------------------------------------------------

@dataclass
class MoveResult:
    move: TrajectoryMove
    owner: User | None


def move_trajectory(trajectory: Trajectory, to_location: Location, *, reason: str,
                    owner: User | None, user, now: datetime) -> MoveResult:
    """Move `trajectory` to `to_location` with a reason; it gets `owner` (a coordinator of
    the new location, checked by the caller) or else the new location's owner for new
    trajectories. Owner check-ins follow the new owner; a volunteer's stay theirs."""
    if not trajectory.is_open:
        raise OwnershipError(_l("Een afgesloten traject kan niet meer verhuizen."))
    if to_location.id == trajectory.location_id:
        raise OwnershipError(_l("Het traject is al van deze locatie. Kies een andere locatie."),
                             field="location_id")
    if not to_location.active:
        raise OwnershipError(_l("Kies een locatie die open is."), field="location_id")
    reason = (reason or "").strip()
    if not reason:
        raise OwnershipError(_l("Schrijf op waarom het traject verhuist."), field="reason")
    move = TrajectoryMove(trajectory_id=trajectory.id, from_location_id=trajectory.location_id,
                          to_location_id=to_location.id, reason=reason,
                          moved_by_id=getattr(user, "id", None), moved_at=now)
    db.session.add(move)
    trajectory.location = to_location
    db.session.flush()
    if owner is None:
        owner = owner_for_new_trajectory(to_location.id, None)
    audit.record(user, "update", "trajectory", trajectory.id,
                 participant_id=trajectory.participant_id, now=now,
                 summary=f"verhuisd van locatie {move.from_location_id} naar {to_location.id}")
    # Without a new owner the unassigned check-ins simply show on the new location's list.
    set_owner(trajectory, owner, user, now)
    return MoveResult(move=move, owner=owner)
