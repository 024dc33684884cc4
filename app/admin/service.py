"""Reference lists (choice lists an admin can extend) and location helpers."""

import sqlalchemy as sa
from flask import g, has_app_context

from app.admin.models import ReferenceItem
from app.extensions import db


def reference_choices(list_name: str, *, include_inactive: bool = False) -> list[tuple[str, str]]:
    """(code, label) pairs of one list, in the admin's order, for a SelectField."""
    query = sa.select(ReferenceItem.code, ReferenceItem.label).where(
        ReferenceItem.list_name == list_name
    )
    if not include_inactive:
        query = query.where(ReferenceItem.active.is_(True))
    query = query.order_by(ReferenceItem.sort_order, ReferenceItem.label)
    return [(code, label) for code, label in db.session.execute(query)]


def reference_labels() -> dict[tuple[str, str], str]:
    """All labels keyed by (list, code); loaded once per request for templates."""
    if has_app_context() and "reference_labels" in g:
        return g.reference_labels
    rows = db.session.execute(
        sa.select(ReferenceItem.list_name, ReferenceItem.code, ReferenceItem.label)
    )
    labels = {(list_name, code): label for list_name, code, label in rows}
    if has_app_context():
        g.reference_labels = labels
    return labels


def reference_label(list_name: str, code: str | None) -> str:
    if not code:
        return ""
    return reference_labels().get((list_name, code), code)
