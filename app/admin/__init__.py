from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/beheer")


def connect_hooks() -> None:
    """Working days follow the closed days set under Beheer."""
    from app.admin import calendar
    from app.core.timeutil import closed_days_source

    closed_days_source(calendar.current)
