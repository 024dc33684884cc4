"""The dashboard's figures on a small known data set, and who may see them."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.reports import service

from . import factories

YEAR = {"start": "2026-01-01", "end": "2026-12-31"}
TODAY = date(2026, 11, 23)
NOW = factories.aware(2026, 11, 23, 12, 0)
# The "now" figures (waiting days, overdue) are counted on TODAY.
pytestmark = pytest.mark.usefixtures("frozen")


def _referral(t, *, partner=None, result="pending", result_on=None):
    t.referral.partner_id = partner.id if partner else None
    t.referral.result = result
    t.referral.result_on = result_on


def build(db):
    """Location L1 with five trajectories of four people, and noise in location L2.

    Cohort 2026 at L1: T2, T3, T4, T5 (T1 was referred in 2025 and ended in 2026).
    """
    from app.matching.models import Enrollment

    l1 = factories.location("Bibliotheek Centrum")
    l2 = factories.location("Bibliotheek Noord")
    coordinator = factories.user("coordinator", name="Carla Coördinator", locations=[l1])
    p1 = factories.partner("Gemeente Utrecht")
    p2 = factories.partner("UWV")

    fatima = factories.participant("Fatima", "El Amrani", language_background="nt2",
                                   sex="vrouw", postcode4="3511", native_language="Arabisch")
    # A person with two trajectories: the first started before the period and ended in it.
    t1 = factories.trajectory(fatima, location_obj=l1, status="ended",
                              referred_on=date(2025, 10, 1), started_on=date(2025, 11, 1),
                              ended_on=date(2026, 3, 1), outcome="goal_reached")
    _referral(t1, partner=p1, result="reached", result_on=date(2025, 10, 3))
    factories.intake(t1, held_on=date(2025, 10, 10))
    factories.learning_goal(t1, subject="lezen", status="achieved")
    factories.learning_goal(t1, subject="schrijven", status="partly_achieved")
    factories.learning_goal(t1, subject="rekenen", status="stopped")
    t2 = factories.trajectory(fatima, location_obj=l1, status="active",
                              referred_on=date(2026, 5, 4), started_on=date(2026, 6, 1),
                              owner=coordinator, out_of_view_since=factories.aware(2026, 11, 1))
    _referral(t2, partner=p1, result="reached", result_on=date(2026, 5, 6))
    factories.intake(t2, held_on=date(2026, 5, 12))

    jan = factories.participant("Jan", "Jansen", birth_year=None, language_background="nt1")
    t3 = factories.trajectory(jan, location_obj=l1, status="waiting",
                              referred_on=date(2026, 2, 2), waiting_since=date(2026, 2, 16))
    _referral(t3, partner=p2, result="reached", result_on=date(2026, 2, 9))
    factories.intake(t3, held_on=date(2026, 2, 16), scale="nt1")

    # Referred in the period, not contacted yet.
    olga = factories.participant("Olga", "Petrova")
    t4 = factories.trajectory(olga, location_obj=l1, status="referred",
                              referred_on=date(2026, 11, 16))
    _referral(t4, partner=p1)

    dirk = factories.participant("Dirk", "Dekker", language_background="nt2")
    t5 = factories.trajectory(dirk, location_obj=l1, status="ended",
                              referred_on=date(2026, 3, 2), ended_on=date(2026, 3, 4),
                              outcome="declined")
    _referral(t5, result="declined", result_on=date(2026, 3, 4))

    # Noise at another location.
    eva = factories.participant("Eva", "Noord", language_background="nt1")
    t6 = factories.trajectory(eva, location_obj=l2, status="waiting",
                              referred_on=date(2026, 4, 1), waiting_since=date(2026, 4, 10))
    _referral(t6, partner=p2)

    # Check-ins: two overdue on the coordinator's trajectory (one of them the volunteer's to
    # do), one overdue on a trajectory without owner, others not overdue.
    factories.checkin(t2, due_on=date(2026, 11, 1), assignee=coordinator)
    factories.checkin(t2, due_on=date(2026, 11, 10), rule_code=None, kind="match_6w",
                      assignee=factories.user("volunteer", name="Anneke Vrijwilliger"))
    factories.checkin(t3, due_on=date(2026, 11, 20), assignee=None)
    factories.checkin(t3, due_on=date(2026, 11, 30), assignee=coordinator)
    factories.checkin(t2, due_on=date(2026, 10, 1), assignee=coordinator, status="done")
    factories.checkin(t6, due_on=date(2026, 11, 1))

    # Volunteers: one active at L1 (capacity 2, one place taken), one paused, one at L2.
    v1 = factories.volunteer("Anneke", locations=[l1], capacity=2)
    factories.volunteer("Paula", locations=[l1], capacity=3, status="paused")
    v3 = factories.volunteer("Vera", locations=[l2], capacity=4)
    old_match = factories.match(t1, v1, status="ended", started_on=date(2025, 11, 1),
                                ended_on=date(2026, 3, 1))
    match = factories.match(t2, v1, status="active", started_on=date(2026, 6, 1))
    factories.match_session(old_match, held_on=date(2025, 12, 20), minutes=60)
    factories.match_session(old_match, held_on=date(2026, 1, 10), minutes=60)
    factories.match_session(old_match, held_on=date(2026, 1, 20), minutes=30)
    factories.match_session(match, held_on=date(2026, 6, 15), minutes=90)
    factories.match_session(factories.match(t6, v3), held_on=date(2026, 6, 16), minutes=45)

    offer = factories.offer(l1, name="Digisterker", kind="digisterker", domain="digital")
    db.session.add(Enrollment(trajectory_id=t2.id, offer_id=offer.id,
                              started_on=date(2026, 6, 1)))
    db.session.commit()
    return {"l1": l1, "l2": l2, "coordinator": coordinator, "fatima": fatima, "jan": jan,
            "olga": olga, "dirk": dirk, "eva": eva, "t3": t3}


def _period(*locations, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    return service.Period(start, end, [loc.id for loc in locations],
                          [loc.name for loc in locations])


@pytest.fixture
def data(db):
    return build(db)


def test_funnel_counts_conversion_and_medians(data):
    result = service.funnel(_period(data["l1"]))
    steps = {s["step"]: s for s in result["steps"]}
    assert result["cohort"] == 4
    assert [s["count"] for s in result["steps"]] == [4, 3, 2, 1, 1]
    # The referral not contacted yet counts as referred, not as contacted.
    assert steps["contacted"]["of_cohort"] == 75.0
    assert steps["intake"]["of_previous"] == 66.7
    assert steps["started"]["of_cohort"] == 25.0
    # Of the two with an intake one started; the one that ended never started (declined).
    assert steps["started"]["of_previous"] == 50.0
    assert steps["ended"]["of_previous"] == 0.0
    assert steps["ended"]["of_cohort"] == 25.0
    # Days: contact 2, 7, 2 -> 2; intake 6, 7 -> 6.5; start 20; the ended one never started.
    assert steps["contacted"]["median_days"] == 2.0
    assert steps["intake"]["median_days"] == 6.5
    assert steps["started"]["median_days"] == 20.0
    assert steps["ended"]["median_days"] is None
    assert steps["referred"]["median_days"] is None


def test_funnel_of_two_locations_includes_both(data):
    assert service.funnel(_period(data["l1"], data["l2"]))["cohort"] == 5
    assert service.funnel(_period())["cohort"] == 0


def test_referrals_per_partner_and_how_many_started(data):
    rows = service.per_partner(_period(data["l1"]))
    assert rows == [
        {"partner": "Gemeente Utrecht", "referred": 2, "started": 1, "started_pct": 50.0},
        {"partner": "UWV", "referred": 1, "started": 0, "started_pct": 0.0},
        {"partner": None, "referred": 1, "started": 0, "started_pct": 0.0},
    ]


def test_current_waiting_list_out_of_view_and_overdue(data):
    now = service.current_state(_period(data["l1"]), TODAY)
    assert now["waiting"] == 1
    assert now["out_of_view"] == 1
    assert now["waiting_list"][0]["name"] == "Jan Jansen"
    assert now["waiting_list"][0]["days"] == 280
    # Per owner of the trajectory: the volunteer's late check-in counts for its owner.
    assert now["overdue_total"] == 3
    assert now["overdue"] == [
        {"owner": "Carla Coördinator", "count": 2}, {"owner": None, "count": 1}]


def test_outcomes_and_goals_of_trajectories_ended_in_period(data):
    period = _period(data["l1"])
    assert sorted(service.outcomes(period), key=lambda o: o["outcome"]) == [
        {"outcome": "declined", "count": 1}, {"outcome": "goal_reached", "count": 1}]
    assert service.goals(period) == [
        {"subject": "lezen", "total": 1, "achieved": 1, "partly": 0},
        {"subject": "rekenen", "total": 1, "achieved": 0, "partly": 0},
        {"subject": "schrijven", "total": 1, "achieved": 0, "partly": 1},
    ]
    # In 2025 nothing ended.
    assert service.outcomes(_period(data["l1"], start=date(2025, 1, 1),
                                    end=date(2025, 12, 31))) == []


def test_participants_counted_once_with_nt1_nt2_split(data):
    split = service.participants_split(_period(data["l1"]))
    # Fatima has two trajectories in the period and counts once.
    assert split == {"total": 4, "nt1": 1, "nt2": 2, "unknown": 1}
    # In 2025 only Fatima's first trajectory was open.
    assert service.participants_split(
        _period(data["l1"], start=date(2025, 1, 1), end=date(2025, 12, 31)))["total"] == 1


def test_volunteer_load_and_sessions_per_month(data):
    vol = service.volunteers(_period(data["l1"]))
    assert (vol["active"], vol["capacity"], vol["load"], vol["load_pct"]) == (1, 2, 1, 50.0)
    assert vol["months"] == [
        {"month": date(2026, 1, 1), "sessions": 2, "hours": 1.5},
        {"month": date(2026, 6, 1), "sessions": 1, "hours": 1.5},
    ]
    assert (vol["sessions_total"], vol["hours_total"]) == (3, 3.0)


def test_coordinator_reads_the_dashboard_of_own_location(client, auth, data):
    auth.login(data["coordinator"])
    # Asking for another location's figures is ignored: only their own are shown.
    response = client.get("/rapportage/", query_string={**YEAR, "location": data["l2"].id})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bibliotheek Centrum" in html
    assert "Eva Noord" not in html and "Bibliotheek Noord" not in html
    assert "Hoe tellen we?" in html
    assert 'role="img"' in html and "<title" in html
    assert 'data-figure="waiting">1<' in html
    assert 'data-figure="participants">4<' in html
    assert "Gemeente Utrecht" in html
    assert "Jan Jansen" in html
    # Outcomes set at first contact have a Dutch name too.
    assert "Wilde geen hulp" in html and "declined" not in html
    assert 'data-figure="overdue">3<' in html


def test_admin_chooses_locations(client, auth, data):
    auth.as_role("admin")
    html = client.get("/rapportage/", query_string={**YEAR, "location": data["l2"].id}
                      ).get_data(as_text=True)
    assert 'data-figure="participants">1<' in html
    assert "Eva Noord" in html
    both = client.get("/rapportage/", query_string=YEAR).get_data(as_text=True)
    assert 'data-figure="participants">5<' in both
    assert 'data-figure="waiting">2<' in both


def test_dashboard_defaults_to_this_year_and_has_quick_links(client, auth, data):
    auth.login(data["coordinator"])
    html = client.get("/rapportage/").get_data(as_text=True)
    year = date.today().year
    assert f'value="{year}-01-01"' in html and f'value="{year}-12-31"' in html
    assert f"start={year - 1}-01-01" in html  # "Vorig jaar"


def test_end_before_start_shows_a_message_and_the_default_period(client, auth, data):
    auth.login(data["coordinator"])
    html = client.get("/rapportage/", query_string={"start": "2026-05-01",
                                                     "end": "2026-01-01"}).get_data(as_text=True)
    assert "De einddatum ligt voor de begindatum." in html


def test_quick_periods():
    periods = service.quick_periods(date(2026, 11, 23))
    assert periods["this_year"] == (date(2026, 1, 1), date(2026, 12, 31))
    assert periods["last_year"] == (date(2025, 1, 1), date(2025, 12, 31))
    assert periods["this_quarter"] == (date(2026, 10, 1), date(2026, 12, 31))
    assert service.quick_periods(date(2026, 5, 2))["this_quarter"] == (
        date(2026, 4, 1), date(2026, 6, 30))


@pytest.mark.parametrize("role", ["staff", "volunteer", "partner"])
@pytest.mark.parametrize("path", ["/rapportage/", "/rapportage/gemeente.xlsx",
                                  "/rapportage/gemeente.csv", "/rapportage/monitor.csv",
                                  "/rapportage/deelnemers.csv", "/rapportage/deelnemers.xlsx"])
def test_other_roles_may_not_see_reports(client, auth, role, path):
    auth.as_role(role)
    assert client.get(path).status_code == 403


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/rapportage/")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_nav_shows_reports_to_coordinator_only(client, auth, db):
    auth.as_role("coordinator")
    assert "/rapportage/" in client.get("/deelnemers/").get_data(as_text=True)
    auth.logout()
    auth.as_role("staff")
    assert "/rapportage/" not in client.get("/deelnemers/").get_data(as_text=True)


def test_dashboard_query_count_does_not_grow_with_data(client, auth, db, data, count_queries):
    """The same number of queries with one more trajectory, partner and session per month."""
    auth.as_role("admin")

    def measure() -> int:
        # The test shares one session with the app: start each request with nothing loaded.
        db.session.commit()
        with count_queries() as statements:
            assert client.get("/rapportage/", query_string=YEAR).status_code == 200
        return len(statements)

    before = measure()
    for n in range(5):
        t = factories.trajectory(factories.participant(f"Extra{n}"), location_obj=data["l1"],
                                 status="waiting", referred_on=date(2026, 7, 1 + n),
                                 waiting_since=date(2026, 7, 2 + n))
        _referral(t, partner=factories.partner(f"Partner extra {n}"))
    db.session.commit()
    assert measure() == before


def test_median_from_day_histograms():
    assert service._median({}) is None
    assert service._median({5: 1}) == 5
    assert service._median({2: 2, 7: 1}) == 2  # 2, 2, 7
    assert service._median({6: 1, 7: 1}) == 6.5
    assert service._median({1: 1, 3: 2, 10: 1}) == 3  # 1, 3, 3, 10


def test_funnel_follows_the_real_first_contact_intake_and_partner_changes(db):
    """The report reads copies on the trajectory; every change to the referral or intake
    reaches them, whichever service made it."""
    from app.intakes.service import save_intake
    from app.referrals.service import log_contact_attempt

    loc = factories.location()
    staff = factories.user("staff", locations=[loc])
    partner = factories.partner("Wijkteam Oost")
    t = factories.trajectory(location_obj=loc, referred_on=date(2026, 11, 2))
    db.session.commit()
    period = _period(loc)
    assert [s["count"] for s in service.funnel(period)["steps"]] == [1, 0, 0, 0, 0]

    log_contact_attempt(t, reached=False, channel="phone", note=None, user=staff,
                        now=factories.aware(2026, 11, 3, 9))
    db.session.commit()
    assert service.funnel(period)["steps"][1]["count"] == 0  # not reached is no contact
    log_contact_attempt(t, reached=True, channel="phone", note=None, user=staff,
                        now=factories.aware(2026, 11, 5, 9))
    db.session.commit()
    save_intake(t, {"held_on": date(2026, 11, 12), "scale": "nt2"},
                [{"subject": "lezen", "context": "geld", "own_words": "Brieven lezen",
                  "target_date": None}], staff, factories.aware(2026, 11, 12, 10))
    db.session.commit()
    steps = {s["step"]: s for s in service.funnel(period)["steps"]}
    assert (steps["contacted"]["count"], steps["intake"]["count"]) == (1, 1)
    assert (steps["contacted"]["median_days"], steps["intake"]["median_days"]) == (3, 7)
    assert service.per_partner(period)[0]["partner"] is None

    # Staff correct the referrer: the per-partner table follows.
    t.referral.partner_id = partner.id
    db.session.commit()
    assert service.per_partner(period)[0]["partner"] == "Wijkteam Oost"
    # An intake removed (entered on the wrong person) no longer counts.
    db.session.delete(t.intake)
    db.session.commit()
    assert service.funnel(period)["steps"][2]["count"] == 0


# A query that runs for many seconds on SQLite and PostgreSQL alike, unless it is stopped.
SLOW_QUERY = sa.text("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r "
                     "WHERE n < 100000000) SELECT count(*) FROM r")


def _slow_query_stops_within(seconds: float, db) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        running = db.session.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE 'WITH RECURSIVE r(n)%'"))
        db.session.rollback()
        if not running:
            return True
        time.sleep(0.1)
    return False


def test_a_figure_group_past_its_timeout_leaves_a_calm_page_with_the_other_figures(
        app, client, auth, db, data, monkeypatch):
    """PostgreSQL runs the groups at once and its statement_timeout stops the slow query;
    SQLite runs them in turn and stops the slow query itself at the deadline."""
    import time

    goals = service._FIGURES["goals"]
    monkeypatch.setitem(service._FIGURES, "goals",
                        lambda period, today: db.session.scalar(SLOW_QUERY))
    # Long enough that the cheap groups are ready even on a busy CI machine, where a new
    # PostgreSQL connection per group can take a few hundred milliseconds (0.5 s was not).
    monkeypatch.setitem(app.config, "DASHBOARD_TIMEOUT", 2)
    monkeypatch.setitem(app.config, "DASHBOARD_STATEMENT_TIMEOUT", 2)
    auth.login(data["coordinator"])

    started = time.monotonic()
    response = client.get("/rapportage/", query_string=YEAR)
    took = time.monotonic() - started

    assert response.status_code == 200
    assert took < 8, f"the page waited {took:.1f} s for a group with a 2 s timeout"
    html = response.get_data(as_text=True)
    assert "Niet alle cijfers waren op tijd klaar" in html
    # Its group (learning goals and volunteers) is left out; every other figure is there.
    assert html.count("Deze cijfers waren niet op tijd klaar.") == 2
    assert 'data-figure="participants">4<' in html and 'data-figure="overdue">3<' in html
    assert "Gemeente Utrecht" in html and "Wilde geen hulp" in html

    if db.engine.dialect.name == "postgresql":
        # Its thread is not left busy for the query's many seconds: statement_timeout ends
        # it. (SQLite stopped it before the page was sent.)
        assert _slow_query_stops_within(seconds=4, db=db)

    # The yearly report is never made with figures left out.
    export = client.get("/rapportage/gemeente.csv", query_string=YEAR, follow_redirects=True)
    assert export.mimetype == "text/html"
    assert "De jaarrapportage was niet op tijd klaar" in export.get_data(as_text=True)

    # The slow query was stopped, not left running: the next page is complete again.
    monkeypatch.setitem(service._FIGURES, "goals", goals)
    again = client.get("/rapportage/", query_string=YEAR).get_data(as_text=True)
    assert "niet op tijd klaar" not in again and "Actieve vrijwilligers" in again
