"""Schemathesis against the OpenAPI document on a live server: no 5xx, and every answer
(status, content type, headers, body) as the document says.

The app is served by werkzeug in a thread on the test database (SQLite or PostgreSQL through
TEST_DATABASE_URL), with a real partner token. Examples are few and derandomized, so the run
is short and the same every time.
"""

import threading
import warnings

import pytest
from hypothesis import HealthCheck, given, settings

from app.api.service import create_token

from . import factories

with warnings.catch_warnings():
    # schemathesis 3.x reads a deprecated jsonschema name on import.
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis
    from schemathesis.checks import ALL_CHECKS

schemathesis.experimental.OPEN_API_3_1.enable()

MAX_EXAMPLES = 25


@pytest.fixture
def live_api(app, db):
    from werkzeug.serving import make_server

    location = factories.location("Bibliotheek Schema")
    partner = factories.partner("Schema Partner")
    own = factories.trajectory(location_obj=location)
    own.referral.partner = partner
    factories.consent(own.participant, "share_with_referrer", True, referral=own.referral)
    _record, token = create_token(partner, "schemathesis", None,
                                  factories.aware(2026, 11, 23, 9))
    db.session.commit()
    saved = app.config.get("API_RATE_LIMIT")
    app.config["API_RATE_LIMIT"] = (100_000, 60)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", {"Authorization": f"Bearer {token}"}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.config["API_RATE_LIMIT"] = saved or (120, 60)


def _check(operation, headers: dict, statuses: dict):
    """A Hypothesis test for one operation: each generated request is sent and validated."""

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call_and_validate(headers=headers, checks=ALL_CHECKS)
        statuses.setdefault(operation.verbose_name, set()).add(response.status_code)

    return check


# schemathesis 3.x still uses the old jsonschema reference resolver.
@pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning")
def test_api_conforms_to_its_openapi_document(live_api):
    base, headers = live_api
    schema = schemathesis.from_uri(f"{base}/api/v1/openapi.json", base_url=f"{base}/api/v1")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == {
        ("POST", "/referrals"), ("GET", "/referrals"), ("GET", "/referrals/{referral_id}"),
        ("GET", "/locations"), ("GET", "/openapi.json")}
    statuses: dict[str, set[int]] = {}

    for operation in operations:
        _check(operation, headers, statuses)()

    # The run reached real answers, not only rejections.
    assert 200 in statuses["GET /api/v1/referrals"]
    assert 200 in statuses["GET /api/v1/locations"]
    assert 200 in statuses["GET /api/v1/openapi.json"]
    assert 201 in statuses["POST /api/v1/referrals"]
