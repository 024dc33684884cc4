"""Demo data: a person for each channel, with the messages consent asked at registration,
an intake confirmation answered "JA", an answer waiting to be read, and a STOP, so `make
run` shows them on the timeline, the agenda and in Mijn taken."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.core.timeutil import next_working_day, to_utc
from app.extensions import db
from app.messaging.answers import receive
from app.messaging.gateway import Inbound
from app.messaging.service import ledger_kind, queue_message, recipient_key
from app.messaging.texts import place_text, say_moment
from app.notifications.models import Notification, NotificationStatus
from app.participants.service import set_owner
from app.referrals.service import PersonInput, ReferralInput, plan_intake, register_referral
from app.seed import SeedContext

# Fixed names and numbers (no draws from ctx.rng: later steps keep their data).
PEOPLE = (
    # key, first, last, channel, phone, e-mail
    ("whatsapp", "Amina", "Yusuf", "whatsapp", "06-55501001", None),
    ("sms", "Yonas", "Tesfay", "sms", "06-55501002", None),
    ("stop", "Olena", "Kovalenko", "whatsapp", "06-55501003", None),
    ("email", "Ricardo", "Mendes", "email", "06-55501004", "ricardo.mendes@example.nl"),
    ("letter", "Gerrit", "van Dijk", "letter", "030-2555105", None),
    ("phone", "Halima", "Osman", "phone", "06-55501006", None),
)


def _register(ctx: SeedContext, first, last, channel, phone, email, days_ago: int):
    location = ctx.locations["centrum"]
    coordinator = ctx.users["coordinator"]
    ctx.names_used.add((first, last))
    trajectory = register_referral(
        person=PersonInput(first_name=first, last_name=last, phone=phone, email=email,
                           preferred_channel=channel, birth_year=1984,
                           language_background="nt1" if channel == "letter" else "nt2",
                           native_language="Nederlands" if channel == "letter" else None,
                           found_via="via_via"),
        referral=ReferralInput(
            location_id=location.id, question="Wil beter Nederlands leren voor het werk.",
            channel="desk", referred_on=ctx.today - timedelta(days=days_ago),
            share_with_referrer=None, consent_method="verbal",
            # Asked at the desk: yes, except the person who only wants paper or a call.
            messages_consent=channel not in ("letter", "phone")),
        user=coordinator, now=ctx.moment(days_ago, 10))
    if trajectory.owner_id is None:
        set_owner(trajectory, coordinator, coordinator, ctx.moment(days_ago, 10))
    ctx.add_trajectory(trajectory)
    return trajectory


def _as_sent(note: Notification | None, at: datetime, n: int) -> None:
    """The demo's messages went out already (through the outbox, as `make run` would)."""
    if note is None or note.status != NotificationStatus.PENDING:
        return
    note.status = NotificationStatus.SENT
    note.sent_at = at
    note.attempts = 1
    if note.channel in ("sms", "whatsapp"):
        note.provider_message_id = f"outbox-demo-{n}"
        note.delivery_status = "delivered"
        note.delivery_status_at = at


def _free(ctx, trajectory, text: str, at: datetime, key: str):
    note = queue_message(
        participant=trajectory.participant, trajectory=trajectory, code="free",
        subject_key=f"free:demo-{key}", period_key="free",
        values={"tekst": text, "afzender": ctx.users["coordinator"].name.split(" ")[0]},
        now=at, user=ctx.users["coordinator"],
        call_topic=f"Bel {trajectory.participant.first_name}: {text}"[:200])
    return note


def _confirmation(ctx, trajectory, at: datetime):
    """The intake of the WhatsApp person, a few working days ahead, and its confirmation
    (another part may have queued it when the intake was planned: then that one)."""
    day = next_working_day(ctx.today + timedelta(days=4))
    appointment = plan_intake(trajectory, to_utc(day, 10, 30), ctx.users["staff"], at,
                              room="Spreekkamer 1")
    queue_message(participant=trajectory.participant, trajectory=trajectory,
                  code="intake_confirmation", subject_key=f"appointment:{appointment.id}",
                  period_key="confirmation",
                  values={"datum": say_moment(appointment.starts_at),
                          "adres": place_text(appointment.location, appointment.room)},
                  now=at)
    return db.session.scalar(sa.select(Notification).where(
        Notification.kind == ledger_kind("intake_confirmation"),
        Notification.subject_key == f"appointment:{appointment.id}",
        Notification.recipient_key == recipient_key(trajectory.participant)))


def seed_participant_messages(ctx: SeedContext) -> None:
    people = {key: _register(ctx, first, last, channel, phone, email, days_ago=6)
              for key, first, last, channel, phone, email in PEOPLE}
    sent_at = ctx.moment(2, 11)
    answer_at = ctx.moment(2, 12)

    amina = people["whatsapp"]
    _as_sent(_confirmation(ctx, amina, sent_at), sent_at, 1)
    receive(Inbound("demo-answer-1", "whatsapp", amina.participant.phone, "Ja"), "outbox",
            answer_at)

    yonas = people["sms"]
    _as_sent(_free(ctx, yonas, "Er is plek in de taalgroep op dinsdagmiddag. Past dat?",
                   sent_at, "sms"), sent_at, 2)
    receive(Inbound("demo-answer-2", "sms", yonas.participant.phone,
                    "Dinsdag werk ik. Kan het ook op woensdag?"), "outbox", answer_at)

    olena = people["stop"]
    _as_sent(_free(ctx, olena, "Wij zoeken nog een taalmaatje voor u.", ctx.moment(5, 11),
                   "stop"), ctx.moment(5, 11), 3)
    receive(Inbound("demo-answer-3", "whatsapp", olena.participant.phone, "STOP"), "outbox",
            ctx.moment(5, 12))

    ricardo = people["email"]
    _as_sent(_free(ctx, ricardo, "Uw intake is geweest. Wij zoeken nu een plek voor u.",
                   sent_at, "email"), sent_at, 4)
    # The letter stays on the print list; the person who wants a call gives a call task.
    _free(ctx, people["letter"], "Wij hebben een plek voor u in de leesclub.", sent_at,
          "letter")
    _free(ctx, people["phone"], "vertel over de taalgroep op donderdag", sent_at, "phone")
    db.session.flush()
