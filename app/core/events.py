"""Trajectory events. Features emit them; follow-up planning (check-ins) subscribes.

Emitting happens inside the caller's transaction, so what a subscriber adds is committed or
rolled back together with the change that caused it.
"""

from collections.abc import Callable
from datetime import datetime

EVENTS = (
    "referral_registered",  # a referral created a trajectory
    "contact_made",         # first contact reached
    "contact_failed",       # a first-contact attempt did not reach the person
    "intake_done",          # intake saved (context: intake)
    "waiting",              # the trajectory (again) waits for an offer: after the intake,
                            # or when its last match or group place ended
    "match_started",        # a volunteer match became active (context: match)
    "match_paused",
    "match_ended",          # (context: match)
    "enrolled",             # enrolled in a group offer (context: enrollment)
    "enrollment_ended",     # a group place ended (context: enrollment)
    "goal_target_set",      # a learning goal got or changed its target date (context: goal)
    "trajectory_ended",
    "owner_changed",        # another coordinator (or nobody) owns it (context: previous_owner_id)
    "back_in_view",         # a contact cleared "buiten beeld": the referrer may hear it
)

Subscriber = Callable[..., None]
_subscribers: list[Subscriber] = []


def subscribe(fn: Subscriber) -> Subscriber:
    """Register `fn(event, trajectory, now, **context)`; usable as a decorator."""
    if fn not in _subscribers:
        _subscribers.append(fn)
    return fn


def emit(event: str, trajectory, now: datetime, **context) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown trajectory event {event!r}")
    for fn in list(_subscribers):
        fn(event, trajectory, now, **context)
