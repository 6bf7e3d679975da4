"""``flask --app safeguard transfer keys | send | receive``: the school's key, and packages as files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup

from safeguard.core.extensions import db
from safeguard.schools.models import School
from safeguard.schools.services import find_school
from safeguard.transfers import services, store

transfer_cli = AppGroup("transfer", help="Send and receive children's safeguarding files between schools.")


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _school(code: str) -> School:
    school = find_school(code)
    if school is None:
        _fail(f"no school has the code {code!r}")
    return school


@transfer_cli.command("keys")
@click.option("--school", "code", required=True, help="The school's code.")
def keys(code: str) -> None:
    """Print this school's public key and its fingerprint (the key is made on first use)."""
    key = services.public_key(_school(code).id)
    db.session.commit()
    click.echo(f"public key: {key.key}")
    click.echo(f"fingerprint: {key.fingerprint}")


@transfer_cli.command("send")
@click.argument("upn")
@click.option("--school", "code", required=True, help="The sending school's code.")
@click.option("--to-name", required=True, help="The receiving school's name.")
@click.option("--to-key", required=True, help="The receiving school's public key (checked with them by fingerprint).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The package file to write.")
def send(upn: str, code: str, to_name: str, to_key: str, output: str) -> None:
    """Write a signed, encrypted package of a child's file for the receiving school."""
    school = _school(code)
    pupil = store.pupil_by_upn(school.id, upn.strip())
    if pupil is None:
        _fail(f"no pupil at {school.code} has the UPN {upn!r}")
    try:
        built = services.send_file(pupil, None, to_name, to_key)
    except (services.TransferError, services.PackageError) as error:
        _fail(str(error))
    try:
        Path(output).write_bytes(built.data)
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror}")
    db.session.commit()
    fingerprint = services.describe_key(to_key).fingerprint
    click.echo(f"Wrote {output}: the file of {pupil.upn} ({built.concerns} concerns) for {to_name}, key {fingerprint}")


@transfer_cli.command("receive")
@click.argument("package", type=click.Path(exists=True, dir_okay=False))
@click.option("--school", "code", required=True, help="The receiving school's code.")
@click.option("--from-key", required=True, help="The sending school's public key (checked with them by fingerprint).")
def receive(package: str, code: str, from_key: str) -> None:
    """Check a package from the sending school and import it."""
    school = _school(code)
    try:
        result = services.receive_file(school, Path(package).read_bytes(), from_key)
    except (services.TransferError, services.PackageError) as error:
        _fail(str(error))
    db.session.commit()
    click.echo(f"UPN: {result.upn}")
    click.echo(f"concerns imported: {result.concerns}")
