"""Limits on what a request may carry: record ids that fit the database, request sizes.

An id in a URL such as /deelnemers/99999999999999999999/ used to reach the database, where
SQLite raises OverflowError and PostgreSQL "integer out of range": a 500 instead of "Dit
bestaat niet". Every `<int:...>` in a route is bounded here once, so a number no row can
have does not match the route at all (404).
"""

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

# The largest value of a 32-bit INTEGER column (PostgreSQL's "integer", our primary keys).
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """The "int" converter, from 0 to MAX_ID unless a route asks for other bounds."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register(app: Flask) -> None:
    # Before any route is added: a rule takes its converter when it is added.
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_large_bodies)
    app.before_request(_refuse_impossible_pages)


def _refuse_large_bodies():
    """A body announced as larger than MAX_CONTENT_LENGTH is refused before anything
    (sign-in check, token lookup, rate limit) runs and before a byte of it is read; a body
    without a length is cut off by Werkzeug when it passes the limit."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        abort(413)


def _refuse_impossible_pages():
    """A page number (?page=, ?wachtpagina=) past MAX_ID is a page no list has: 404, before
    its offset (page x page size) overflows the database's integer."""
    for name, value in request.args.items():
        if (name == "page" or name.endswith("pagina")) and value.isascii() \
                and value.isdigit() and int(value) > MAX_ID:
            abort(404)


def arg_id(name: str) -> int | None:
    """The record id in query-string argument `name`, or None when it is missing or is no
    number a row could have (a filter that names nothing shows the unfiltered page)."""
    value = request.args.get(name, type=int)
    if value is None or not 0 <= value <= MAX_ID:
        return None
    return value


def form_id(name: str) -> int | None:
    """As arg_id, for a posted form field."""
    value = request.form.get(name, type=int)
    if value is None or not 0 <= value <= MAX_ID:
        return None
    return value
