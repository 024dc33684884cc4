"""Matching a waiting trajectory, the match lifecycle, group offers, ending a trajectory,
sessions counted as contact, concerns and the silence scan."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.matching import service as matching
from app.matching.models import Enrollment, Match
from app.notifications.models import Notification
from app.participants.models import TrajectoryStatus

from . import factories

NOW = factories.aware(2026, 11, 23, 10, 0)  # Monday 23 November 2026, 11:00 in Amsterdam


def coordinator_with_waiting(auth, db, **kwargs):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    trajectory = factories.waiting_trajectory(location, **kwargs)
    db.session.commit()
    return coordinator, location, trajectory


# --- Ranking ---------------------------------------------------------------------------------

def test_ranked_list_shows_volunteers_with_reasons_in_words(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(
        auth, db, availability=("mon-morning", "tue-morning", "wed-evening"),
        subjects=("digitaal",))
    trajectory.participant.native_language = "Arabisch"
    trajectory.intake.level_speaking = "A1"
    factories.volunteer("Samira", locations=[location],
                        availability=("mon-morning", "tue-morning", "wed-evening"),
                        domains=("digitaal",), languages=("Arabisch",), capacity=2)
    factories.volunteer("Kees", locations=[location],
                        availability=("sat-morning",), domains=("rekenen",))
    db.session.commit()

    response = client.get(f"/trajecten/{trajectory.id}/koppelen")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("Samira") < html.index("Kees")
    for reason in ("zelfde locatie", "3 dagdelen overlap", "helpt met Digitale vaardigheden",
                   "spreekt Arabisch", "nog ruimte voor 2"):
        assert reason in html
    assert "geen dagdeel samen" in html  # Kees


def test_hard_limits_are_shown_apart_with_why(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    factories.volunteer("Paula", locations=[location], status="paused")
    full = factories.volunteer("Vera", locations=[location], capacity=1)
    factories.match(factories.trajectory(location_obj=location, status="active"), full)
    factories.volunteer("Geert", locations=[location], vog_on=None)
    factories.volunteer("Olga", locations=[location], vog_on=date(2020, 1, 1))
    factories.volunteer("Stan", locations=[location], status="stopped")
    db.session.commit()

    html = client.get(f"/trajecten/{trajectory.id}/koppelen").get_data(as_text=True)
    ranked, apart = html.split("Kunnen nu niet")
    for name in ("Paula", "Vera", "Geert", "Olga"):
        assert name not in ranked
        assert name in apart
    assert "gepauzeerd" in apart
    assert "vol (1 van 1)" in apart
    assert "geen VOG" in apart
    assert "VOG is ouder dan 3 jaar (01-01-2020)" in apart
    assert "Stan" not in html  # stopped volunteers have left


def test_ranking_uses_a_fixed_number_of_queries(app, db, frozen, count_queries):
    coordinator = factories.user("coordinator")
    location = coordinator.locations[0]
    trajectory = factories.waiting_trajectory(location)
    for n in range(3):
        factories.volunteer(f"V{n}", locations=[location])
    db.session.commit()
    from app.auth.permissions import volunteer_scope

    def run():
        db.session.expire_all()
        t = db.session.get(type(trajectory), trajectory.id)
        with count_queries() as statements:
            ranking = matching.rank_volunteers(t, scope=volunteer_scope(coordinator),
                                               today=date(2026, 11, 23))
        return len(statements), len(ranking.proposed)

    few, ranked_few = run()
    for n in range(40):
        v = factories.volunteer(f"W{n}", locations=[location, factories.location()])
        if n % 3 == 0:
            factories.match(factories.trajectory(location_obj=location, status="active"), v)
    db.session.commit()
    many, ranked_many = run()
    assert ranked_few == 3 and ranked_many == 43
    assert many == few <= 10


def test_coordinator_sees_only_volunteers_of_own_locations(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    factories.volunteer("Eigen", locations=[location])
    other = factories.volunteer("Vreemd", locations=[factories.location()])
    db.session.commit()
    html = client.get(f"/trajecten/{trajectory.id}/koppelen").get_data(as_text=True)
    assert "Eigen" in html and "Vreemd" not in html
    # Not by URL either.
    assert client.get(f"/trajecten/{trajectory.id}/koppelen/{other.id}").status_code == 404
    assert client.get(f"/vrijwilligers/{other.id}").status_code == 404


def test_waiting_list_links_to_matching(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    factories.trajectory(location_obj=location, status="active")
    db.session.commit()
    html = client.get("/koppelen/").get_data(as_text=True)
    assert trajectory.participant.full_name in html
    assert f"/trajecten/{trajectory.id}/koppelen" in html
    assert html.count(f"/trajecten/{trajectory.id}/koppelen") == 1


# --- Lifecycle -------------------------------------------------------------------------------

def test_matching_and_starting_makes_the_trajectory_active(client, auth, db, frozen, emitted):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    volunteer, volunteer_user = factories.volunteer_with_account(locations=[location])
    db.session.commit()

    response = client.post(f"/trajecten/{trajectory.id}/koppelen/{volunteer.id}",
                           data={"start_on": "2026-11-23", "start": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    match = db.session.scalar(sa.select(Match))
    assert match.status == "active" and match.started_on == date(2026, 11, 23)
    assert trajectory.status == "active"
    assert trajectory.started_on == date(2026, 11, 23)
    assert [e[0] for e in emitted] == ["match_started"]
    assert emitted[0][2]["volunteer_user_id"] == volunteer_user.id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "match"))
    page = client.get(f"/trajecten/{trajectory.id}/begeleiding").get_data(as_text=True)
    assert volunteer.full_name in page and "Actief" in page


def test_proposal_then_start_then_pause_then_end(client, auth, db, frozen, emitted):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    volunteer = factories.volunteer(locations=[location])
    db.session.commit()

    client.post(f"/trajecten/{trajectory.id}/koppelen/{volunteer.id}",
                data={"start_on": "2026-11-23", "propose": "1"})
    match = db.session.scalar(sa.select(Match))
    assert match.status == "proposed"
    assert trajectory.status == "waiting" and emitted == []

    client.post(f"/koppelingen/{match.id}/starten", data={"start_on": "2026-11-25"})
    db.session.expire_all()
    assert match.status == "active" and match.started_on == date(2026, 11, 25)
    assert trajectory.status == "active"

    client.post(f"/koppelingen/{match.id}/pauzeren")
    db.session.expire_all()
    assert match.status == "paused" and match.paused_on == date(2026, 11, 23)
    assert trajectory.status == "active"

    client.post(f"/koppelingen/{match.id}/starten", data={"start_on": "2026-11-23"})
    db.session.expire_all()
    assert match.status == "active" and match.started_on == date(2026, 11, 25)

    response = client.post(f"/koppelingen/{match.id}/beeindigen",
                           data={"reason": "klikte_niet", "note": "Andere tijden"})
    assert response.status_code == 302
    db.session.expire_all()
    assert match.status == "ended" and match.end_reason == "klikte_niet"
    assert trajectory.status == "waiting"
    assert trajectory.waiting_since == date(2026, 11, 23)
    assert [e[0] for e in emitted] == ["match_started", "match_paused", "match_started",
                                      "match_ended", "waiting"]
    assert emitted[2][2]["resumed"] is True
    assert "weer op de wachtlijst" in client.get(
        f"/trajecten/{trajectory.id}/begeleiding").get_data(as_text=True)


def test_ending_one_of_two_matches_keeps_the_trajectory_active(app, db, frozen):
    coordinator = factories.user("coordinator")
    trajectory = factories.trajectory(status="active", started_on=date(2026, 11, 1))
    first = factories.match(trajectory, factories.volunteer())
    factories.match(trajectory, factories.volunteer())
    matching.end_match(first, reason="verhuisd", note=None, by=coordinator, now=NOW)
    assert trajectory.status == "active"


def test_a_group_place_keeps_the_trajectory_active_after_the_match_ends(app, db, frozen):
    coordinator = factories.user("coordinator")
    trajectory = factories.waiting_trajectory()
    offer = factories.offer(trajectory.location)
    matching.enroll(trajectory, offer, start_on=date(2026, 11, 23), by=coordinator, now=NOW)
    match = factories.match(trajectory, factories.volunteer())
    matching.end_match(match, reason="anders", note=None, by=coordinator, now=NOW)
    assert trajectory.status == "active"


def test_rematch_after_the_match_ended(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    first = factories.volunteer("Eerste", locations=[location])
    second = factories.volunteer("Tweede", locations=[location])
    db.session.commit()
    client.post(f"/trajecten/{trajectory.id}/koppelen/{first.id}",
                data={"start_on": "2026-11-23", "start": "1"}, follow_redirects=True)
    match = db.session.scalar(sa.select(Match))
    client.post(f"/koppelingen/{match.id}/beeindigen", data={"reason": "klikte_niet"},
                follow_redirects=True)

    html = client.get(f"/trajecten/{trajectory.id}/koppelen").get_data(as_text=True)
    assert html.index("Tweede") < html.index("Eerste")
    assert "was eerder gekoppeld aan deze deelnemer" in html
    client.post(f"/trajecten/{trajectory.id}/koppelen/{second.id}",
                data={"start_on": "2026-11-24", "start": "1"})
    db.session.expire_all()
    assert trajectory.status == "active"
    assert factories.count(Match) == 2


def test_a_blocked_volunteer_cannot_be_matched_by_posting(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    no_vog = factories.volunteer(locations=[location], vog_on=None)
    db.session.commit()
    page = client.get(f"/trajecten/{trajectory.id}/koppelen/{no_vog.id}")
    assert "geen VOG" in page.get_data(as_text=True)
    response = client.post(f"/trajecten/{trajectory.id}/koppelen/{no_vog.id}",
                           data={"start_on": "2026-11-23", "start": "1"},
                           follow_redirects=True)
    assert "kan nu niet gekoppeld worden" in response.get_data(as_text=True)
    assert factories.count(Match) == 0
    assert trajectory.status == "waiting"


@pytest.mark.parametrize(("change", "why"), [
    ("vog_expired", "VOG is ouder dan 3 jaar (01-11-2023)"),
    ("vog_missing", "geen VOG"),
    ("full", "vol (2 van 1)"),
])
def test_a_proposal_started_later_is_checked_against_the_hard_limits_again(
        client, auth, db, frozen, change, why):
    """Weeks can pass between proposing and starting: the VOG may have expired since, or
    the volunteer may have started with someone else."""
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    volunteer = factories.volunteer(locations=[location], capacity=1,
                                    vog_on=date(2023, 11, 25))
    db.session.commit()
    client.post(f"/trajecten/{trajectory.id}/koppelen/{volunteer.id}",
                data={"start_on": "2026-11-23", "propose": "1"})
    match = db.session.scalar(sa.select(Match))
    assert match.status == "proposed"
    if change == "vog_expired":
        volunteer.vog_on = date(2023, 11, 1)  # the limit passed while the proposal waited
    elif change == "vog_missing":
        volunteer.vog_on = None
    else:
        volunteer.capacity = 2
        factories.match(factories.waiting_trajectory(location, first_name="Ahmed"), volunteer)
        volunteer.capacity = 1
    db.session.commit()

    response = client.post(f"/koppelingen/{match.id}/starten",
                           data={"start_on": "2026-11-23"}, follow_redirects=True)

    html = response.get_data(as_text=True)
    assert f"Deze koppeling kan nu niet starten: {why}." in html
    db.session.expire_all()
    assert match.status == "proposed" and match.started_on is None
    assert trajectory.status == "waiting"

    # Once the limit is lifted (a new VOG, a place free again) the same button works.
    volunteer.vog_on = date(2026, 11, 1)
    volunteer.capacity = 2
    db.session.commit()
    client.post(f"/koppelingen/{match.id}/starten", data={"start_on": "2026-11-23"})
    db.session.expire_all()
    assert match.status == "active" and trajectory.status == "active"


def test_start_needs_a_date(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    volunteer = factories.volunteer(locations=[location])
    db.session.commit()
    response = client.post(f"/trajecten/{trajectory.id}/koppelen/{volunteer.id}",
                           data={"start_on": "", "start": "1"})
    assert response.status_code == 200
    assert "Vul de startdatum in." in response.get_data(as_text=True)
    assert factories.count(Match) == 0


def test_starting_a_match_plans_the_volunteer_check_ins(app, db, frozen):
    """The check-in feature subscribes to match_started and needs match.volunteer.user_id."""
    from app.checkins.models import CheckIn

    coordinator = factories.user("coordinator")
    trajectory = factories.waiting_trajectory(coordinator.locations[0])
    volunteer, volunteer_user = factories.volunteer_with_account(locations=[trajectory.location])
    matching.propose_match(trajectory, volunteer, by=coordinator, now=NOW,
                           start_on=date(2026, 11, 23))
    planned = db.session.scalars(sa.select(CheckIn).where(CheckIn.match_id.is_not(None))).all()
    assert planned, "no check-ins were planned for the new match"


# --- Group offers ----------------------------------------------------------------------------

def test_admin_manages_offers(client, auth, db):
    admin = auth.as_role("admin")
    location = factories.location("Bibliotheek Oost")
    db.session.commit()
    response = client.post("/aanbod/nieuw", data={
        "location_id": location.id, "kind": "klik_tik", "name": "Klik & Tik dinsdag",
        "domain": "digital", "capacity": "6", "schedule": "dinsdag 10-12", "active": "y"})
    assert response.status_code == 302
    html = client.get("/aanbod/").get_data(as_text=True)
    assert "Klik &amp; Tik dinsdag" in html and "0 van 6" in html
    assert admin


def test_offer_form_keeps_input_on_error(client, auth, db):
    auth.as_role("admin")
    location = factories.location()
    db.session.commit()
    response = client.post("/aanbod/nieuw", data={
        "location_id": location.id, "kind": "klik_tik", "name": "", "domain": "digital",
        "capacity": "6", "schedule": "woensdag"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vul een naam in" in html and 'value="woensdag"' in html


def test_coordinator_sees_offers_but_cannot_manage_them(client, auth, db):
    me = auth.as_role("coordinator")
    own = factories.offer(me.locations[0])
    db.session.commit()
    page = client.get("/aanbod/").get_data(as_text=True)
    assert "Klik &amp; Tik dinsdag" in page and "Nieuw aanbod" not in page
    assert client.get("/aanbod/nieuw").status_code == 403
    assert client.get(f"/aanbod/{own.id}").status_code == 404


def test_staff_enrol_a_waiting_trajectory(client, auth, db, frozen, emitted):
    staff = auth.as_role("staff")
    location = staff.locations[0]
    trajectory = factories.waiting_trajectory(location)
    offer = factories.offer(location, capacity=1)
    db.session.commit()
    page = client.get(f"/trajecten/{trajectory.id}/inschrijven").get_data(as_text=True)
    assert "nog 1 plaatsen" in page
    response = client.post(f"/trajecten/{trajectory.id}/inschrijven",
                           data={"offer_id": offer.id, "start_on": "2026-11-24"})
    assert response.status_code == 302
    db.session.expire_all()
    assert trajectory.status == "active" and trajectory.started_on == date(2026, 11, 24)
    assert [e[0] for e in emitted] == ["enrolled"]
    assert isinstance(emitted[0][2]["enrollment"], Enrollment)


def test_a_full_offer_refuses_another_participant(client, auth, db, frozen):
    staff = auth.as_role("staff")
    location = staff.locations[0]
    offer = factories.offer(location, capacity=1)
    first = factories.waiting_trajectory(location)
    second = factories.waiting_trajectory(location, first_name="Ahmed")
    matching.enroll(first, offer, start_on=date(2026, 11, 23), by=staff, now=NOW)
    db.session.commit()
    response = client.post(f"/trajecten/{second.id}/inschrijven",
                           data={"offer_id": offer.id, "start_on": "2026-11-24"})
    assert response.status_code == 200
    assert "Dit aanbod is vol." in response.get_data(as_text=True)
    db.session.expire_all()
    assert second.status == "waiting"
    assert factories.count(Enrollment) == 1


def test_ending_the_last_enrolment_puts_the_person_back_on_the_waiting_list(
        client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = factories.waiting_trajectory(staff.locations[0])
    enrollment = matching.enroll(trajectory, factories.offer(trajectory.location),
                                 start_on=date(2026, 11, 2), by=staff, now=NOW)
    db.session.commit()
    client.post(f"/deelnames/{enrollment.id}/stoppen")
    db.session.expire_all()
    assert enrollment.status == "ended" and trajectory.status == "waiting"
    # Back on the list means a waiting check-in again, as after the last match.
    from app.checkins.models import CheckIn

    # And the evaluation of the group place, as a match has its end interview.
    [evaluation, waiting] = db.session.scalars(sa.select(CheckIn).where(
        CheckIn.trajectory_id == trajectory.id, CheckIn.status == "planned")
        .order_by(CheckIn.due_on)).all()
    assert waiting.kind == "waiting" and waiting.due_on == date(2026, 12, 7)
    assert evaluation.kind == "group_end" and evaluation.enrollment_id == enrollment.id


def test_offer_of_another_location_cannot_be_posted(client, auth, db, frozen):
    staff = auth.as_role("staff")
    trajectory = factories.waiting_trajectory(staff.locations[0])
    elsewhere = factories.offer(factories.location())
    db.session.commit()
    response = client.post(f"/trajecten/{trajectory.id}/inschrijven",
                           data={"offer_id": elsewhere.id, "start_on": "2026-11-24"})
    assert response.status_code == 404
    assert factories.count(Enrollment) == 0


# --- Ending a trajectory ---------------------------------------------------------------------

def test_ending_a_trajectory_records_outcome_and_goal_results(client, auth, db, frozen,
                                                              emitted):
    coordinator, location, trajectory = coordinator_with_waiting(
        auth, db, subjects=("lezen", "digitaal"))
    reading, digital = trajectory.goals
    match = factories.match(trajectory, factories.volunteer(locations=[location]))
    enrollment = matching.enroll(trajectory, factories.offer(location), start_on=date(2026, 11, 1),
                                 by=coordinator, now=NOW)
    proposal = factories.match(trajectory, factories.volunteer(locations=[location]),
                               status="proposed")
    db.session.commit()
    emitted.clear()

    page = client.get(f"/trajecten/{trajectory.id}/afsluiten").get_data(as_text=True)
    assert "Doorstroom formeel onderwijs" in page and reading.own_words in page
    response = client.post(f"/trajecten/{trajectory.id}/afsluiten", data={
        "outcome": "goal_reached", "end_reason": "doel_behaald", "confirm": "y",
        "goals-0-goal_id": reading.id, "goals-0-result": "achieved",
        "goals-1-goal_id": digital.id, "goals-1-result": "partly_achieved",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert trajectory.status == "ended" and trajectory.ended_on == date(2026, 11, 23)
    assert trajectory.outcome == "goal_reached" and trajectory.end_reason == "doel_behaald"
    assert (reading.status, digital.status) == ("achieved", "partly_achieved")
    assert match.status == "ended" and match.end_reason == "doel_behaald"
    assert proposal.status == "ended"
    assert enrollment.status == "ended"
    assert [e[0] for e in emitted] == ["match_ended", "enrollment_ended", "trajectory_ended"]


def test_ending_a_trajectory_needs_every_goal_and_an_outcome(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    goal = trajectory.goals[0]
    response = client.post(f"/trajecten/{trajectory.id}/afsluiten", data={
        "end_reason": "doel_behaald", "confirm": "y", "goals-0-goal_id": goal.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kies hoe het traject eindigt." in html
    assert "Kies of het doel is behaald." in html
    db.session.expire_all()
    assert trajectory.status == "waiting"


def test_ending_a_trajectory_with_a_goal_of_someone_else_is_404(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    foreign = factories.waiting_trajectory(location, first_name="Ander").goals[0]
    db.session.commit()
    response = client.post(f"/trajecten/{trajectory.id}/afsluiten", data={
        "outcome": "stopped", "end_reason": "anders", "confirm": "y",
        "goals-0-goal_id": foreign.id, "goals-0-result": "stopped"})
    assert response.status_code == 404
    db.session.expire_all()
    assert trajectory.status == "waiting" and foreign.status == "open"


# --- Sessions, concerns and silence ----------------------------------------------------------

def test_a_session_counts_as_contact_and_moves_goals_on(app, db, frozen):
    volunteer, user = factories.volunteer_with_account()
    trajectory = factories.waiting_trajectory()
    goal = trajectory.goals[0]
    match = factories.match(trajectory, volunteer)
    trajectory.out_of_view_since = factories.aware(2026, 11, 1)
    matching.log_session(match, held_on=date(2026, 11, 20), minutes=60, practised="Lezen",
                         goal_marks={goal.id: "some"}, remark=None, concern=False, by=user,
                         now=NOW)
    assert trajectory.last_contact_at == factories.aware(2026, 11, 20, 11, 0)
    assert trajectory.out_of_view_since is None
    assert match.last_session_on == date(2026, 11, 20)
    assert goal.status == "in_progress"
    matching.log_session(match, held_on=date(2026, 11, 23), minutes=30, practised="Mail",
                         goal_marks={}, remark=None, concern=False, by=user, now=NOW)
    assert trajectory.last_contact_at == NOW
    assert match.last_session_on == date(2026, 11, 23)


def test_a_session_cannot_be_in_the_future_or_on_an_ended_match(app, db, frozen):
    volunteer, user = factories.volunteer_with_account()
    match = factories.match(factories.waiting_trajectory(), volunteer)
    with pytest.raises(matching.MatchingError):
        matching.log_session(match, held_on=date(2026, 11, 24), minutes=60, practised="x",
                             goal_marks={}, remark=None, concern=False, by=user, now=NOW)
    match.status = "ended"
    with pytest.raises(matching.MatchingError):
        matching.log_session(match, held_on=date(2026, 11, 23), minutes=60, practised="x",
                             goal_marks={}, remark=None, concern=False, by=user, now=NOW)


def test_concern_shows_on_the_coordinators_list_at_once(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    location = coordinator.locations[0]
    trajectory = factories.waiting_trajectory(location)
    trajectory.owner = coordinator
    volunteer, user = factories.volunteer_with_account(locations=[location])
    match = factories.match(trajectory, volunteer)
    session = matching.log_session(match, held_on=date(2026, 11, 23), minutes=45,
                                   practised="Brief gelezen", goal_marks={},
                                   remark="Ze sliep slecht, zorgen om huur", concern=True,
                                   by=user, now=NOW)
    db.session.commit()

    html = client.get("/zorgen").get_data(as_text=True)
    assert trajectory.participant.full_name in html
    assert "zorgen om huur" in html
    nav = client.get("/koppelen/").get_data(as_text=True)
    assert 'Zorgen <span class="badge badge-alert">1' in nav
    note = db.session.scalar(sa.select(Notification).where(
        Notification.kind == "session_concern"))
    assert note.user_id == coordinator.id and note.channel == "app"

    client.post(f"/zorgen/{session.id}/opgepakt")
    assert "Geen open zorgen." in client.get("/zorgen").get_data(as_text=True)


def test_concerns_of_another_location_stay_hidden(client, auth, db, frozen):
    auth.as_role("coordinator")
    volunteer, user = factories.volunteer_with_account()
    match = factories.match(factories.waiting_trajectory(first_name="Verborgen"), volunteer)
    session = factories.match_session(match, concern=True)
    db.session.commit()
    assert "Verborgen" not in client.get("/zorgen").get_data(as_text=True)
    assert client.post(f"/zorgen/{session.id}/opgepakt").status_code == 404
    db.session.expire_all()
    assert session.concern_handled_at is None


def test_silent_matches_count_from_the_last_session_or_the_start(app, db):
    volunteer = factories.volunteer(capacity=5)
    no_session = factories.match(factories.trajectory(status="active"), volunteer,
                                 started_on=date(2026, 11, 1))
    recent = factories.match(factories.trajectory(status="active"), volunteer,
                             started_on=date(2026, 10, 1))
    factories.match_session(recent, held_on=date(2026, 11, 10))
    old = factories.match(factories.trajectory(status="active"), volunteer,
                          started_on=date(2026, 9, 1))
    factories.match_session(old, held_on=date(2026, 10, 1))
    paused = factories.match(factories.trajectory(status="active"), volunteer,
                             status="paused", started_on=date(2026, 9, 1))
    assert paused.last_session_on is None

    now = factories.aware(2026, 11, 22, 8, 0)
    assert [m.id for m in matching.silent_matches(now, 21)] == [no_session.id, old.id]
    assert [m.id for m in matching.silent_matches(now, 42)] == [old.id]
    assert [m.id for m in matching.silent_matches(now + timedelta(days=10), 21)] == [
        no_session.id, recent.id, old.id]


# --- The silence job and the digest ----------------------------------------------------------

def _silence_world(db):
    coordinator = factories.user("coordinator", name="Carla Coördinator")
    location = coordinator.locations[0]
    volunteer, volunteer_user = factories.volunteer_with_account("Anneke", locations=[location])
    trajectory = factories.waiting_trajectory(location, first_name="Fatima")
    trajectory.status = "active"
    trajectory.owner = coordinator
    match = factories.match(trajectory, volunteer, started_on=date(2026, 10, 1))
    factories.match_session(match, held_on=date(2026, 10, 12))
    db.session.commit()
    return coordinator, volunteer_user, match


def test_silence_job_reminds_the_volunteer_once_per_silence(app, db):
    from jobs.volunteer_silence import job

    coordinator, volunteer_user, match = _silence_world(db)
    # 11 November, 07:30: 30 days after the last session.
    now = factories.aware(2026, 11, 11, 6, 30)
    claimed = job(now)
    assert [(n.kind, n.user_id) for n in claimed] == [("volunteer_silent_21", volunteer_user.id)]
    assert "Hoe gaat het met Fatima?" == claimed[0].subject
    assert "12 oktober" in claimed[0].body
    assert claimed[0].link.endswith(f"/mijn/koppelingen/{match.id}/bijeenkomst")
    assert job(now + timedelta(hours=1)) == []
    assert job(now + timedelta(days=1)) == []

    # A new session ends the silence; 21 days after it there is a new reminder.
    factories.match_session(match, held_on=date(2026, 11, 12))
    db.session.commit()
    assert job(factories.aware(2026, 11, 20, 6, 30)) == []
    again = job(factories.aware(2026, 12, 4, 6, 30))
    assert [n.period_key for n in again] == ["since:2026-11-12"]


def test_silence_reminder_arrives_as_a_dutch_mail_with_a_link_to_the_session_form(
        app, db, smtp_server):
    from app.notifications.service import deliver_pending
    from jobs.volunteer_silence import job

    coordinator, volunteer_user, match = _silence_world(db)
    now = factories.aware(2026, 11, 11, 6, 30)

    job(now)
    deliver_pending(now)

    [msg] = smtp_server.messages
    assert msg.envelope_to == [volunteer_user.email]
    assert msg["Subject"] == "Hoe gaat het met Fatima?"
    link = f"http://127.0.0.1:5000/mijn/koppelingen/{match.id}/bijeenkomst"
    plain = smtp_server.body(msg)
    assert plain.startswith("Beste Anneke,")
    assert "Sinds 12 oktober is er geen bijeenkomst met Fatima vastgelegd." in plain
    assert link in plain.splitlines()
    assert "Laat het Carla Coördinator weten." in plain
    html = smtp_server.body(msg, "html")
    assert f'href="{link}"' in html and "Bijeenkomst vastleggen" in html
    assert '<html lang="nl">' in html
    assert 'href="http://127.0.0.1:5000/berichten/instellingen"' in html


def test_silence_job_alerts_the_coordinator_after_42_days(app, db):
    from jobs.volunteer_silence import job

    coordinator, volunteer_user, match = _silence_world(db)
    now = factories.aware(2026, 11, 24, 6, 30)  # 43 days after 12 October
    claimed = job(now)
    kinds = sorted((n.kind, n.user_id, n.channel) for n in claimed)
    assert kinds == [("volunteer_silent_21", volunteer_user.id, "email"),
                     ("volunteer_silent_42", coordinator.id, "app")]
    assert job(now + timedelta(hours=2)) == []


def test_silence_job_waits_for_a_working_morning(app, db):
    from jobs.volunteer_silence import job

    _silence_world(db)
    assert job(factories.aware(2026, 11, 22, 10, 0)) == []  # Sunday
    assert job(factories.aware(2026, 11, 23, 5, 0)) == []  # Monday 06:00 local


def test_silence_job_runs_in_the_scheduled_sweep(app, db):
    from jobs.sweeps import run_jobs

    coordinator, _volunteer_user, _match = _silence_world(db)
    lines = run_jobs(factories.aware(2026, 11, 24, 6, 30), ("volunteer_silence",))
    # The volunteer's e-mail is reported when it is delivered; the alert is in the app.
    assert lines == [f"in app: volunteer_silent_42 → {coordinator.email}: "
                     "Al 6 weken geen bijeenkomst: Fatima E."]


def test_digest_lists_concerns_and_silent_matches_for_the_coordinator(app, db):
    from app.notifications.service import sections_for

    coordinator, volunteer_user, match = _silence_world(db)
    factories.match_session(match, held_on=date(2026, 10, 12), concern=True)
    db.session.commit()
    sections = {s.title: s.items for s in sections_for(coordinator,
                                                        factories.aware(2026, 11, 24, 6, 0))}
    concerns = sections["Zorgen van vrijwilligers"]
    assert concerns[0][0] == "Fatima E.: zorgen van Anneke na de bijeenkomst van 12 oktober"
    silent = sections["Koppelingen zonder bijeenkomst (6 weken of langer)"]
    assert silent[0][0] == "Fatima E. en Anneke: geen bijeenkomst sinds 12 oktober"
    staff = factories.user("staff", locations=coordinator.locations)
    titles = [s.title for s in sections_for(staff, factories.aware(2026, 11, 24, 6, 0))]
    assert "Zorgen van vrijwilligers" not in titles


# --- On the participant page -----------------------------------------------------------------

def test_participant_page_shows_matching_history_and_next_steps(client, auth, db, frozen):
    coordinator, location, trajectory = coordinator_with_waiting(auth, db)
    page = client.get(f"/deelnemers/{trajectory.participant_id}").get_data(as_text=True)
    assert "Koppel een vrijwilliger of kies een groep" in page
    assert f"/trajecten/{trajectory.id}/koppelen" in page

    volunteer = factories.volunteer("Anneke", last_name="Smit", locations=[location])
    match = matching.propose_match(trajectory, volunteer, by=coordinator, now=NOW,
                                   start_on=date(2026, 11, 23))
    factories.match_session(match, held_on=date(2026, 11, 23), concern=True)
    db.session.commit()
    page = client.get(f"/deelnemers/{trajectory.participant_id}").get_data(as_text=True)
    assert "Koppeling gestart met Anneke Smit" in page
    assert "Bijeenkomst met zorgen (60 minuten)" in page
    assert "Bijeenkomst verwacht met Anneke Smit" in page  # 21 days after the last session
    assert f"/trajecten/{trajectory.id}/begeleiding" in page


def _offers_koppelen(html: str, trajectory_id: int) -> bool:
    """The "Koppel een vrijwilliger" button (not the "... of kies een groep" due item)."""
    return re.search(rf'<a [^>]*href="/trajecten/{trajectory_id}/koppelen"[^>]*>'
                     r'Koppel een vrijwilliger</a>', html) is not None


@pytest.mark.parametrize("status", list(TrajectoryStatus))
def test_participant_page_and_matching_page_agree_on_koppel_een_vrijwilliger(
        client, auth, db, status):
    # One rule (Trajectory.can_get_volunteer): waiting, or active with a group or volunteer
    # already, since a person can have a volunteer and a group at the same time.
    coordinator = auth.as_role("coordinator")
    trajectory = factories.trajectory(location_obj=coordinator.locations[0], status=status)
    db.session.commit()
    on_participant_page = _offers_koppelen(
        client.get(f"/deelnemers/{trajectory.participant_id}").get_data(as_text=True),
        trajectory.id)
    on_matching_page = _offers_koppelen(
        client.get(f"/trajecten/{trajectory.id}/begeleiding").get_data(as_text=True),
        trajectory.id)
    assert on_participant_page == on_matching_page
    assert on_participant_page == (status in ("waiting", "active"))
