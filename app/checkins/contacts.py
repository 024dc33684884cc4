"""Any contact, any time: "Contact vastleggen" on every open trajectory and check-ins
planned by hand ("Contactmoment plannen").

A contact is a ContactAttempt (the first-contact step uses the same table): one history of
every try to reach the person, on the timeline, whichever page logged it. Functions add and
flush; the caller commits once.
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit import service as audit
from app.auth.permissions import checkin_assignees
from app.checkins.models import CheckIn, CheckInStatus
from app.core.choices import ANY_CONTACT_CHANNELS
from app.core.errors import DomainError
from app.core.events import emit
from app.core.timeutil import local_date, to_utc
from app.extensions import db
from app.participants.models import Trajectory
from app.participants.service import record_contact
from app.referrals.models import ContactAttempt
from app.referrals.service import log_contact_attempt


class ContactError(DomainError):
    """The contact or the planned check-in cannot be saved as asked."""


def saved_attempt(form_key: str | None) -> ContactAttempt | None:
    if not form_key:
        return None
    return db.session.scalar(sa.select(ContactAttempt).where(ContactAttempt.form_key == form_key))


def saved_checkin(form_key: str | None) -> CheckIn | None:
    if not form_key:
        return None
    return db.session.scalar(sa.select(CheckIn).where(CheckIn.form_key == form_key))


def contact_moment(on: date | None, now: datetime) -> datetime:
    """A contact logged for a day: today counts as now, an earlier day as its noon (as for
    sessions and intakes), so a call logged late sorts on the day it happened."""
    if on is None or on >= local_date(now):
        return now
    return to_utc(on, 12)


def log_contact(trajectory: Trajectory, *, channel: str, reached: bool, note: str | None,
                user, now: datetime, on: date | None = None,
                form_key: str | None = None) -> ContactAttempt:
    """A contact with the person (or a try) outside the first-contact step, on day `on`
    (default today; a later day is refused).

    Reached: the last contact, and it brings the trajectory back into view when it is from
    the day it went out of view or later (`record_contact`, the one rule for every contact).
    Not reached: counts for "niet bereikt, twee keer achter elkaar" in the out-of-view scan,
    like a check-in not reached.

    Before the intake the first-contact step decides what a contact means (the referral's
    attempts, "niet bereikt" after three); that page's function does it.
    """
    if not trajectory.is_open:
        raise ContactError(_("Dit traject is afgesloten."))
    if channel not in ANY_CONTACT_CHANNELS:
        raise ValueError(f"unknown contact channel {channel!r}")
    if on is not None and on > local_date(now):
        raise ContactError(_("Deze datum ligt in de toekomst."))
    at = contact_moment(on, now)
    note = (note or "").strip() or None
    if trajectory.before_intake:
        attempt = log_contact_attempt(trajectory, reached=reached, channel=channel,
                                      note=note, user=user, now=at)
        attempt.form_key = form_key
        db.session.flush()
        return attempt

    attempt = ContactAttempt(trajectory=trajectory, at=at, by_id=getattr(user, "id", None),
                             reached=reached, channel=channel, note=note, first_contact=False,
                             form_key=form_key)
    db.session.add(attempt)
    back_in_view = record_contact(trajectory, at) if reached else False
    db.session.flush()
    audit.record(user, "create", "contact_attempt", attempt.id,
                 participant_id=trajectory.participant_id,
                 summary=f"contact vastgelegd ({channel}): "
                         + ("bereikt" if reached else "niet bereikt"), now=now)
    if back_in_view:
        emit("back_in_view", trajectory, now)
    return attempt


def assignee_choices(trajectory: Trajectory) -> dict[int, int | None]:
    """User id → the match id when that user is the volunteer of the active match."""
    return {user.id: match_id for user, match_id in checkin_assignees(trajectory)}


def plan_checkin(trajectory: Trajectory, *, due_on: date, assignee_id: int, topic: str,
                 user, now: datetime, form_key: str | None = None) -> CheckIn:
    """A check-in planned by hand. It is an ordinary planned check-in (kind "manual",
    without a rule): on the assignee's task list and digest, done or not reached like any
    other, and it does not repeat."""
    if not trajectory.is_open:
        raise ContactError(_("Dit traject is afgesloten."))
    if due_on < local_date(now):
        raise ContactError(_("Deze datum is al voorbij. Kies vandaag of een dag later."))
    allowed = assignee_choices(trajectory)
    if assignee_id not in allowed:
        raise ContactError(_("Kies iemand van deze locatie of de vrijwilliger van de "
                             "koppeling."))
    topic = topic.strip()
    checkin = CheckIn(trajectory_id=trajectory.id, match_id=allowed[assignee_id], rule_id=None,
                      kind="manual", due_on=due_on, assignee_id=assignee_id, topic=topic,
                      status=CheckInStatus.PLANNED, created_at=now,
                      created_by_id=getattr(user, "id", None), form_key=form_key)
    db.session.add(checkin)
    db.session.flush()
    audit.record(user, "create", "checkin", checkin.id,
                 participant_id=trajectory.participant_id,
                 summary=f"contactmoment gepland op {due_on.isoformat()}", now=now)
    return checkin
