"""The provider's webhooks: delivery status of what we sent, and answers that come in.

Machines call these, not people: no sign-in and no CSRF token, but a signature the gateway
checks before anything in the request is believed (a forged or unsigned request: 403,
nothing stored), and a limit per calling address. Every sender of an answer gets the same
empty reply, so the webhook never tells whether a number belongs to somebody.
"""

import hashlib
import logging

from flask import Response, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from app.auth.session import public
from app.core.db import utcnow
from app.extensions import csrf, db
from app.messaging import bp

log = logging.getLogger(__name__)

# The services are imported in the views: this module is loaded with the package's models,
# and the participants service must not pull in the check-ins and referrals services.


def _address_bucket(address: str | None) -> str:
    # Hashed with the app's secret, as the public form does: no IP address is stored.
    secret = current_app.config["SECRET_KEY"]
    return "webhook:" + hashlib.sha256(f"{secret}:{address or '-'}".encode()).hexdigest()[:40]


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _handle(provider: str, handle) -> Response:
    """Rate limit, signature, then `handle(gateway, now)`; one commit, whatever happened
    (the rate-limit count of a refused request counts too)."""
    from app.api.service import over_limit
    from app.messaging.gateway import get_gateway

    gateway = get_gateway()
    if gateway.name != provider:
        abort(404)  # this provider is not the one in use: its webhook does not exist
    now = utcnow()
    limit, window = current_app.config.get("MESSAGE_WEBHOOK_RATE_LIMIT", (300, 60))
    wait = over_limit(_address_bucket(request.remote_addr), limit, window, now)
    if wait is not None:
        response = _plain("too many requests", 429)
        response.headers["Retry-After"] = str(wait)
    elif not gateway.verify(request):
        # The usual cause when every callback is refused: HOUVAST_BASE_URL is not the address
        # the provider calls (the signature covers that address).
        log.warning("%s webhook %s refused: no valid signature for %s", provider,
                    request.path, current_app.config.get("HOUVAST_BASE_URL"))
        response = _plain("invalid signature", 403)
    else:
        response = handle(gateway, now)
    db.session.commit()
    return response


@bp.post("/webhook/twilio/status")
@csrf.exempt
@public
def twilio_status():
    from app.messaging import service

    def handle(gateway, now):
        for update in gateway.parse_status(request):
            service.apply_status(update.provider_message_id, update.status, now, update.error)
        return Response(status=204)

    return _handle("twilio", handle)


@bp.post("/webhook/twilio/inbound")
@csrf.exempt
@public
def twilio_inbound():
    from app.messaging import answers

    def handle(gateway, now):
        for inbound in gateway.parse_inbound(request):
            answers.receive(inbound, "twilio", now)
        # Empty TwiML: no automatic reply, the same for a known and an unknown number.
        return Response(str(MessagingResponse()), status=200, mimetype="text/xml")

    return _handle("twilio", handle)
