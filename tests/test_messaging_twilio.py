"""Twilio as the message gateway, against a local server that speaks Twilio's documented
Messages API (basic auth, form fields, 201 JSON or a Twilio error JSON), and its two signed
webhooks as Twilio calls them: a delivery status and an answer coming in."""

import base64
import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from app.messaging.models import InboundMessage, MessageStop
from app.messaging.service import queue_message
from app.notifications.service import deliver_pending

from . import factories
from .conftest import free_port, make_app

# Wednesday 25 November 2026, 10:00 in Amsterdam (outside the quiet hours).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-test-auth-token"
SMS_FROM = "+3197010203040"
WHATSAPP_FROM = "+3197099998888"
BASE = "http://127.0.0.1:5000"  # TestConfig's HOUVAST_BASE_URL: what Twilio would call
STATUS_PATH = "/berichten-deelnemer/webhook/twilio/status"
INBOUND_PATH = "/berichten-deelnemer/webhook/twilio/inbound"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


class TwilioServer:
    """Twilio's Messages resource on a loopback port: POST /2010-04-01/Accounts/{sid}/
    Messages.json with basic auth. `.answer` is "ok" (201 and the message), 503, or a
    Twilio error code (400 with Twilio's error JSON). `.received` holds the form of every
    request that passed authentication, with the sid it was given."""

    def __init__(self):
        self.received: list[dict] = []
        self.answer: str | int = "ok"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = None

    def start(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != f"/2010-04-01/Accounts/{SID}/Messages.json":
                    return self._json(404, {"code": 20404, "message": "The requested resource "
                                            "was not found", "status": 404})
                expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._json(401, {"code": 20003, "message": "Authenticate",
                                            "status": 401})
                if server.answer == 503:
                    server.received.append({**form, "answered": 503})
                    return self._json(503, {"code": 20500, "message": "Service unavailable",
                                            "status": 503})
                if server.answer != "ok":
                    server.received.append({**form, "answered": 400})
                    return self._json(400, {
                        "code": server.answer, "status": 400,
                        "message": f"The 'To' number {form.get('To')} is not valid.",
                        "more_info": f"https://www.twilio.com/docs/errors/{server.answer}"})
                sid = "SM" + uuid.uuid4().hex
                server.received.append({**form, "answered": 201, "sid": sid})
                return self._json(201, {
                    "sid": sid, "account_sid": SID, "status": "queued", "to": form.get("To"),
                    "from": form.get("From"), "body": form.get("Body"), "num_segments": "1",
                    "direction": "outbound-api", "api_version": "2010-04-01",
                    "error_code": None, "error_message": None,
                    "uri": f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json"})

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def sent(self) -> list[dict]:
        return [r for r in self.received if r["answered"] == 201]


TWILIO_SETTINGS = dict(MESSAGE_GATEWAY="twilio", TWILIO_ACCOUNT_SID=SID,
                       TWILIO_AUTH_TOKEN=TOKEN, TWILIO_SMS_FROM=SMS_FROM,
                       TWILIO_WHATSAPP_FROM=WHATSAPP_FROM)


@pytest.fixture
def twilio(app, frozen):
    server = TwilioServer()
    server.start()
    settings = {**TWILIO_SETTINGS, "TWILIO_API_BASE": server.url, "MESSAGE_TIMEOUT": 5.0}
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    try:
        yield server
    finally:
        app.config.update(saved)
        server.stop()


def _person(channel="whatsapp", phone="06-12345678"):
    location = factories.location()
    location.phone = "+31302345678"
    owner = factories.user("coordinator", locations=[location])
    person = factories.participant(preferred_channel=channel, phone=phone)
    factories.consent(person, kind="messages", given=True)
    trajectory = factories.trajectory(person, location_obj=location, owner=owner)
    return person, trajectory


def _queue(person, trajectory, key="t:1"):
    return queue_message(participant=person, trajectory=trajectory, code="free",
                         subject_key=key, period_key="once",
                         values={"tekst": "Wij bellen u morgen.", "afzender": "Sanne"}, now=NOW)


def _signed(client, path, params, token=TOKEN):
    signature = RequestValidator(token).compute_signature(BASE + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


def _inbound(body, sid=None, phone="+31612345678", channel="whatsapp"):
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    sid = sid or _sid()
    return {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": SID,
            "From": prefix + phone, "To": prefix + WHATSAPP_FROM, "Body": body,
            "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}


def _sent_note(db, twilio, channel="whatsapp"):
    person, trajectory = _person(channel)
    note = _queue(person, trajectory)
    deliver_pending(NOW)
    db.session.refresh(note)
    return person, trajectory, note


# --- Sending ------------------------------------------------------------------------------

def test_whatsapp_goes_to_twilio_with_prefixes_and_our_status_callback(app, db, twilio):
    person, _trajectory, note = _sent_note(db, twilio)

    [request] = twilio.received
    assert request["To"] == "whatsapp:+31612345678"
    assert request["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert "Hallo Fatima. Wij bellen u morgen." in request["Body"]
    assert request["StatusCallback"] == BASE + STATUS_PATH
    assert note.status == "sent" and note.provider_message_id == request["sid"]
    assert note.delivery_status == "queued"
    deliver_pending(NOW + timedelta(minutes=5))
    assert len(twilio.received) == 1  # sent once


def test_sms_goes_without_prefix_from_the_sms_sender(app, db, twilio):
    _sent_note(db, twilio, channel="sms")
    [request] = twilio.received
    assert (request["To"], request["From"]) == ("+31612345678", SMS_FROM)


def test_an_outage_delays_the_message_and_it_goes_once_after_the_pause(app, db, twilio):
    twilio.answer = 503
    person, trajectory = _person()
    note = _queue(person, trajectory)
    deliver_pending(NOW)
    db.session.refresh(note)
    assert note.status == "failed" and "503" in note.last_error
    assert note.next_attempt_at == NOW + timedelta(minutes=5)

    twilio.answer = "ok"  # Twilio is back
    deliver_pending(NOW + timedelta(minutes=2))  # before the pause is over: nothing
    assert len(twilio.sent()) == 0
    deliver_pending(NOW + timedelta(minutes=5))
    deliver_pending(NOW + timedelta(minutes=10))
    db.session.refresh(note)
    assert len(twilio.sent()) == 1 and len(twilio.received) == 2
    assert note.status == "sent" and note.provider_message_id == twilio.sent()[0]["sid"]


def test_an_invalid_number_is_given_up_at_once(app, db, twilio):
    twilio.answer = 21211
    person, trajectory = _person()
    note = _queue(person, trajectory)
    deliver_pending(NOW)
    db.session.refresh(note)
    assert note.status == "failed" and note.next_attempt_at is None
    assert "21211" in note.last_error and "invalid 'To' number" in note.last_error
    deliver_pending(NOW + timedelta(hours=2))
    assert len(twilio.received) == 1  # never tried again


def test_wrong_credentials_are_retried_not_given_up(app, db, twilio):
    app.config["TWILIO_AUTH_TOKEN"] = "not-the-token"
    person, trajectory = _person()
    note = _queue(person, trajectory)
    deliver_pending(NOW)
    db.session.refresh(note)
    # The operator fixes the token; the message must still be there to go.
    assert note.status == "failed" and "401" in note.last_error
    assert note.next_attempt_at == NOW + timedelta(minutes=5)


def test_twilio_not_reachable_is_retried(app, db, twilio):
    twilio.stop()
    person, trajectory = _person()
    note = _queue(person, trajectory)
    deliver_pending(NOW)
    db.session.refresh(note)
    assert note.status == "failed" and "not reached" in note.last_error
    assert note.next_attempt_at is not None


# --- Delivery status webhook ----------------------------------------------------------------

def _status(sid, status, **extra):
    return {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "AccountSid": SID, "From": f"whatsapp:{WHATSAPP_FROM}",
            "To": "whatsapp:+31612345678", "ApiVersion": "2010-04-01", **extra}


def test_a_signed_status_callback_marks_the_message_delivered(app, db, client, twilio):
    _person_, _trajectory, note = _sent_note(db, twilio)

    response = _signed(client, STATUS_PATH, _status(note.provider_message_id, "delivered"))

    assert response.status_code == 204
    db.session.refresh(note)
    assert note.delivery_status == "delivered" and note.delivery_status_at == NOW
    # A late "sent" after "delivered" changes nothing.
    _signed(client, STATUS_PATH, _status(note.provider_message_id, "sent"))
    db.session.refresh(note)
    assert note.delivery_status == "delivered"


def test_undelivered_keeps_twilios_error_for_the_page(app, db, client, twilio):
    _person_, _trajectory, note = _sent_note(db, twilio)
    _signed(client, STATUS_PATH, _status(note.provider_message_id, "undelivered",
                                         ErrorCode="63016"))
    db.session.refresh(note)
    assert note.delivery_status == "undelivered"
    assert note.last_error == "Twilio 63016: outside WhatsApp's 24-hour window: a WhatsApp " \
                              "template is needed"


def test_a_forged_or_unsigned_status_callback_is_refused_and_changes_nothing(
        app, db, client, twilio, caplog):
    _person_, _trajectory, note = _sent_note(db, twilio)
    params = _status(note.provider_message_id, "failed")

    forged = _signed(client, STATUS_PATH, params, token="someone-elses-token")
    unsigned = client.post(STATUS_PATH, data=params)
    # Signed for other parameters than the ones posted.
    signature = RequestValidator(TOKEN).compute_signature(BASE + STATUS_PATH, {
        **params, "MessageStatus": "delivered"})
    tampered = client.post(STATUS_PATH, data=params, headers={"X-Twilio-Signature": signature})

    assert [r.status_code for r in (forged, unsigned, tampered)] == [403, 403, 403]
    db.session.refresh(note)
    assert note.delivery_status == "queued"
    # The operator's clue when every callback is refused: the address the signature is for.
    assert f"no valid signature for {BASE}" in caplog.text


# --- Inbound webhook ------------------------------------------------------------------------

def test_a_signed_ja_is_stored_once_and_counts_as_contact(app, db, client, twilio):
    person, trajectory, _note = _sent_note(db, twilio)
    params = _inbound("JA")

    first = _signed(client, INBOUND_PATH, params)
    again = _signed(client, INBOUND_PATH, params)  # Twilio resends a webhook

    assert first.status_code == again.status_code == 200
    assert first.mimetype == "text/xml" and first.get_data(as_text=True) == EMPTY_TWIML
    [row] = db.session.scalars(sa.select(InboundMessage)).all()
    assert (row.provider, row.provider_message_id) == ("twilio", params["MessageSid"])
    assert (row.channel, row.from_phone, row.body, row.meaning) == (
        "whatsapp", "+31612345678", "JA", "confirm")
    assert row.participant_id == person.id
    db.session.refresh(trajectory)
    assert trajectory.last_contact_at == NOW


def test_an_unknown_number_gets_the_very_same_answer(app, db, client, twilio):
    _sent_note(db, twilio)
    known = _signed(client, INBOUND_PATH, _inbound("ja"))
    unknown = _signed(client, INBOUND_PATH, _inbound("ja", phone="+31687654321"))

    assert (known.status_code, known.get_data(), known.mimetype) == (
        unknown.status_code, unknown.get_data(), unknown.mimetype)
    rows = db.session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.meaning for r in rows] == ["confirm", "unknown"]
    assert rows[1].participant_id is None


def test_stop_ends_whatsapp_and_only_the_confirmation_goes(app, db, client, twilio):
    person, trajectory, _note = _sent_note(db, twilio)
    waiting = _queue(person, trajectory, key="t:2")  # claimed before the STOP

    response = _signed(client, INBOUND_PATH, _inbound("STOP"))

    assert response.get_data(as_text=True) == EMPTY_TWIML
    assert factories.count(MessageStop) == 1
    assert _queue(person, trajectory, key="t:3") is None
    deliver_pending(NOW + timedelta(minutes=1))
    deliver_pending(NOW + timedelta(hours=1))
    bodies = [r["Body"] for r in twilio.sent()]
    assert len(bodies) == 2 and "geen berichten meer via WhatsApp" in bodies[1]
    assert twilio.sent()[1]["To"] == "whatsapp:+31612345678"
    db.session.refresh(waiting)
    assert waiting.status == "skipped"


def test_an_sms_answer_is_read_as_sms(app, db, client, twilio):
    person, _trajectory, _note = _sent_note(db, twilio, channel="sms")
    _signed(client, INBOUND_PATH, _inbound("Ok", channel="sms"))
    [row] = db.session.scalars(sa.select(InboundMessage)).all()
    assert (row.channel, row.participant_id, row.meaning) == ("sms", person.id, "confirm")


def test_a_forged_answer_is_refused_and_nothing_is_stored(app, db, client, twilio):
    _sent_note(db, twilio)
    response = _signed(client, INBOUND_PATH, _inbound("STOP"), token="guessed")
    assert response.status_code == 403
    assert factories.count(InboundMessage) == 0 and factories.count(MessageStop) == 0


@pytest.mark.parametrize("params", [
    {},
    {"MessageSid": "'; DROP TABLE notifications; --", "From": "whatsapp:+31612345678"},
    {"MessageSid": "SM" + "a" * 32},  # no sender
    {"MessageSid": "SM" + "b" * 32, "From": "whatsapp:Taalhuis", "Body": "ja"},
    {"MessageSid": "SM" + "c" * 32, "From": "+3161234", "Body": "ja"},
    {"MessageSid": "SM" + "d" * 32, "From": "x" * 5000, "Body": "\x00" * 10},
    MultiDict([("MessageStatus", "delivered"), ("MessageSid", "SM" + "e" * 32),
               ("MessageSid", "SM" + "f" * 32), ("ErrorCode", "x" * 300)]),
])
def test_junk_with_a_valid_signature_never_fails(app, db, client, twilio, params):
    _sent_note(db, twilio)
    for path in (STATUS_PATH, INBOUND_PATH):
        response = _signed(client, path, params)
        assert response.status_code in (200, 204), path
    assert factories.count(InboundMessage) == 0


def test_nul_characters_in_a_real_answer_are_dropped(app, db, client, twilio):
    _sent_note(db, twilio)
    response = _signed(client, INBOUND_PATH, _inbound("ja\x00\x01"))
    assert response.status_code == 200
    [row] = db.session.scalars(sa.select(InboundMessage)).all()
    assert row.body == "ja" and row.meaning == "confirm"


def test_the_webhooks_are_rate_limited_per_address(app, db, client, twilio):
    app.config["MESSAGE_WEBHOOK_RATE_LIMIT"] = (3, 60)
    try:
        codes = [client.post(STATUS_PATH, data={}).status_code for _ in range(3)]
        over = _signed(client, INBOUND_PATH, _inbound("ja"))
    finally:
        app.config["MESSAGE_WEBHOOK_RATE_LIMIT"] = (300, 60)
    assert codes == [403, 403, 403]
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
    assert factories.count(InboundMessage) == 0


def test_without_twilio_as_gateway_the_webhooks_do_not_exist(app, client):
    assert app.config["MESSAGE_GATEWAY"] == "outbox"
    assert client.post(INBOUND_PATH, data=_inbound("ja")).status_code == 404
    assert client.post(STATUS_PATH, data={}).status_code == 404


# --- Configuration ------------------------------------------------------------------------

@pytest.mark.parametrize(("missing", "named"), [
    ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN"),
    ("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"),
    ("HOUVAST_BASE_URL", "HOUVAST_BASE_URL"),
])
def test_twilio_without_a_required_setting_refuses_to_start(database_url, tmp_path, capsys,
                                                            missing, named):
    with pytest.raises(SystemExit) as stopped:
        make_app(database_url, tmp_path, **{**TWILIO_SETTINGS, missing: None})
    assert stopped.value.code == 3
    error = capsys.readouterr().err
    assert error.startswith("Houvast configuration error: HOUVAST_MESSAGE_GATEWAY=twilio "
                            f"needs {named}")
    assert error.count("\n") == 1


def test_twilio_without_any_sender_refuses_to_start(database_url, tmp_path, capsys):
    with pytest.raises(SystemExit):
        make_app(database_url, tmp_path, **{**TWILIO_SETTINGS, "TWILIO_SMS_FROM": None,
                                            "TWILIO_WHATSAPP_FROM": None})
    assert "needs TWILIO_SMS_FROM or TWILIO_WHATSAPP_FROM" in capsys.readouterr().err


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("TWILIO_ACCOUNT_SID", "SK123", "TWILIO_ACCOUNT_SID must be the Account SID"),
    ("TWILIO_SMS_FROM", "06-12345678", "TWILIO_SMS_FROM must be a number"),
    ("TWILIO_SMS_FROM", "TaalhuisUtrecht", "TWILIO_SMS_FROM must be a number"),
    ("TWILIO_WHATSAPP_FROM", "whatsapp:+3197099998888", "TWILIO_WHATSAPP_FROM must be"),
    ("MESSAGE_GATEWAY", "messagebird", "HOUVAST_MESSAGE_GATEWAY must be one of outbox, twilio"),
])
def test_a_twilio_setting_that_cannot_work_stops_with_its_name(database_url, tmp_path, capsys,
                                                               setting, value, expected):
    with pytest.raises(SystemExit):
        make_app(database_url, tmp_path, **{**TWILIO_SETTINGS, setting: value})
    assert capsys.readouterr().err.startswith(f"Houvast configuration error: {expected}")


def test_an_alphanumeric_sms_sender_is_accepted(database_url, tmp_path):
    app = make_app(database_url, tmp_path, **{**TWILIO_SETTINGS, "TWILIO_SMS_FROM": "Taalhuis"})
    assert app.config["TWILIO_SMS_FROM"] == "Taalhuis"


def test_the_cli_stops_with_one_line_when_twilio_lacks_its_token(tmp_path):
    # As an operator starts it: settings from the environment, through wsgi.
    own = ("MAIL_", "HOUVAST_", "FLASK_", "PORT", "DATABASE_URL", "SECRET_KEY", "TWILIO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(FLASK_DEBUG="0", HOUVAST_INSTANCE_PATH=str(tmp_path),
               HOUVAST_MESSAGE_GATEWAY="twilio", TWILIO_ACCOUNT_SID=SID,
               TWILIO_WHATSAPP_FROM=WHATSAPP_FROM, HOUVAST_BASE_URL="https://houvast.example")
    result = subprocess.run(  # noqa: S603 (this interpreter, our own fixed arguments)
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run", "--dry-run"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
        timeout=120, check=False)
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "Houvast configuration error: HOUVAST_MESSAGE_GATEWAY=twilio needs TWILIO_AUTH_TOKEN "
        '(README, "Berichten aan deelnemers")']
