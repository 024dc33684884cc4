"""Demo volunteers, their matches and sessions for `flask seed-demo` (a later seed step)."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.checkins.models import CheckIn, CheckInOutcome, CheckInStatus
from app.checkins.service import complete_checkin
from app.core.timeutil import to_utc
from app.extensions import db
from app.matching import service as matching
from app.participants.models import TrajectoryStatus
from app.seed import SeedContext, demo_phone
from app.volunteers import service as volunteers
from app.volunteers.models import VolunteerStatus

# (first name, last name, location keys, languages, capacity, domains, sex)
VOLUNTEERS = [
    ("Anneke", "de Vries", ["centrum"], ["Engels"], 3, ["lezen", "schrijven", "spreken_luisteren"],
     "vrouw"),
    ("Henk", "Jansen", ["centrum", "noord"], [], 2, ["rekenen", "digitaal"], "man"),
    ("Samira", "Bakkali", ["centrum"], ["Arabisch", "Frans"], 2,
     ["spreken_luisteren", "lezen"], "vrouw"),
    ("Joost", "van Dijk", ["noord"], ["Engels", "Duits"], 2, ["digitaal", "digitale_overheid"],
     "man"),
    ("Marieke", "Visser", ["noord"], [], 1, ["lezen", "schrijven"], "vrouw"),
    ("Tesfay", "Haile", ["noord", "centrum"], ["Tigrinya", "Amhaars", "Engels"], 2,
     ["spreken_luisteren"], "man"),
    ("Ria", "Smit", ["leidsche_rijn"], [], 3, ["lezen", "rekenen", "schrijven"], "vrouw"),
    ("Oksana", "Kovalenko", ["leidsche_rijn"], ["Oekraïens", "Russisch", "Engels"], 2,
     ["spreken_luisteren", "digitaal"], "vrouw"),
    ("Peter", "de Graaf", ["leidsche_rijn", "centrum"], [], 2,
     ["digitale_overheid", "digitaal", "rekenen"], "man"),
    ("Ayşe", "Yilmaz", ["centrum"], ["Turks"], 2, ["spreken_luisteren", "lezen"], "vrouw"),
    ("Wim", "Bos", ["noord"], [], 1, ["rekenen"], "man"),
    ("Fleur", "Mulder", ["leidsche_rijn"], ["Engels", "Spaans"], 2, ["schrijven", "lezen"],
     "vrouw"),
    ("Karin", "Meijer", ["centrum"], [], 2, ["digitaal", "lezen"], "vrouw"),
    ("Bram", "de Boer", ["noord"], ["Engels"], 2, ["spreken_luisteren", "schrijven"], "man"),
    ("Nadia", "Ouali", ["leidsche_rijn"], ["Arabisch", "Tamazight (Berbers)"], 2,
     ["spreken_luisteren", "lezen"], "vrouw"),
]
SLOTS = ["mon-morning", "mon-afternoon", "tue-morning", "tue-afternoon", "tue-evening",
         "wed-morning", "wed-afternoon", "thu-morning", "thu-afternoon", "thu-evening",
         "fri-morning", "sat-morning"]
PRACTISED = [
    "Brief van de gemeente samen gelezen en moeilijke woorden opgeschreven.",
    "Geoefend met bellen naar de huisarts: wat zeg je als eerste?",
    "Ingelogd met DigiD en de toeslagen bekeken.",
    "Boodschappenlijst gemaakt en prijzen uitgerekend.",
    "Stukje uit de Zin-krant gelezen en erover gepraat.",
    "E-mail aan de school van de kinderen geschreven.",
    "Formulier van de woningbouw ingevuld.",
    "Gesprek geoefend voor een sollicitatie.",
]


def seed_volunteers_and_matches(ctx: SeedContext) -> None:

    rng = ctx.rng
    coordinator = ctx.users["coordinator"]
    made = []
    for i, (first, last, keys, languages, capacity, domains, sex) in enumerate(VOLUNTEERS):
        vog_on = ctx.today - timedelta(days=rng.randint(60, 900))
        if i == 4:
            vog_on = None  # the overview and the ranking warn about a missing VOG
        elif i == 10:
            vog_on = ctx.today - timedelta(days=3 * 365 + 40)  # too old
        email = f"{first.lower()}.{last.lower().replace(' ', '')}@vrijwilliger.example"
        volunteer = volunteers.save_volunteer(
            None, first_name=first, last_name=last, email=email,
            phone=demo_phone(rng), sex=sex,
            locations=[ctx.locations[k] for k in keys],
            availability=sorted(rng.sample(SLOTS, k=rng.randint(2, 5)), key=SLOTS.index),
            capacity=capacity, domains=domains, languages=languages, vog_on=vog_on,
            by=coordinator, now=ctx.moment(330 - i * 10))
        volunteer.created_at = ctx.moment(330 - i * 10)
        if i != 12:
            volunteers.add_training(volunteer, name="Basistraining",
                                    done_on=ctx.today - timedelta(days=300 - i * 10),
                                    by=coordinator, now=ctx.moment(300 - i * 10))
        if i in (2, 5, 14):
            volunteers.add_training(volunteer, name="Training NT2",
                                    done_on=ctx.today - timedelta(days=200),
                                    by=coordinator, now=ctx.moment(200))
        made.append(volunteer)
    db.session.flush()
    # The demo volunteer account works as Anneke at Bibliotheek Centrum.
    demo = made[0]
    volunteers.link_account(demo, ctx.users["volunteer"], by=coordinator, now=ctx.moment(320))

    active = sorted(ctx.trajectories.get(TrajectoryStatus.ACTIVE, []), key=lambda t: t.id)
    # Anneke gets the first two active people of Centrum; others get the best-ranked volunteer
    # at that moment (so nobody is matched beyond their capacity).
    centrum = [t for t in active if t.location_id == ctx.locations["centrum"].id][:2]
    others = [t for t in active if t not in centrum and rng.random() < 0.65]
    by_id = {v.id: v for v in made}
    for n, trajectory in enumerate(centrum + others):
        volunteer = demo
        if trajectory not in centrum:
            ranking = matching.rank_volunteers(trajectory, scope=sa.true(), today=ctx.today)
            if not ranking.proposed:
                continue
            volunteer = by_id[ranking.proposed[0].candidate.id]
        start_ago = rng.randint(30, 90)
        by = ctx.users["coordinator2"] if trajectory.location_id == \
            ctx.locations["leidsche_rijn"].id else coordinator
        match = matching.propose_match(trajectory, volunteer, by=by,
                                       now=ctx.moment(start_ago + 3),
                                       start_on=ctx.today - timedelta(days=start_ago))
        # One match has gone quiet for 6 weeks, one for 3: the silence reminders show.
        last_ago = {2: 45, 3: 24}.get(n, rng.randint(1, 9))
        _sessions(ctx, match, volunteer, start_ago, last_ago, concern_last=(n == 1))

    _complete_past_match_checkins(ctx)

    # One waiting person has a proposal the coordinator still has to call about.
    waiting = sorted(ctx.trajectories.get(TrajectoryStatus.WAITING, []), key=lambda t: t.id)
    if waiting:
        ranking = matching.rank_volunteers(waiting[-1], scope=sa.true(), today=ctx.today)
        if ranking.proposed:
            volunteer = next(v for v in made if v.id == ranking.proposed[0].candidate.id)
            matching.propose_match(waiting[-1], volunteer, by=coordinator,
                                   now=ctx.moment(1))
    # Nadia takes a break.
    volunteers.set_status(made[14], status=VolunteerStatus.PAUSED, reason="Op reis tot maart.",
                          by=ctx.users["coordinator2"], now=ctx.moment(20))


def _sessions(ctx: SeedContext, match, volunteer, start_ago: int, last_ago: int,
              concern_last: bool) -> None:

    rng = ctx.rng
    goals = matching.workable_goals(match.trajectory_id)
    days = []
    day_ago = start_ago - rng.randint(2, 6)
    while day_ago > last_ago:
        days.append(day_ago)
        day_ago -= rng.randint(6, 10)
    days.append(last_ago)
    user = volunteer.user
    for i, ago in enumerate(days):
        held_on: date = ctx.today - timedelta(days=ago)
        last = i == len(days) - 1
        marks = {}
        if goals:
            goal = goals[i % len(goals)]
            marks[goal.id] = rng.choice(["hard", "some", "some", "good"])
        matching.log_session(
            match, held_on=held_on, minutes=rng.choice([45, 60, 60, 90]),
            practised=rng.choice(PRACTISED), goal_marks=marks,
            remark=("Ze vertelde dat de huur niet betaald is en ze slaapt slecht."
                    if concern_last and last else None),
            concern=concern_last and last, by=user or ctx.users["coordinator"],
            now=ctx.moment(ago, 17))


def _complete_past_match_checkins(ctx: SeedContext) -> None:
    """The "klikt het?" and later check-ins of the demo matches happened on time: done, so
    the lists show what is really due now. The rhythm plans the next ones by itself."""

    for _round in range(10):
        past = db.session.scalars(
            sa.select(CheckIn).where(CheckIn.match_id.is_not(None),
                                     CheckIn.status == CheckInStatus.PLANNED,
                                     CheckIn.due_on < ctx.today - timedelta(days=1))
            .order_by(CheckIn.due_on, CheckIn.id)
        ).all()
        if not past:
            return
        for checkin in past:
            user = db.session.get(User, checkin.assignee_id) if checkin.assignee_id else None
            complete_checkin(checkin, outcome=CheckInOutcome.GOING_WELL, note="Gaat goed, klikt.",
                             user=user or ctx.users["coordinator"],
                             now=min(to_utc(checkin.due_on, 14), ctx.now))
