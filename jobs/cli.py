"""`flask jobs run` and `flask jobs tick --at`."""

import sys
from datetime import UTC, datetime

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import AppGroup

from app.core.timeutil import local_datetime, local_tz, utcnow
from app.core.urls import base_url
from jobs.scheduler import build_scheduler, hold_process_lock
from jobs.sweeps import run_all

# The exit status of `jobs run` when its lock was lost (3 is a configuration error).
LOCK_LOST_EXIT = 4

jobs_cli = AppGroup("jobs", help="De planner: herinneringen, signalen en e-mail.")


def parse_moment(value: str) -> datetime:
    """An ISO time; without a zone it is local time in HOUVAST_TIMEZONE (DST-correct)."""


    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            "gebruik een ISO-tijd, bijvoorbeeld 2026-11-23T07:00") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_tz())
    return moment.astimezone(UTC)


@jobs_cli.command("tick")
@click.option("--at", "at", metavar="ISO-TIJD",
              help="Doe alsof het dit moment is, bv. 2026-11-23T07:00 (lokale tijd). "
                   "Zonder --at: nu.")
def tick_command(at: str | None):
    """Voer elke taak één keer uit en toon wat er is verstuurd."""

    now = parse_moment(at) if at else utcnow()
    click.echo(f"tick at {local_datetime(now).isoformat()} ({now.isoformat()})")
    lines = run_all(now)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("nothing to send")


@jobs_cli.command("run")
@click.option("--dry-run", is_flag=True,
              help="Neem het slot, toon de planning en stop (voor controle).")
def run_command(dry_run: bool):
    """Start de planner als eigen proces (productie). Een tweede planner wacht."""

    lock = hold_process_lock(on_wait=lambda: click.echo(
        "Another scheduler is running; waiting for its lock ...", err=True))
    try:

        app = current_app._get_current_object()
        if not (app.config.get("HOUVAST_BASE_URL") or app.config.get("HOUVAST_SERVED_AT")):
            # This process serves no pages, so it cannot know the public address.
            app.logger.warning("HOUVAST_BASE_URL is not set: links in messages lead to %s",
                               base_url())
        scheduler = build_scheduler(app, BlockingScheduler, lock)
        for line in describe_schedule(scheduler):
            click.echo(line)
        if dry_run:
            return
        click.echo("Scheduler started; stop with Ctrl+C.")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
    finally:
        lock.release()
    if lock.lost:
        # Non-zero, so systemd/supervisor restarts it and the new process waits for the lock.
        sys.exit(LOCK_LOST_EXIT)


def describe_schedule(scheduler) -> list[str]:
    lines = []
    for job in scheduler.get_jobs():
        lines.append(f"job {job.id}: {job.trigger}")
    return lines


def register(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
