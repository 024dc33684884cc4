"""`flask seed-demo`: realistic fake Dutch demo data, the same every run.

The data is made by a list of steps, `SEED_STEPS`, each a function `step(ctx)` that adds rows
through the features' own services (so statuses, events, check-ins and the audit log are
what real use would leave behind). A feature adds its own demo data with a step
of its own, in its `seed.py`, connected in the package's `connect_hooks()`:

    def connect_hooks():
        from app.seed import seed_step
        from app.volunteers.seed import seed_volunteers_and_matches

        seed_step(seed_volunteers_and_matches)   # runs after the steps already listed

or by adding it to `SEED_STEPS` below. Steps read and extend `ctx`: the moment `ctx.now`, the
seeded random sources `ctx.rng` and `ctx.fake`, the demo users in `ctx.users`, the locations,
partners and the trajectories per status made so far.
"""

import os
import random
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import click
import sqlalchemy as sa
from flask import Flask

from app.admin.models import Location
from app.appointments.service import last_working_day
from app.auth import security_settings
from app.auth.models import Role, User
from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.security_settings import TWO_FACTOR_ROLES
from app.auth.service import create_user
from app.core.timeutil import local_date, local_tz, next_working_day, to_utc, utcnow
from app.extensions import db
from app.intakes.models import GoalStatus
from app.intakes.service import save_intake
from app.matching.service import end_trajectory, enroll, save_offer
from app.participants.models import Participant, Trajectory, TrajectoryStatus
from app.participants.service import set_owner
from app.partners.models import Partner
from app.partners.service import save_contact, save_partner
from app.referrals.service import (
    PersonInput,
    ReferralInput,
    add_referral_to_trajectory,
    log_contact_attempt,
    plan_intake,
    register_referral,
)

if TYPE_CHECKING:
    from faker import Faker

SEED = 2026
DEMO_DOMAIN = "houvast.demo"
# The demo sign-ins, in the order they are printed: `<key>@houvast.demo`.
DEMO_ACCOUNTS = ("admin", "coordinator", "coordinator2", "staff", "volunteer", "partner")
TWO_FACTOR_OFF_LINE = ("Inloggen met code (tweestapsverificatie) staat uit voor de "
                       "demo-accounts: het wachtwoord hieronder is genoeg. Zet het aan onder "
                       "Beheer > Beveiliging.")


@dataclass
class SeedContext:
    now: datetime
    rng: random.Random
    fake: "Faker"
    password: str
    locations: dict[str, Location] = field(default_factory=dict)
    partners: list[Partner] = field(default_factory=list)
    # Keys: admin, coordinator, coordinator2, staff, volunteer, partner.
    users: dict[str, User] = field(default_factory=dict)
    trajectories: dict[str, list[Trajectory]] = field(default_factory=dict)
    names_used: set[tuple[str, str]] = field(default_factory=set)

    @property
    def today(self) -> date:
        return local_date(self.now)

    def moment(self, days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
        """A time of day `days_ago` local days before now; never later than now."""
        at = to_utc(self.today - timedelta(days=days_ago), hour, minute)
        return min(at, self.now - timedelta(minutes=5))

    def add_trajectory(self, trajectory: Trajectory) -> None:
        self.trajectories.setdefault(trajectory.status, []).append(trajectory)


SeedStep = Callable[[SeedContext], None]


def seed_step(fn: SeedStep) -> SeedStep:
    """Decorator: run `fn(ctx)` as a later step of `flask seed-demo`."""
    if fn not in SEED_STEPS:
        SEED_STEPS.append(fn)
    return fn


def demo_sign_ins() -> list[User]:
    """The demo accounts still there and active, in DEMO_ACCOUNTS order (none on a database
    with only real data)."""
    emails = [f"{key}@{DEMO_DOMAIN}" for key in DEMO_ACCOUNTS]
    users = db.session.scalars(
        sa.select(User).where(User.email.in_(emails), User.active.is_(True))).all()
    return sorted(users, key=lambda user: emails.index(user.email))


def _password_hint(users: list[User]) -> str:
    """What to type as the password: the demo password is never stored in plain text, so
    only HOUVAST_DEMO_PASSWORD can be checked; otherwise it was printed at the first run."""

    env_password = os.environ.get("HOUVAST_DEMO_PASSWORD")
    if env_password and verify_password(users[0].password_hash, env_password):
        return "password: (uit HOUVAST_DEMO_PASSWORD)"
    return ("password: het wachtwoord dat werd getoond toen de demo-gegevens de eerste keer "
            "werden gemaakt (of HOUVAST_DEMO_PASSWORD, als dat toen was gezet)")


def database_has_data() -> bool:
    has_user = db.session.scalar(sa.select(User.id).limit(1)) is not None
    return has_user or db.session.scalar(sa.select(Participant.id).limit(1)) is not None


def run_seed(now: datetime, password: str) -> SeedContext:
    """Run every step in one transaction; the caller commits."""
    # Imported here, not at the top: the CLI registers this module in every process, and
    # Faker's data would stay in every web worker (issue 14: worker memory).
    from faker import Faker

    fake = Faker("nl_NL")
    fake.seed_instance(SEED)
    ctx = SeedContext(now=now, rng=random.Random(SEED), fake=fake, password=password)
    for step in SEED_STEPS:
        step(ctx)
        db.session.flush()
    return ctx


# --- Step 1: locations, partners, users ------------------------------------------------------

LOCATIONS = [("centrum", "Bibliotheek Centrum", "Utrecht"),
             ("noord", "Bibliotheek Noord", "Utrecht"),
             ("leidsche_rijn", "Bibliotheek Leidsche Rijn", "Utrecht")]

# (name, kind code of the reference list "partner_kind", contact roles)
PARTNERS = [
    ("Gemeente Utrecht, Werk en Inkomen", "gemeente", ["Klantmanager", "Consulent inburgering"]),
    ("UWV Utrecht", "uwv", ["Werkcoach"]),
    ("VluchtelingenWerk Midden-Nederland", "vluchtelingenwerk",
     ["Maatschappelijk begeleider", "Vrijwilligerscoördinator"]),
    ("Buurtteam Noordwest", "wijkteam", ["Buurtteammedewerker"]),
    ("Schuldhulpmaatje Utrecht", "schuldhulp", ["Coördinator"]),
    ("Werkbedrijf Utrecht", "sociaal_werkbedrijf", ["Jobcoach", "Leidinggevende"]),
    ("Welzijn Leidsche Rijn", "welzijn", ["Opbouwwerker"]),
    ("GGD regio Utrecht", "ggd", ["Jeugdverpleegkundige"]),
    ("ROC Midden Nederland, Educatie", "taalaanbieder", ["Docent NT2", "Intaker"]),
]


def demo_phone(rng: random.Random, mobile: bool = True) -> str:
    """A number that passes the phone rule, in the free spelling people type."""
    if mobile:
        # The same draw as before, so the rest of the demo data stays as it was; only 06-1
        # to 06-5 are issued mobile ranges (06-7 and 06-9 are not, and the rule knows it).
        n = rng.randint(10000000, 99999999)
        return f"06-{n % 5 + 1}{n % 10**7:07d}"
    return f"030-{rng.randint(2000000, 2999999)}"


def _email_name(name: str) -> str:

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return ".".join(part for part in ascii_name.replace("-", " ").split() if part.isalpha())


def seed_organisation(ctx: SeedContext) -> None:

    for key, name, municipality in LOCATIONS:
        location = Location(name=name, municipality=municipality, created_at=ctx.moment(400))
        db.session.add(location)
        ctx.locations[key] = location
    db.session.flush()

    for name, kind, roles in PARTNERS:
        domain = _email_name(name).split(".")[0] + ".example"
        partner = save_partner(None, name=name, kind=kind, phone=demo_phone(ctx.rng, mobile=False),
                               email=f"info@{domain}", signals_enabled=kind != "ggd", by=None,
                               now=ctx.moment(380))
        for role in roles:
            person = f"{ctx.fake.first_name()} {ctx.fake.last_name()}"
            save_contact(partner, None, name=person, role=role,
                         email=f"{_email_name(person)}@{domain}", phone=demo_phone(ctx.rng),
                         by=None, now=ctx.moment(380))
        ctx.partners.append(partner)

    centrum, noord, lr = (ctx.locations[k] for k in ("centrum", "noord", "leidsche_rijn"))
    password_hash = hash_password(ctx.password)
    accounts = [
        ("admin", Role.ADMIN, "Beheerder Taalhuis", [], None),
        ("coordinator", Role.COORDINATOR, None, [centrum, noord], None),
        ("coordinator2", Role.COORDINATOR, None, [lr], None),
        ("staff", Role.STAFF, None, [centrum, noord, lr], None),
        ("volunteer", Role.VOLUNTEER, None, [centrum], None),
        ("partner", Role.PARTNER, None, [], ctx.partners[0]),
    ]
    for key, role, name, locations, partner in accounts:
        user = create_user(email=f"{key}@{DEMO_DOMAIN}",
                           name=name or f"{ctx.fake.first_name()} {ctx.fake.last_name()}",
                           role=role, locations=locations, partner=partner)
        user.password_hash = password_hash
        user.created_at = ctx.moment(365)
        ctx.users[key] = user
    db.session.flush()
    # Every referral gets an owner from the start: Centrum always its coordinator, Noord and
    # Leidsche Rijn their coordinators in turn (Beheer > Vestigingen shows the choice).
    centrum.owner_mode, centrum.default_owner_id = "fixed", ctx.users["coordinator"].id
    noord.owner_mode = lr.owner_mode = "rotation"


# --- Step 2: participants in every stage -----------------------------------------------------

# People who come to a Taalhuis: NT2 learners from many backgrounds and NT1 learners who grew
# up with Dutch. (first names, last names, native language, other languages)
NT2_PEOPLE = [
    (["Fatima", "Samira", "Nadia", "Khadija"], ["El Amrani", "Bakkali", "Ouali"], "Arabisch",
     "Frans"),
    (["Mohammed", "Youssef", "Hamid"], ["El Idrissi", "Benali", "Aziz"], "Tamazight (Berbers)",
     "Arabisch"),
    (["Tesfay", "Rahwa", "Senait", "Yonas"], ["Haile", "Tesfamariam", "Gebremedhin"],
     "Tigrinya", "Amhaars"),
    (["Oksana", "Olena", "Iryna", "Dmytro"], ["Kovalenko", "Shevchenko", "Bondarenko"],
     "Oekraïens", "Russisch"),
    (["Ayşe", "Mehmet", "Emine", "Hüseyin"], ["Yilmaz", "Demir", "Kaya"], "Turks", None),
    (["Abdi", "Hodan", "Ayaan"], ["Mohamed", "Warsame", "Farah"], "Somalisch", "Engels"),
    (["Ahmad", "Zahra", "Farid"], ["Ahmadi", "Rahimi", "Karimi"], "Dari", "Farsi"),
    (["Rania", "Nour", "Omar"], ["Al-Hassan", "Haddad", "Khalil"], "Arabisch", "Engels"),
    (["Ewa", "Piotr", "Agnieszka"], ["Nowak", "Kowalski", "Wiśniewska"], "Pools", "Engels"),
]

QUESTIONS = [
    "Wil brieven van de gemeente zelf kunnen lezen.",
    "Heeft moeite met formulieren en post. Dochter helpt nu nog.",
    "Wil de kinderen helpen met huiswerk en met juf praten.",
    "Kan DigiD niet zelf gebruiken; wil toeslagen zelf regelen.",
    "Wil beter Nederlands spreken op het werk, baas vraagt erom.",
    "Moet solliciteren via internet en vindt dat moeilijk.",
    "Wil zelf met de huisarts praten, zonder tolk.",
    "Schaamt zich dat lezen niet goed gaat; klantmanager heeft hem gemotiveerd.",
    "Wil leren omgaan met de computer en e-mail.",
    "Schulden door post die niet gelezen werd; wil grip op de administratie.",
]

# (subject, context, the goal in the participant's own words)
GOALS = [
    ("lezen", "geld", "Brieven van de gemeente kunnen lezen"),
    ("lezen", "gezin", "Mijn kind helpen met huiswerk"),
    ("digitale_overheid", "zelfredzaamheid", "Zelf mijn DigiD gebruiken"),
    ("spreken_luisteren", "gezondheid", "Zelf met de huisarts praten, zonder mijn dochter erbij"),
    ("schrijven", "werk", "Een sollicitatiebrief schrijven"),
    ("rekenen", "geld", "Mijn bankafschriften snappen en een budget maken"),
    ("digitaal", "werk", "Een e-mail sturen naar mijn werkgever"),
    ("spreken_luisteren", "wonen", "De woningbouw durven bellen over een reparatie"),
    ("lezen", "inburgering", "De krant lezen, eerst de makkelijke krant"),
    ("schrijven", "gezin", "Een briefje voor school schrijven als mijn zoon ziek is"),
    ("digitaal", "gezondheid", "Een afspraak maken via de app van de huisarts"),
    ("lezen", "wonen", "De energierekening begrijpen"),
    ("rekenen", "zelfredzaamheid", "Uitrekenen wat ik in de supermarkt moet betalen"),
    ("spreken_luisteren", "werk", "Beter praten met mijn collega's in de pauze"),
    ("lezen", "gezin", "Voorlezen aan mijn kleinkinderen"),
    ("digitale_overheid", "geld", "Toeslagen zelf aanvragen op de computer"),
]

MOTIVATIONS = [
    "Wil niet meer afhankelijk zijn van de kinderen.",
    "Wil vooruit in het werk.",
    "Wil meedoen in de buurt en op school van de kinderen.",
    "Heeft net een brief gemist en wil dat niet meer.",
    "Wil de inburgering halen.",
]

VOLUNTEER_WISHES = [None, "Liefst een vrouw.", "Iemand met geduld.", "Liefst overdag, niet in "
                    "het weekend.", "Iemand die ook wat Engels spreekt."]

# How many people in each stage (60 in all).
STAGES = [(TrajectoryStatus.REFERRED, 9), (TrajectoryStatus.CONTACTED, 6),
          (TrajectoryStatus.INTAKE_PLANNED, 6), (TrajectoryStatus.UNREACHABLE, 4),
          (TrajectoryStatus.WAITING, 14), (TrajectoryStatus.ACTIVE, 13),
          (TrajectoryStatus.ENDED, 8)]

# Group offers per location (kind code of the reference list "offer", name, domain, capacity).
OFFERS = [("taalcafe", "Taalcafé woensdagochtend", "language", 14),
          ("klik_tik", "Klik & Tik dinsdagmiddag", "digital", 8),
          ("nt1_lesgroep", "NT1-lesgroep donderdagavond", "language", 10)]

OUTCOMES = [("goal_reached", "doel_behaald"), ("non_formal", "doel_behaald"),
            ("formal_education", "niet_nodig"), ("work", "werk_gevonden"),
            ("moved", "verhuisd"), ("stopped", "gezondheid"), ("stopped", "te_moeilijk"),
            ("unreachable", "onbereikbaar")]


def _person(ctx: SeedContext, nt2: bool):

    rng = ctx.rng
    for _ in range(50):
        if nt2:
            first_names, last_names, native, other = rng.choice(NT2_PEOPLE)
            first, last = rng.choice(first_names), rng.choice(last_names)
            background = "nt2"
        else:
            first, last = ctx.fake.first_name(), ctx.fake.last_name()
            native, other, background = "Nederlands", None, "nt1"
        # Two demo people with one name would look like a duplicate registration.
        if (first, last) not in ctx.names_used:
            break
    ctx.names_used.add((first, last))
    channel = rng.choices(["phone", "whatsapp", "sms", "email", "via_referrer"],
                          weights=[6, 4, 1, 1, 1])[0]
    email = None
    if channel == "email" or rng.random() < 0.2:
        email = f"{_email_name(first + ' ' + last)}{rng.randint(1, 99)}@example.nl"
    return PersonInput(
        first_name=first, last_name=last, phone=demo_phone(rng), email=email,
        preferred_channel=channel, birth_year=rng.randint(1952, 2005),
        language_background=background, native_language=native, other_languages=other,
        found_via=rng.choice(["verwijzer", "verwijzer", "verwijzer", "via_via", "website",
                              "vrijwilliger"]),
    )


def _register(ctx: SeedContext, location_key: str, days_ago: int) -> Trajectory:

    rng = ctx.rng
    nt2 = rng.random() < 0.7
    person = _person(ctx, nt2)
    walk_in = person.found_via != "verwijzer"
    partner = None if walk_in else rng.choice(ctx.partners)
    contact = rng.choice(partner.contacts) if partner and partner.contacts else None
    location = ctx.locations[location_key]
    registrar = ctx.users["coordinator2" if location_key == "leidsche_rijn" else "staff"]
    referral = ReferralInput(
        location_id=location.id,
        question=rng.choice(QUESTIONS),
        channel="desk" if walk_in else rng.choice(["phone", "email", "warm_handover", "form"]),
        referred_on=ctx.today - timedelta(days=days_ago),
        share_with_referrer=bool(partner) and rng.random() < 0.8,
        consent_method=rng.choice(["verbal", "verbal", "paper"]),
        partner_id=partner.id if partner else None,
        partner_contact_id=contact.id if contact else None,
        best_moment=rng.choice([None, "Liefst 's ochtends bellen.", "Na 15.00 uur, dan zijn "
                                "de kinderen uit school.", "Niet op vrijdag."]),
    )
    trajectory = register_referral(person=person, referral=referral, user=registrar,
                                   now=ctx.moment(days_ago, 9 + rng.randint(0, 7)))
    participant = trajectory.participant
    participant.sex = rng.choice(["vrouw", "vrouw", "man", "man", None])
    participant.postcode4 = str(rng.choice(range(3511, 3585)) if location_key != "leidsche_rijn"
                                else rng.choice(range(3451, 3456)))
    return trajectory


def _attempt(ctx: SeedContext, trajectory: Trajectory, days_ago: int, reached: bool,
             outcome: str | None = None) -> None:

    notes_failed = ["Geen gehoor.", "Voicemail ingesproken.", "Nummer gaat niet over.",
                    "App gestuurd, geen reactie."]
    log_contact_attempt(
        trajectory, reached=reached,
        channel="whatsapp" if trajectory.participant.preferred_channel == "whatsapp" else "phone",
        note=None if reached else ctx.rng.choice(notes_failed),
        user=_worker(ctx, trajectory), now=ctx.moment(days_ago, 10 + ctx.rng.randint(0, 5)),
        outcome=outcome)


def _worker(ctx: SeedContext, trajectory: Trajectory) -> User:
    leidsche_rijn = trajectory.location_id == ctx.locations["leidsche_rijn"].id
    return ctx.users["coordinator2" if leidsche_rijn else "staff"]


def _coordinator(ctx: SeedContext, trajectory: Trajectory) -> User:
    leidsche_rijn = trajectory.location_id == ctx.locations["leidsche_rijn"].id
    return ctx.users["coordinator2" if leidsche_rijn else "coordinator"]


def _intake(ctx: SeedContext, trajectory: Trajectory, days_ago: int) -> None:

    rng = ctx.rng
    held_on = ctx.today - timedelta(days=days_ago)
    nt2 = trajectory.participant.language_background == "nt2"
    if nt2:
        scale, levels = "nt2", ["A0", "A1", "A1", "A2", "A2", "B1"]
    else:
        scale, levels = "nt1", ["instroom", "instroom", "1F", "1F", "2F"]
    slots = rng.sample(["mon-morning", "mon-afternoon", "tue-morning", "tue-evening",
                        "wed-morning", "wed-afternoon", "thu-afternoon", "thu-evening",
                        "fri-morning"], k=rng.randint(2, 4))
    advised = rng.choice(["taalmaatje", "taalmaatje", "taalcafe", "klik_tik", "nt1_lesgroep"
                          if not nt2 else "taalcafe"])
    wished = advised if rng.random() < 0.8 else "taalmaatje"
    data = {
        "held_on": held_on, "scale": scale,
        "level_speaking": rng.choice(levels), "level_listening": rng.choice(levels),
        "level_reading": rng.choice(levels), "level_writing": rng.choice(levels),
        "knows_latin_alphabet": (rng.random() < 0.8) if nt2 else True,
        "digital_level": rng.choice(["none", "basic", "basic", "independent"]),
        "numeracy_level": rng.choice(["unknown", "instroom", "1F", "2F"]),
        "screening_tool": rng.choice(["", "", "taalmeter"]) if not nt2 else "",
        "screening_result": None, "availability": slots,
        "volunteer_preferences": rng.choice(VOLUNTEER_WISHES),
        "motivation": rng.choice(MOTIVATIONS),
        "advised_offer": advised, "wished_offer": wished,
        "offer_difference_reason": None if wished == advised else
        "Wil liever eerst één-op-één oefenen; een groep vindt hij of zij nog spannend.",
    }
    if data["screening_tool"] == "taalmeter":
        data["screening_result"] = "Taalmeter: leesniveau onder 1F"
    goals = []
    for subject, context, words in rng.sample(GOALS, k=rng.randint(1, 3)):
        target = held_on + timedelta(weeks=rng.choice([12, 16, 20, 26]))
        goals.append({"subject": subject, "context": context, "own_words": words,
                      "target_date": target if rng.random() < 0.7 else None})
    owner = _coordinator(ctx, trajectory)
    intake_moment = to_utc(held_on, 10 + rng.randint(0, 5))
    if trajectory.owner_id is None:
        set_owner(trajectory, owner, owner, intake_moment - timedelta(hours=1))
    save_intake(trajectory, data, goals, _worker(ctx, trajectory), intake_moment)


def _to_waiting(ctx: SeedContext, location_key: str, intake_days_ago: int) -> Trajectory:

    rng = ctx.rng
    contact_days_ago = intake_days_ago + rng.randint(4, 10)
    trajectory = _register(ctx, location_key, contact_days_ago + rng.randint(1, 4))
    if rng.random() < 0.4:
        _attempt(ctx, trajectory, contact_days_ago + 1, reached=False)
    _attempt(ctx, trajectory, contact_days_ago, reached=True)
    plan_intake(trajectory, to_utc(ctx.today - timedelta(days=intake_days_ago), 10),
                _worker(ctx, trajectory), ctx.moment(contact_days_ago, 15))
    _intake(ctx, trajectory, intake_days_ago)
    return trajectory


def _offers(ctx: SeedContext) -> dict[str, list]:

    offers: dict[str, list] = {}
    for key, location in ctx.locations.items():
        offers[key] = [
            save_offer(None, location_id=location.id, kind=kind, name=name, domain=domain,
                       formal=False, capacity=capacity, schedule=None, active=True,
                       by=ctx.users["coordinator2" if key == "leidsche_rijn" else "coordinator"],
                       now=ctx.moment(300))
            for kind, name, domain, capacity in OFFERS
        ]
    return offers


def _to_enrolled(ctx: SeedContext, location_key: str, intake_days_ago: int,
                 offers: dict[str, list]) -> tuple[Trajectory, int]:
    """Waiting since the intake, then enrolled in an offer of the location 7 to 20 days later;
    also how many days ago it started."""
    trajectory = _to_waiting(ctx, location_key, intake_days_ago)
    start_ago = intake_days_ago - ctx.rng.randint(7, 20)
    enroll(trajectory, ctx.rng.choice(offers[location_key]),
           start_on=ctx.today - timedelta(days=start_ago),
           by=_coordinator(ctx, trajectory), now=ctx.moment(start_ago, 11))
    return trajectory, start_ago


def seed_participants(ctx: SeedContext) -> None:

    rng = ctx.rng
    location_keys = ["centrum", "centrum", "noord", "leidsche_rijn"]
    offers = _offers(ctx)
    for status, count in STAGES:
        for i in range(count):
            location_key = location_keys[(i + len(status)) % len(location_keys)]
            if status == TrajectoryStatus.REFERRED:
                # The first three are overdue: no contact within 5 working days.
                days_ago = rng.randint(9, 16) if i < 3 else rng.randint(0, 3)
                trajectory = _register(ctx, location_key, days_ago)
                if i in (1, 4):
                    _attempt(ctx, trajectory, max(days_ago - 1, 0), reached=False)
            elif status == TrajectoryStatus.CONTACTED:
                days_ago = rng.randint(3, 8)
                trajectory = _register(ctx, location_key, days_ago + rng.randint(1, 3))
                _attempt(ctx, trajectory, days_ago, reached=True)
            elif status == TrajectoryStatus.INTAKE_PLANNED:
                days_ago = rng.randint(2, 7)
                if i == 1:
                    days_ago = 8
                trajectory = _register(ctx, location_key, days_ago + rng.randint(1, 3))
                _attempt(ctx, trajectory, days_ago, reached=True)
                intake_day = next_working_day(ctx.today + timedelta(days=rng.randint(1, 10)))
                hour = rng.choice([10, 11, 14])
                # For the agenda and Mijn taken: one intake today, and one whose day passed
                # without "Intake invullen" or "Niet gekomen" (a task for who planned it).
                if i == 0:
                    intake_day, hour = ctx.today, 15
                elif i == 1:
                    intake_day = last_working_day(ctx.today - timedelta(days=3))
                plan_intake(trajectory, to_utc(intake_day, hour), _worker(ctx, trajectory),
                            ctx.moment(days_ago, 15), room=rng.choice(
                                ["Spreekkamer 1", "Spreekkamer 2", "Leestafel bij de balie"]))
            elif status == TrajectoryStatus.UNREACHABLE:
                days_ago = rng.randint(12, 25)
                trajectory = _register(ctx, location_key, days_ago)
                for attempt_ago in (days_ago - 1, days_ago - 4, days_ago - 8):
                    _attempt(ctx, trajectory, attempt_ago, reached=False)
            elif status == TrajectoryStatus.WAITING:
                # Four have waited longer than 21 days: the coordinator's alert list.
                intake_ago = rng.randint(24, 45) if i < 4 else rng.randint(2, 18)
                trajectory = _to_waiting(ctx, location_key, intake_ago)
            elif status == TrajectoryStatus.ACTIVE:
                trajectory, _start_ago = _to_enrolled(ctx, location_key, rng.randint(40, 150),
                                                      offers)
            else:  # ended
                trajectory, start_ago = _to_enrolled(ctx, location_key, rng.randint(150, 300),
                                                     offers)
                outcome, end_reason = OUTCOMES[i % len(OUTCOMES)]
                result = {"goal_reached": GoalStatus.ACHIEVED, "non_formal": GoalStatus.ACHIEVED,
                          "formal_education": GoalStatus.PARTLY_ACHIEVED,
                          "work": GoalStatus.PARTLY_ACHIEVED}
                goal_results = {goal.id: result.get(outcome, GoalStatus.STOPPED)
                                for goal in trajectory.goals}
                end_ago = rng.randint(5, max(6, start_ago - 30))
                end_trajectory(trajectory, outcome=outcome, end_reason=end_reason,
                               goal_results=goal_results, by=_coordinator(ctx, trajectory),
                               now=ctx.moment(end_ago, 14))
            ctx.add_trajectory(trajectory)
    _second_referrer(ctx)


def _second_referrer(ctx: SeedContext) -> None:
    """A second referrer for someone who already waits at Centrum: recorded on that
    trajectory (participant page: "Ook aangemeld door")."""
    trajectory = next((t for t in ctx.trajectories.get(TrajectoryStatus.WAITING, [])
                       if t.location_id == ctx.locations["centrum"].id), None)
    if trajectory is None:
        return
    first_partner = trajectory.referral.partner_id if trajectory.referral else None
    partner = next((p for p in ctx.partners if p.id != first_partner and p.contacts), None)
    if partner is None:
        return
    participant = trajectory.participant
    add_referral_to_trajectory(
        trajectory,
        person=PersonInput(first_name=participant.first_name, last_name=participant.last_name),
        referral=ReferralInput(
            location_id=trajectory.location_id, question="Wil de brieven van de "
            "schuldhulpverlening zelf kunnen lezen.", channel="phone",
            referred_on=ctx.today - timedelta(days=3), share_with_referrer=None,
            consent_method="verbal", partner_id=partner.id,
            partner_contact_id=partner.contacts[0].id),
        user=ctx.users["staff"], now=ctx.moment(3, 11))


SEED_STEPS: list[SeedStep] = [seed_organisation, seed_participants]


# --- The command -----------------------------------------------------------------------------

def _parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO date-time: {value!r}") from error
    if moment.tzinfo is None:
        # A wall-clock time as the Taalhuis reads it.
        moment = moment.replace(tzinfo=local_tz())
    return moment.astimezone(UTC)


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True,
                  help="Doe niets (en stop zonder fout) als er al gegevens zijn.")
    @click.option("--now", "now_text", metavar="ISO",
                  help="Doe alsof het nu dit moment is, bv. 2026-11-23T09:00 (voor demo's).")
    def seed_demo_command(if_empty: bool, now_text: str | None):
        """Vul een lege database met nepgegevens voor een demo."""
        now = _parse_now(now_text)
        if database_has_data():
            message = ("De database bevat al gegevens (gebruikers of deelnemers); "
                       "seed-demo vult alleen een lege database. "
                       "(The database already holds data.)")
            if if_empty:
                click.echo(f"{message} Niets gedaan.")
                # `make run` on an existing demo database: say again how to sign in.
                users = demo_sign_ins()
                if users:
                    click.echo("Inloggen kan met de demo-accounts:")
                    for user in users:
                        click.echo(f"{user.role}: {user.email}")
                    if not any(map(security_settings.two_factor_required, TWO_FACTOR_ROLES)):
                        click.echo(TWO_FACTOR_OFF_LINE)
                    click.echo(_password_hint(users))
                return
            raise click.ClickException(message)
        env_password = os.environ.get("HOUVAST_DEMO_PASSWORD")
        # The demo accounts follow the password rules too (issue 19).
        problem = env_password and password_problem(env_password)
        if problem:
            raise click.ClickException(f"HOUVAST_DEMO_PASSWORD: {problem}")
        password = env_password or secrets.token_urlsafe(12)
        ctx = run_seed(now, password)
        # A newcomer tries every role with the printed password alone (issue 19): two-factor
        # sign-in, required for admins and coordinators in a new installation, goes off here.
        for role in TWO_FACTOR_ROLES:
            security_settings.save(f"two_factor_{role}", 0, None)
        db.session.commit()
        for user in ctx.users.values():
            click.echo(f"{user.role}: {user.email}")
        click.echo(TWO_FACTOR_OFF_LINE)
        if env_password:
            click.echo("password: (uit HOUVAST_DEMO_PASSWORD)")
        else:
            click.echo(f"password: {password}")
