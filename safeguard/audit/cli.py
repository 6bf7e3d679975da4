"""``flask --app safeguard audit verify`` and ``audit anchor``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from safeguard.audit import anchors
from safeguard.core.extensions import db

audit_cli = AppGroup("audit", help="Check the tamper-evident audit log and records, and anchor them.")


@audit_cli.command("verify")
def verify() -> None:
    """Check every school's audit chain and records chain (each concern's account and chronology) row by row and
    against the signed checkpoints; report the first row of each that does not match, and exit 1 if any."""
    result = anchors.verify()
    for link in result.broken:
        where = f"row {link.seq}" + (f" (id {link.event_id})" if link.event_id else "")
        click.echo(f"{link.log} chain {link.chain}: {where} does not match: {link.reason}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.broken:
        sys.exit(1)
    click.echo(
        f"{result.audit_rows:,} audit rows and {result.record_rows:,} record rows checked against "
        f"{result.checkpoints:,} checkpoints: every link holds."
    )


@audit_cli.command("anchor")
def anchor() -> None:
    """Append a signed checkpoint of each school's chains (their last rows and hashes) to instance/anchors/."""
    try:
        written = anchors.anchor()
    except anchors.AnchorError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    db.session.rollback()
    for checkpoint in written:
        click.echo(
            f"school {checkpoint.chain}: {checkpoint.describe()}"
            if checkpoint.chain
            else f"deployment: {checkpoint.describe()}"
        )
    click.echo(f"{len(written)} checkpoint{'' if len(written) == 1 else 's'} written to {anchors.folder()}.")
