"""PostgreSQL roles: the application connects as a role that owns nothing and holds only the privileges it needs.

The schema is owned by another role, which runs the migrations (``MIGRATION_DATABASE_URL``). After each upgrade the
migrations grant the application's role (the user of ``DATABASE_URL``) what :func:`privileges` says, table by table,
and nothing else: it cannot alter a table (so it cannot disable a trigger), and on the append-only tables it may only
read and add rows. The README's deployment section creates both roles.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

# Rows are only ever added: the audit log, the records chain, the files received from other schools, the
# chronology of a concern about an adult.
APPEND_ONLY = frozenset(
    {"audit_events", "record_links", "transferred_concerns", "transferred_entries", "adult_concern_entries"}
)
# Rows are added, and changed only by a disposal, which replaces their content with a placeholder once the record's
# disposal is sealed (the triggers of migration 0016 refuse any other change): the chronology and the body map's marks.
DISPOSABLE = frozenset({"concern_events", "body_marks"})
# Rows are added and changed (a concern's status moves on) but never deleted.
NEVER_DELETED = frozenset({"concerns"})
# Read only: the schema's version.
READ_ONLY = frozenset({"alembic_version"})


def privileges(table: str) -> str:
    """The privileges the application's role holds on ``table``."""
    if table in READ_ONLY:
        return "SELECT"
    if table in APPEND_ONLY:
        return "SELECT, INSERT"
    if table in NEVER_DELETED or table in DISPOSABLE:
        return "SELECT, INSERT, UPDATE"
    return "SELECT, INSERT, UPDATE, DELETE"


_TABLES = text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")


def grant_application_role(connection: Connection, role: str) -> list[tuple[str, str]]:
    """Give the application's role exactly its privileges on every table of the schema (revoking any other), and the
    use of the sequences; return (table, privileges) as granted. Run by the schema's owner."""
    quote = connection.dialect.identifier_preparer.quote
    who = quote(role)
    connection.execute(text(f"GRANT USAGE ON SCHEMA {quote_schema(connection)} TO {who}"))
    granted = []
    for table in connection.execute(_TABLES).scalars():
        connection.execute(text(f"REVOKE ALL ON TABLE {quote(table)} FROM {who}"))
        connection.execute(text(f"GRANT {privileges(table)} ON TABLE {quote(table)} TO {who}"))
        granted.append((table, privileges(table)))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote_schema(connection)} TO {who}"))
    return granted


def quote_schema(connection: Connection) -> str:
    """The current schema's name, quoted."""
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    return str(connection.dialect.identifier_preparer.quote(schema))


def current_role(connection: Connection) -> str:
    """The role a connection acts as."""
    return str(connection.execute(text("SELECT current_user")).scalar_one())
