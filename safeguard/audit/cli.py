"""``flask --app safeguard audit verify``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from safeguard.audit.services import verify_chains

audit_cli = AppGroup("audit", help="Check the tamper-evident audit log.")


@audit_cli.command("verify")
def verify() -> None:
    """Check every school's audit chain; report the first broken link of each and exit 1 if any."""
    checked, broken = verify_chains()
    for link in broken:
        click.echo(f"chain {link.chain}: row {link.seq} (id {link.event_id}) is broken: {link.reason}", err=True)
    if broken:
        sys.exit(1)
    click.echo(f"{checked:,} audit rows checked: every link holds.")
