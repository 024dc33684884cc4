"""The figures of the dashboard and the exports: plain functions over the database.

Every figure is a handful of aggregate queries, whatever the amount of data: the dashboard
does a fixed number of queries (see tests/bench/bench_dashboard.py).

Definitions (also on the page, "Hoe tellen we?"):
- cohort: trajectories whose referral date (Trajectory.referred_on) is in the period;
- first contact: the referral's result is reached, declined or forwarded (the person was
  spoken to); its date is Referral.result_on;
- intake: Intake.held_on; started: Trajectory.started_on; ended: Trajectory.ended_on;
- participants in the period: people with at least one trajectory that was open during the
  period (referred on or before the end, not ended before the start); counted once each.
"""

import csv
import hashlib
import hmac
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

import sqlalchemy as sa
from flask import current_app

from app.admin.models import Location
from app.auth.models import User
from app.auth.permissions import not_restricted
from app.checkins.models import CheckIn, CheckInStatus
from app.core.parallel import WorkerPool, run_with_deadlines
from app.extensions import db
from app.intakes.models import GoalStatus, LearningGoal
from app.matching.models import Enrollment, Match, MatchSession, MatchStatus, Offer
from app.participants.models import Participant, Trajectory, TrajectoryStatus
from app.partners.models import Partner
from app.volunteers.models import Volunteer, VolunteerStatus, volunteer_locations

FUNNEL_STEPS = ("referred", "contacted", "intake", "started", "ended")
WAITING_TOP = 10


@dataclass
class Period:
    start: date
    end: date
    location_ids: list[int]
    location_names: list[str] = field(default_factory=list)
    # Every location there is (an admin without a choice): no location condition at all,
    # which lets PostgreSQL use plain range scans over 100,000s of rows.
    all_locations: bool = False

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} t/m {self.end.isoformat()}"


def quick_periods(today: date) -> dict[str, tuple[date, date]]:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    next_quarter = (date(today.year + 1, 1, 1) if quarter_start.month == 10
                    else date(today.year, quarter_start.month + 3, 1))
    return {
        "this_year": (date(today.year, 1, 1), date(today.year, 12, 31)),
        "last_year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "this_quarter": (quarter_start, next_quarter - timedelta(days=1)),
    }


def _in_locations(column, period: Period):
    if period.all_locations:
        return sa.true()
    return column.in_(period.location_ids) if period.location_ids else sa.false()


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _days(later, earlier):
    """Whole days between two DATE columns, on PostgreSQL and SQLite alike."""
    if db.engine.dialect.name == "postgresql":
        return later - earlier
    return sa.cast(sa.func.julianday(later) - sa.func.julianday(earlier), sa.Integer)


def _median(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how often}: the middle value, or the mean of
    the two middle values (as statistics.median)."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(value)
    return (found[0] + found[1]) / 2


GAPS = list(zip(FUNNEL_STEPS, FUNNEL_STEPS[1:], strict=False))


def cohort_figures(period: Period) -> tuple[dict, list[dict]]:
    """The funnel and the referrals per partner, in ONE query over the cohort.

    The query returns one row per partner with the counts per step, and per step a
    histogram of the days since the step before (one row per distinct number of days), from
    which the exact median follows. Bounded output, the same result on PostgreSQL and SQLite.
    """
    # One table: the trajectory carries its referral's partner and the first-contact and
    # intake dates (app/participants/milestones.py). Partner key 0: no partner (walk-in).
    cohort = (
        sa.select(
            sa.func.coalesce(Trajectory.partner_id, 0).label("partner"),
            Trajectory.referred_on.label("referred"),
            Trajectory.first_contact_on.label("contacted"),
            Trajectory.intake_on.label("intake"),
            Trajectory.started_on.label("started"),
            Trajectory.ended_on.label("ended"),
        )
        .where(Trajectory.referred_on.between(period.start, period.end),
               _in_locations(Trajectory.location_id, period))
    )
    rows = _cohort_rows(cohort)
    counts = [0] * (len(FUNNEL_STEPS) + len(GAPS))
    by_partner: dict[int, list[int]] = {}
    histograms: dict[str, dict[int, int]] = {later: {} for _e, later in GAPS}
    for kind, key, n, *steps in rows:
        if kind == "partner":
            row = [n, *steps]
            counts = [a + b for a, b in zip(counts, row, strict=True)]
            by_partner[key] = row
        else:
            histograms[kind][int(key)] = histograms[kind].get(int(key), 0) + n
    pairs = counts[len(FUNNEL_STEPS):]
    steps = []
    for i, name in enumerate(FUNNEL_STEPS):
        steps.append({"step": name, "count": counts[i],
                      "of_cohort": _pct(counts[i], counts[0]),
                      "of_previous": _pct(pairs[i - 1], counts[i - 1]) if i else None,
                      "median_days": _median(histograms[name]) if i else None})
    names = dict(db.session.execute(
        sa.select(Partner.id, Partner.name).where(Partner.id.in_([k for k in by_partner if k])))
        .all()) if by_partner else {}
    partners = [{"partner": names.get(key), "referred": row[0], "started": row[3],
                 "started_pct": _pct(row[3], row[0])} for key, row in by_partner.items()]
    # Most referrals first; the referrals without a partner last among equals.
    partners.sort(key=lambda p: (-p["referred"], p["partner"] is None, p["partner"] or ""))
    return {"steps": steps, "cohort": counts[0]}, partners


def _step_counts(c) -> list:
    """Per partner: how many reached each step, and per step how many reached both it and
    the step before (the conversion: someone who declined at first contact is "ended"
    without ever having started)."""
    return [sa.func.count(c.contacted), sa.func.count(c.intake), sa.func.count(c.started),
            sa.func.count(c.ended)] + [
        sa.func.count(sa.case((sa.and_(c[earlier].is_not(None), c[later].is_not(None)), 1)))
        for earlier, later in GAPS]


def _cohort_rows(cohort: sa.Select) -> list[tuple]:
    """The cohort read once (a CTE), then grouped once per partner and once per histogram.

    (GROUPING SETS in one pass was measured slower on PostgreSQL: it sorts or hashes every
    aggregate for every set.)"""
    c = cohort.cte("cohort").c
    parts = [sa.select(sa.literal("partner"), c.partner, sa.func.count(), *_step_counts(c))
             .group_by(c.partner)]
    zeros = [sa.literal(0)] * (len(FUNNEL_STEPS) - 1 + len(GAPS))
    for earlier, later in GAPS:
        days = _days(c[later], c[earlier])
        parts.append(
            sa.select(sa.literal(later), days, sa.func.count(), *zeros)
            .where(c[later].is_not(None), c[earlier].is_not(None))
            .group_by(days))
    return [tuple(r) for r in db.session.execute(sa.union_all(*parts))]


def funnel(period: Period) -> dict:
    """Counts per step of the cohort, conversion and median days between steps."""
    return cohort_figures(period)[0]


def per_partner(period: Period) -> list[dict]:
    """Referrals of the cohort per partner and how many of them started."""
    return cohort_figures(period)[1]


def current_state(period: Period, today: date) -> dict:
    """Now, whatever the period: waiting list, out of view, overdue check-ins."""
    in_loc = _in_locations(Trajectory.location_id, period)
    # Two small counts, each served by its own index (status; out_of_view_since).
    waiting, out_of_view = db.session.execute(sa.select(
        sa.select(sa.func.count()).select_from(Trajectory)
        .where(in_loc, Trajectory.status == TrajectoryStatus.WAITING).scalar_subquery(),
        sa.select(sa.func.count()).select_from(Trajectory)
        .where(in_loc, Trajectory.out_of_view_since.is_not(None),
               Trajectory.is_open).scalar_subquery(),
    )).one()
    top = db.session.execute(
        sa.select(Trajectory.id, Trajectory.participant_id, Participant.first_name,
                  Participant.last_name, Trajectory.waiting_since,
                  Trajectory.first_waiting_since, Location.name)
        .join(Participant, Participant.id == Trajectory.participant_id)
        .join(Location, Location.id == Trajectory.location_id)
        # A list with names: a restricted person leaves it (the counts above keep them).
        .where(in_loc, Trajectory.status == TrajectoryStatus.WAITING,
               not_restricted(Trajectory.participant_id))
        .order_by(Trajectory.first_waiting_since.asc().nulls_last(), Trajectory.id)
        .limit(WAITING_TOP)
    ).all()
    waiting_list = []
    for r in top:
        # The total waiting time counts from the first day of waiting in this trajectory.
        first = r.first_waiting_since or r.waiting_since
        waiting_list.append({
            "participant_id": r.participant_id,
            "name": f"{r.first_name} {r.last_name}".strip(),
            "location": r.name,
            "since": r.waiting_since,
            "first_since": first,
            "days": (today - first).days if first else None,
        })
    # Per owner of the trajectory, not per assignee: the owner answers for the trajectory,
    # also when the late check-in is the volunteer's.
    overdue = db.session.execute(
        sa.select(User.name, sa.func.count())
        .select_from(CheckIn)
        .join(Trajectory, Trajectory.id == CheckIn.trajectory_id)
        .outerjoin(User, User.id == Trajectory.owner_id)
        .where(CheckIn.status == CheckInStatus.PLANNED, CheckIn.due_on < today, in_loc)
        .group_by(User.id, User.name)
        .order_by(sa.func.count().desc(), User.name.asc().nulls_last())
    ).all()
    return {"waiting": waiting, "out_of_view": out_of_view, "waiting_list": waiting_list,
            "overdue": [{"owner": name, "count": n} for name, n in overdue],
            "overdue_total": sum(n for _, n in overdue)}


def _ended_in_period(period: Period):
    return sa.and_(Trajectory.ended_on.between(period.start, period.end),
                   _in_locations(Trajectory.location_id, period))


def outcomes(period: Period) -> list[dict]:
    rows = db.session.execute(
        sa.select(Trajectory.outcome, sa.func.count())
        .where(_ended_in_period(period))
        .group_by(Trajectory.outcome)
        .order_by(sa.func.count().desc(), Trajectory.outcome)
    ).all()
    return [{"outcome": outcome, "count": n} for outcome, n in rows]


def goals(period: Period) -> list[dict]:
    """Learning goals of the trajectories ended in the period, per subject."""
    rows = db.session.execute(
        sa.select(
            LearningGoal.subject, sa.func.count(),
            sa.func.count().filter(LearningGoal.status == GoalStatus.ACHIEVED),
            sa.func.count().filter(LearningGoal.status == GoalStatus.PARTLY_ACHIEVED),
        )
        .join(Trajectory, Trajectory.id == LearningGoal.trajectory_id)
        .where(_ended_in_period(period))
        .group_by(LearningGoal.subject)
        .order_by(LearningGoal.subject)
    ).all()
    return [{"subject": s, "total": total, "achieved": achieved, "partly": partly}
            for s, total, achieved, partly in rows]


def _open_in_period(period: Period):
    """Trajectories open at some moment of the period."""
    return sa.and_(
        Trajectory.referred_on <= period.end,
        sa.or_(Trajectory.ended_on.is_(None), Trajectory.ended_on >= period.start),
        _in_locations(Trajectory.location_id, period),
    )


def participants_split(period: Period) -> dict:
    """Participants in the period (each person once), split NT1 / NT2 / unknown."""
    # EXISTS, not IN (SELECT DISTINCT ...): a semi-join, no de-duplication step.
    has_trajectory = (sa.select(Trajectory.id)
                      .where(Trajectory.participant_id == Participant.id, _open_in_period(period))
                      .exists())
    rows = db.session.execute(
        sa.select(Participant.language_background, sa.func.count())
        .where(has_trajectory)
        .group_by(Participant.language_background)
    ).all()
    split = {"nt1": 0, "nt2": 0, "unknown": 0}
    for background, n in rows:
        split[background if background in split else "unknown"] += n
    return {"total": sum(split.values()), **split}


def volunteers(period: Period) -> dict:
    """Active volunteers of the locations, their load against capacity, sessions per month."""
    at_locations = sa.true() if period.all_locations else Volunteer.id.in_(
        sa.select(volunteer_locations.c.volunteer_id)
        .where(_in_locations(volunteer_locations.c.location_id, period)))
    active, capacity = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Volunteer.capacity), 0))
        .where(Volunteer.status == VolunteerStatus.ACTIVE, at_locations)
    ).one()
    taken = db.session.scalar(
        sa.select(sa.func.count()).select_from(Match)
        .join(Volunteer, Volunteer.id == Match.volunteer_id)
        .where(Match.takes_place, Volunteer.status == VolunteerStatus.ACTIVE, at_locations)
    ) or 0
    # Per day (at most one row per day of the period), read in index order; months in Python.
    sessions = (sa.select(MatchSession.held_on, sa.func.count(),
                          sa.func.sum(MatchSession.minutes))
                .where(MatchSession.held_on.between(period.start, period.end),
                       MatchSession.was_held)
                .group_by(MatchSession.held_on))
    if not period.all_locations:
        sessions = (sessions.join(Match, Match.id == MatchSession.match_id)
                    .join(Trajectory, Trajectory.id == Match.trajectory_id)
                    .where(_in_locations(Trajectory.location_id, period)))
    per_month: dict[date, list[int]] = {}
    for day, n, minutes in db.session.execute(sessions):
        totals = per_month.setdefault(date(day.year, day.month, 1), [0, 0])
        totals[0] += n
        totals[1] += minutes or 0
    months = [{"month": month, "sessions": n, "hours": round(minutes / 60, 1)}
              for month, (n, minutes) in sorted(per_month.items())]
    return {"active": active, "capacity": int(capacity), "load": int(taken),
            "load_pct": _pct(int(taken), int(capacity)), "months": months,
            "sessions_total": sum(m["sessions"] for m in months),
            "hours_total": round(sum(m for _n, m in per_month.values()) / 60, 1)}


# The dashboard's figures in groups of about equal cost. On PostgreSQL the groups run at the
# same time, each on its own connection: the page waits for the slowest group instead of the
# sum of them all (measured at 100,000 trajectories: see tests/bench/bench_dashboard.py).
# The figures may then come from snapshots a few milliseconds apart; for counts that is fine.
_DASHBOARD_GROUPS = (
    ("cohort",),
    ("split", "outcomes"),
    ("now",),
    ("goals", "volunteers"),
)
_POOL = WorkerPool("dashboard", workers=len(_DASHBOARD_GROUPS))


# Every figure as a function of (period, today), by name.
_FIGURES = {
    "cohort": lambda period, _today: cohort_figures(period),
    "now": current_state,
    "split": lambda period, _today: participants_split(period),
    "outcomes": lambda period, _today: outcomes(period),
    "goals": lambda period, _today: goals(period),
    "volunteers": lambda period, _today: volunteers(period),
}


def _figures(names, period: Period, today: date) -> dict:
    return {name: _FIGURES[name](period, today) for name in names}


def dashboard(period: Period, today: date) -> dict:
    """Every figure; a group not ready within DASHBOARD_TIMEOUT is None, named in "late"."""
    config = current_app.config
    outcome = run_with_deadlines(
        _POOL, {names: partial(_figures, names, period, today) for names in _DASHBOARD_GROUPS},
        timeout=config["DASHBOARD_TIMEOUT"],
        statement_timeout=config["DASHBOARD_STATEMENT_TIMEOUT"])
    figures: dict = {}
    for result in outcome.results.values():
        figures.update(result)
    funnel_figures, partners = figures.get("cohort", (None, None))
    return {
        "funnel": funnel_figures,
        "partners": partners,
        "now": figures.get("now"),
        "outcomes": figures.get("outcomes"),
        "goals": figures.get("goals"),
        "split": figures.get("split"),
        "volunteers": figures.get("volunteers"),
        "late": [name for names in outcome.late for name in names],
    }


# --- The yearly report for the municipality (aggregated only) ------------------------------

def municipality_rows(period: Period, data: dict, labels: dict) -> list[list]:
    """Rows for CSV and XLSX: header rows, then (section, figure, number)."""
    rows: list[list] = [
        ["Houvast jaarrapportage Taalhuis"],
        ["Periode", period.start.isoformat(), period.end.isoformat()],
        ["Locaties", ", ".join(period.location_names)],
        [],
        ["Onderdeel", "Cijfer", "Aantal"],
    ]
    split = data["split"]
    rows += [
        ["Deelnemers", "Deelnemers in de periode", split["total"]],
        ["Deelnemers", "NT1", split["nt1"]],
        ["Deelnemers", "NT2", split["nt2"]],
        ["Deelnemers", "NT1/NT2 onbekend", split["unknown"]],
    ]
    for step in data["funnel"]["steps"]:
        name = labels["steps"][step["step"]]
        rows.append(["Aanmeldingen in de periode", name, step["count"]])
        if step["median_days"] is not None:
            rows.append(["Aanmeldingen in de periode", f"{name}: mediaan dagen na vorige stap",
                         step["median_days"]])
    for p in data["partners"]:
        partner = p["partner"] or labels["no_partner"]
        rows.append(["Aanmeldingen per verwijzer", f"{partner}: aangemeld", p["referred"]])
        rows.append(["Aanmeldingen per verwijzer", f"{partner}: gestart", p["started"]])
    for o in data["outcomes"]:
        rows.append(["Afgesloten trajecten", labels["outcome"](o["outcome"]), o["count"]])
    for g in data["goals"]:
        subject = labels["subject"](g["subject"])
        rows.append(["Leerdoelen", f"{subject}: totaal", g["total"]])
        rows.append(["Leerdoelen", f"{subject}: behaald", g["achieved"]])
        rows.append(["Leerdoelen", f"{subject}: deels behaald", g["partly"]])
    vol = data["volunteers"]
    rows += [
        ["Vrijwilligers", "Actieve vrijwilligers", vol["active"]],
        ["Vrijwilligers", "Plekken (capaciteit)", vol["capacity"]],
        ["Vrijwilligers", "Plekken bezet", vol["load"]],
        ["Vrijwilligers", "Bijeenkomsten", vol["sessions_total"]],
        ["Vrijwilligers", "Uren", vol["hours_total"]],
    ]
    for m in vol["months"]:
        key = m["month"].strftime("%Y-%m")
        rows.append(["Bijeenkomsten per maand", f"{key}: bijeenkomsten", m["sessions"]])
        rows.append(["Bijeenkomsten per maand", f"{key}: uren", m["hours"]])
    return rows


def to_csv(rows: list[list]) -> str:
    """Semicolon-separated with a BOM: what Dutch Excel opens without asking."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else _cell_text(v) for v in row])
    return buffer.getvalue()


def _cell_text(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Dutch Excel reads "6.5" as a date or text; a decimal comma is a number.
        return f"{value:g}".replace(".", ",")
    text = str(value)
    # Spreadsheet formula injection: a name starting with = + - @ would run as a formula.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_xlsx(rows: list[list], title: str) -> bytes:
    # Imported here, not at the top: openpyxl adds ~5 MB to every web worker and only the
    # xlsx downloads need it (issue 14: worker memory).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    sheet["A1"].font = Font(bold=True)
    for column in ("A", "B", "C"):
        sheet.column_dimensions[column].width = 36
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value):
    if value is None:
        return None
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


# --- The participant file for the national literacy monitor --------------------------------

MONITOR_COLUMNS = ["deelnemer_id", "geboortejaar", "geslacht", "moedertaal", "postcode4",
                   "soort_aanbod", "type_aanbod", "startdatum", "einddatum", "nt1_nt2"]
_DOMAIN = {"language": "taal", "numeracy": "rekenen", "digital": "digitaal"}
# Goal subjects (reference list "goal_subject") by the monitor's offer type; "anders" has none.
_SUBJECT_DOMAIN = {"lezen": "taal", "schrijven": "taal", "spreken_luisteren": "taal",
                   "rekenen": "rekenen", "digitaal": "digitaal", "digitale_overheid": "digitaal"}
# On a tie the first wins: most volunteer matches are taalmaatjes.
_DOMAIN_ORDER = ["taal", "rekenen", "digitaal"]


def pseudonym(participant_id: int, secret: str) -> str:
    """Stable per person, not the database id, and not reversible without the secret key."""
    digest = hmac.new(secret.encode(), str(participant_id).encode(), hashlib.sha256)
    return "HV-" + digest.hexdigest()[:12]


def monitor_rows(period: Period, secret: str) -> list[list]:
    """One row per participant with a trajectory open in the period (their newest one)."""
    ranked = (
        sa.select(
            Trajectory.id.label("trajectory_id"), Trajectory.participant_id,
            Trajectory.started_on, Trajectory.ended_on,
            sa.func.row_number().over(
                partition_by=Trajectory.participant_id,
                order_by=(Trajectory.referred_on.desc(), Trajectory.id.desc()),
            ).label("rank"),
        ).where(_open_in_period(period))
    ).subquery("ranked")
    chosen = sa.select(ranked).where(ranked.c.rank == 1).subquery("chosen")
    people = db.session.execute(
        sa.select(chosen.c.trajectory_id, chosen.c.started_on, chosen.c.ended_on,
                  Participant.id, Participant.birth_year, Participant.sex,
                  Participant.native_language, Participant.postcode4,
                  Participant.language_background)
        .join(Participant, Participant.id == chosen.c.participant_id)
        # A row per person: a restricted person (AVG art. 18) is not passed on. The
        # anonymised stay (no name in it; retention keeps what the reports need).
        .where(Participant.restricted_at.is_(None))
        .order_by(Participant.id)
    ).all()
    # The offer: the newest enrolment in a group offer, else a volunteer match (taalmaatje).
    offers: dict[int, tuple[str, str]] = {}
    for trajectory_id, formal, domain in db.session.execute(
        sa.select(Enrollment.trajectory_id, Offer.formal, Offer.domain)
        .join(Offer, Offer.id == Enrollment.offer_id)
        .where(Enrollment.trajectory_id.in_(sa.select(chosen.c.trajectory_id)))
        .order_by(Enrollment.started_on, Enrollment.id)
    ):
        offers[trajectory_id] = ("formeel" if formal else "non-formeel",
                                 _DOMAIN.get(domain, ""))
    matched = set(db.session.scalars(
        sa.select(Match.trajectory_id)
        .where(Match.trajectory_id.in_(sa.select(chosen.c.trajectory_id)),
               Match.status != MatchStatus.PROPOSED)
    ))
    # A volunteer match has no domain of its own: it is what the person works on with the
    # volunteer, so the domain of most of their learning goals (none: left empty).
    goal_counts: dict[int, dict[str, int]] = {}
    for trajectory_id, subject, n in db.session.execute(
        sa.select(LearningGoal.trajectory_id, LearningGoal.subject, sa.func.count())
        .where(LearningGoal.trajectory_id.in_(sa.select(chosen.c.trajectory_id)))
        .group_by(LearningGoal.trajectory_id, LearningGoal.subject)
    ):
        domain = _SUBJECT_DOMAIN.get(subject)
        if domain and trajectory_id in matched:
            per = goal_counts.setdefault(trajectory_id, {})
            per[domain] = per.get(domain, 0) + n
    rows: list[list] = [MONITOR_COLUMNS]
    for r in people:
        kind, kind_type = offers.get(r.trajectory_id, ("", ""))
        if not kind and r.trajectory_id in matched:
            per = goal_counts.get(r.trajectory_id, {})
            kind = "non-formeel"
            kind_type = max(_DOMAIN_ORDER, key=lambda d: (per.get(d, 0), -_DOMAIN_ORDER.index(d))
                            ) if per else ""
        rows.append([
            pseudonym(r.id, secret),
            r.birth_year if r.birth_year is not None else "",
            r.sex or "",
            r.native_language or "",
            r.postcode4 or "",
            kind, kind_type,
            r.started_on.isoformat() if r.started_on else "",
            r.ended_on.isoformat() if r.ended_on else "",
            r.language_background.upper() if r.language_background in ("nt1", "nt2") else "",
        ])
    return rows
