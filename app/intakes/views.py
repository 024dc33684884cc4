from app.intakes import bp  # noqa: F401
