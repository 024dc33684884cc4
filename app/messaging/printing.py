"""Te printen: the letters and cards for people who prefer paper."""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.appointments.models import Appointment
from app.audit import service as audit
from app.auth.permissions import appointment_scope, has, letter_scope, require
from app.core.records import update_once
from app.core.timeutil import utcnow
from app.extensions import db
from app.messaging import bp, cards
from app.messaging.models import Channel
from app.messaging.texts import BY_CODE
from app.notifications.models import Notification, NotificationStatus, subject_of
from app.participants.models import Participant, Trajectory

# --- Te printen: letters and cards for people who prefer paper ----------------------------


def _to_print(user) -> sa.Select:
    return sa.select(Notification).where(
        Notification.channel == Channel.LETTER,
        Notification.status == NotificationStatus.PENDING,
        letter_scope(user))


def letters_to_print_count(user) -> int:
    if not has(user, "letters.print"):
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(_to_print(user).subquery())) or 0


@bp.app_context_processor
def _menu_counts():
    # Called only by the menu, for users who may print letters.
    return {"letters_to_print": lambda: letters_to_print_count(current_user)}


def _letter_or_404(note_id: int) -> Notification:
    note = db.session.scalar(
        sa.select(Notification).where(Notification.id == note_id,
                                      Notification.channel == Channel.LETTER,
                                      letter_scope(current_user)))
    if note is None:
        abort(404)
    return note


def _participants(notes) -> dict[int, Participant]:
    ids = {n.participant_id for n in notes}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(
        sa.select(Participant).where(Participant.id.in_(ids)))}


@bp.get("/te-printen")
@require("letters.print")
def print_list():
    now = utcnow()
    query = _to_print(current_user).order_by(Notification.created_at, Notification.id)
    page = db.paginate(query, per_page=current_app.config.get("PER_PAGE", 25),
                       error_out=False)
    people = _participants(page.items)
    # What the rows show, read before the audit's commit expires the loaded objects.
    rows = [{"id": n.id, "kind": _kind_label(n.kind), "created_at": n.created_at,
             "name": people[n.participant_id].short_name if n.participant_id in people
             else ""} for n in page.items]
    audit.record_views(current_user, "letter", [(n.id, n.participant_id) for n in page.items],
                       summary="te printen", now=now)
    db.session.commit()
    return render_template("messaging/print_list.html", page=page, rows=rows)


def _kind_label(kind: str) -> str:
    code = kind.removeprefix("msg_")
    return str(BY_CODE[code].label) if code in BY_CODE else kind


def _appointment_of(note: Notification) -> Appointment | None:
    """The appointment a letter is about ("appointment:<id>"): that letter is its card."""
    kind, appointment_id = subject_of(note.subject_key)
    if kind != "appointment" or appointment_id is None:
        return None
    return db.session.scalar(
        sa.select(Appointment).where(Appointment.id == appointment_id,
                                     appointment_scope(current_user))
        .options(joinedload(Appointment.location),
                 joinedload(Appointment.trajectory).joinedload(Trajectory.participant)))


@bp.get("/te-printen/<int:note_id>")
@require("letters.print")
def letter(note_id: int):
    note = _letter_or_404(note_id)
    appointment = _appointment_of(note)
    card = cards.card_for(appointment) if appointment is not None else None
    trajectory = db.session.get(Trajectory, note.trajectory_id) if note.trajectory_id else None
    location = trajectory.location if trajectory is not None else None
    audit.record(current_user, "view", "letter", note.id, participant_id=note.participant_id,
                 now=utcnow())
    db.session.commit()
    return render_template("messaging/letter.html", note=note, card=card, location=location,
                           appointment=appointment)


@bp.post("/te-printen/<int:note_id>/geprint")
@require("letters.print")
def letter_printed(note_id: int):
    note = _letter_or_404(note_id)
    now = utcnow()
    # Guarded UPDATE: two clicks (or two people) mark it once; the second finds no pending row.
    done = update_once(note, Notification.status == NotificationStatus.PENDING,
                       status=NotificationStatus.SENT, sent_at=now)
    if done:
        audit.record(current_user, "update", "letter", note.id,
                     participant_id=note.participant_id, summary="geprint of meegegeven",
                     now=now)
    db.session.commit()
    if done:
        flash(_("Vastgelegd: deze brief is geprint of meegegeven."), "success")
    else:
        flash(_("Deze brief was al afgevinkt."), "info")
    back = request.form.get("next", "")
    if not back.startswith("/berichten-deelnemer/te-printen") or back.startswith("//"):
        back = url_for("messaging.print_list")
    return redirect(back)
