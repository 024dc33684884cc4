"""Two people, one record, at the same moment: a one-time action happens once, the one who
clicked a moment later gets a calm message and nothing is done twice.

"At the same moment" is two sessions: both read the record while it was still open, the
first saves, then the second saves what it read. Each runs on SQLite and PostgreSQL.
"""

from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa

from app.checkins.models import CheckIn
from app.checkins.service import CheckInError, complete_checkin
from app.matching import service as matching
from app.matching.models import Match
from app.participants.models import Participant, Trajectory
from app.selfreg import service as selfreg
from app.selfreg.models import SelfRegistration

from . import factories

NOW = factories.aware(2026, 11, 23, 10, 0)
pytestmark = pytest.mark.usefixtures("frozen")


@contextmanager
def other_person(app, db):
    """A second request's own app context and session, as another coordinator's click."""
    with app.app_context():
        yield db.session
        db.session.remove()


def _count(db, model, *where):
    with db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _coordinator_with_trajectory(db, **kwargs):
    location = factories.location()
    coordinator = factories.user("coordinator", locations=[location])
    trajectory = factories.waiting_trajectory(location, **kwargs)
    trajectory.owner = coordinator
    return coordinator, trajectory


def test_a_checkin_completed_twice_at_once_keeps_the_first_outcome(app, db):
    coordinator, trajectory = _coordinator_with_trajectory(db)
    checkin = factories.checkin(trajectory, due_on=date(2026, 11, 23), assignee=coordinator)
    db.session.commit()
    assert checkin.is_open  # this session read it while it was still planned

    with other_person(app, db) as session:
        complete_checkin(session.get(CheckIn, checkin.id), outcome="concerns", note="Zorgen",
                         user=session.get(type(coordinator), coordinator.id), now=NOW)
        session.commit()

    with pytest.raises(CheckInError, match="al afgerond"):
        complete_checkin(checkin, outcome="going_well", note=None, user=coordinator, now=NOW)
    db.session.rollback()
    assert (checkin.status, checkin.outcome, checkin.note) == ("done", "concerns", "Zorgen")


def test_a_match_started_twice_at_once_is_started_once(app, db):
    coordinator, trajectory = _coordinator_with_trajectory(db)
    match = factories.match(trajectory, factories.volunteer(locations=[trajectory.location]),
                            status="proposed")
    db.session.commit()
    assert match.can_start

    with other_person(app, db) as session:
        matching.start_match(session.get(Match, match.id), start_on=date(2026, 11, 23),
                             by=session.get(type(coordinator), coordinator.id), now=NOW)
        session.commit()
    checkins = _count(db, CheckIn, CheckIn.trajectory_id == trajectory.id)
    assert checkins > 0

    with pytest.raises(matching.MatchingError, match="net al gestart"):
        matching.start_match(match, start_on=date(2026, 11, 23), by=coordinator, now=NOW)
    db.session.rollback()
    assert match.status == "active"
    assert _count(db, CheckIn, CheckIn.trajectory_id == trajectory.id) == checkins


def test_a_match_ended_twice_at_once_is_ended_once(app, db):
    coordinator, trajectory = _coordinator_with_trajectory(db)
    trajectory.status = "active"
    match = factories.match(trajectory, factories.volunteer(locations=[trajectory.location]))
    db.session.commit()
    assert match.can_end

    with other_person(app, db) as session:
        matching.end_match(session.get(Match, match.id), reason="klikte_niet", note=None,
                           by=session.get(type(coordinator), coordinator.id), now=NOW)
        session.commit()
    checkins = _count(db, CheckIn, CheckIn.trajectory_id == trajectory.id)

    with pytest.raises(matching.MatchingError, match="net al beëindigd"):
        matching.end_match(match, reason="verhuisd", note=None, by=coordinator, now=NOW)
    db.session.rollback()
    assert (match.status, match.end_reason) == ("ended", "klikte_niet")
    assert _count(db, CheckIn, CheckIn.trajectory_id == trajectory.id) == checkins


def test_a_trajectory_ended_twice_at_once_keeps_the_first_outcome(app, db):
    coordinator, trajectory = _coordinator_with_trajectory(db)
    db.session.commit()
    assert trajectory.is_open

    with other_person(app, db) as session:
        matching.end_trajectory(session.get(Trajectory, trajectory.id), outcome="work",
                                end_reason="werk", goal_results={},
                                by=session.get(type(coordinator), coordinator.id), now=NOW)
        session.commit()
    checkins = _count(db, CheckIn, CheckIn.trajectory_id == trajectory.id)

    with pytest.raises(matching.MatchingError, match="al afgesloten"):
        matching.end_trajectory(trajectory, outcome="moved", end_reason="verhuisd",
                                goal_results={}, by=coordinator, now=NOW)
    db.session.rollback()
    assert (trajectory.status, trajectory.outcome) == ("ended", "work")
    assert _count(db, CheckIn, CheckIn.trajectory_id == trajectory.id) == checkins


def test_a_self_registration_accepted_twice_at_once_makes_one_person(app, db):
    location = factories.location()
    staff = factories.user("staff", locations=[location])
    registration = selfreg.submit(first_name="Samira", phone="06-12345678",
                                  best_moment="ochtend", topics=["lezen"], question=None,
                                  helped_by=None, now=NOW)
    db.session.commit()
    assert registration.is_pending

    with other_person(app, db) as session:
        selfreg.accept(session.get(SelfRegistration, registration.id), location_id=location.id,
                       user=session.get(type(staff), staff.id), now=NOW)
        session.commit()

    with pytest.raises(selfreg.SelfRegError):
        selfreg.accept(registration, location_id=location.id, user=staff, now=NOW)
    db.session.rollback()
    assert _count(db, Participant, Participant.first_name == "Samira") == 1
    assert _count(db, Trajectory) == 1



def test_two_coordinators_completing_one_checkin_at_the_same_time(app, db):
    """Through the pages, in two threads: one outcome is kept, the other click is told so."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    coordinator, trajectory = _coordinator_with_trajectory(db)
    checkin = factories.checkin(trajectory, due_on=date(2026, 11, 23), assignee=coordinator)
    db.session.commit()
    url, email = f"/taken/{checkin.id}/afronden", coordinator.email
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        client.post("/inloggen", data={"email": email, "password": factories.PASSWORD})
    barrier = Barrier(2)

    def complete(args):
        client, outcome = args
        barrier.wait()
        response = client.post(url, data={"outcome": outcome}, follow_redirects=True)
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(complete, zip(clients, ["concerns", "going_well"], strict=True)))
    assert [status for status, _ in answers] == [200, 200]
    told = [html for _, html in answers if "al afgerond" in html]
    assert len(told) == 1
    db.session.expire_all()
    kept = db.session.get(CheckIn, int(url.split("/")[2]))
    assert kept.status == "done" and kept.outcome in ("concerns", "going_well")
    assert _count(db, CheckIn, CheckIn.trajectory_id == trajectory.id,
                  CheckIn.status == "done") == 1


def test_a_person_saved_by_two_at_once_keeps_the_first_save(app, db):
    """Both forms were opened on the same version; the second UPDATE finds it raised."""
    from types import SimpleNamespace

    from app.core.records import ChangedMeanwhileError, unchanged_since_opened
    from app.participants.service import update_participant

    coordinator, trajectory = _coordinator_with_trajectory(db)
    db.session.commit()
    person = trajectory.participant
    form = SimpleNamespace(version=SimpleNamespace(data=str(person.version)))

    with other_person(app, db) as session:
        update_participant(session.get(Participant, person.id), {"phone": "0611112222"},
                           None, NOW)
        session.commit()

    with pytest.raises(ChangedMeanwhileError), unchanged_since_opened(person, form):
        update_participant(person, {"phone": "0687654321"}, coordinator, NOW)
        db.session.commit()
    db.session.rollback()
    assert person.phone == "+31611112222"
