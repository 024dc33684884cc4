"""Erasure on request ("recht op vergetelheid"): a coordinator asks, an admin confirms.

Four eyes: whoever asked may not confirm, also when that is an admin. Confirming anonymises
the person and every trajectory at once, exactly as retention does (app/privacy/anonymise.py),
in the same transaction as the request's status. What was open is closed without telling
anyone (no referrer signal, no message): planned check-ins and appointments lapse, matches
and group places end, messages waiting to go are skipped. The audit log says who asked and
who confirmed, never what was erased.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.appointments.models import Appointment, AppointmentStatus
from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import get_participant_or_404, require
from app.checkins.models import CheckIn, CheckInStatus
from app.core.errors import DomainError
from app.core.records import update_once
from app.core.timeutil import local_date, utcnow
from app.extensions import db
from app.intakes.models import Intake, LearningGoal
from app.matching.models import Enrollment, EnrollmentStatus, Match, MatchSession, MatchStatus
from app.messaging.models import InboundMessage
from app.notifications.models import Notification, NotificationStatus
from app.participants.models import Participant, Trajectory, TrajectoryStatus
from app.privacy import bp
from app.privacy.anonymise import TRAJECTORY_NOTICES, anonymise_participant
from app.privacy.forms import ErasureDecisionForm, ErasureRequestForm
from app.privacy.models import ErasureRequest, ErasureStatus
from app.referrals.models import ContactAttempt, Referral


class ErasureError(DomainError):
    pass


# --- Domain ------------------------------------------------------------------------------------

@dataclass
class ErasureScope:
    """What an erasure removes, counted, for the confirmation (the data itself is not shown)."""

    trajectories: int
    open_trajectories: int
    referrals: int
    contact_attempts: int
    intakes: int
    goals: int
    sessions: int
    checkins: int
    messages: int


def erasure_scope(participant: Participant) -> ErasureScope:
    """A fixed number of small counts, whatever the person's history."""
    ids = sa.select(Trajectory.id).where(Trajectory.participant_id == participant.id)

    def count(model, condition):
        return sa.select(sa.func.count()).select_from(model).where(condition).scalar_subquery()

    row = db.session.execute(sa.select(
        count(Trajectory, Trajectory.participant_id == participant.id),
        count(Trajectory, sa.and_(Trajectory.participant_id == participant.id,
                                  Trajectory.is_open)),
        count(Referral, Referral.trajectory_id.in_(ids)),
        count(ContactAttempt, ContactAttempt.trajectory_id.in_(ids)),
        count(Intake, Intake.trajectory_id.in_(ids)),
        count(LearningGoal, LearningGoal.trajectory_id.in_(ids)),
        count(MatchSession, MatchSession.match_id.in_(
            sa.select(Match.id).where(Match.trajectory_id.in_(ids)))),
        count(CheckIn, CheckIn.trajectory_id.in_(ids)),
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.participant_id == participant.id).scalar_subquery()
        + sa.select(sa.func.count()).select_from(InboundMessage)
        .where(InboundMessage.participant_id == participant.id).scalar_subquery(),
    )).one()
    return ErasureScope(*row)


def pending_request(participant_id: int) -> ErasureRequest | None:
    return db.session.scalar(
        sa.select(ErasureRequest)
        .where(ErasureRequest.participant_id == participant_id,
               ErasureRequest.status == ErasureStatus.REQUESTED)
        .order_by(ErasureRequest.id).limit(1))


def request_erasure(participant: Participant, *, by, now: datetime
                    ) -> tuple[ErasureRequest, bool]:
    """Ask for the erasure; (request, created). A second ask while one waits (a double
    click, or two coordinators at once) finds the first one: the person's row is locked
    while looking, so the second waits for the first on PostgreSQL."""
    if participant.anonymised_at is not None:
        raise ErasureError(_("De gegevens van deze persoon zijn al gewist."))
    db.session.execute(sa.select(Participant.id).where(Participant.id == participant.id)
                       .with_for_update())
    existing = pending_request(participant.id)
    if existing is not None:
        return existing, False
    erasure = ErasureRequest(participant_id=participant.id, status=ErasureStatus.REQUESTED,
                             requested_by_id=by.id, requested_at=now)
    db.session.add(erasure)
    db.session.flush()
    audit.record(by, "create", "erasure_request", erasure.id, participant_id=participant.id,
                 summary="wissen aangevraagd", now=now)
    return erasure, True


def _decide(erasure: ErasureRequest, status: str, *, by, now: datetime,
            note: str | None) -> None:
    """One guarded UPDATE: of two admins deciding at once, only one finds it waiting."""
    if not update_once(erasure, ErasureRequest.status == ErasureStatus.REQUESTED,
                       status=status, decided_by_id=by.id, decided_at=now, decision_note=note,
                       version=ErasureRequest.version + 1):
        raise ErasureError(_("Over dit verzoek is al beslist."))


def _close_open_work(participant_id: int, now: datetime) -> None:
    """Set-based, without events: nobody is told anything about an erased person."""
    today = local_date(now)
    ids = list(db.session.scalars(
        sa.select(Trajectory.id).where(Trajectory.participant_id == participant_id)))
    if not ids:
        return

    def update(model, condition, **values):
        db.session.execute(sa.update(model).where(condition).values(**values)
                           .execution_options(synchronize_session=False))

    update(CheckIn, sa.and_(CheckIn.trajectory_id.in_(ids),
                            CheckIn.status == CheckInStatus.PLANNED),
           status=CheckInStatus.CANCELLED)
    update(Appointment, sa.and_(Appointment.trajectory_id.in_(ids),
                                Appointment.status == AppointmentStatus.PLANNED),
           status=AppointmentStatus.CANCELLED, closed_at=now)
    update(Match, sa.and_(Match.trajectory_id.in_(ids), Match.status.in_(MatchStatus.LOAD)),
           status=MatchStatus.ENDED, ended_on=today, end_reason="anders")
    update(Enrollment, sa.and_(Enrollment.trajectory_id.in_(ids),
                               Enrollment.status == EnrollmentStatus.ACTIVE),
           status=EnrollmentStatus.ENDED, ended_on=today)
    waiting = (NotificationStatus.PENDING, NotificationStatus.FAILED)
    update(Notification, sa.and_(Notification.participant_id == participant_id,
                                 Notification.status.in_(waiting)),
           status=NotificationStatus.SKIPPED, next_attempt_at=None)
    update(Notification, sa.and_(Notification.kind.in_(TRAJECTORY_NOTICES),
                                 Notification.subject_key.in_([f"trajectory:{i}" for i in ids]),
                                 Notification.status.in_(waiting)),
           status=NotificationStatus.SKIPPED, next_attempt_at=None)
    # "Gestopt": the reports count it as ended today; the past periods keep their numbers.
    update(Trajectory, sa.and_(Trajectory.id.in_(ids), Trajectory.is_open),
           status=TrajectoryStatus.ENDED, ended_on=today, outcome="stopped",
           waiting_since=None, out_of_view_since=None)


def confirm_erasure(erasure: ErasureRequest, *, by, now: datetime) -> None:
    """Four eyes: not by whoever asked. Anonymises at once; the caller commits."""
    if erasure.requested_by_id == by.id:
        raise ErasureError(_("U heeft dit wissen zelf aangevraagd. Een andere beheerder moet "
                             "het bevestigen."))
    participant = db.session.get(Participant, erasure.participant_id)
    _decide(erasure, ErasureStatus.DONE, by=by, now=now, note=None)
    _close_open_work(participant.id, now)
    anonymise_participant(participant, now=now)
    audit.record(by, "delete", "participant", participant.id, participant_id=participant.id,
                 summary=f"gewist op verzoek (verzoek {erasure.id})", now=now)


def refuse_erasure(erasure: ErasureRequest, *, by, now: datetime, note: str) -> None:
    if not note:
        raise ErasureError(_("Schrijf op waarom u het wissen weigert."))
    _decide(erasure, ErasureStatus.REFUSED, by=by, now=now, note=note)
    audit.record(by, "update", "erasure_request", erasure.id,
                 participant_id=erasure.participant_id, summary="wissen geweigerd", now=now)


# --- Pages -------------------------------------------------------------------------------------

@bp.route("/deelnemers/<int:participant_id>/wissen", methods=["GET", "POST"])
@require("privacy.erase_request")
def erase(participant_id: int):
    """The coordinator's confirmation: what goes, what stays, and the request."""
    participant = get_participant_or_404(current_user, participant_id)
    now = utcnow()
    form = ErasureRequestForm()
    if participant.anonymised_at is None and form.validate_on_submit():
        _erasure, created = request_erasure(participant, by=current_user, now=now)
        db.session.commit()
        if created:
            flash(_("Het wissen is aangevraagd. Een beheerder moet het nog bevestigen."),
                  "success")
        else:
            flash(_("Het wissen was al aangevraagd. Het wacht op een beheerder."), "info")
        return redirect(url_for("privacy.erase", participant_id=participant.id))
    waiting = pending_request(participant.id)
    scope = erasure_scope(participant) if participant.anonymised_at is None else None
    audit.record(current_user, "view", "erasure", participant.id,
                 participant_id=participant.id, summary="wissen: bevestiging bekeken")
    html = render_template("privacy/erase.html", participant=participant, form=form,
                           scope=scope, waiting=waiting)
    db.session.commit()
    return html


@bp.get("/beheer/wissen/")
@require("privacy.erase_confirm")
def erase_requests():
    """The requests waiting for an admin, oldest first (ix_erasure_requests_status)."""
    query = (sa.select(ErasureRequest)
             .where(ErasureRequest.status == ErasureStatus.REQUESTED)
             .options(joinedload(ErasureRequest.participant),
                      joinedload(ErasureRequest.requested_by).lazyload(User.locations))
             .order_by(ErasureRequest.requested_at, ErasureRequest.id))
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    audit.record_views(current_user, "erasure_request",
                       [(r.id, r.participant_id) for r in page.items],
                       summary="wissen: verzoeken bekeken")
    html = render_template("privacy/erase_requests.html", page=page)
    db.session.commit()
    return html


@bp.route("/beheer/wissen/<int:erasure_id>", methods=["GET", "POST"])
@require("privacy.erase_confirm")
def erase_decide(erasure_id: int):
    erasure = db.session.get(ErasureRequest, erasure_id) or abort(404)
    form = ErasureDecisionForm()
    now = utcnow()
    own = erasure.requested_by_id == current_user.id
    if erasure.status == ErasureStatus.REQUESTED and form.validate_on_submit():
        try:
            if form.confirm.data:
                confirm_erasure(erasure, by=current_user, now=now)
                message = _("De gegevens zijn gewist. De cijfers voor de rapportages blijven.")
            elif form.refuse.data:
                if not form.note.data:
                    raise ErasureError(_("Schrijf op waarom u het wissen weigert."))
                refuse_erasure(erasure, by=current_user, now=now, note=form.note.data)
                message = _("Het wissen is geweigerd.")
            else:
                message = None
        except ErasureError as error:
            db.session.rollback()
            form.note.errors = list(form.note.errors) + [str(error)]
        else:
            if message is not None:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("privacy.erase_requests"))
    participant = erasure.participant
    scope = erasure_scope(participant) if erasure.status == ErasureStatus.REQUESTED else None
    audit.record(current_user, "view", "erasure_request", erasure.id,
                 participant_id=erasure.participant_id, summary="wissen: verzoek bekeken")
    html = render_template("privacy/erase_decide.html", erasure=erasure, form=form,
                           participant=participant, scope=scope, own=own)
    db.session.commit()
    return html
