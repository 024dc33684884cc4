"""`flask messages receive`: an answer coming in, for development with the outbox gateway
(which has no webhooks: nothing outside may post to it)."""

import uuid

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.phone import normalise_phone
from app.core.timeutil import utcnow
from app.extensions import db
from app.messaging.answers import receive
from app.messaging.gateway import Inbound
from app.messaging.handlers import effect

messages_cli = AppGroup("messages", help="Berichten aan deelnemers (ontwikkeling).")


@messages_cli.command("receive")
@click.option("--from", "from_phone", required=True, help="Nummer van de afzender.")
@click.option("--channel", type=click.Choice(["sms", "whatsapp"]), default="sms",
              show_default=True)
@click.argument("text", nargs=-1, required=True)
def receive_command(from_phone: str, channel: str, text: tuple[str, ...]):
    """Doe alsof er een antwoord binnenkomt (TEXT) van dit nummer."""
    phone = normalise_phone(from_phone)
    if phone is None:
        raise click.BadParameter(f"'{from_phone}' is geen telefoonnummer.",
                                 param_hint="--from")
    body = " ".join(text)
    row = receive(Inbound(f"cli-{uuid.uuid4().hex}", channel, phone, body), "outbox", utcnow())
    db.session.commit()
    who = row.participant.full_name if row.participant is not None else "onbekend nummer"
    click.echo(f"Antwoord {row.id} van {who} ({phone}, {channel}): {row.meaning}")
    click.echo(effect(row))


def register(app: Flask) -> None:
    app.cli.add_command(messages_cli)
