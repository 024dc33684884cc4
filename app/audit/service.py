"""Writing audit events. The caller commits, so the event lands with the change it logs."""

from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request

from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.extensions import db


def record(user, action: str, object_type: str, object_id: int | None = None, *,
           participant_id: int | None = None, summary: str | None = None,
           now: datetime | None = None) -> AuditEvent:
    event = AuditEvent(
        user_id=getattr(user, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        participant_id=participant_id,
        summary=(summary or "")[:300] or None,
        ip=request.remote_addr if has_request_context() else None,
    )
    if now is not None:
        event.at = now
    db.session.add(event)
    return event


def record_views(user, object_type: str, items, *, summary: str,
                 now: datetime | None = None) -> None:
    """One "view" event per (object_id, participant_id) of a list page, in one statement
    whatever the length of the list."""
    rows = [{"user_id": getattr(user, "id", None), "action": "view",
             "object_type": object_type, "object_id": object_id,
             "participant_id": participant_id, "summary": summary[:300] or None,
             "ip": request.remote_addr if has_request_context() else None,
             "at": now or utcnow()} for object_id, participant_id in items]
    if rows:
        db.session.execute(sa.insert(AuditEvent), rows)


def set_active(obj, active: bool, object_type: str, *, by, now: datetime,
               summary: str | None = None) -> None:
    """Switch `obj` on or off (rows are switched off, never deleted) and log it; switching
    to what it already is logs nothing. `summary` defaults to "<name>: weer aangezet"."""
    if obj.active == active:
        return
    obj.active = active
    record(by, "update", object_type, obj.id, now=now,
           summary=summary or f"{obj.name}: {switched(active)}")


def switched(active: bool) -> str:
    return "weer aangezet" if active else "uitgezet"
