"""The public "Aanmelden" page and the staff queue of self-registrations."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.api.models import RateLimitHit
from app.audit.models import AuditEvent
from app.extensions import db as db_ext
from app.participants.models import Participant, Trajectory
from app.partners.models import Partner
from app.referrals.models import Referral
from app.selfreg.models import SelfRegistration

from . import factories


def _form(**overrides):
    data = {"first_name": "Fatima", "phone": "06-12345678", "best_moment": "ochtend",
            "topics": ["lezen", "digitaal"], "question": "Ik wil brieven lezen",
            "helped_by": "", "website": ""}
    data.update(overrides)
    return data


def _registrations(db):
    return db.session.scalars(sa.select(SelfRegistration).order_by(SelfRegistration.id)).all()


def test_public_page_needs_no_sign_in_and_lands_in_the_queue(client, db):
    page = client.get("/aanmelden")
    assert page.status_code == 200
    assert "Wat wilt u leren?" in page.get_data(as_text=True)
    response = client.post("/aanmelden", data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/aanmelden/bedankt")
    (registration,) = _registrations(db)
    assert registration.status == "pending"
    assert registration.topics == "lezen,digitaal"
    assert "binnen een week" in client.get("/aanmelden/bedankt").get_data(as_text=True)


def test_known_person_gets_the_same_answer(client, db):
    factories.participant(first_name="Fatima", phone="06-12345678")
    db.session.commit()
    first = client.post("/aanmelden", data=_form())
    second = client.post("/aanmelden", data=_form(first_name="Onbekend", phone="06-11112222"))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]


def test_honeypot_thanks_the_bot_and_keeps_nothing(client, db):
    response = client.post("/aanmelden", data=_form(website="http://spam.example"))
    assert response.status_code == 302
    assert _registrations(db) == []


def test_a_phone_that_cannot_be_a_number_gets_a_simple_message(client, db):
    response = client.post("/aanmelden", data=_form(phone="--------"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dit nummer klopt niet. Schrijf het zo: 06 12345678" in html
    assert 'value="--------"' in html
    assert _registrations(db) == []


def test_length_limits_and_required_fields(client, db):
    response = client.post("/aanmelden", data=_form(first_name="x" * 81, phone="",
                                                    question="y" * 501))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Schrijf uw telefoonnummer" in html
    assert "Te lang" in html
    assert _registrations(db) == []


def test_rate_limited_per_address(app, client, db):
    saved = app.config.get("SELFREG_RATE_LIMIT")
    app.config["SELFREG_RATE_LIMIT"] = (2, 3600)
    try:
        codes = [client.post("/aanmelden", data=_form()).status_code for _ in range(3)]
        other = client.post("/aanmelden", data=_form(),
                            environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code
    finally:
        app.config["SELFREG_RATE_LIMIT"] = saved or (5, 3600)
    assert codes == [302, 302, 429]
    assert other == 302
    assert len(_registrations(db)) == 3


def test_forms_that_fail_validation_count_towards_the_limit(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "SELFREG_RATE_LIMIT", (2, 3600))
    codes = [client.post("/aanmelden", data=_form(phone="")).status_code for _ in range(2)]
    assert codes == [200, 200]
    assert client.post("/aanmelden", data=_form()).status_code == 429
    assert _registrations(db) == []


def test_a_blocked_visitor_still_clears_hashed_addresses_older_than_a_day(app, client, db,
                                                                          monkeypatch):
    """The promise of the rate limit (AVG): no visitor's hashed address is kept for longer."""
    monkeypatch.setitem(app.config, "SELFREG_RATE_LIMIT", (1, 3600))
    with time_machine.travel(NOW, tick=False):
        assert client.post("/aanmelden", data=_form()).status_code == 302
        db.session.add(RateLimitHit(bucket="selfreg:eerder", at=NOW - timedelta(days=2)))
        db.session.commit()
        assert client.post("/aanmelden", data=_form()).status_code == 429
    buckets = db.session.scalars(sa.select(RateLimitHit.bucket)).all()
    assert "selfreg:eerder" not in buckets and len(buckets) == 1


@pytest.fixture
def behind_one_proxy(database_url, instance_path, app):
    """The app as `HOUVAST_PROXY_HOPS=1` deploys it: gunicorn behind one load balancer."""
    from tests.conftest import make_app

    proxied = make_app(database_url, instance_path, HOUVAST_PROXY_HOPS=1,
                       SELFREG_RATE_LIMIT=(2, 3600))
    yield proxied
    with proxied.app_context():
        db_ext.engine.dispose()


def test_behind_a_proxy_each_visitor_has_their_own_rate_limit(behind_one_proxy, db):
    # Every request reaches the app from the load balancer's address (REMOTE_ADDR); only
    # X-Forwarded-For tells the visitors apart.
    client = behind_one_proxy.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def post(visitor):
        return client.post("/aanmelden", data=_form(), environ_base=proxy,
                           headers={"X-Forwarded-For": visitor}).status_code

    assert [post("203.0.113.7") for _ in range(3)] == [302, 302, 429]
    assert post("198.51.100.20") == 302, "another visitor behind the same proxy"
    assert len(_registrations(db)) == 3


def test_without_proxy_hops_a_forwarded_address_is_ignored(app, client, db):
    # Without a trusted proxy anyone can send X-Forwarded-For; it must not buy a new bucket.
    saved = app.config.get("SELFREG_RATE_LIMIT")
    app.config["SELFREG_RATE_LIMIT"] = (2, 3600)
    try:
        codes = [client.post("/aanmelden", data=_form(),
                             headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                 for n in range(3)]
    finally:
        app.config["SELFREG_RATE_LIMIT"] = saved or (5, 3600)
    assert codes == [302, 302, 429]
    assert len(_registrations(db)) == 2


def test_staff_accept_makes_a_zelfmelder_referral(client, auth, db):
    location = factories.location("Bibliotheek West")
    client.post("/aanmelden", data=_form())
    staff = auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)
    queue = client.get("/zelfmeldingen/").get_data(as_text=True)
    assert "Fatima" in queue
    response = client.post(f"/zelfmeldingen/{registration.id}/", data={
        "accept-location_id": str(location.id), "accept-accept": "Aannemen"})
    assert response.status_code == 302
    db.session.expire_all()
    assert registration.status == "accepted"
    referral = db.session.scalar(sa.select(Referral))
    assert referral.partner.kind == "zelfmelder"
    assert referral.trajectory.location_id == location.id
    assert referral.trajectory.participant.phone == "+31612345678"
    assert "Lezen" in referral.question
    assert referral.created_by_id == staff.id
    queue = client.get("/zelfmeldingen/").get_data(as_text=True)
    assert "Fatima staat nu bij de nieuwe aanmeldingen" in queue
    assert "Niemand in afwachting" in queue
    # Decided: the page is gone, a second accept cannot happen.
    assert client.get(f"/zelfmeldingen/{registration.id}/").status_code == 404


def test_staff_reject_keeps_no_contact_details(client, auth, db):
    client.post("/aanmelden", data=_form())
    auth.as_role("staff")
    (registration,) = _registrations(db)
    response = client.post(f"/zelfmeldingen/{registration.id}/",
                           data={"reject-reject": "Afwijzen"})
    assert response.status_code == 302
    db.session.expire_all()
    assert registration.status == "rejected"
    assert registration.phone == "-" and registration.question is None
    assert factories.count(Referral) == 0
    assert factories.count(Partner) == 0


def test_partners_and_volunteers_cannot_see_the_queue(client, auth, db):
    auth.as_role("partner")
    assert client.get("/zelfmeldingen/").status_code == 403


def test_queue_view_is_logged_and_open_to_staff_of_every_location(client, auth, db):
    client.post("/aanmelden", data=_form())
    # A self-registration names no location: staff of any location may pick it up.
    staff = auth.as_role("staff", locations=[factories.location("Bibliotheek Noord")])
    assert "Fatima" in client.get("/zelfmeldingen/?page=1").get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "self_registration_queue"))
    assert event.user_id == staff.id and event.action == "view"
    assert "pagina 1" in event.summary


def test_opening_a_self_registration_is_logged(client, auth, db):
    client.post("/aanmelden", data=_form())
    auth.as_role("staff")
    (registration,) = _registrations(db)
    assert client.get(f"/zelfmeldingen/{registration.id}/").status_code == 200
    assert "<td>zelfmelding<br><small>zelfmelding bekeken</small>" in auth.audit_log()


def test_a_decided_registration_is_not_in_the_queue_nor_openable(client, auth, db):
    client.post("/aanmelden", data=_form())
    auth.as_role("staff")
    (registration,) = _registrations(db)
    registration.status = "rejected"
    db.session.commit()
    assert "Niemand in afwachting" in client.get("/zelfmeldingen/").get_data(as_text=True)
    assert client.get(f"/zelfmeldingen/{registration.id}/").status_code == 404


# --- A self-registration of someone already known --------------------------------------------

NOW = factories.aware(2026, 11, 23, 9, 0)


def _known(location, status="ended"):
    known = factories.participant("Fatima", "El Amrani", phone="06 1234 5678",
                                  birth_year=1985)
    factories.trajectory(known, location_obj=location, status=status)
    return known


def _accept(client, registration, location, decision=None):
    data = {"accept-location_id": str(location.id)}
    if decision:
        data["accept-decision"] = decision
    else:
        data["accept-accept"] = "Aannemen"
    return client.post(f"/zelfmeldingen/{registration.id}/", data=data)


def test_accept_asks_first_when_the_person_is_probably_known(client, auth, db, frozen):
    location = factories.location("Bibliotheek West")
    known = _known(location)
    client.post("/aanmelden", data=_form())
    auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)

    page = client.get(f"/zelfmeldingen/{registration.id}/").get_data(as_text=True)
    assert "Is dit iemand die we al kennen?" in page
    assert "Fatima El Amrani" in page and "•••••••678" in page
    assert f'value="attach:{known.id}"' in page and 'value="new"' in page

    # The plain accept button of a stale page saves nothing while a match exists.
    response = _accept(client, registration, location)
    assert response.status_code == 200
    assert "Is dit iemand die we al kennen?" in response.get_data(as_text=True)
    db.session.expire_all()
    assert registration.status == "pending"
    assert factories.count(Trajectory) == 1


def test_accept_and_attach_to_the_known_person(client, auth, db, frozen):
    location = factories.location("Bibliotheek West")
    known = _known(location)
    client.post("/aanmelden", data=_form())
    staff = auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)

    response = _accept(client, registration, location, decision=f"attach:{known.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert registration.status == "accepted"
    assert factories.count(Participant) == 1
    assert registration.trajectory.participant_id == known.id
    assert registration.trajectory.referral.partner.kind == "zelfmelder"
    assert registration.decided_by_id == staff.id and registration.decided_at == NOW
    flashed = client.get("/zelfmeldingen/").get_data(as_text=True)
    assert "toegevoegd aan Fatima El Amrani" in flashed


def test_attaching_a_self_registration_keeps_the_known_persons_share_consent(
        client, auth, db, frozen):
    """A self-registration asks nothing about sharing with a referrer: the "yes" the person
    gave their earlier referrer stays in force."""
    from app.participants.service import share_in_force

    location = factories.location("Bibliotheek West")
    known = _known(location)
    earlier = known.trajectories[0].referral
    earlier.partner = factories.partner("Gemeente West")
    factories.consent(known, "share_with_referrer", True,
                      recorded_at=factories.aware(2026, 1, 5, 9), referral=earlier)
    db.session.commit()
    client.post("/aanmelden", data=_form())
    auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)
    assert _accept(client, registration, location,
                   decision=f"attach:{known.id}").status_code == 302
    db.session.expire_all()
    assert share_in_force(db.session.get(type(earlier), earlier.id)) is True
    # The self-registration itself has no referrer to tell: nothing was recorded for it.
    assert registration.trajectory.referral.id not in {
        c.referral_id for c in known.consents if c.kind == "share_with_referrer"}


def test_a_possible_match_shows_only_the_trajectory_the_user_may_see(client, auth, db, frozen):
    location = factories.location("Bibliotheek West")
    elsewhere = factories.location("Bibliotheek Zuid")
    known = _known(location)  # an ended trajectory here
    factories.trajectory(known, location_obj=elsewhere, status="active")
    db.session.commit()
    client.post("/aanmelden", data=_form())
    auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)
    page = client.get(f"/zelfmeldingen/{registration.id}/").get_data(as_text=True)
    assert "Fatima El Amrani" in page and "Bibliotheek West" in page
    assert "Bibliotheek Zuid" not in page


def test_accept_as_a_new_person_after_the_check(client, auth, db, frozen):
    location = factories.location("Bibliotheek West")
    _known(location)
    client.post("/aanmelden", data=_form())
    auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)
    assert _accept(client, registration, location, decision="new").status_code == 302
    assert factories.count(Participant) == 2


def test_attach_is_refused_while_the_person_has_an_open_trajectory_there(client, auth, db,
                                                                         frozen):
    location = factories.location("Bibliotheek West")
    known = _known(location, status="waiting")
    client.post("/aanmelden", data=_form())
    auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)
    response = _accept(client, registration, location, decision=f"attach:{known.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "heeft al een open traject bij Bibliotheek West" in html
    assert f'href="/deelnemers/{known.id}"' in html
    db.session.expire_all()
    assert registration.status == "pending"
    assert factories.count(Trajectory) == 1


def test_a_match_elsewhere_is_only_a_hint(client, auth, db, frozen):
    elsewhere = _known(factories.location("Bibliotheek Oost"), status="active")
    location = factories.location("Bibliotheek West")
    client.post("/aanmelden", data=_form())
    auth.as_role("staff", locations=[location])
    (registration,) = _registrations(db)
    page = client.get(f"/zelfmeldingen/{registration.id}/").get_data(as_text=True)
    assert "Mogelijk al bekend bij een andere locatie; vraag de coördinator" in page
    assert "El Amrani" not in page and "Bibliotheek Oost" not in page
    # An id of someone the user may not see is refused, and nothing is saved.
    response = _accept(client, registration, location, decision=f"attach:{elsewhere.id}")
    assert response.status_code == 404
    db.session.expire_all()
    assert registration.status == "pending"
    # Accepting as usual still works; staff of the other location see the hint in their
    # queue... and this queue shows the new referral with the same neutral hint.
    assert _accept(client, registration, location).status_code == 302
    queue = client.get("/aanmeldingen/").get_data(as_text=True)
    assert "Mogelijk al bekend bij een andere locatie; vraag de coördinator" in queue


def test_topic_and_moment_labels_are_translatable(app):
    from flask_babel import LazyString

    from app.selfreg.service import MOMENTS, TOPICS

    assert all(isinstance(label, LazyString) for label in [*TOPICS.values(),
                                                           *MOMENTS.values()])
    assert str(TOPICS["digitaal"]) == "Computer en telefoon"
