"""Saving and counting records the same way everywhere: a form that creates or changes one,
a name that must be unique, counts per parent in one query."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

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


def change_status(record, status: str, still: sa.ColumnElement[bool]) -> bool:
    """Set `record.status` in the database only while `still` holds for its row there, in one
    guarded UPDATE; False when another request changed the row first.

    For one-time actions (complete a check-in, start a match): two people clicking at once
    both saw the old status on their page, but only one UPDATE finds it. On PostgreSQL the
    second UPDATE waits for the first transaction and then finds nothing.
    """
    model = type(record)
    result = db.session.execute(
        sa.update(model).where(model.id == record.id, still).values(status=status)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    set_committed_value(record, "status", status)
    return True
