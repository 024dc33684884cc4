"""All Flask extension objects, created unbound and initialised in create_app."""

from functools import cached_property

from flask import Flask
from flask.cli import AppGroup
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.core.db import Base


class LazyMigrate:
    """Flask-Migrate, imported only when migrations are used (`flask db ...`, `upgrade()`).

    Flask-Migrate imports Alembic at once, ~10 MB that every web worker would carry without
    ever running a migration (issue 14: worker memory). This sets up what
    `Migrate.init_app` does, app.extensions["migrate"] and the `flask db` group, without
    the import; the real Migrate object is made on first use.
    """

    def init_app(self, app: Flask, db: SQLAlchemy, *, directory: str, **kwargs) -> None:
        app.extensions["migrate"] = _MigrateConfig(db, directory, kwargs)
        cli = _MigrateCli(app.cli.name)
        cli.commands.update(app.cli.commands)
        app.cli = cli


class _MigrateConfig:
    """flask_migrate._MigrateConfig, with `migrate` made on first use."""

    def __init__(self, db: SQLAlchemy, directory: str, kwargs: dict) -> None:
        self.db = db
        self.directory = directory
        self._kwargs = kwargs

    @cached_property
    def migrate(self):
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self._kwargs)

    @property
    def configure_args(self) -> dict:
        return self.migrate.alembic_ctx_kwargs

    @property
    def metadata(self):
        return self.db.metadata


class _MigrateCli(AppGroup):
    """The app's commands, with Flask-Migrate's `db` group loaded when asked for."""

    def get_command(self, ctx, name):
        if name == "db" and name not in self.commands:
            from flask_migrate.cli import db as db_group

            self.add_command(db_group, name)
        return super().get_command(ctx, name)

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), "db"})


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
