"""What referrals add to the participant page: the referral, contact attempts, the planned
intake, and the first-contact and intake dates still ahead."""

from collections.abc import Sequence

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.permissions import has
from app.core import choices
from app.core.timeutil import local_date
from app.extensions import db
from app.participants.models import TrajectoryStatus
from app.participants.timeline import DueItem, TimelineItem, at_date
from app.referrals.models import ContactAttempt, Referral, ReferralResult


def _url(viewer, endpoint: str, trajectory_id: int) -> str | None:
    if not has_request_context() or not has(viewer, "referrals.contact"):
        return None
    return url_for(endpoint, trajectory_id=trajectory_id)


def _referrals(trajectories: Sequence, primary_only: bool = False) -> list[Referral]:
    ids = [t.id for t in trajectories]
    if not ids:
        return []
    query = sa.select(Referral).where(Referral.trajectory_id.in_(ids))
    if primary_only:
        query = query.where(Referral.is_primary)
    return list(db.session.scalars(
        query.options(joinedload(Referral.partner), joinedload(Referral.partner_contact))
        .order_by(Referral.id)
    ))


def referral_title(referral: Referral) -> str:
    if not referral.is_primary:
        return _("Ook aangemeld door %(who)s", who=referral.referrer_label or _("een verwijzer"))
    if referral.partner is not None and referral.partner.kind != "zelfmelder":
        return _("Aangemeld door %(partner)s", partner=referral.partner.name)
    if referral.partner is None and referral.referrer_name:
        return _("Aangemeld door %(partner)s", partner=referral.referrer_name)
    return _("Aangemeld (zelfmelder/balie)")


def attempt_title(attempt: ContactAttempt) -> str:
    how = (_("Gebeld") if attempt.channel == "phone"
           else choices.label(choices.CONTACT_CHANNEL, attempt.channel))
    if not attempt.reached:
        return _("%(how)s: niet bereikt", how=how)
    if attempt.outcome == ReferralResult.DECLINED:
        return _("%(how)s: bereikt, wil geen hulp", how=how)
    if attempt.outcome == ReferralResult.FORWARDED:
        return _("%(how)s: bereikt, doorverwezen naar elders", how=how)
    return _("%(how)s: bereikt", how=how)


def referral_timeline(trajectories: Sequence, viewer, limit: int | None = None
                      ) -> list[TimelineItem]:
    ids = [t.id for t in trajectories]
    if not ids:
        return []
    # Partners see how it goes, never what was said (DESIGN.md, data protection).
    show_notes = has(viewer, "participants.view")
    items: list[TimelineItem] = []
    for referral in _referrals(trajectories):
        # The moment of registering when it was the same day, so same-day calls sort after it.
        at = (referral.created_at
              if referral.created_at and local_date(referral.created_at) == referral.referred_on
              else at_date(referral.referred_on))
        items.append(TimelineItem(
            trajectory_id=referral.trajectory_id, at=at, kind="referral",
            title=referral_title(referral),
            detail=referral.question if show_notes else None,
        ))
        # The planned intake itself is on the timeline through its appointment
        # (app/appointments/timeline.py), with every move and no-show.
    # Newest first, and only as many as the page shows (`limit`): a person called every
    # week for years has hundreds.
    attempts = db.session.scalars(
        sa.select(ContactAttempt).where(ContactAttempt.trajectory_id.in_(ids))
        .order_by(ContactAttempt.at.desc(), ContactAttempt.id.desc())
        .limit(limit)
    ).all()
    # Oldest first again, as before, so attempts at the same moment keep their order.
    for attempt in reversed(attempts):
        items.append(TimelineItem(
            trajectory_id=attempt.trajectory_id, at=attempt.at, kind="contact",
            title=attempt_title(attempt),
            detail=attempt.note if show_notes else None,
        ))
    return items


def referral_due(trajectories: Sequence, viewer) -> list[DueItem]:
    waiting = [t for t in trajectories if t.not_yet_reached]
    items: list[DueItem] = []
    for referral in _referrals(waiting, primary_only=True):
        items.append(DueItem(
            trajectory_id=referral.trajectory_id, due_on=referral.first_contact_due,
            title=_("Eerste contact met de deelnemer"),
            url=_url(viewer, "referrals.contact", referral.trajectory_id),
        ))
    for trajectory in trajectories:
        if (trajectory.status == TrajectoryStatus.INTAKE_PLANNED
                and trajectory.intake_planned_at):
            items.append(DueItem(
                trajectory_id=trajectory.id, due_on=local_date(trajectory.intake_planned_at),
                title=_("Intake om %(time)s",
                        time=format_time(trajectory.intake_planned_at, "HH:mm")),
                url=_url(viewer, "referrals.plan_intake", trajectory.id),
            ))
    return items
