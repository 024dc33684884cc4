"""Outgoing mail: a real SMTP server, the outbox folder when none is set, and failures."""

import logging
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest

from app.core.mail import MailError, build_message, external_url, render_message, send_message

from .conftest import SMTPRecorder, free_port


def test_message_goes_out_over_smtp_as_utf8_text_and_html(app, smtp_server):
    msg = build_message("fatima@example.org", "Uw afspraak in het Taalhuis",
                        "Beste Fatima,\n\nTot ziens op woensdag in de bibliotheek. Groet, Eén",
                        html="<p>Beste Fatima,</p><p>Tot ziens op <strong>woensdag</strong>.</p>")
    send_message(msg)

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.envelope_to == ["fatima@example.org"]
    assert received["To"] == "fatima@example.org"
    assert received["Subject"] == "Uw afspraak in het Taalhuis"
    assert received["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert received["Content-Language"] == "nl"
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(preferencelist=("plain",))
    assert plain.get_content_charset() == "utf-8"
    assert "woensdag in de bibliotheek. Groet, Eén" in plain.get_content()
    assert "<strong>woensdag</strong>" in SMTPRecorder.body(received, "html")


def test_plain_text_only_message(smtp_server):
    send_message(build_message(["a@example.org", "b@example.org"], "Herinnering", "Alleen tekst."))

    received = smtp_server.messages[0]
    assert received.envelope_to == ["a@example.org", "b@example.org"]
    assert received.get_content_type() == "text/plain"
    assert received.get_content().strip() == "Alleen tekst."


def test_without_mail_server_messages_land_in_the_outbox(app):
    assert not app.config["MAIL_SERVER"]
    outbox = Path(app.instance_path) / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()

    send_message(build_message("jan@example.org", "Eerste bericht", "Hallo Jan, één.",
                               html="<p>Hallo Jan</p>"))
    send_message(build_message("jan@example.org", "Tweede bericht", "Nog een."))

    new_files = sorted(set(outbox.glob("*.eml")) - before)
    assert len(new_files) == 2, "every message gets its own file"
    subjects = set()
    for path in new_files:
        msg = message_from_bytes(path.read_bytes(), policy=email_policy.default)
        subjects.add(msg["Subject"])
        assert msg["To"] == "jan@example.org"
    assert subjects == {"Eerste bericht", "Tweede bericht"}
    first = message_from_bytes(
        next(p for p in new_files if b"Eerste" in p.read_bytes()).read_bytes(),
        policy=email_policy.default)
    assert "Hallo Jan, één." in first.get_body(preferencelist=("plain",)).get_content()


def test_unreachable_mail_server_raises_so_the_caller_can_retry(app, caplog):
    port = free_port()  # nothing listens here
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)
    try:
        with pytest.raises(MailError), caplog.at_level(logging.WARNING, logger="app.core.mail"):
            send_message(build_message("jan@example.org", "Test", "Tekst"))
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
    assert "failed" in caplog.text


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_to_the_server_and_the_password_never_reaches_the_log(app, caplog):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    seen_logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen_logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"houvast" and auth_data.password == b"geheim-wachtwoord"
        return AuthResult(success=ok)

    recorder = SMTPRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port,
                            authenticator=authenticator, auth_required=True,
                            auth_require_tls=False)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USERNAME="houvast",
                      MAIL_PASSWORD="geheim-wachtwoord")
    try:
        with caplog.at_level(logging.DEBUG):
            send_message(build_message("jan@example.org", "Met login", "Tekst"))
            app.config["MAIL_PASSWORD"] = "fout-wachtwoord"
            with pytest.raises(MailError):
                send_message(build_message("jan@example.org", "Foute login", "Tekst"))
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25, MAIL_USERNAME=None, MAIL_PASSWORD=None)
        controller.stop()

    assert [m["Subject"] for m in recorder.messages] == ["Met login"]
    assert (b"houvast", b"geheim-wachtwoord") in seen_logins
    assert "geheim-wachtwoord" not in caplog.text
    assert "fout-wachtwoord" not in caplog.text


def test_message_from_templates_has_text_and_html(app, smtp_server):
    from app.auth.models import User

    user = User(name="Sanne de Vries", email="sanne@example.org", role="staff")
    msg = render_message(user.email, "Uw account voor Houvast", "invitation", user=user,
                         inviter_name="Beheerder Bram", role_label="Medewerker Taalhuis",
                         link="https://houvast.example/wachtwoord/abc", hours=72,
                         reset=False)
    send_message(msg)

    received = smtp_server.messages[0]
    plain = SMTPRecorder.body(received)
    assert "Beste Sanne de Vries," in plain
    assert "https://houvast.example/wachtwoord/abc" in plain
    assert "72 uur" in plain
    assert 'href="https://houvast.example/wachtwoord/abc"' in SMTPRecorder.body(received, "html")


def test_links_outside_a_request_use_the_configured_base_url(app):
    app.config["HOUVAST_BASE_URL"] = "https://taalhuis.example.nl/houvast"
    try:
        url = external_url("auth.set_password", token="abc")
    finally:
        app.config["HOUVAST_BASE_URL"] = "http://127.0.0.1:5000"
    assert url == "https://taalhuis.example.nl/houvast/wachtwoord/abc"
