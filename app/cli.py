"""Operator commands: `flask create-user`, `flask seed-demo`, `flask jobs ...`,
`flask backup`, `flask restore`."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import upgrade

from app.admin.models import Location
from app.auth.models import ROLES, Role
from app.auth.passwords import MIN_LENGTH, password_problem
from app.auth.service import create_user, find_user_by_email
from app.core.backup import BackupError, backup, restore
from app.core.timeutil import utcnow
from app.extensions import db
from app.messaging.cli import register as register_messages
from app.notifications.cli import register as register_mail
from app.partners.models import Partner
from app.seed import register as register_seed
from jobs.cli import register as register_jobs


def _check_password(ctx, param, value):

    # Also runs on a typed password, so the prompt asks again instead of failing at the end.
    if value is not None and len(value) < MIN_LENGTH:
        raise click.BadParameter(f"Het wachtwoord moet minstens {MIN_LENGTH} tekens zijn.")
    # The same rules as on the set-password page (common lists, not the e-mail or name).
    problem = value and password_problem(value, email=ctx.params.get("email"),
                                         name=ctx.params.get("name"))
    if problem:
        raise click.BadParameter(problem)
    return value


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True, help="E-mailadres (inlognaam).")
    @click.option("--name", required=True, help="Volledige naam.")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--location", "locations", multiple=True,
                  help="Naam van een vestiging; mag vaker.")
    @click.option("--partner", "partner_name",
                  help="Naam van de partnerorganisatie (nodig bij rol partner).")
    @click.option("--password", prompt="Wachtwoord", hide_input=True,
                  confirmation_prompt="Herhaal het wachtwoord", callback=_check_password,
                  help="Wordt gevraagd als u het weglaat.")
    def create_user_command(email, name, role, locations, partner_name, password):
        """Maak een gebruiker aan (voor beheerders van de server)."""

        if "@" not in email:
            raise click.ClickException(f"'{email}' is geen e-mailadres.")
        if find_user_by_email(email):
            raise click.ClickException(f"Er is al een gebruiker met e-mailadres {email}.")
        found = []
        for loc_name in locations:
            loc = db.session.scalar(sa.select(Location).where(Location.name == loc_name))
            if loc is None:
                raise click.ClickException(f"Vestiging '{loc_name}' bestaat niet.")
            found.append(loc)
        partner = None
        if role == Role.PARTNER:
            if not partner_name:
                raise click.ClickException("Geef bij rol partner ook --partner NAAM.")
            partner = db.session.scalar(sa.select(Partner).where(Partner.name == partner_name))
            if partner is None:
                raise click.ClickException(f"Partner '{partner_name}' bestaat niet.")
        user = create_user(email=email, name=name, role=role, locations=found, partner=partner,
                           password=password)
        db.session.commit()
        click.echo(f"Gebruiker aangemaakt: {user.email} ({user.role})")


    @app.cli.command("backup")
    @click.argument("folder", required=False,
                    type=click.Path(file_okay=False, path_type=Path))
    @click.option("--keep", type=click.IntRange(min=1),
                  help="Hoeveel backups bewaard blijven (standaard HOUVAST_BACKUP_KEEP).")
    def backup_command(folder, keep):
        """Schrijf een backup van de database in FOLDER (standaard HOUVAST_BACKUP_DIR)."""
        folder = folder or current_app.config.get("HOUVAST_BACKUP_DIR")
        if not folder:
            raise click.UsageError("Geef een map, of zet HOUVAST_BACKUP_DIR.")
        try:
            written = backup(Path(folder), now=utcnow(),
                             keep=keep or current_app.config["HOUVAST_BACKUP_KEEP"])
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Backup geschreven: {written}")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def restore_command(file):
        """Zet de backup FILE terug in een lege installatie."""
        try:
            restore(file)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        # A backup of an older version gets this version's tables.
        upgrade()
        click.echo(f"Backup teruggezet: {file}")

    register_seed(app)

    register_jobs(app)
    register_mail(app)
    register_messages(app)
