"""The volunteer's own pages: "Mijn deelnemers" and logging a session on a phone."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.matching.models import MatchSession, SessionGoal

from . import factories

NOW = factories.aware(2026, 11, 23, 10, 0)


@pytest.fixture
def setup(client, auth, db, frozen):
    """A signed-in volunteer with one active match, and plenty that is not theirs."""
    volunteer, user = factories.volunteer_with_account("Anneke")
    location = volunteer.locations[0]
    mine = factories.waiting_trajectory(location, first_name="Fatima",
                                        availability=("tue-morning", "thu-afternoon"),
                                        subjects=("lezen", "digitaal"))
    mine.participant.last_name = "Geheimachternaam"
    mine.participant.phone = "06-11112222"
    mine.referral.question = "Schulden en een brief van de deurwaarder"
    mine.status = "active"
    match = factories.match(mine, volunteer)
    factories.checkin(mine, due_on=date(2026, 11, 30), assignee=user, rule_code=None,
                      kind="match_2w")
    factories.checkin(mine, due_on=date(2026, 11, 26), assignee=factories.user("coordinator"),
                      rule_code=None, kind="waiting", note="Interne notitie van staf")

    other_volunteer = factories.volunteer("Bram")
    other = factories.waiting_trajectory(location, first_name="Yusuf")
    other.status = "active"
    other_match = factories.match(other, other_volunteer)
    ended = factories.waiting_trajectory(location, first_name="Oud")
    old_match = factories.match(ended, volunteer, status="ended", ended_on=date(2026, 11, 1))
    db.session.commit()
    response = auth.login(user)
    assert response.status_code == 302
    return {"volunteer": volunteer, "user": user, "match": match, "trajectory": mine,
            "other_match": other_match, "old_match": old_match}


def test_volunteer_lands_on_mijn_deelnemers(client, setup):
    response = client.get("/")
    assert response.headers["Location"] == "/mijn/deelnemers"


def test_mijn_deelnemers_shows_only_what_a_volunteer_needs(client, setup):
    html = client.get("/mijn/deelnemers").get_data(as_text=True)
    assert "Fatima" in html
    assert 'href="tel:+31611112222"' in html
    assert "Dinsdag ochtend" in html and "Donderdag middag" in html
    assert "Beter worden in lezen" in html and "Beter worden in digitaal" in html
    assert "Laatste bijeenkomst" in html and "nog geen" in html
    assert "30 nov 2026" in html  # the volunteer's own check-in
    # Nothing else about the participant, and no other participants.
    for secret in ("Geheimachternaam", "deurwaarder", "Interne notitie", "Yusuf", "Oud"):
        assert secret not in html
    assert "Bijeenkomst vastleggen" in html


def test_the_staff_pages_stay_closed_to_volunteers(client, setup):
    trajectory = setup["trajectory"]
    assert client.get("/deelnemers/").status_code == 403
    # Even for their own participant the full record is not theirs to see.
    assert client.get(f"/deelnemers/{trajectory.participant_id}").status_code == 404
    assert client.get(f"/trajecten/{trajectory.id}/begeleiding").status_code == 404


def test_logging_a_session_with_a_concern(client, setup, db):
    match, trajectory = setup["match"], setup["trajectory"]
    reading = trajectory.goals[0]
    form = client.get(f"/mijn/koppelingen/{match.id}/bijeenkomst").get_data(as_text=True)
    assert 'value="2026-11-23"' in form  # today by default
    assert "Beter worden in lezen" in form

    response = client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data={
        "held_on": "2026-11-23", "minutes": "60", "practised": "Brief van de huisarts gelezen",
        "goals-0-goal_id": reading.id, "goals-0-progress": "good",
        "goals-1-goal_id": trajectory.goals[1].id, "goals-1-progress": "",
        "remark": "Ze was moe", "concern": "y",
    }, follow_redirects=True)
    assert "De coördinator ziet uw zorgen" in response.get_data(as_text=True)
    db.session.expire_all()
    session = db.session.scalar(sa.select(MatchSession))
    assert (session.minutes, session.concern, session.remark) == (60, True, "Ze was moe")
    assert [(m.goal_id, m.progress) for m in session.goal_marks] == [(reading.id, "good")]
    assert match.last_session_on == date(2026, 11, 23)
    assert trajectory.last_contact_at == NOW
    assert reading.status == "in_progress"
    assert "zorgen gemeld" in client.get("/mijn/deelnemers").get_data(as_text=True)


def test_a_session_form_sent_twice_saves_one_session(client, setup, db):
    """A double tap on a slow phone, or back and send again: the form's key saves it once."""
    match = setup["match"]
    form = client.get(f"/mijn/koppelingen/{match.id}/bijeenkomst").get_data(as_text=True)
    key = form.split('name="form_key" type="hidden" value="')[1].split('"')[0]
    data = {"held_on": "2026-11-23", "minutes": "60", "practised": "Lezen", "form_key": key}
    first = client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data=data)
    again = client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data=data,
                        follow_redirects=True)
    assert first.status_code == 302
    assert "Dit was al opgeslagen." in again.get_data(as_text=True)
    assert factories.count(MatchSession) == 1
    # A new form has a new key: the next session is saved as well.
    form = client.get(f"/mijn/koppelingen/{match.id}/bijeenkomst").get_data(as_text=True)
    assert key not in form
    client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data={
        "held_on": "2026-11-22", "minutes": "60", "practised": "Schrijven"})
    assert factories.count(MatchSession) == 2


def test_session_form_errors_are_dutch_and_keep_input(client, setup, db):
    match = setup["match"]
    response = client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data={
        "held_on": "2026-11-23", "minutes": "45", "practised": "", "remark": "Blijft staan"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Schrijf kort op wat jullie hebben geoefend." in html
    assert "Blijft staan" in html
    assert factories.count(MatchSession) == 0


def test_a_session_cannot_be_in_the_future(client, setup, db):
    match = setup["match"]
    response = client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data={
        "held_on": "2026-11-24", "minutes": "45", "practised": "Lezen"})
    assert "De datum ligt in de toekomst." in response.get_data(as_text=True)
    assert factories.count(MatchSession) == 0


def test_posting_a_goal_of_another_match_is_404(client, setup, db):
    match, other = setup["match"], setup["other_match"]
    foreign_goal = other.trajectory.goals[0]
    response = client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data={
        "held_on": "2026-11-23", "minutes": "60", "practised": "Lezen",
        "goals-0-goal_id": foreign_goal.id, "goals-0-progress": "good"})
    assert response.status_code == 404
    assert factories.count(MatchSession) == 0
    assert factories.count(SessionGoal) == 0


def test_sessions_on_other_matches_are_404(client, setup, db):
    other, old = setup["other_match"], setup["old_match"]
    for match in (other, old):
        assert client.get(f"/mijn/koppelingen/{match.id}").status_code == 404
        assert client.get(f"/mijn/koppelingen/{match.id}/bijeenkomst").status_code == 404
        assert client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data={
            "held_on": "2026-11-23", "minutes": "60", "practised": "x"}).status_code == 404
    foreign = factories.match_session(other, created_by=other.volunteer.user)
    db.session.commit()
    assert client.get(f"/mijn/bijeenkomsten/{foreign.id}").status_code == 404
    assert client.post(f"/mijn/bijeenkomsten/{foreign.id}", data={
        "held_on": "2026-11-20", "minutes": "15", "practised": "x"}).status_code == 404
    db.session.expire_all()
    assert foreign.minutes == 60


def test_volunteer_corrects_own_session_within_seven_days(client, setup, db):
    match, user = setup["match"], setup["user"]
    session = factories.match_session(match, held_on=date(2026, 11, 19), created_by=user,
                                      created_at=NOW - timedelta(days=6))
    db.session.commit()
    page = client.get(f"/mijn/koppelingen/{match.id}").get_data(as_text=True)
    assert f"/mijn/bijeenkomsten/{session.id}" in page
    response = client.post(f"/mijn/bijeenkomsten/{session.id}", data={
        "held_on": "2026-11-18", "minutes": "90", "practised": "Formulier ingevuld",
        "concern": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (session.held_on, session.minutes, session.concern) == (date(2026, 11, 18), 90, True)
    assert match.last_session_on == date(2026, 11, 18)


def test_after_seven_days_a_session_stays_as_it_is(client, setup, db):
    match, user = setup["match"], setup["user"]
    session = factories.match_session(match, created_by=user,
                                      created_at=NOW - timedelta(days=7, minutes=1))
    db.session.commit()
    page = client.get(f"/mijn/koppelingen/{match.id}").get_data(as_text=True)
    assert f"/mijn/bijeenkomsten/{session.id}" not in page
    response = client.post(f"/mijn/bijeenkomsten/{session.id}", data={
        "held_on": "2026-11-20", "minutes": "15", "practised": "Anders"},
        follow_redirects=True)
    assert "tot 7 dagen" in response.get_data(as_text=True)
    db.session.expire_all()
    assert session.minutes == 60


def test_a_paused_match_shows_without_the_log_button(client, setup, db):
    match = setup["match"]
    match.status = "paused"
    db.session.commit()
    html = client.get("/mijn/deelnemers").get_data(as_text=True)
    assert "Fatima" in html and "Gepauzeerd" in html
    assert "Bijeenkomst vastleggen" not in html
    response = client.post(f"/mijn/koppelingen/{match.id}/bijeenkomst", data={
        "held_on": "2026-11-23", "minutes": "60", "practised": "x"})
    assert "staat op pauze" in response.get_data(as_text=True)
    assert factories.count(MatchSession) == 0


def test_volunteer_account_without_profile(client, auth, db):
    auth.as_role("volunteer")
    html = client.get("/mijn/deelnemers").get_data(as_text=True)
    assert "nog niet gekoppeld aan een vrijwilligersprofiel" in html


def test_viewing_mijn_deelnemers_is_in_the_audit_log(client, setup, db):
    from app.audit.models import AuditEvent

    client.get("/mijn/deelnemers")
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.user_id == setup["user"].id, AuditEvent.action == "view"))
    assert event.participant_id == setup["trajectory"].participant_id
