"""Domain functions for participants and trajectories (no request handling)."""

from datetime import datetime

from app.participants.models import Trajectory


def record_contact(trajectory: Trajectory, at: datetime) -> None:
    """A contact happened (intake, session, check-in done, referral reached).

    The newest contact is the trajectory's last contact; it drives "buiten beeld", and any
    contact brings a trajectory back into view.
    """
    if trajectory.last_contact_at is None or at > trajectory.last_contact_at:
        trajectory.last_contact_at = at
    trajectory.out_of_view_since = None
