"""``flask --app safeguard mis sync``: pull pupils and staff from the school's MIS broker (Wonde)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from safeguard.core.extensions import db
from safeguard.mis import services, wonde
from safeguard.schools.services import find_school

mis_cli = AppGroup("mis", help="Pull pupils and staff from the school's MIS broker.")


@mis_cli.command("sync")
@click.option("--school", "code", required=True, help="The school's code.")
@click.option("--full", is_flag=True, help="Read every record, not only those changed since the last sync.")
def sync(code: str, full: bool) -> None:
    """Read the broker's students, contacts and employees, and apply them (all, or nothing if any is bad)."""
    school = find_school(code)
    if school is None:
        click.echo(f"Error: no school has the code {code!r}", err=True)
        sys.exit(1)
    config = current_app.config
    if not config.get("WONDE_SCHOOL_ID") or not config.get("WONDE_TOKEN"):
        click.echo("Error: set WONDE_SCHOOL_ID and WONDE_TOKEN (the school's id and access token at Wonde)", err=True)
        sys.exit(2)
    broker = wonde.Broker(str(config["WONDE_BASE_URL"]), str(config["WONDE_SCHOOL_ID"]), str(config["WONDE_TOKEN"]))
    try:
        result = wonde.sync(school, broker, full=full)
    except wonde.BrokerError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(3)
    except services.BatchRejected as rejected:
        for problem in rejected.problems:
            click.echo(f"{problem.pointer}: {problem.detail}", err=True)
        click.echo(f"Nothing applied: {rejected}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(
        f"Synced {school.code} from Wonde: pupils {result.pupils.created} added, {result.pupils.updated} changed, "
        f"{result.pupils.left} marked as left; staff {result.staff.created} added, {result.staff.updated} changed, "
        f"{result.staff.left} deactivated."
    )
