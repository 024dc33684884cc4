"""`make bench`: speed targets measured on PostgreSQL (benchmarks, not timed tests).

Each module `tests/bench/bench_*.py` has `run(app) -> list[str]`: it measures and returns
result lines for the README. The database is recreated for every module: BENCH_DATABASE_URL
(default: a `houvast_bench` database on the local PostgreSQL server, created when missing).

A module with `REGIONAL = True` gets a copy of the regional data set (tests/bench/regional.py):
the data set is built once per run into a template database (`<bench database>_regional`,
about a minute) and copied for each such module in seconds. BENCH_REGIONAL_TEMPLATE names an
existing template to copy instead of building one (it is migrated to head after the copy).
The other modules start from an empty migrated database and fill their own data.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/houvast_bench"


def _ensure_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _fresh_app(url: str):
    from flask_migrate import upgrade

    from app.extensions import db

    from .regional import bench_app

    app = bench_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    return app


def _regional_app(url: str, template: str):
    """An app on a fresh copy of the regional template, migrated to head."""
    from flask_migrate import upgrade

    from app.extensions import db

    from . import regional

    regional.copy_template(url, template=template)
    app = regional.bench_app(url)
    with app.app_context():
        upgrade()
        # What a migration changed is analysed again, as after any deploy.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return app


def _regional_template(url: str) -> str:
    from . import regional

    name = os.environ.get("BENCH_REGIONAL_TEMPLATE")
    if name:
        print(f"## regional data set: copied from {name}", flush=True)
        return name
    name = f"{sa.engine.make_url(url).database}_regional"
    counts = regional.build_template(url, name=name, log=lambda line: None)
    print(f"## regional data set\n{regional.summary(counts)}", flush=True)
    return name


def main(selected: list[str]) -> int:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    _ensure_database(url)
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    modules = {name: importlib.import_module(f"tests.bench.{name}") for name in names}
    template = None
    if any(getattr(module, "REGIONAL", False) for module in modules.values()):
        template = _regional_template(url)
    for name, module in modules.items():
        if getattr(module, "REGIONAL", False):
            app = _regional_app(url, template)
        else:
            app = _fresh_app(url)
        print(f"## {name}", flush=True)
        with app.app_context():
            for line in module.run(app):
                print(line, flush=True)
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
