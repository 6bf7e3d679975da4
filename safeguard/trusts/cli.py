"""``flask --app safeguard trust ...``: trusts and their schools, and accounts' roles in other schools."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from safeguard.auth import approvals
from safeguard.auth import services as auth_services
from safeguard.auth import store as auth_store
from safeguard.auth.models import parse_roles
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.schools import services as school_services
from safeguard.trusts import store

trust_cli = AppGroup("trust", help="Trusts, their schools, and accounts working in several schools.")


def _fail(message: str) -> None:
    raise click.ClickException(message)


@trust_cli.command("create")
@click.argument("name")
def trust_create(name: str) -> None:
    """Create a trust."""
    name = name.strip()
    if not name or len(name) > 200:
        _fail("a trust's name is 1 to 200 characters")
    if store.trust_named(name) is not None:
        _fail(f"a trust named {name!r} exists already")
    store.add_trust(name, utcnow())
    db.session.commit()
    click.echo(f"Created trust {name}")


@trust_cli.command("add-school")
@click.option("--trust", "trust_name", required=True, help="The trust's name.")
@click.option("--school", "school_code", required=True, help="The school's code.")
def trust_add_school(trust_name: str, school_code: str) -> None:
    """Put a school in a trust (out of any other trust)."""
    trust = store.trust_named(trust_name.strip())
    school = school_services.find_school(school_code)
    if trust is None:
        _fail(f"no trust is named {trust_name!r}")
    if school is None:
        _fail(f"no school has the code {school_code!r}")
    assert trust is not None and school is not None  # noqa: S101 (for the type checker: _fail raised)
    store.set_trust(school.id, trust.id)
    db.session.commit()
    click.echo(f"{school.code} is in {trust.name}")


@trust_cli.command("member")
@click.option("--email", required=True, help="The account's e-mail address.")
@click.option("--school", "school_code", required=True, help="The other school's code.")
@click.option("--role", required=True, help="Its roles there (staff, dsl, head, admin, trust_lead), or none.")
@click.option(
    "--break-glass",
    is_flag=True,
    help="Give or take the DSL, head or chair role without a second person (with --reason; audited, and the "
    "school's DSL team and head are alerted).",
)
@click.option("--reason", default="", help="Why, with --break-glass (kept in the audit log).")
def trust_member(email: str, school_code: str, role: str, break_glass: bool, reason: str) -> None:
    """Give an account roles in a school other than its own (a DSL covering two schools), or take them away.

    Granting or removing the DSL, head or chair role takes two people in the app; here, as with ``user roles``, only
    with --break-glass and a reason."""
    user = auth_services.find_user_by_email(email)
    school = school_services.find_school(school_code)
    if user is None:
        _fail(f"no account has the e-mail address {email!r}")
    if school is None:
        _fail(f"no school has the code {school_code!r}")
    assert user is not None and school is not None  # noqa: S101 (for the type checker: _fail raised)
    try:
        roles = set() if role.strip().lower() == "none" else parse_roles(role)
        before = auth_store.member_roles(user.id, school.id)
        if school.id != user.home_school_id and approvals.roles_need_two_people(before, roles):
            if not break_glass:
                _fail(
                    "granting or removing the DSL, head or chair role takes two people: ask for it in the app, or "
                    'act alone with --break-glass --reason "…" (audited; the school\'s DSL team and head are alerted)'
                )
            approvals.break_glass_school_roles(user, school, roles, reason)
        else:
            auth_services.set_school_roles(user, school, roles, actor=None)
    except (ValueError, auth_services.AccountError) as error:
        _fail(str(error))
    db.session.commit()
    click.echo(f"{user.email} at {school.code}: {', '.join(sorted(r.value for r in roles)) or 'no role'}")
