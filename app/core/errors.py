"""Domain errors: a rule of the Taalhuis stops an action, with a Dutch message for the user."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import flash
from flask_babel import lazy_gettext as _l

from app.extensions import db


class DomainError(Exception):
    """A rule stops this action; `str(error)` (or `message`) says why, in Dutch, for the page.

    Subclasses set `default_message` for the case that needs no more words.
    """

    default_message = _l("Dit kan nu niet. Laad de pagina opnieuw en probeer het nog eens.")

    def __init__(self, message: str | None = None):
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


@contextmanager
def domain_action(field=None) -> Iterator[None]:
    """Around a view's write: a DomainError rolls back, shows its message and skips the rest
    of the block; the view then goes on after the `with` (redirect or render again).

        with domain_action():
            matching.start_match(match, ...)
            db.session.commit()
            flash(_("De koppeling is gestart."), "success")
        return redirect(...)

    The message is flashed, or, given a form `field`, shown under that field.
    """
    try:
        yield
    except DomainError as error:
        db.session.rollback()
        # str(): a lazy string cannot go into the session cookie.
        if field is not None:
            field.errors.append(str(error))
        else:
            flash(str(error), "error")
