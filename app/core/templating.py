"""Template filters and globals: Dutch dates, code labels, permission checks."""

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime
from flask_login import current_user

from app.auth.permissions import has
from app.core import choices
from app.core.followup import period_text, thresholds
from app.core.phone import display_phone, tel_href
from app.core.timeutil import local_date, utcnow
from app.participants.models import TrajectoryStatus


def register(app: Flask) -> None:
    @app.template_filter("day")
    def day_filter(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = local_date(value)
        return format_date(value, "d MMM yyyy")

    @app.template_filter("moment")
    def moment_filter(value: datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value, "d MMM yyyy HH:mm")

    # `{{ p.phone|phone }}` shows it the Dutch way, `href="{{ p.phone|tel }}"` dials E.164.
    app.add_template_filter(display_phone, "phone")
    app.add_template_filter(tel_href, "tel")

    # `{{ 42|period }}`: "6 weken"; a period named in a text comes from a setting.
    app.add_template_filter(period_text, "period")

    @app.template_filter("label")
    def label_filter(code: str | None, mapping_name: str) -> str:
        return choices.label(getattr(choices, mapping_name), code)

    @app.template_filter("ref")
    def ref_filter(code: str | None, list_name: str) -> str:
        from app.admin.service import reference_label

        return reference_label(list_name, code)

    @app.context_processor
    def globals_():
        return {
            "can": lambda capability: has(current_user, capability),
            "today": local_date(utcnow()),
            "choices": choices,
            # Called only by the templates that name a threshold (one query per transaction).
            "thresholds": thresholds,
            # For the few template checks on one stage that no model property names.
            "TrajectoryStatus": TrajectoryStatus,
        }
