"""The public "Aanmelden" page and the staff queue of self-registrations."""

import pytest
import sqlalchemy as sa

from app.extensions import db as db_ext
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
    assert referral.trajectory.participant.phone == "06-12345678"
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
    assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Partner.id))) == 0


def test_partners_and_volunteers_cannot_see_the_queue(client, auth, db):
    auth.as_role("partner")
    assert client.get("/zelfmeldingen/").status_code == 403
