"""Command-line interface under ``flask --app safeguard``.

Bad input prints a one-line error and exits non-zero; each command commits once, at its end.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup

from safeguard.api.cli import api_token_cli
from safeguard.audit.cli import audit_cli
from safeguard.auth import approvals
from safeguard.auth import services as auth_services
from safeguard.auth.cli import sso_cli
from safeguard.auth.models import parse_roles
from safeguard.core.extensions import db
from safeguard.exports.cli import export_cli, verify_pdf
from safeguard.mis.cli import mis_cli
from safeguard.notifications.cli import escalate, notify
from safeguard.pupils.cli import pupils_cli
from safeguard.retention.cli import retention_cli
from safeguard.safety.cli import doctor
from safeguard.schools import services as school_services
from safeguard.terminology.cli import terminology_cli
from safeguard.transfers.cli import transfer_cli
from safeguard.trusts.cli import trust_cli


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


school_cli = AppGroup("school", help="Create and list schools.")
user_cli = AppGroup("user", help="Create user accounts.")


@school_cli.command("create")
@click.option("--name", required=True, help="The school's name.")
@click.option("--code", required=True, help="2 to 6 capital letters, used in concern references (e.g. OAK).")
def school_create(name: str, code: str) -> None:
    """Create a school."""
    try:
        school = school_services.create_school(name, code)
    except school_services.SchoolError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Created school {school.code}: {school.name}")


@school_cli.command("list")
def school_list() -> None:
    """List the schools in this deployment."""
    from sqlalchemy import select

    from safeguard.schools.models import School

    for school in db.session.scalars(select(School).order_by(School.code)):
        click.echo(f"{school.code}\t{school.name}")


@user_cli.command("create")
@click.option("--school", "school_code", required=True, help="The school's code.")
@click.option("--email", required=True)
@click.option("--name", required=True, help="The name shown to colleagues.")
@click.option("--role", required=True, help="staff, dsl, head or admin; several separated by commas (admin,dsl).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one.")
def user_create(school_code: str, email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a user; without --password-stdin a one-time password is printed, to be changed at first sign-in."""
    school = school_services.find_school(school_code)
    if school is None:
        fail(f"no school has the code {school_code!r}")
    try:
        roles = parse_roles(role)
    except ValueError as error:
        fail(str(error))
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user, generated = auth_services.create_user(school, email, name, roles, password=password)
    except auth_services.AccountError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role_summary}) at {school.code}")
    if generated:
        click.echo(f"One-time password (to be changed at first sign-in): {generated}")


def _school_user(school_code: str, email: str):
    """The account with ``email`` in the school with ``school_code``, or a one-line error."""
    school = school_services.find_school(school_code)
    if school is None:
        fail(f"no school has the code {school_code!r}")
    user = auth_services.find_user_by_email(email)
    if user is None or user.school_id != school.id:
        fail(f"{school.code} has no account with the e-mail address {email!r}")
    return user


@user_cli.command("deactivate")
@click.option("--school", "school_code", required=True, help="The school's code.")
@click.option("--email", required=True)
def user_deactivate(school_code: str, email: str) -> None:
    """Deactivate an account (everything the person recorded is kept); the school's last active DSL is refused."""
    user = _school_user(school_code, email)
    try:
        auth_services.set_active(user, False, actor=None)
    except auth_services.AccountError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Deactivated {user.email} at {user.school.code}")


@user_cli.command("reactivate")
@click.option("--school", "school_code", required=True, help="The school's code.")
@click.option("--email", required=True)
def user_reactivate(school_code: str, email: str) -> None:
    """Reactivate an account."""
    user = _school_user(school_code, email)
    auth_services.set_active(user, True, actor=None)
    db.session.commit()
    click.echo(f"Reactivated {user.email} at {user.school.code}")


@user_cli.command("roles")
@click.option("--school", "school_code", required=True, help="The school's code.")
@click.option("--email", required=True)
@click.option("--role", required=True, help="The roles the account holds from now on (admin,dsl).")
@click.option(
    "--break-glass",
    is_flag=True,
    help="Grant or remove the DSL or head role alone, without a second person's approval (audited; the DSL team is "
    "told). Needs --reason.",
)
@click.option("--reason", default="", help="Why: kept with the request, or in the audit log with --break-glass.")
def user_roles(school_code: str, email: str, role: str, break_glass: bool, reason: str) -> None:
    """Set an account's roles. Granting or removing the DSL or head role is only proposed, for the head (or, for the
    head's own account, an administrator and the chair of governors) to approve in the app, unless --break-glass.
    Taking the DSL role from the school's last active DSL is refused."""
    user = _school_user(school_code, email)
    try:
        roles = parse_roles(role)
        if break_glass and approvals.roles_need_two_people(user.roles, roles):
            approvals.break_glass_roles(user, roles, reason)
            request = None
        else:
            request = approvals.change_roles(user, roles, actor=None, reason=reason)
    except (ValueError, auth_services.AccountError) as error:
        fail(str(error))
    db.session.commit()
    if request is not None:
        click.echo(
            f"Proposed (request {request.id}): {user.email} at {user.school.code} to hold {', '.join(request.roles_after)}."
            f" It is made once {' and '.join(approvals.waiting_for(request))} approve it in Safeguard (School → "
            "Account approvals); the DSL team has been told."
        )
        return
    click.echo(f"{user.email} at {user.school.code} now holds: {user.role_summary}")


@click.command("demo")
def demo() -> None:
    """Create the demo school with one user of each role (idempotent) and print the logins."""
    from safeguard.app.demo import (
        DEMO_TRUST,
        adult_concern_references,
        body_map_reference,
        restricted_reference,
        retention_line,
        seed_demo,
    )

    if current_app.config.get("PRODUCTION"):
        fail("the demo school is for trying Safeguard out, not for a production deployment")
    logins = seed_demo()
    db.session.commit()
    click.echo("Demo school: Oakfield Primary School (OAK)")
    for email, role, password, key in logins:
        line = f"  {role:<6} {email:<22} {password}"
        click.echo(line + (f"   two-factor key {key}" if key else ""))
    click.echo(
        "DSLs, the head and the administrator also give a code from an authenticator app: add their two-factor key "
        "to one, or print the current code with: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('KEY').now())\""
    )
    click.echo(f"{DEMO_TRUST}: OAK is in it; its trust lead's dashboard (numbers only) is at /trust/.")
    reference = body_map_reference()
    if reference:
        click.echo(f"Concern {reference} has a body map with two marks (sign in as the DSL to see it).")
    click.echo(retention_line())
    for adult_reference, track in adult_concern_references():
        what = "an allegation" if track == "allegation" else "a low-level concern"
        click.echo(
            f"Concern about an adult {adult_reference}: {what} about the demo teacher, teacher@oak.example "
            "(sign in as the head to see it; the teacher sees nothing of it)."
        )
    restricted = restricted_reference()
    if restricted:
        click.echo(f"Concern {restricted} is restricted: only the lead DSL (dsl@oak.example) and the head can see it.")


def register(app: Flask) -> None:
    """Attach every command group to the app."""
    app.cli.add_command(school_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(demo)
    app.cli.add_command(notify)
    app.cli.add_command(escalate)
    app.cli.add_command(export_cli)
    app.cli.add_command(verify_pdf)
    app.cli.add_command(terminology_cli)
    app.cli.add_command(pupils_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(doctor)
    app.cli.add_command(retention_cli)
    app.cli.add_command(transfer_cli)
    app.cli.add_command(trust_cli)
    app.cli.add_command(sso_cli)
    app.cli.add_command(api_token_cli)
    app.cli.add_command(mis_cli)


def main() -> None:
    """Entry point of the ``safeguard`` console script: the Flask CLI bound to this app."""
    from safeguard import create_app

    FlaskGroup(create_app=create_app)()
