"""``flask --app safeguard notify`` and ``escalate``: the worker that alerts and delivers."""

from __future__ import annotations

import time

import click

from safeguard.concerns.services import escalate_overdue
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.services import deliver_outbox
from safeguard.notifications.store import beat
from safeguard.pupils.services import sweep_stashed_imports


def run_once() -> tuple[int, int, int, int]:
    """Escalate overdue concerns, deliver due e-mails, delete expired pupil imports, then record the worker's
    heartbeat; return (escalated, sent, retried, imports deleted).

    The heartbeat is written last, so that it says a whole pass ran: a worker stuck in a pass stops beating, and the
    DSLs, the head and administrators are told (see safeguard.safety).
    """
    escalated = escalate_overdue()
    db.session.commit()
    sent, retried = deliver_outbox()
    expired = sweep_stashed_imports()
    beat(utcnow())
    db.session.commit()
    return escalated, sent, retried, expired


@click.command("notify")
@click.option("--once", is_flag=True, help="Do one pass and exit (for cron).")
@click.option("--interval", default=30, show_default=True, help="Seconds between passes.")
@click.option("--quiet", is_flag=True, help="Report only the passes that did something (make run's worker).")
def notify(once: bool, interval: int, quiet: bool) -> None:
    """Escalate concerns not acknowledged in time, deliver queued e-mails with retries and back-off, delete pupil
    imports left unconfirmed, and record the worker's heartbeat after each pass."""
    while True:
        escalated, sent, retried, expired = run_once()
        if not quiet or escalated or sent or retried or expired:
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
