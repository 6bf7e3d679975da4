"""``flask --app safeguard pupils import``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from safeguard.core.extensions import db
from safeguard.pupils import services
from safeguard.schools.models import School
from safeguard.schools.services import find_school

pupils_cli = AppGroup("pupils", help="Import pupils from the school's MIS.")


@pupils_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--school", "code", help="The school's code (may be left out when there is only one school).")
@click.option("--dry-run", is_flag=True, help="Show what would change and change nothing.")
def import_pupils(file: str, code: str | None, dry_run: bool) -> None:
    """Import FILE.csv: every row is checked first; if any row is bad, nothing is imported (exit 1)."""
    if code:
        school = find_school(code)
        if school is None:
            click.echo(f"Error: no school has the code {code!r}", err=True)
            sys.exit(1)
    else:
        schools = db.session.scalars(select(School)).all()
        if len(schools) != 1:
            click.echo("Error: there are several schools: choose one with --school CODE", err=True)
            sys.exit(1)
        school = schools[0]
    try:
        data = Path(file).read_bytes()
    except OSError as error:
        click.echo(f"Error: cannot read {file}: {error.strerror}", err=True)
        sys.exit(2)
    try:
        result = (
            services.preview(school, data, date.today())
            if dry_run
            else services.apply_import(school, data, date.today(), None)
        )
    except services.ImportError_ as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    for problem in result.problems:
        click.echo(f"line {problem.line}: {problem.reason}", err=True)
    if not result.ok:
        click.echo(f"Nothing imported: {len(result.problems)} bad row(s).", err=True)
        sys.exit(1)
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} for {school.code}: {len(result.added)} added, {len(result.changed)} changed, "
        f"{result.unchanged} unchanged; {result.not_in_file} on the roll not in the file (kept as they are)."
    )
    if not dry_run:
        db.session.commit()
