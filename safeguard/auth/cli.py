"""``flask --app safeguard sso ...``: the OpenID Connect providers schools and trusts sign in with."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from safeguard.auth import oidc
from safeguard.auth import services as auth_services
from safeguard.core.extensions import db
from safeguard.schools import services as school_services
from safeguard.trusts import store as trust_store

sso_cli = AppGroup("sso", help="Single sign-on: the OpenID Connect providers schools and trusts sign in with.")


@sso_cli.command("add")
@click.option("--name", required=True, help='The words of the sign-in button: "Microsoft 365", "Google".')
@click.option("--school", "school_code", default=None, help="The school's code (or --trust).")
@click.option("--trust", "trust_name", default=None, help="The trust's name: every school of the trust.")
@click.option("--issuer", required=True, help="The provider's issuer URL (its discovery document is read there).")
@click.option("--client-id", required=True)
@click.option("--client-secret-stdin", is_flag=True, required=True, help="Read the client secret from standard input.")
@click.option("--domains", required=True, help="The e-mail domains accepted, comma-separated.")
@click.option("--provision", is_flag=True, help="Give an unknown person of an allowed domain a staff account.")
@click.option("--provider-mfa", is_flag=True, help="Accept the provider's multi-factor sign-in (amr: mfa).")
def sso_add(
    name: str,
    school_code: str | None,
    trust_name: str | None,
    issuer: str,
    client_id: str,
    client_secret_stdin: bool,
    domains: str,
    provision: bool,
    provider_mfa: bool,
) -> None:
    """Add a provider for one school or for every school of a trust; roles are never taken from it."""
    if bool(school_code) == bool(trust_name):
        raise click.ClickException("give --school or --trust (one of them)")
    school = school_services.find_school(school_code) if school_code else None
    trust = trust_store.trust_named(trust_name.strip()) if trust_name else None
    if school_code and school is None:
        raise click.ClickException(f"no school has the code {school_code!r}")
    if trust_name and trust is None:
        raise click.ClickException(f"no trust is named {trust_name!r}")
    if provision and school is None:
        raise click.ClickException("accounts are created at sign-in only for a school's own provider")
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise click.ClickException("the issuer must be an https:// address")
    secret = sys.stdin.readline().rstrip("\r\n") if client_secret_stdin else ""
    allowed = ",".join(sorted({d.strip().lower() for d in domains.split(",") if d.strip()}))
    if not secret or not allowed:
        raise click.ClickException("a client secret and at least one e-mail domain are needed")
    found = oidc.add_provider(
        {
            "name": name.strip()[:80],
            "school_id": school.id if school else None,
            "trust_id": trust.id if trust else None,
            "issuer": issuer.rstrip("/"),
            "client_id": client_id,
            "client_secret": secret,
            "allowed_domains": allowed,
            "provision_staff": provision,
            "accept_provider_mfa": provider_mfa,
        }
    )
    db.session.commit()
    click.echo(f"Added provider {found.id} ({found.name}); callback: /auth/sso/{found.id}/callback")


@sso_cli.command("password")
@click.option("--school", "school_code", required=True, help="The school's code.")
@click.option("--on/--off", "allowed", required=True, help="Allow password sign-in, or turn it off.")
def sso_password(school_code: str, allowed: bool) -> None:
    """Turn password sign-in on or off for a school's accounts (off: through the school's provider only)."""
    school = school_services.find_school(school_code)
    if school is None:
        raise click.ClickException(f"no school has the code {school_code!r}")
    trust = trust_store.trust_of(school.id)
    serving = [p for p in oidc.providers() if p.school_id == school.id or (trust and p.trust_id == trust.id)]
    if not allowed and not serving:
        raise click.ClickException("add a provider first: without one, nobody at the school could sign in")
    auth_services.set_password_sign_in(school, allowed)
    db.session.commit()
    click.echo(f"Password sign-in at {school.code}: {'on' if allowed else 'off'}")
