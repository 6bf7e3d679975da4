"""``flask --app safeguard notify`` and ``escalate``: the worker that alerts and delivers."""

from __future__ import annotations

import contextlib
import logging
import time

import click
from sqlalchemy.exc import InterfaceError, OperationalError

from safeguard.adults.services import escalate_lado_overdue
from safeguard.audit import anchors
from safeguard.concerns.services import escalate_overdue
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.services import deliver_outbox
from safeguard.notifications.store import beat
from safeguard.pupils.services import sweep_stashed_imports
from safeguard.sar.services import alert_overdue_everywhere

logger = logging.getLogger("safeguard.notifications")


def run_once() -> tuple[int, int, int, int]:
    """Escalate overdue concerns (and allegations past the LADO's clock), report overdue subject access requests,
    deliver due e-mails, delete expired pupil imports, then record the worker's heartbeat; return (escalated, sent,
    retried, imports deleted).

    The heartbeat is written last, so that it says a whole pass ran: a worker stuck in a pass stops beating, and the
    DSLs, the head and administrators are told (see safeguard.safety).
    """
    escalated = escalate_overdue()
    escalated += escalate_lado_overdue()
    alert_overdue_everywhere(utcnow())
    db.session.commit()
    sent, retried = deliver_outbox()
    expired = sweep_stashed_imports()
    beat(utcnow())
    db.session.commit()
    _anchor()
    return escalated, sent, retried, expired


def _anchor() -> None:
    """Anchor the chains' heads outside the database (a checkpoint for each school whose chains moved). A failure
    (a key or folder that cannot be written) is logged and does not stop the alerts."""
    try:
        anchors.anchor()
    except anchors.AnchorError as error:
        logger.error("the chains could not be anchored: %s", error)
    finally:
        db.session.rollback()


# While the database cannot be reached, the worker tries again after 1, 2, 4… seconds, at most this many apart.
OUTAGE_MAX_WAIT = 60


class Outage:
    """The database could not be reached: how long to wait before trying again, and whether this outage was already
    reported (once per outage, so that a night without the database is one line in the log, not thousands)."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.wait = 1.0

    def failed(self, error: Exception) -> float:
        """Record a failed pass; the seconds to wait before the next."""
        if self.since is None:
            self.since = time.monotonic()
            # Only the kind of error: its text may carry a statement and its values.
            logger.warning("database unavailable (%s): waiting for it, and trying again", type(error).__name__)
            self.wait = 1.0
        else:
            self.wait = min(self.wait * 2, OUTAGE_MAX_WAIT)
        return self.wait

    def passed(self) -> None:
        """Record a pass that reached the database; report the end of an outage."""
        if self.since is not None:
            logger.warning("database reachable again after %.0f s: carrying on", time.monotonic() - self.since)
            self.since = None


@click.command("notify")
@click.option("--once", is_flag=True, help="Do one pass and exit (for cron).")
@click.option("--interval", default=30, show_default=True, help="Seconds between passes.")
@click.option("--quiet", is_flag=True, help="Report only the passes that did something (make run's worker).")
def notify(once: bool, interval: int, quiet: bool) -> None:
    """Escalate concerns not acknowledged in time, deliver queued e-mails with retries and back-off, delete pupil
    imports left unconfirmed, and record the worker's heartbeat after each pass.

    When the database cannot be reached (a restart, a failover), the worker waits and tries again with back-off,
    reporting the outage once, and carries on when it returns; with ``--once`` it exits with status 1 instead.
    """
    outage = Outage()
    while True:
        try:
            escalated, sent, retried, expired = run_once()
        except (OperationalError, InterfaceError) as error:
            with contextlib.suppress(OperationalError, InterfaceError):
                db.session.rollback()
            if once:
                raise click.ClickException("the database cannot be reached; nothing was sent") from None
            time.sleep(outage.failed(error))
            continue
        outage.passed()
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
