"""Declarative base, naming convention and column types shared by every model."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@sa.event.listens_for(Engine, "connect")
def sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked on every connection.

    Connected here, once per process: a listener added in create_app() would pile up, one more
    for every app the tests (or the CLI) create, all on the one Engine class.
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def status_in(group, doc: str | None = None) -> hybrid_property:
    """A model property "the status is one of `group`" that also works in a query
    (`Match.is_open` in a WHERE clause): one rule for Python and SQL."""

    def in_python(self) -> bool:
        return self.status in group

    def in_sql(cls) -> sa.ColumnElement[bool]:
        return cls.status.in_(group)

    in_python.__doc__ = doc
    return hybrid_property(in_python, expr=in_sql)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every database.

    SQLite drops tzinfo, so values are stored as naive UTC and handed back aware.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Houvast stores aware UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def dialect_insert(model):
    """An INSERT for `model` with the dialect's ON CONFLICT support: PostgreSQL and SQLite
    each have their own construct (on_conflict_do_nothing, on_conflict_do_update)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from app.extensions import db

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
