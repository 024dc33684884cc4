"""The public "Aanmelden" page and the staff queue of self-registrations."""

import sqlalchemy as sa

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
