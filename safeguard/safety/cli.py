"""``flask --app safeguard doctor``: the safety check from the command line, for monitoring."""

from __future__ import annotations

import sys

import click

from safeguard.safety import services

MARKS = {services.Status.OK: "ok     ", services.Status.WARNING: "warning", services.Status.PROBLEM: "PROBLEM"}


@click.command("doctor")
@click.option("--school", "school_code", default=None, help="Check one school (its code); all schools by default.")
def doctor(school_code: str | None) -> None:
    """Check that every concern can reach someone who can act on it (DSL cover, the head, second factors, the
    worker's heartbeat, e-mail, overdue acknowledgements); exit 1 when something is wrong."""
    schools = services.all_schools()
    if school_code:
        schools = [school for school in schools if school.code == school_code.strip().upper()]
        if not schools:
            click.echo(f"Error: no school has the code {school_code!r}", err=True)
            sys.exit(2)
    if not schools:
        click.echo("PROBLEM  no school exists: create one with flask --app safeguard school create")
        sys.exit(1)
    failed = False
    for school in schools:
        checks = services.school_checks(school)
        click.echo(f"{school.code} {school.name}")
        for check in checks:
            click.echo(f"  {MARKS[check.status]}  {check.name}: {check.summary}")
            for line in check.details:
                click.echo(f"             {line}")
        failed = failed or services.failing(checks)
    click.echo("Something is wrong: see PROBLEM above." if failed else "Every concern can reach someone who can act.")
    sys.exit(1 if failed else 0)
