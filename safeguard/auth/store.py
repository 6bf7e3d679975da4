"""Statements about accounts that other features read: the people to list or to alert.

Rows are decoded by name. The queue takes its list of DSLs from here as a labelled sub-query, so that it stays one
statement while accounts keep their own rules (who is active, who holds a role).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Label, bindparam, func, select

from safeguard.auth.models import Role, User, users_with_role
from safeguard.core.extensions import db
from safeguard.core.sqltypes import json_nested, json_objects


class Person(NamedTuple):
    """A member of staff as a list shows them."""

    id: int
    display_name: str


class Recipient(NamedTuple):
    """A member of staff to alert: who, and where the e-mail goes."""

    id: int
    email: str


_DSLS = users_with_role(bindparam("school_id"), Role.DSL).with_only_columns(User.id, User.display_name)


def school_dsls(school_id: int) -> list[Person]:
    """The school's active DSLs, in name order (for assignment)."""
    return [Person(row.id, row.display_name) for row in db.session.execute(_DSLS, {"school_id": school_id})]


def dsls_column(school_id: BindParameter[Any]) -> Label[Any]:
    """The school's active DSLs as a sub-query labelled ``dsls`` (decode with :func:`people`)."""
    query = users_with_role(school_id, Role.DSL).with_only_columns(
        json_objects(id=User.id, display_name=User.display_name)
    )
    return query.order_by(None).scalar_subquery().label("dsls")


def people(value: Any) -> list[Person]:
    """The people of a :func:`dsls_column`, in name order."""
    rows = (Person(row["id"], row["display_name"]) for row in json_nested(value) or ())
    return sorted(rows, key=lambda p: (p.display_name.casefold(), p.id))


def recipients_column(school_id: BindParameter[Any], roles: Iterable[Role], label: str) -> Label[Any]:
    """The active holders of ``roles`` in a school, with their e-mail address, as a labelled sub-query."""
    queries = [users_with_role(school_id, role).with_only_columns(User.id, User.email).order_by(None) for role in roles]
    union = queries[0].union(*queries[1:]).subquery() if len(queries) > 1 else queries[0].subquery()
    return select(json_objects(id=union.c.id, email=union.c.email)).scalar_subquery().label(label)


def recipients(value: Any) -> list[Recipient]:
    """The people of a :func:`recipients_column`, each once, in id order."""
    return sorted({Recipient(row["id"], row["email"]) for row in json_nested(value) or ()})


def account(user_id: int) -> User | None:
    """An account by its id, or ``None``."""
    return db.session.get(User, user_id)


def school_account(school_id: int, user_id: int) -> User | None:
    """An account of the school, or ``None`` (another school's accounts do not exist here)."""
    return db.session.scalar(select(User).where(User.id == user_id, User.school_id == school_id))


def school_accounts(school_id: int) -> list[User]:
    """The school's accounts, active ones first, in name order."""
    query = select(User).where(User.school_id == school_id).order_by(User.active.desc(), func.lower(User.display_name))
    return list(db.session.scalars(query))
