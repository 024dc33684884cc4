from flask import Blueprint

bp = Blueprint("messaging", __name__, url_prefix="/berichten-deelnemer")


def connect_hooks() -> None:
    """SMS and WhatsApp in the ledger's delivery, and the guards every message passes."""
    # Imported here, as in the other features: the services import models of this package.
    from app.messaging import service, twilio

    service.connect()
    twilio.connect()


from app.messaging import views  # noqa: E402,F401  (routes on bp)
