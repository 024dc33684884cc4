"""Demo data for issue 11's "any contact, any time": contacts logged after the first-contact
step, check-ins planned by hand, and sessions that did not happen (one pair of no-shows, so
the coordinator's "Zorgen" list shows what that looks like); and someone who waits again
after a group place ended, so the waiting list shows "in totaal N dagen" since the first
wait."""

from datetime import timedelta

import sqlalchemy as sa

from app.checkins import contacts
from app.extensions import db
from app.matching import service as matching
from app.matching.models import Enrollment, Match, MatchStatus
from app.matching.service import end_enrollment
from app.participants.models import TrajectoryStatus
from app.seed import SeedContext


def seed_contacts(ctx: SeedContext) -> None:
    coordinator, staff = ctx.users["coordinator"], ctx.users["staff"]
    centrum = ctx.locations["centrum"].id
    active = sorted((t for t in ctx.trajectories.get(TrajectoryStatus.ACTIVE, [])
                     if t.location_id == centrum), key=lambda t: t.id)
    waiting = sorted((t for t in ctx.trajectories.get(TrajectoryStatus.WAITING, [])
                      if t.location_id == centrum), key=lambda t: t.id)
    if len(active) >= 2:
        contacts.log_contact(active[0], channel="in_person", reached=True,
                             note="Kwam langs bij de balie. Gaat goed met de groep.",
                             user=staff, now=ctx.moment(6, 11))
        contacts.log_contact(active[1], channel="phone", reached=False, note="Geen gehoor.",
                             user=staff, now=ctx.moment(2, 15))
        contacts.plan_checkin(active[1], due_on=ctx.today + timedelta(days=2),
                              assignee_id=staff.id, topic="Nog eens bellen: gaat het goed?",
                              user=staff, now=ctx.moment(2, 15))
    if waiting:
        contacts.log_contact(waiting[0], channel="via_referrer", reached=True,
                             note="De consulent zegt dat ze graag op dinsdag komt.",
                             user=coordinator, now=ctx.moment(3, 10))
        contacts.plan_checkin(waiting[0], due_on=ctx.today,
                              assignee_id=coordinator.id,
                              topic="Terugbellen over de uitslag van de taaltoets",
                              user=coordinator, now=ctx.moment(3, 10))

    matches = db.session.scalars(
        sa.select(Match).where(Match.status == MatchStatus.ACTIVE).order_by(Match.id)).all()
    if matches:
        # Anneke (the demo volunteer) reports a cancelled session.
        first = matches[0]
        matching.log_session_not_held(
            first, held_on=ctx.today - timedelta(days=4), reason="cancelled_by_participant",
            remark="Ze moest naar de dokter.", by=first.volunteer.user or coordinator,
            now=ctx.moment(4, 18))
    if len(matches) > 3:
        # The match that went quiet for 3 weeks: the participant did not come, twice.
        quiet = matches[3]
        by = quiet.volunteer.user or coordinator
        for ago in (17, 10):
            matching.log_session_not_held(quiet, held_on=ctx.today - timedelta(days=ago),
                                          reason="no_show", remark=None, by=by,
                                          now=ctx.moment(ago, 18))
    db.session.flush()


def seed_waiting_again(ctx) -> None:
    # After the volunteers' step: only a group place ends, nobody's match is undone, and the
    # random choices of the steps before stay the same.
    for trajectory in sorted(ctx.trajectories.get(TrajectoryStatus.ACTIVE, []),
                             key=lambda t: t.id):
        if not trajectory.is_active:
            continue
        enrollments = db.session.scalars(
            sa.select(Enrollment).where(Enrollment.trajectory_id == trajectory.id,
                                        Enrollment.is_active)).all()
        matched = db.session.scalar(
            sa.select(sa.func.count(Match.id)).where(Match.trajectory_id == trajectory.id))
        if len(enrollments) == 1 and not matched:
            by = trajectory.owner or ctx.users["coordinator"]
            end_enrollment(enrollments[0], by=by, now=ctx.moment(5, 11))
            return
