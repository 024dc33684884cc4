"""Saving and counting records the same way everywhere: a form that creates or changes one,
a name that must be unique, counts per parent in one query."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from app.core.errors import DomainError
from app.extensions import db


def existing_or_added(record, model, **defaults):
    """(`record`, "update"), or, when `record` is None, a new `model(**defaults)` added to the
    session and "create": the audit action of the save."""
    if record is not None:
        return record, "update"
    record = model(**defaults)
    db.session.add(record)
    return record, "create"


def value_taken(column, value: str, *, exclude_id: int | None = None, where=()) -> bool:
    """Whether another row (not `exclude_id`) has `value` in `column`, case and outer spaces
    ignored; `where` narrows the rows compared (one reference list, say)."""
    row_id = column.class_.id
    query = sa.select(row_id).where(sa.func.lower(column) == value.strip().lower(), *where)
    if exclude_id is not None:
        query = query.where(row_id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def counts_by(key_column, ids: Sequence[int], condition) -> dict[int, int]:
    """How many rows meeting `condition` each of `ids` has in `key_column`, in one query;
    an id without any is left out."""
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(key_column, sa.func.count())
        .where(key_column.in_(ids), condition)
        .group_by(key_column)
    ).all())


def update_once(record, still: sa.ColumnElement[bool], **values) -> bool:
    """Write `values` to the record's row only while `still` holds for it there, in one
    guarded UPDATE; False when another request changed the row first.

    For one-time actions (complete a check-in, mark an answer read, decide a request): two
    people clicking at once both saw the old state on their page, but only one UPDATE finds
    it. On PostgreSQL the second UPDATE waits for the first transaction and then finds
    nothing.
    """
    model = type(record)
    result = db.session.execute(
        sa.update(model).where(model.id == record.id, still).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        if isinstance(value, sa.ClauseElement):
            # Computed in the database (version + 1): read again when next used.
            db.session.expire(record, [name])
        else:
            set_committed_value(record, name, value)
    return True


def change_status(record, status: str, still: sa.ColumnElement[bool]) -> bool:
    """`update_once` of the status alone."""
    return update_once(record, still, status=status)


class ChangedMeanwhileError(DomainError):
    """Someone else saved this record after the form was opened."""

    default_message = _l("Iemand anders heeft dit net gewijzigd. Bekijk de nieuwe gegevens en "
                         "sla opnieuw op.")


def version_field() -> HiddenField:
    """The hidden field of an edit form that carries the record's `version` it was opened on
    (filled from `obj=`; `form.hidden_tag()` renders it)."""
    return HiddenField()


@contextmanager
def unchanged_since_opened(record, form) -> Iterator[None]:
    """Around saving an edit form of a versioned record: ChangedMeanwhileError when the record was
    saved by someone else since the form was opened, or while this save ran (the UPDATE's
    version check finds no row). A new record (`record` None) is never stale; a post without
    the field (not from the page) is checked by the UPDATE only."""
    posted = form.version.data
    if record is not None and posted and str(record.version) != str(posted):
        raise ChangedMeanwhileError()
    try:
        yield
    except StaleDataError:
        raise ChangedMeanwhileError() from None


def show_newest_version(record, form) -> None:
    """After ChangedMeanwhileError: the form keeps what was typed, but now carries the newest
    version, so saving again (after a look at the new data) is a deliberate choice."""
    if record is not None:
        form.version.data = str(record.version)
