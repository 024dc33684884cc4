"""`flask mail failed` and `flask mail retry`: given-up e-mail for the operator."""

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.timeutil import local_datetime
from app.extensions import db
from app.notifications.service import given_up_query, retry_given_up

mail_cli = AppGroup("mail", help="E-mail die niet verstuurd kon worden.")


@mail_cli.command("failed")
def failed_command():
    """Toon de e-mail die is opgegeven, met de fout."""
    notes = db.session.scalars(given_up_query()).all()
    for note in notes:
        tried = local_datetime(note.first_attempt_at).strftime("%Y-%m-%d %H:%M") \
            if note.first_attempt_at else "-"
        to = note.email or note.phone
        click.echo(f"{note.id}\t{note.kind}\t{to}\t{note.attempts} tries from "
                   f"{tried}\t{note.subject}\t{note.last_error or ''}")
    if not notes:
        click.echo("no given-up mail")


@mail_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "all_", is_flag=True, help="Alle opgegeven e-mail opnieuw proberen.")
def retry_command(ids: tuple[int, ...], all_: bool):
    """Probeer opgegeven e-mail opnieuw (ID ... of --all) bij de volgende verzendronde."""
    if not ids and not all_:
        raise click.UsageError("geef een of meer ID's, of --all")
    count = retry_given_up(None if all_ else ids)
    db.session.commit()
    click.echo(f"{count} message(s) queued again")
    if ids and count < len(set(ids)):
        raise click.ClickException("some ids are not given-up mail (see `flask mail failed`)")


def register(app: Flask) -> None:
    app.cli.add_command(mail_cli)
