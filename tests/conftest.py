"""Test fixtures: an app on a migrated database (SQLite file, or PostgreSQL through
TEST_DATABASE_URL), a client, per-role login helpers and small factories."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db as _db
from config import TestConfig

from . import factories

# Tables whose rows come from migrations; every other table is emptied between tests.
KEEP_TABLES = {"alembic_version", "reference_items"}


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def make_app(database_url: str, instance_path: Path, **overrides):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url, **overrides)
    os.environ["HOUVAST_INSTANCE_PATH"] = str(instance_path)
    return create_app(config)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def _migrated_app(database_url, instance_path):
    """The schema is built by running the migrations, so they are tested too."""
    app = make_app(database_url, instance_path)
    with app.app_context():
        if database_url.startswith("postgresql"):
            # A fresh schema each run, whatever an earlier run left behind.
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


def _empty_tables() -> None:
    tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture
def app(_migrated_app):
    with _migrated_app.app_context():
        yield _migrated_app
        _db.session.rollback()
        _empty_tables()
        _db.session.remove()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/inloggen", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/uitloggen")

    def as_role(self, role: str, **kwargs):
        """Create a user with `role` (in a fresh location unless given) and sign in."""
        user = factories.user(role=role, **kwargs)
        _db.session.commit()
        response = self.login(user)
        assert response.status_code == 302, "sign-in failed in test set-up"
        return user


@pytest.fixture
def auth(client):
    return AuthActions(client)
