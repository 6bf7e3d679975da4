"""``flask --app safeguard api-token create``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from safeguard.api import services
from safeguard.api.scopes import parse_scopes
from safeguard.core.extensions import db
from safeguard.schools.services import find_school

api_token_cli = AppGroup("api-token", help="Make API tokens for the systems around a school.")


@api_token_cli.command("create")
@click.option("--school", "code", required=True, help="The school's code.")
@click.option("--scopes", required=True, help="Comma-separated: pupils:write, staff:write, alerts:write, alerts:read.")
@click.option("--days", type=int, default=services.DEFAULT_DAYS, show_default=True, help="Days until it expires.")
@click.option("--name", default="Command line", show_default=True, help="What system the token is for.")
def create(code: str, scopes: str, days: int, name: str) -> None:
    """Make a token and print it once, on its own last line (only its SHA-256 is kept)."""
    school = find_school(code)
    if school is None:
        click.echo(f"Error: no school has the code {code!r}", err=True)
        sys.exit(1)
    try:
        granted = parse_scopes(scopes)
        made = services.create_token(school, name, granted, days, None)
    except (ValueError, services.TokenError) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(
        f"Made an API token for {school.code} ({', '.join(s.value for s in granted)}), expiring "
        f"{made.expires_at:%Y-%m-%d}. It is shown only now: copy it into the system's settings."
    )
    click.echo(made.token)
