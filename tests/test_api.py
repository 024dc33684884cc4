"""The partner API: tokens, referrals in, stage out, idempotency, problems, isolation."""

import json

import pytest
import sqlalchemy as sa

from app.api.models import ApiToken
from app.api.service import create_token
from app.participants.service import set_consent
from app.referrals.models import Referral
from app.referrals.service import log_contact_attempt

from . import factories

NOW = factories.aware(2026, 11, 23, 9, 0)
# The requests record their own "now"; the staff steps below happen a day or two later.
pytestmark = pytest.mark.usefixtures("frozen")


def _token(db, partner=None):
    partner = partner or factories.partner()
    record, token = create_token(partner, "Zaaksysteem", None, NOW)
    db.session.commit()
    return partner, record, token


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _body(location, **overrides):
    body = {"first_name": "Fatima", "last_name": "El Amrani", "phone": "06-12345678",
            "question": "Brieven van de gemeente lezen", "location_id": location.id,
            "consent_referral": True, "consent_share_status": True}
    body.update(overrides)
    return body


def test_create_and_follow_a_referral_with_a_token(client, db):
    location = factories.location()
    staff = factories.user("staff", locations=[location])
    partner, _record, token = _token(db)

    response = client.post("/api/v1/referrals", json=_body(location), headers=_auth(token))
    assert response.status_code == 201
    created = response.get_json()
    assert created["stage"] == "aangemeld"
    assert created["name"] == "Fatima E."
    assert response.headers["Location"] == f"/api/v1/referrals/{created['id']}"
    referral = db.session.get(Referral, created["id"])
    assert referral.partner_id == partner.id

    log_contact_attempt(referral.trajectory, reached=True, channel="phone",
                        note="Geheime notitie", user=staff, now=factories.aware(2026, 11, 24, 9))
    db.session.commit()
    got = client.get(f"/api/v1/referrals/{created['id']}", headers=_auth(token)).get_json()
    assert got["stage"] == "contact_gehad"
    assert got["stage_date"] == "2026-11-24"
    assert "Geheime" not in json.dumps(got)

    set_consent(referral.trajectory.participant, "share_with_referrer", False, "verbal", staff,
                factories.aware(2026, 11, 25, 9), referral=referral)
    db.session.commit()
    got = client.get(f"/api/v1/referrals/{created['id']}", headers=_auth(token)).get_json()
    assert got["stage"] == "aangemeld"
    assert got["status_shared"] is False
    assert got["stage_date"] == got["referred_on"]

    listing = client.get("/api/v1/referrals", headers=_auth(token)).get_json()
    assert listing["total"] == 1
    assert [item["id"] for item in listing["items"]] == [created["id"]]


def test_idempotency_key_returns_the_first_result(client, db):
    location = factories.location()
    _partner, _record, token = _token(db)
    headers = {**_auth(token), "Idempotency-Key": "aanvraag-123"}
    first = client.post("/api/v1/referrals", json=_body(location), headers=headers)
    again = client.post("/api/v1/referrals", json=_body(location), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert factories.count(Referral) == 1

    other = client.post("/api/v1/referrals", json=_body(location, first_name="Ahmed"),
                        headers=headers)
    assert other.status_code == 422
    assert other.mimetype == "application/problem+json"
    assert "andere aanmelding" in other.get_json()["detail_nl"]
    assert factories.count(Referral) == 1


def test_same_key_of_another_partner_is_its_own(client, db):
    location = factories.location()
    _pa, _ra, token_a = _token(db)
    _pb, _rb, token_b = _token(db)
    for token in (token_a, token_b):
        response = client.post("/api/v1/referrals", json=_body(location),
                               headers={**_auth(token), "Idempotency-Key": "k1"})
        assert response.status_code == 201
    assert factories.count(Referral) == 2


def test_invalid_referral_is_a_problem_in_dutch_and_english(client, db):
    _partner, _record, token = _token(db)
    response = client.post("/api/v1/referrals", headers=_auth(token), json={
        "first_name": "", "question": "Lezen", "location_id": 999999,
        "consent_referral": False, "consent_share_status": "ja", "bsn": "123"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422
    assert problem["detail_nl"] and problem["detail_en"]
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"first_name", "phone", "location_id", "consent_referral",
                      "consent_share_status", "bsn"}
    assert factories.count(Referral) == 0


@pytest.mark.parametrize("reach", [{}, {"phone": None, "email": None},
                                   {"phone": "   ", "email": ""}])
def test_a_referral_nobody_can_call_is_refused(client, db, reach):
    location = factories.location()
    _partner, _record, token = _token(db)
    body = _body(location)
    del body["phone"]
    response = client.post("/api/v1/referrals", json={**body, **reach}, headers=_auth(token))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    (error,) = response.get_json()["errors"]
    assert error["field"] == "phone"
    assert "telefoonnummer of een e-mailadres" in error["detail_nl"]
    assert "phone number or e-mail address" in error["detail_en"]
    assert factories.count(Referral) == 0


def test_e_mail_alone_is_enough_to_refer(client, db):
    location = factories.location()
    _partner, _record, token = _token(db)
    body = _body(location, email="fatima@example.org", preferred_channel="email")
    del body["phone"]
    response = client.post("/api/v1/referrals", json=body, headers=_auth(token))
    assert response.status_code == 201
    referral = db.session.get(Referral, response.get_json()["id"])
    assert referral.trajectory.participant.email == "fatima@example.org"
    assert referral.trajectory.participant.phone is None


def _signal_emails(db):
    from app.notifications.models import Notification

    return [n.email for n in db.session.scalars(
        sa.select(Notification).where(Notification.kind == "referrer_signal")
        .order_by(Notification.id))]


def test_contact_person_of_the_referral_gets_the_signals(client, db):
    location = factories.location()
    staff = factories.user("staff", locations=[location])
    partner, _record, token = _token(db)
    partner.email = "algemeen@gemeente.example"
    db.session.commit()
    response = client.post("/api/v1/referrals", headers=_auth(token), json=_body(
        location, referrer_name="Sanne de Vries", referrer_phone="030-1234567",
        referrer_email="Sanne@Gemeente.example"))
    assert response.status_code == 201
    referral = db.session.get(Referral, response.get_json()["id"])
    assert (referral.referrer_name, referral.referrer_phone) == ("Sanne de Vries",
                                                                 "+31301234567")
    assert referral.partner_contact_id is None  # not a contact the admin knows

    log_contact_attempt(referral.trajectory, reached=True, channel="phone", note=None,
                        user=staff, now=factories.aware(2026, 11, 24, 9))
    db.session.commit()
    # Not the organisation's general address: the person who referred.
    assert _signal_emails(db) == ["Sanne@gemeente.example"]


def test_a_known_contact_person_is_linked_by_e_mail(client, db):
    location = factories.location()
    partner, _record, token = _token(db)
    contact = factories.partner_contact(partner, name="Piet Jansen", email="piet@uwv.example")
    db.session.commit()
    response = client.post("/api/v1/referrals", headers=_auth(token), json=_body(
        location, referrer_email="PIET@uwv.example"))
    referral = db.session.get(Referral, response.get_json()["id"])
    assert referral.partner_contact_id == contact.id


def _refer_with_phone(client, db, phone: str):
    location = factories.location()
    _partner, _record, token = _token(db)
    return client.post("/api/v1/referrals", headers=_auth(token),
                       json=_body(location, phone=phone))


def test_a_phone_that_cannot_be_a_number_is_a_problem_on_that_field(client, db):
    response = _refer_with_phone(client, db, "--------")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    [error] = response.get_json()["errors"]
    assert error["field"] == "phone"
    assert error["detail_nl"] == "Dit is geen telefoonnummer. Schrijf het zo: 06 12345678"
    assert factories.count(Referral) == 0


def test_a_foreign_number_from_the_api_is_stored_e164(client, db):
    response = _refer_with_phone(client, db, "0032 470 12 34 56")
    assert response.status_code == 201
    referral = db.session.get(Referral, response.get_json()["id"])
    assert referral.trajectory.participant.phone == "+32470123456"


def test_contact_person_fields_are_validated(client, db):
    location = factories.location()
    _partner, _record, token = _token(db)
    response = client.post("/api/v1/referrals", headers=_auth(token), json=_body(
        location, referrer_phone="bel me", referrer_email="geen-adres"))
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"referrer_phone", "referrer_email"}
    assert factories.count(Referral) == 0


def test_locations_lists_the_active_ones_for_a_token(client, db):
    west = factories.location("Bibliotheek West")
    oost = factories.location("Bibliotheek Oost")
    closed = factories.location("Bibliotheek Dicht")
    closed.active = False
    _partner, _record, token = _token(db)
    assert client.get("/api/v1/locations").status_code == 401

    response = client.get("/api/v1/locations", headers=_auth(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["items"] == [{"id": oost.id, "name": "Bibliotheek Oost"},
                             {"id": west.id, "name": "Bibliotheek West"}]
    assert body["total"] == 2
    # A location id from the list is what a referral takes.
    created = client.post("/api/v1/referrals", headers=_auth(token),
                          json=_body(west))
    assert created.status_code == 201
    bad = client.get("/api/v1/locations?per_page=500", headers=_auth(token))
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


def test_not_json_and_broken_json(client, db):
    _partner, _record, token = _token(db)
    response = client.post("/api/v1/referrals", data="x", headers=_auth(token))
    assert response.status_code == 415
    response = client.post("/api/v1/referrals", data="{", headers=_auth(token),
                           content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_without_or_with_a_revoked_token_nothing_is_shown(client, db):
    _partner, record, token = _token(db)
    assert client.get("/api/v1/referrals").status_code == 401
    bad = client.get("/api/v1/referrals", headers=_auth("hv_verzonnen"))
    assert bad.status_code == 401
    assert bad.mimetype == "application/problem+json"
    record.revoked_at = NOW
    db.session.commit()
    assert client.get("/api/v1/referrals", headers=_auth(token)).status_code == 401


def test_partner_a_cannot_read_partner_b_referrals(client, db):
    location = factories.location()
    _pa, _ra, token_a = _token(db)
    partner_b, _rb, token_b = _token(db)
    created = client.post("/api/v1/referrals", json=_body(location),
                          headers=_auth(token_b)).get_json()
    response = client.get(f"/api/v1/referrals/{created['id']}", headers=_auth(token_a))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.get("/api/v1/referrals", headers=_auth(token_a)).get_json()["total"] == 0


def test_tokens_are_rate_limited(app, client, db):
    _partner, _record, token = _token(db)
    saved = app.config.get("API_RATE_LIMIT")
    app.config["API_RATE_LIMIT"] = (3, 60)
    try:
        codes = [client.get("/api/v1/referrals", headers=_auth(token)).status_code
                 for _ in range(4)]
    finally:
        app.config["API_RATE_LIMIT"] = saved or (120, 60)
    assert codes == [200, 200, 200, 429]


def test_token_is_stored_hashed_and_shown_once_to_the_admin(client, auth, db):
    partner = factories.partner("Gemeente Utrecht")
    auth.as_role("admin")
    response = client.post("/beheer/api-tokens/", data={"partner_id": str(partner.id),
                                                        "name": "Zaaksysteem"})
    html = response.get_data(as_text=True)
    record = db.session.scalar(sa.select(ApiToken))
    assert record.partner_id == partner.id
    start = html.index('id="new-token">') + len('id="new-token">')
    token = html[start:html.index("<", start)]
    assert token.startswith("hv_") and token not in record.token_hash
    assert client.get("/beheer/api-tokens/").get_data(as_text=True).count(token) == 0
    assert client.get("/api/v1/referrals", headers=_auth(token)).status_code == 200

    client.post(f"/beheer/api-tokens/{record.id}/intrekken")
    assert client.get("/api/v1/referrals", headers=_auth(token)).status_code == 401


def test_staff_cannot_manage_tokens(client, auth, db):
    auth.as_role("staff")
    assert client.get("/beheer/api-tokens/").status_code == 403


def test_cli_creates_a_token_once(runner, client, db):
    factories.partner("VluchtelingenWerk")
    db.session.commit()
    result = runner.invoke(args=["api-token", "create", "--partner", "VluchtelingenWerk"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert client.get("/api/v1/referrals", headers=_auth(token)).status_code == 200
    missing = runner.invoke(args=["api-token", "create", "--partner", "Bestaat niet"])
    assert missing.exit_code != 0


def test_openapi_document_is_public_and_describes_everything(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/referrals", "/referrals/{referral_id}", "/locations",
                                 "/openapi.json"}
    referral_in = doc["components"]["schemas"]["ReferralInput"]
    assert {"referrer_name", "referrer_phone", "referrer_email"} <= set(
        referral_in["properties"])
    assert [branch["required"] for branch in referral_in["anyOf"]] == [["phone"], ["email"]]
    assert "Problem" in doc["components"]["schemas"]


def test_unknown_api_path_is_a_problem_too(client):
    response = client.get("/api/v1/bestaat-niet")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_api_needs_no_csrf_token(app, client, db):
    location = factories.location()
    _partner, _record, token = _token(db)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/api/v1/referrals", json=_body(location), headers=_auth(token))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 201


def test_api_referral_of_a_known_person_is_left_for_staff_to_attach(client, auth, db):
    location = factories.location()
    known = factories.participant("Fatima", "El Amrani", phone="06 1234 5678")
    factories.trajectory(known, location_obj=location, status="ended")
    _partner, _record, token = _token(db)
    response = client.post("/api/v1/referrals", json=_body(location), headers=_auth(token))
    assert response.status_code == 201
    assert set(response.get_json()) == {"id", "name", "referred_on", "status_shared",
                                        "stage", "stage_label", "stage_date"}
    referral = db.session.get(Referral, response.get_json()["id"])
    assert referral.trajectory.participant_id != known.id

    auth.as_role("staff", locations=[location])
    queue = client.get("/aanmeldingen/").get_data(as_text=True)
    assert f'href="/aanmeldingen/{referral.trajectory_id}/bekend"' in queue


def test_same_key_at_once_answers_with_the_first_result(client, db, monkeypatch):
    """The second request looked before the first one had saved its key, so it meets the
    key's unique constraint on saving: it answers as the first did, not with a 500."""
    from app.api import service as api

    location = factories.location()
    _partner, _record, token = _token(db)
    headers = {**_auth(token), "Idempotency-Key": "dubbel-1"}
    first = client.post("/api/v1/referrals", json=_body(location), headers=headers)
    looked = []
    real_find = api.find_idempotent

    def not_yet_saved(partner_id, key):
        looked.append(key)
        return None if len(looked) == 1 else real_find(partner_id, key)

    monkeypatch.setattr(api, "find_idempotent", not_yet_saved)
    again = client.post("/api/v1/referrals", json=_body(location), headers=headers)
    assert again.status_code == first.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert factories.count(Referral) == 1


def test_ten_posts_with_one_key_at_the_same_time_all_get_the_first_result(app, db):
    from concurrent.futures import ThreadPoolExecutor

    location = factories.location()
    _partner, _record, token = _token(db)
    headers = {**_auth(token), "Idempotency-Key": "tien-tegelijk"}
    body = _body(location)
    db.session.commit()

    def post(_):
        response = app.test_client().post("/api/v1/referrals", json=body, headers=headers)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(post, range(10)))
    assert {status for status, _ in answers} == {201}
    assert len({json.dumps(answer, sort_keys=True) for _, answer in answers}) == 1
    assert factories.count(Referral) == 1
