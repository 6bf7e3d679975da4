"""``flask --app safeguard export ...`` and ``verify-pdf``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy import select

from safeguard.concerns.models import Concern
from safeguard.core.extensions import db
from safeguard.exports import services
from safeguard.pupils.models import Pupil
from safeguard.schools.services import find_school

export_cli = AppGroup("export", help="Export PDF documents for outside agencies.")
REASON = click.option(
    "--reason", default="Exported from the command line", show_default=True, help="Kept in the audit log."
)


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _write(exported: services.ExportedFile, output: str) -> None:
    try:
        Path(output).write_bytes(exported.pdf)
    except OSError as error:
        db.session.rollback()
        _fail(f"cannot write {output}: {error.strerror}")
    db.session.commit()
    click.echo(f"Wrote {output} ({len(exported.pdf):,} bytes), verification digest {exported.export.digest[:20]}")


def _school(code: str):
    school = find_school(code)
    if school is None:
        _fail(f"no school has the code {code!r}")
    return school


def _pupil(upn: str, code: str) -> Pupil:
    school = _school(code)
    pupil = db.session.scalar(select(Pupil).where(Pupil.school_id == school.id, Pupil.upn == upn.strip().upper()))
    if pupil is None:
        _fail(f"no pupil with UPN {upn} at {school.code}")
    return pupil


@export_cli.command("concern")
@click.argument("reference")
@click.option("-o", "--output", required=True, help="The PDF file to write.")
@REASON
def export_concern(reference: str, output: str, reason: str) -> None:
    """Export the concern report for REFERENCE (for example OAK-2026-0042)."""
    concern = db.session.scalar(select(Concern).where(Concern.reference == reference.strip().upper()))
    if concern is None:
        _fail(f"no concern has the reference {reference!r}")
    _write(services.export_concern(concern, None, reason), output)


@export_cli.command("pupil")
@click.argument("upn")
@click.option("--school", "code", required=True)
@click.option("-o", "--output", required=True)
@click.option("--include-other-children", is_flag=True, help="Do not redact other children's names.")
@REASON
def export_pupil(upn: str, code: str, output: str, include_other_children: bool, reason: str) -> None:
    """Export the child's safeguarding file."""
    _write(services.export_child_file(_pupil(upn, code), None, reason, include_other_children), output)


@export_cli.command("transfer")
@click.argument("upn")
@click.option("--school", "code", required=True)
@click.option("--to", "to_school", required=True, help="The receiving school.")
@click.option("--method", default="Secure transfer", show_default=True, help="How the file is sent.")
@click.option("-o", "--output", required=True)
@REASON
def export_transfer(upn: str, code: str, to_school: str, method: str, output: str, reason: str) -> None:
    """Record the transfer and export the transfer record with its receipt page."""
    try:
        exported = services.export_transfer(_pupil(upn, code), None, to_school, method, reason)
    except services.ExportError as error:
        _fail(str(error))
    _write(exported, output)


@export_cli.command("summary")
@click.option("--school", "code", required=True)
@click.option("--from", "period_from", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "period_to", required=True, help="Last day, YYYY-MM-DD.")
@click.option("-o", "--output", required=True)
@REASON
def export_summary(code: str, period_from: str, period_to: str, output: str, reason: str) -> None:
    """Export the period summary (no child is named)."""
    school = _school(code)
    try:
        start, end = date.fromisoformat(period_from), date.fromisoformat(period_to)
    except ValueError:
        _fail("dates must be written YYYY-MM-DD")
    try:
        exported = services.export_summary(school, None, start, end, reason)
    except services.ExportError as error:
        _fail(str(error))
    _write(exported, output)


@click.command("verify-pdf")
@click.argument("file", type=click.Path(dir_okay=False))
def verify_pdf(file: str) -> None:
    """Say whether FILE is an unaltered export that matches the record as held now (exit 0 only if so)."""
    try:
        data = Path(file).read_bytes()
    except OSError as error:
        click.echo(f"Error: cannot read {file}: {error.strerror}", err=True)
        sys.exit(2)
    if not data.startswith(b"%PDF"):
        click.echo(f"Error: {file} is not a PDF", err=True)
        sys.exit(2)
    result = services.verify(data)
    click.echo(result.message)
    sys.exit(0 if result.outcome == "matches" else 1)
