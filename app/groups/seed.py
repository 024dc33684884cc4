"""Demo data: every demo group gets a weekly schedule, its past meetings a register."""

from datetime import time, timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.checkins.models import CheckIn, CheckInOutcome, CheckInStatus
from app.checkins.service import complete_checkin
from app.core.timeutil import to_utc
from app.extensions import db
from app.groups import service as groups
from app.groups.models import AttendanceStatus, GroupMeeting
from app.matching.models import Enrollment, Offer
from app.seed import SeedContext
from app.volunteers.models import Volunteer

# The weekday (0 = Monday) and time each demo offer's name promises.
RHYTHM = {"taalcafe": (2, time(10, 0)), "klik_tik": (1, time(14, 0)),
          "nt1_lesgroep": (3, time(19, 0))}
WEEKS_BACK, WEEKS_AHEAD = 20, 16


def seed_group_meetings(ctx: SeedContext) -> None:
    coordinator = ctx.users["coordinator"]
    offers = db.session.scalars(sa.select(Offer).order_by(Offer.id)).all()
    for offer in offers:
        weekday, at = RHYTHM.get(offer.kind, (0, time(10, 0)))
        groups.save_schedule(offer, weekday=weekday, at=at,
                             starts_on=ctx.today - timedelta(weeks=WEEKS_BACK),
                             ends_on=ctx.today + timedelta(weeks=WEEKS_AHEAD),
                             by=coordinator, now=ctx.moment(WEEKS_BACK * 7 + 7))
    _link_demo_volunteer(ctx, offers)
    for n, offer in enumerate(offers):
        meetings = db.session.scalars(
            sa.select(GroupMeeting).where(GroupMeeting.offer_id == offer.id)
            .order_by(GroupMeeting.held_on)).all()
        past = [m for m in meetings if m.held_on < ctx.today]
        ahead = [m for m in meetings if m.held_on > ctx.today]
        # A holiday in the past and one ahead: the register skips them.
        if n % 3 == 0 and len(past) > 4 and ahead:
            groups.set_cancelled(past[-4], True, by=coordinator, now=ctx.moment(30))
            groups.set_cancelled(ahead[1], True, by=coordinator, now=ctx.moment(2))
        for meeting in past:
            if not meeting.cancelled:
                _keep_register(ctx, meeting, stopped_coming=n == 1)
    _complete_past_group_checkins(ctx)


def _link_demo_volunteer(ctx: SeedContext, offers) -> None:
    """The demo volunteer runs one group of their location: they keep its register."""
    volunteer = db.session.scalar(
        sa.select(Volunteer).where(Volunteer.user_id == ctx.users["volunteer"].id))
    if volunteer is None:
        return
    for offer in offers:
        if offer.location_id in volunteer.location_ids and offer.kind == "klik_tik":
            groups.link_volunteer(offer, volunteer, by=ctx.users["coordinator"],
                                  now=ctx.moment(WEEKS_BACK * 7))
            return


def _keep_register(ctx: SeedContext, meeting: GroupMeeting, *, stopped_coming: bool) -> None:
    """Most people come; some call off; in one group the last one enrolled stopped coming
    two weeks ago (the owner gets a "komt niet meer naar de groep" check-in)."""
    enrollments = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.offer_id == meeting.offer_id,
                                    groups.enrolled_on(meeting.held_on))
        .order_by(Enrollment.id)).all()
    now = min(to_utc(meeting.held_on, meeting.starts_at.hour + 2), ctx.now)
    # The last one still in the group: one whose place ended gets no check-in.
    quitter = next((e for e in reversed(enrollments) if e.ended_on is None), None)
    for enrollment in enrollments:
        if stopped_coming and enrollment is quitter and \
                (ctx.today - meeting.held_on).days <= 14:
            status = AttendanceStatus.ABSENT
        else:
            roll = ctx.rng.random()
            status = (AttendanceStatus.PRESENT if roll < 0.85 else
                      AttendanceStatus.EXCUSED if roll < 0.95 else AttendanceStatus.ABSENT)
        groups.record_attendance(meeting, enrollment, status, by=ctx.users["staff"], now=now)


def _complete_past_group_checkins(ctx: SeedContext) -> None:
    """The "bevalt de groep?" calls and group evaluations of the demo happened on time."""
    past = db.session.scalars(
        sa.select(CheckIn).where(CheckIn.enrollment_id.is_not(None),
                                 CheckIn.rule_id.is_not(None),
                                 CheckIn.status == CheckInStatus.PLANNED,
                                 CheckIn.due_on < ctx.today - timedelta(days=1))
        .order_by(CheckIn.due_on, CheckIn.id)).all()
    for checkin in past:
        user = db.session.get(User, checkin.assignee_id) if checkin.assignee_id else None
        complete_checkin(checkin, outcome=CheckInOutcome.GOING_WELL,
                         note="Bevalt goed, komt graag.", user=user or ctx.users["coordinator"],
                         now=min(to_utc(checkin.due_on, 14), ctx.now))
