from flask import Blueprint

bp = Blueprint("messaging", __name__, url_prefix="/berichten-deelnemer")


def connect_hooks() -> None:
    """SMS and WhatsApp in the ledger's delivery, and the guards every message passes."""
    # Imported here, as in the other features: the services import models of this package.
    from app.messaging import kinds, service, twilio

    service.connect()
    twilio.connect()
    # What is sent when: the first meetings follow the trajectory events; every kind's
    # delivery guard stops a message whose appointment or meeting is gone.
    kinds.connect()


from app.messaging import views  # noqa: E402,F401  (routes on bp)
