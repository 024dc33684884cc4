"""The partner's view of a referral: its stage only, and only while consent holds.

Also the signals to the referrer's contact person: a short e-mail at each stage change and
when the person goes out of view, claimed in the Notification ledger (never twice) and
checked against consent again at delivery, so a withdrawal stops queued messages too.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.core.timeutil import local_date
from app.extensions import db
from app.notifications.models import Notification, subject_of
from app.notifications.service import notify_address
from app.participants.models import Participant, Trajectory, TrajectoryStatus
from app.participants.service import newest_share_decision, share_in_force
from app.partners.models import Partner, PartnerContact
from app.referrals.models import Referral

STAGES = {
    "aangemeld": _l("Aangemeld"),
    "contact_gehad": _l("Contact gehad"),
    "niet_bereikt": _l("Niet bereikt"),
    "intake_gedaan": _l("Intake gedaan"),
    "gestart": _l("Gestart"),
    "afgerond": _l("Afgerond"),
    "gestopt": _l("Gestopt"),
    "buiten_beeld": _l("Buiten beeld"),
}
# Outcomes of an ended trajectory that count as "afgerond"; every other end is "gestopt".
COMPLETED_OUTCOMES = {"goal_reached", "formal_education", "non_formal", "work"}
# Stages for which the referrer is asked to help reach the person.
CALL_FOR_HELP = {"niet_bereikt", "buiten_beeld"}

SIGNAL_KIND = "referrer_signal"


def partner_stage(trajectory: Trajectory, consent_in_force: bool,
                  referral: Referral | None = None) -> tuple[str, date]:
    """(stage code, date) as the partner of `referral` (default: the primary one) may see it;
    without that referral's consent only "aangemeld", on the date of that referral."""
    primary = trajectory.referral
    referral = referral or primary
    referred_on = referral.referred_on if referral is not None else trajectory.referred_on
    # A restricted person (AVG art. 18): the referrer is told nothing more.
    if not consent_in_force or not _processing_allowed(trajectory.participant):
        return "aangemeld", referred_on
    # The first contact is the primary referral's (a second one keeps result "pending").
    result_on = (primary.result_on if primary is not None else None) or referred_on
    if trajectory.is_ended:
        code = "afgerond" if trajectory.outcome in COMPLETED_OUTCOMES else "gestopt"
        return code, trajectory.ended_on or result_on
    if trajectory.out_of_view_since is not None:
        return "buiten_beeld", local_date(trajectory.out_of_view_since)
    if trajectory.status == TrajectoryStatus.ACTIVE:
        return "gestart", trajectory.started_on or result_on
    if trajectory.is_waiting:
        intake = trajectory.intake
        held_on = getattr(intake, "held_on", None)
        return "intake_gedaan", held_on or trajectory.waiting_since or result_on
    if trajectory.status in (TrajectoryStatus.CONTACTED, TrajectoryStatus.INTAKE_PLANNED):
        return "contact_gehad", result_on
    if trajectory.status == TrajectoryStatus.UNREACHABLE:
        return "niet_bereikt", result_on
    return "aangemeld", referred_on


def _processing_allowed(participant: Participant) -> bool:
    return participant.restricted_at is None and participant.anonymised_at is None


@dataclass(frozen=True)
class PartnerView:
    """All a partner may know about one of their referrals."""

    id: int
    short_name: str
    referred_on: date
    stage: str
    stage_date: date
    shared: bool

    @property
    def stage_label(self) -> str:
        return str(STAGES[self.stage])


def partner_view(referral: Referral) -> PartnerView:
    """The stage of the trajectory, told only with the share consent of *this* referral: a
    "ja" to another referrer never shows this one more than "aangemeld"."""
    trajectory = referral.trajectory
    shared = share_in_force(referral)
    stage, on = partner_stage(trajectory, shared, referral)
    return PartnerView(id=referral.id, short_name=trajectory.participant.short_name,
                       referred_on=referral.referred_on, stage=stage, stage_date=on,
                       shared=shared)


def with_stage_details(query: sa.Select) -> sa.Select:
    """Eager-load what `partner_view` reads, so a page of referrals is a fixed few queries."""
    return query.options(
        joinedload(Referral.trajectory).joinedload(Trajectory.participant)
        .selectinload(Participant.consents),
        joinedload(Referral.trajectory).selectinload(Trajectory.intake),
        joinedload(Referral.trajectory).joinedload(Trajectory.referral),
    )


def contact_for(user) -> int | None:
    """The partner's contact person with the same e-mail as the portal user: signals about
    their referrals then go to them rather than to the organisation's general address."""

    if user.partner_id is None or not user.email:
        return None
    return db.session.scalar(
        sa.select(PartnerContact.id).where(
            PartnerContact.partner_id == user.partner_id, PartnerContact.active.is_(True),
            sa.func.lower(PartnerContact.email) == user.email.lower())
        .order_by(PartnerContact.id).limit(1))


# --- Signals to the referrer -------------------------------------------------------------------

def _recipient(referral: Referral) -> tuple[str, str] | None:
    """(recipient key, e-mail) of the referrer's contact person, else the organisation.

    The contact person is a known contact of the partner, or else the one named on the
    referral itself (referrer_email: given through the API, typed by staff, or the portal
    user's own address). Someone who left gets nothing: a known contact made inactive, or
    a portal user whose account was closed; the organisation's address gets it then.
    """
    contact = referral.partner_contact
    if contact is not None:
        if contact.active and contact.email:
            return f"contact:{contact.id}", contact.email
    elif referral.referrer_email:
        creator = referral.created_by
        left = (creator is not None and not creator.active and creator.email
                and creator.email.lower() == referral.referrer_email.lower())
        if not left:
            return f"referrer:{referral.id}", referral.referrer_email
    partner = referral.partner
    if partner is not None and partner.email:
        return f"partner:{partner.id}", partner.email
    return None


def _whom_to_call(trajectory: Trajectory) -> str:
    location = trajectory.location.name if trajectory.location is not None else _("het Taalhuis")
    owner = trajectory.owner
    if owner is not None and owner.active:
        return _("%(name)s van %(location)s (%(email)s)", name=owner.name, location=location,
                 email=owner.email)
    return location


def _message(trajectory: Trajectory, stage: str, on: date) -> tuple[str, str]:
    name = trajectory.participant.short_name
    label = str(STAGES[stage])
    subject = _("Aanmelding %(name)s: %(stage)s", name=name, stage=label.lower())
    lines = [_("Hallo,"), ""]
    lines.append(_("Stand van de aanmelding van %(name)s: %(stage)s (%(date)s).", name=name,
                   stage=label.lower(), date=on.strftime("%d-%m-%Y")))
    if stage in CALL_FOR_HELP:
        lines += ["", _("Wij kunnen %(name)s niet bereiken. Wilt u contact opnemen met "
                        "%(name)s?", name=name)]
    lines += ["", _("Vragen? Bel of mail %(who)s.", who=_whom_to_call(trajectory)), "",
              _("Met vriendelijke groet,"), _("Het Taalhuis")]
    return subject, "\n".join(lines)


def _signals_allowed(referral: Referral | None) -> bool:
    partner = referral.partner if referral is not None else None
    return (partner is not None and partner.signals_enabled and partner.active
            and partner.kind != "zelfmelder")


def _stage_change(subject_key: str, recipient_key: str, stage: str, on: date,
                  now: datetime) -> date | None:
    """The date of the stage change to tell this recipient about; None when nothing changed.

    The ledger period of a signal is "<stage>:<date of the change>". "Buiten beeld" is dated
    by the flag: each time out of view is its own episode. Any other stage is news when the
    referrer was last told a different stage; a stage entered again (back in view after
    "buiten beeld": "contact gehad" once more) is dated today, as its own date went out
    with the first signal. Repeated calls find the stage already told and claim nothing.
    """
    if stage == "buiten_beeld":
        return on
    told = db.session.scalars(
        sa.select(Notification.period_key)
        .where(Notification.kind == SIGNAL_KIND, Notification.subject_key == subject_key,
               Notification.recipient_key == recipient_key)
        .order_by(Notification.id.desc())
    ).all()
    # Older signals were keyed by the bare stage name; they count the same.
    if told and told[0].split(":", 1)[0] == stage:
        return None
    if f"{stage}:{on.isoformat()}" not in told:
        return on
    today = local_date(now)
    return today if f"{stage}:{today.isoformat()}" not in told else None


def signal_referrer(trajectory: Trajectory, now: datetime) -> Notification | None:
    """Claim a signal for the trajectory's current stage; None when nothing is to be sent.

    The signals go to the primary referral's referrer (see Referral.is_primary), and only
    with the share consent of that referral. Nothing without it, when the partner's signals
    are off, or when the referrer was already told this stage (see `_stage_change`; the
    ledger's unique key on trajectory, recipient and "<stage>:<date>" keeps two processes
    from both sending it).
    """
    referral = trajectory.referral
    if not _signals_allowed(referral):
        return None
    if not share_in_force(referral):
        return None
    stage, on = partner_stage(trajectory, True)
    if stage == "aangemeld":
        return None
    recipient = _recipient(referral)
    if recipient is None:
        return None
    key, email = recipient
    subject_key = f"trajectory:{trajectory.id}"
    changed_on = _stage_change(subject_key, key, stage, on, now)
    if changed_on is None:
        return None
    subject, body = _message(trajectory, stage, changed_on)
    return notify_address(kind=SIGNAL_KIND, subject_key=subject_key, recipient_key=key,
                          email=email, period_key=f"{stage}:{changed_on.isoformat()}",
                          subject=subject, body=body, now=now)


def on_trajectory_event(event: str, trajectory: Trajectory, now: datetime, **context) -> None:
    # A new owner is nothing the referrer sees.
    if event in ("referral_registered", "owner_changed"):
        return
    db.session.flush()
    signal_referrer(trajectory, now)


def signal_out_of_view(now: datetime) -> list[Notification]:
    """The job: signal referrers of people flagged "buiten beeld" and not signalled yet.

    Everything `signal_referrer` would refuse on (consent, the partner's signals, an
    inactive or self-registration partner) is filtered in the query, so an hourly run loads
    only trajectories it will signal, not every flagged one again and again.
    """
    signalled = sa.exists().where(
        Notification.kind == SIGNAL_KIND,
        Notification.subject_key == sa.literal("trajectory:") + sa.cast(Trajectory.id, sa.String),
        Notification.period_key.like("buiten_beeld:%"),
        Notification.created_at >= Trajectory.out_of_view_since,
    )
    trajectories = db.session.scalars(
        sa.select(Trajectory)
        .join(Referral, sa.and_(Referral.trajectory_id == Trajectory.id, Referral.is_primary))
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Trajectory.is_open, Trajectory.out_of_view_since.is_not(None),
               Partner.signals_enabled.is_(True), Partner.active.is_(True),
               Partner.kind != "zelfmelder",
               newest_share_decision(Referral.id).is_(True), ~signalled)
        .options(joinedload(Trajectory.participant).selectinload(Participant.consents),
                 joinedload(Trajectory.referral).joinedload(Referral.partner),
                 joinedload(Trajectory.referral).joinedload(Referral.partner_contact),
                 joinedload(Trajectory.referral).joinedload(Referral.created_by),
                 joinedload(Trajectory.location), joinedload(Trajectory.owner))
        .order_by(Trajectory.id)
    ).unique().all()
    claimed = [note for t in trajectories if (note := signal_referrer(t, now)) is not None]
    db.session.commit()
    return claimed


def still_allowed(note: Notification) -> bool:
    """At delivery: consent may have been withdrawn, or signals switched off, since the claim.

    One query (the morning after a big scan sends thousands of signals): the primary
    referral's partner still takes signals, and its newest share decision, read from the
    database, is still a yes.
    """
    _kind, trajectory_id = subject_of(note.subject_key)
    if trajectory_id is None:
        return False
    return bool(db.session.scalar(
        sa.select(newest_share_decision(Referral.id))
        .select_from(Referral)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.trajectory_id == trajectory_id, Referral.is_primary,
               Partner.signals_enabled.is_(True), Partner.active.is_(True),
               Partner.kind != "zelfmelder")))


def referrals_page(query: sa.Select, page: int, per_page: int):
    return db.paginate(with_stage_details(query).order_by(Referral.id.desc()), page=page,
                       per_page=per_page, error_out=False)

