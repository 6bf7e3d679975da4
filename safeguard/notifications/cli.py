"""``flask --app safeguard notify`` and ``escalate``: the worker that alerts and delivers."""

from __future__ import annotations

import time

import click

from safeguard.concerns.services import escalate_overdue
from safeguard.core.extensions import db
from safeguard.notifications.services import deliver_outbox
from safeguard.pupils.services import sweep_stashed_imports


def run_once() -> tuple[int, int, int, int]:
    """Escalate overdue concerns, deliver due e-mails, then delete expired pupil imports; return (escalated, sent,
    retried, imports deleted)."""
    escalated = escalate_overdue()
    db.session.commit()
    sent, retried = deliver_outbox()
    return escalated, sent, retried, sweep_stashed_imports()


@click.command("notify")
@click.option("--once", is_flag=True, help="Do one pass and exit (for cron).")
@click.option("--interval", default=30, show_default=True, help="Seconds between passes.")
def notify(once: bool, interval: int) -> None:
    """Escalate concerns not acknowledged in time, deliver queued e-mails with retries and back-off, and delete
    pupil imports left unconfirmed."""
    while True:
        escalated, sent, retried, expired = run_once()
        click.echo(f"escalated {escalated}, sent {sent}, to retry {retried}, expired imports deleted {expired}")
        if once:
            return
        time.sleep(max(1, interval))


@click.command("escalate")
def escalate() -> None:
    """Alert all DSLs and the head about concerns not acknowledged in time (each once)."""
    count = escalate_overdue()
    db.session.commit()
    click.echo(f"escalated {count}")
