"""Limits on what a request may carry (issue 19, "Headers and limits"): a maximum body size
with a calm Dutch 413 (JSON for the API), deeply nested JSON answers 400, and ids no row can
have answer 404 (never a 500 from SQLite's OverflowError or PostgreSQL's "integer out of
range")."""

import io
import json

import pytest

from app.api.service import create_token

from . import factories

NOW = factories.aware(2026, 11, 23, 9, 0)
pytestmark = pytest.mark.usefixtures("frozen")

TWENTY_MB = 20 * 1024 * 1024


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes that counts how much of it the server reads."""

    def __init__(self, size: int):
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        # The test client measures the body by seeking to its end and back (no reading).
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b" " * n
        self.position += n
        self.read_bytes += n
        return n


def _token(db):
    _record, token = create_token(factories.partner(), "Zaaksysteem", None, NOW)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_20_mb_body_to_the_api_is_refused_without_being_read(client, db, app):
    headers = _token(db)
    body = CountingBody(TWENTY_MB)
    response = client.post("/api/v1/referrals", input_stream=body,
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail_nl"] == "Dit verzoek is te groot."
    # Refused on the announced length alone: at most a buffer's worth was read.
    assert body.read_bytes <= 64 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


def test_a_body_without_a_length_is_cut_off_at_the_limit(client, db, app):
    headers = _token(db)
    body = CountingBody(TWENTY_MB)
    # Chunked: the size is not announced, so the server finds out while reading.
    response = client.post("/api/v1/referrals", input_stream=body,
                           headers={**headers, "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"},
                           environ_overrides={"CONTENT_LENGTH": "",
                                              "wsgi.input_terminated": True})
    assert response.status_code == 413
    assert body.read_bytes <= app.config["MAX_CONTENT_LENGTH"] + 64 * 1024


def test_a_too_large_form_gets_a_calm_dutch_page(client, auth):
    auth.as_role("staff")
    response = client.post("/aanmeldingen/nieuw",
                           data={"first_name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Dit is te groot" in html
    assert "Er is niets opgeslagen" in html
    assert "Traceback" not in html


def test_the_limit_is_a_setting(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("HOUVAST_MAX_REQUEST_BYTES", "5000000")
    try:
        assert importlib.reload(config).Config.MAX_CONTENT_LENGTH == 5_000_000
    finally:
        monkeypatch.delenv("HOUVAST_MAX_REQUEST_BYTES")
        importlib.reload(config)


@pytest.mark.parametrize("depth", [25, 5000, 100_000])
def test_deeply_nested_json_to_the_api_answers_400(client, db, depth):
    headers = _token(db)
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/referrals", data=body,
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 400


def test_json_of_normal_depth_still_gets_its_own_answer(client, db):
    headers = _token(db)
    body = {"first_name": "A", "extra": [[[[{"a": [1]}]]]]}
    response = client.post("/api/v1/referrals", data=json.dumps(body),
                           headers={**headers, "Content-Type": "application/json"})
    # Read and validated: the referral is incomplete, not "unreadable".
    assert response.status_code == 422


OUT_OF_RANGE = ["99999999999999999999", str(2**63), str(2**31), "-1", "2147483648"]
ID_ROUTES = [
    "/deelnemers/{}",
    "/deelnemers/{}/inzage.json",
    "/trajecten/{}/begeleiding",
    "/trajecten/{}/afsluiten",
    "/trajecten/{}/koppelen/{}",
    "/vrijwilligers/{}",
    "/partners/{}/",
    "/partners/1/contactpersonen/{}/",
    "/beheer/gebruikers/{}/",
    "/intake/{}",
    "/groepen/{}",
    "/bijeenkomsten/{}",
    "/agenda/{}/kaart",
    "/api/v1/referrals/{}",
]


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_out_of_range_ids_in_urls_answer_404(client, auth, db, number):
    auth.as_role("admin")
    headers = _token(db)
    for route in ID_ROUTES:
        path = route.replace("{}", number)
        response = client.get(path, headers=headers)
        assert response.status_code == 404, (route, number, response.status_code)


def test_the_largest_id_a_row_can_have_still_reaches_the_view(client, auth):
    auth.as_role("admin")
    # Matched by the route and looked up: no such participant, the view's own 404 page.
    response = client.get(f"/deelnemers/{2**31 - 1}")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "/logboek/?deelnemer=99999999999999999999",
    "/logboek/?persoon=99999999999999999999",
    "/logboek/?persoon=%C2%B2",
    "/deelnemers/?page=99999999999999999999",
    "/koppelen/?page=99999999999999999999",
    "/aanmeldingen/?locatie=99999999999999999999",
    "/vrijwilligers/?locatie=99999999999999999999",
    "/privacy?locatie=99999999999999999999",
    "/agenda/?locatie=99999999999999999999",
])
def test_out_of_range_numbers_in_query_strings_never_crash(client, auth, query):
    auth.as_role("admin")
    response = client.get(query)
    assert response.status_code in (200, 302, 404), response.status_code


def test_an_out_of_range_id_in_a_form_field_never_crashes(client, auth):
    auth.as_role("admin")
    response = client.post("/beheer/e-mail/opnieuw", data={"id": "99999999999999999999"})
    assert response.status_code == 302
