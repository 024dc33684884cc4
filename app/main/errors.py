"""Calm Dutch error pages (and JSON for the API)."""

import sqlalchemy as sa
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError

from app.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/")


_TITLES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 413: "Content Too Large", 500: "Internal Server Error"}
_DETAILS_NL = {400: "Dit verzoek klopt niet.", 403: "Dit mag niet.",
               404: "Dit bestaat niet.", 405: "Deze methode kan hier niet.",
               413: "Dit verzoek is te groot.",
               500: "Er ging iets mis bij ons. Probeer het later nog eens."}


def register(app: Flask) -> None:
    def page(template: str, code: int):
        if _wants_json():
            # Partner systems get RFC 9457 problems, never an HTML page.
            from app.api.views import problem

            return problem(code, f"http-{code}", _TITLES.get(code, "Error"),
                           _DETAILS_NL.get(code, "Er ging iets mis."),
                           _TITLES.get(code, "Error") + ".")
        return render_template(f"errors/{template}.html"), code

    @app.errorhandler(400)
    def bad_request(error):
        return page("400", 400)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(403)
    def forbidden(error):
        return page("403", 403)

    @app.errorhandler(404)
    def not_found(error):
        return page("404", 404)

    @app.errorhandler(405)
    def not_allowed(error):
        return page("404", 405)

    @app.errorhandler(413)
    def too_large(error):
        # MAX_CONTENT_LENGTH (HOUVAST_MAX_REQUEST_BYTES): refused before the body is read.
        return page("413", 413)

    @app.errorhandler(500)
    def server_error(error):
        # Leave no half-finished transaction behind for the next request.
        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError:
            # The database is gone (maybe why we are here); the page must still appear.
            pass
        if _wants_json():
            return page("500", 500)
        return standalone_page("500", 500)


def standalone_page(template: str, code: int):
    """An error page that needs no database: rendered straight from the Jinja environment,
    so no context processor runs. Flask-Login's would load the signed-in user (a query), and
    a failing query here would replace our Dutch page with Werkzeug's English one."""
    html = current_app.jinja_env.get_template(f"errors/{template}.html").render()
    return html, code
