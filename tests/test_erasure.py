"""Erasure on request with four eyes: a coordinator asks, another person (an admin) confirms,
and the person is anonymised at once, as retention does, keeping the report numbers."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from app.appointments.models import Appointment
from app.audit.models import AuditEvent
from app.checkins.models import CheckIn
from app.matching.models import Match
from app.notifications.models import Notification
from app.participants.models import Participant, Trajectory
from app.privacy.anonymise import ANONYMOUS_NAME
from app.privacy.models import ErasureRequest

from . import factories
from .test_reports import build

NOW = factories.aware(2026, 11, 23, 10, 0)
LAST_YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
pytestmark = pytest.mark.usefixtures("frozen")


def _erase_url(participant_id: int) -> str:
    return f"/deelnemers/{participant_id}/wissen"


def _requests(participant_id: int) -> list[ErasureRequest]:
    return list(factories.db.session.scalars(
        sa.select(ErasureRequest).where(ErasureRequest.participant_id == participant_id)))


def _gemeente(client) -> list[list[str]]:
    response = client.get("/rapportage/gemeente.csv", query_string=LAST_YEAR)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:]), delimiter=";"))


def _ask(client, auth, data) -> ErasureRequest:
    auth.login(data["coordinator"])
    fatima = data["fatima"]
    person = client.get(f"/deelnemers/{fatima.id}").get_data(as_text=True)
    assert f'href="{_erase_url(fatima.id)}"' in person
    page = client.get(_erase_url(fatima.id)).get_data(as_text=True)
    assert "Gegevens van Fatima El Amrani wissen" in page
    assert "Dit haalt Houvast weg" in page and "Dit blijft" in page
    # She still has an open trajectory: the page says it will be closed.
    assert "Er is nog een open traject" in page
    response = client.post(_erase_url(fatima.id), data={"submit": "1"})
    assert response.status_code == 302
    (erasure,) = _requests(fatima.id)
    assert erasure.status == "requested" and erasure.requested_by_id == data["coordinator"].id
    auth.logout()
    return erasure


def test_coordinator_asks_admin_confirms_and_the_person_is_anonymised(client, auth, db):
    data = build(db)
    fatima = data["fatima"]
    appointment = Appointment(trajectory_id=fatima.trajectories[0].id, kind="intake",
                              location_id=data["l1"].id, starts_at=factories.aware(2026, 12, 1, 9),
                              with_user_id=data["coordinator"].id, status="planned")
    db.session.add(appointment)
    db.session.add(Notification(
        kind="msg_free", subject_key="free:2", recipient_key="p", period_key="2",
        channel="sms", participant_id=fatima.id, trajectory_id=fatima.trajectories[0].id,
        phone="+31612345678", subject="Bericht", body="Tot morgen, Fatima", status="pending"))
    db.session.commit()
    admin = factories.user("admin", name="Ada Beheer")
    db.session.commit()
    auth.login(admin)
    before = _gemeente(client)
    auth.logout()
    erasure = _ask(client, auth, data)

    auth.login(admin)
    listing = client.get("/beheer/wissen/").get_data(as_text=True)
    assert "Fatima El Amrani" in listing and "Carla Coördinator" in listing
    assert "Wissen bevestigen" in client.get("/beheer/").get_data(as_text=True)
    page = client.get(f"/beheer/wissen/{erasure.id}").get_data(as_text=True)
    assert "Bevestigen en nu wissen" in page
    response = client.post(f"/beheer/wissen/{erasure.id}", data={"confirm": "1"})
    assert response.status_code == 302

    db.session.expire_all()
    person = db.session.get(Participant, fatima.id)
    assert person.anonymised_at is not None and person.first_name == ANONYMOUS_NAME
    assert person.phone is None and person.postcode4 is None
    trajectories = db.session.scalars(
        sa.select(Trajectory).where(Trajectory.participant_id == fatima.id)).all()
    assert all(t.anonymised_at is not None and t.status == "ended" for t in trajectories)
    open_one = max(trajectories, key=lambda t: t.id)
    assert (open_one.ended_on, open_one.outcome) == (date(2026, 11, 23), "stopped")
    # What was still to do lapses, and nothing goes out about her any more.
    assert set(db.session.scalars(sa.select(CheckIn.status).where(
        CheckIn.trajectory_id.in_([t.id for t in trajectories])))) <= {"cancelled", "done"}
    assert db.session.get(Appointment, appointment.id).status == "cancelled"
    assert set(db.session.scalars(sa.select(Match.status).where(
        Match.trajectory_id.in_([t.id for t in trajectories])))) == {"ended"}
    note = db.session.scalar(sa.select(Notification).where(
        Notification.participant_id == fatima.id))
    assert note.status == "skipped" and note.phone is None and "Fatima" not in note.body
    erasure = db.session.get(ErasureRequest, erasure.id)
    assert (erasure.status, erasure.decided_by_id) == ("done", admin.id)
    assert "Er wacht niets." in client.get("/beheer/wissen/").get_data(as_text=True)
    # The report of a past period keeps its numbers. "Plekken bezet" is the volunteers'
    # load today, whatever the period: her match ended, so that place is free now.
    now_figure = ["Vrijwilligers", "Plekken bezet"]
    after = _gemeente(client)
    assert [r for r in after if r[:2] != now_figure] == [r for r in before if r[:2] != now_figure]
    assert [r[2] for r in before if r[:2] == now_figure] == ["2"]
    assert [r[2] for r in after if r[:2] == now_figure] == ["1"]
    # Logged without the erased data.
    summaries = [e.summary or "" for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type.in_(
            ("participant", "erasure_request"))))]
    assert any("gewist op verzoek" in s for s in summaries)
    assert not any("Fatima" in s or "Amrani" in s for s in summaries)
    # The coordinator's page now says it is done, with no name left.
    auth.logout()
    auth.login(data["coordinator"])
    page = client.get(_erase_url(fatima.id)).get_data(as_text=True)
    assert "zijn gewist op" in page and "Amrani" not in page


def test_a_double_click_asks_once(client, auth, db):
    data = build(db)
    auth.login(data["coordinator"])
    url = _erase_url(data["fatima"].id)
    first = client.post(url, data={"submit": "1"})
    second = client.post(url, data={"submit": "1"}, follow_redirects=True)
    assert first.status_code == 302
    assert "Het wissen was al aangevraagd" in second.get_data(as_text=True)
    assert len(_requests(data["fatima"].id)) == 1
    assert "Een beheerder moet het nog bevestigen" in client.get(url).get_data(as_text=True)


def test_refusing_needs_a_reason_and_keeps_everything(client, auth, db):
    data = build(db)
    erasure = _ask(client, auth, data)
    auth.as_role("admin")
    url = f"/beheer/wissen/{erasure.id}"

    empty = client.post(url, data={"refuse": "1", "note": "  "})

    assert empty.status_code == 200
    assert "Schrijf op waarom u het wissen weigert." in empty.get_data(as_text=True)
    assert db.session.get(ErasureRequest, erasure.id).status == "requested"
    response = client.post(url, data={"refuse": "1", "note": "Lopende klacht, eerst afhandelen"})
    assert response.status_code == 302
    db.session.expire_all()
    erasure = db.session.get(ErasureRequest, erasure.id)
    assert (erasure.status, erasure.decision_note) == ("refused",
                                                        "Lopende klacht, eerst afhandelen")
    fatima = db.session.get(Participant, data["fatima"].id)
    assert fatima.anonymised_at is None and fatima.full_name == "Fatima El Amrani"
    # Decided is decided: a late confirm (another tab) changes nothing.
    late = client.post(url, data={"confirm": "1"})
    assert late.status_code == 200 and "Geweigerd op" in late.get_data(as_text=True)
    assert db.session.get(Participant, fatima.id).anonymised_at is None


def test_nobody_confirms_their_own_request(client, auth, db):
    data = build(db)
    asker = auth.as_role("admin")
    client.post(_erase_url(data["fatima"].id), data={"submit": "1"})
    (erasure,) = _requests(data["fatima"].id)
    url = f"/beheer/wissen/{erasure.id}"
    page = client.get(url).get_data(as_text=True)
    assert "U heeft dit wissen zelf aangevraagd" in page
    assert "Bevestigen en nu wissen" not in page

    forced = client.post(url, data={"confirm": "1"})

    assert forced.status_code == 200
    assert "Een andere beheerder moet het bevestigen." in forced.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ErasureRequest, erasure.id).status == "requested"
    assert db.session.get(Participant, data["fatima"].id).anonymised_at is None
    auth.logout()
    other = auth.as_role("admin")
    assert other.id != asker.id
    assert client.post(url, data={"confirm": "1"}).status_code == 302
    assert db.session.get(Participant, data["fatima"].id).anonymised_at is not None


def test_only_an_admin_sees_and_decides_requests(client, auth, db):
    data = build(db)
    erasure = _ask(client, auth, data)
    auth.login(data["coordinator"])
    assert client.get("/beheer/wissen/").status_code == 403
    assert client.post(f"/beheer/wissen/{erasure.id}", data={"confirm": "1"}).status_code == 404
    assert db.session.get(ErasureRequest, erasure.id).status == "requested"
    auth.logout()
    # Staff may not ask at all.
    staff = factories.user("staff", locations=[data["l1"]])
    db.session.commit()
    auth.login(staff)
    assert client.get(_erase_url(data["fatima"].id)).status_code == 404


def test_two_admins_confirming_at_once_erase_once_and_the_second_hears_it(app, db):
    from contextlib import contextmanager

    from app.auth.models import User
    from app.privacy.erasure import ErasureError, confirm_erasure, request_erasure

    @contextmanager
    def other_person():
        with app.app_context():
            yield db.session
            db.session.remove()

    data = build(db)
    erasure, created = request_erasure(data["fatima"], by=data["coordinator"], now=NOW)
    first, second = factories.user("admin"), factories.user("admin")
    db.session.commit()
    assert created and erasure.status == "requested"  # this session read it still waiting

    with other_person() as session:
        confirm_erasure(session.get(ErasureRequest, erasure.id),
                        by=session.get(User, first.id), now=NOW)
        session.commit()

    with pytest.raises(ErasureError, match="al beslist"):
        confirm_erasure(erasure, by=second, now=NOW)
    db.session.rollback()
    erasure = db.session.get(ErasureRequest, erasure.id)
    assert (erasure.status, erasure.decided_by_id) == ("done", first.id)
    deletes = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "delete", AuditEvent.object_type == "participant"))
    assert deletes == 1
    # And a coordinator asking again afterwards is told it is done already.
    with pytest.raises(ErasureError, match="al gewist"):
        request_erasure(db.session.get(Participant, data["fatima"].id),
                        by=data["coordinator"], now=NOW)
