"""Absolute links for messages: each item points at the page where the work is done."""

from urllib.parse import urljoin

from flask import current_app
from werkzeug.routing import BuildError

from app.auth.permissions import has
from app.core.mail import external_url
from app.core.urls import base_url


def _link(endpoint: str, path: str, **values) -> str:
    # The page's own endpoint when it exists; otherwise the agreed URL (the base URL +
    # path), so a message never fails because of a renamed view.
    if endpoint in current_app.view_functions:
        try:
            return external_url(endpoint, **values)
        except BuildError:
            pass
    return urljoin(base_url().rstrip("/") + "/", path.lstrip("/"))


def participant_link(trajectory) -> str:
    return _link("participants.show", f"/deelnemers/{trajectory.participant_id}",
                 participant_id=trajectory.participant_id)


def tasks_link() -> str:
    return _link("checkins.tasks", "/taken")


def checkin_link(checkin, user) -> str:
    """Staff act on the participant page (phone number, history); a volunteer, who may
    not open that page, completes the check-in on their task list."""

    if checkin.kind == "first_contact" and has(user, "referrals.contact"):
        return referral_contact_link(checkin.trajectory)
    if has(user, "participants.view"):
        return participant_link(checkin.trajectory)
    return tasks_link() + f"#taak-{checkin.id}"


def referral_contact_link(trajectory) -> str:
    """Where first contact is logged (attempts, reached or not)."""
    return _link("referrals.contact", f"/aanmeldingen/{trajectory.id}/contact",
                 trajectory_id=trajectory.id)


def notifications_link() -> str:
    return _link("notifications.index", "/berichten/")


def settings_link() -> str:
    return _link("notifications.settings", "/berichten/instellingen")
