"""Log lines for operators, also with debug off (production)."""

from flask import Flask


def configure_logging(app: Flask) -> None:
    # Flask gives app.logger a handler (stderr, or the server's error log in a request) but
    # no level: with debug off its INFO lines, such as the scheduler's "jobs: ...", fell
    # through to Python's default of WARNING and never showed. Every logger under `app.`
    # (app.core.mail, ...) passes its lines on to this one. Libraries keep that default.
    app.logger.setLevel(app.config.get("HOUVAST_LOG_LEVEL") or "INFO")
