from flask import Blueprint

bp = Blueprint("messaging", __name__, url_prefix="/berichten-deelnemer")


def connect_hooks() -> None:
    """SMS and WhatsApp in the ledger's delivery, the guards every message passes, what an
    answer does, and messages and answers on the participant page and in the digest."""
    # Imported here, as in the other features: the services import models of this package.
    from app.messaging import answers, handlers, inbox, kinds, service, staff, twilio
    from app.messaging.seed import seed_participant_messages
    from app.notifications.service import digest_section
    from app.participants.timeline import timeline_provider
    from app.seed import seed_step

    service.connect()
    twilio.connect()
    # What is sent when: the first meetings follow the trajectory events; every kind's
    # delivery guard stops a message whose appointment or meeting is gone.
    kinds.connect()
    answers.on_answer(handlers.act_on_answer)
    timeline_provider(staff.message_timeline)
    # Right after the intakes of today: reading an answer is part of the day's work.
    digest_section(inbox.answers_section, order=14)
    # After every step that plans intakes and owners: it answers on their messages.
    seed_step(seed_participant_messages)


from app.messaging import views  # noqa: E402,F401  (routes on bp)
