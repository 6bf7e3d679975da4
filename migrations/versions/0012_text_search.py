"""concerns and their chronology: full-text search of accounts, notes and actions

PostgreSQL: a GIN index on the English text-search vector of each table's text (the expression the search compares,
written the same way in ``safeguard/concerns/store.py``). SQLite: FTS5 tables holding no copy of the text
(external content), kept up to date by triggers, and filled from the rows already recorded.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:40:00

"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The searched text of each table, as the store's statements write it (an expression index is used only for the
# same expression).
POSTGRESQL_INDEXES = {
    "ix_concerns_text_search": (
        "concerns",
        "to_tsvector('english', coalesce(account, '') || ' ' || coalesce(already_done, ''))",
    ),
    "ix_concern_events_text_search": (
        "concern_events",
        "to_tsvector('english', coalesce(summary, '') || ' ' || coalesce(text, ''))",
    ),
}

# Porter stemming ("bruises" finds "bruised") and letters without their accents ("Zoe" finds "Zoë").
TOKENIZE = "porter unicode61 remove_diacritics 2"

SQLITE_STATEMENTS = [
    f"CREATE VIRTUAL TABLE concerns_fts USING fts5(account, already_done, content='concerns', "
    f"content_rowid='id', tokenize='{TOKENIZE}')",
    "CREATE TRIGGER concerns_fts_insert AFTER INSERT ON concerns BEGIN "
    "INSERT INTO concerns_fts (rowid, account, already_done) VALUES (new.id, new.account, new.already_done); END",
    # The account is never changed after saving; these keep the index true should a row ever change or go.
    "CREATE TRIGGER concerns_fts_update AFTER UPDATE OF account, already_done ON concerns BEGIN "
    "INSERT INTO concerns_fts (concerns_fts, rowid, account, already_done) "
    "VALUES ('delete', old.id, old.account, old.already_done); "
    "INSERT INTO concerns_fts (rowid, account, already_done) VALUES (new.id, new.account, new.already_done); END",
    "CREATE TRIGGER concerns_fts_delete AFTER DELETE ON concerns BEGIN "
    "INSERT INTO concerns_fts (concerns_fts, rowid, account, already_done) "
    "VALUES ('delete', old.id, old.account, old.already_done); END",
    f"CREATE VIRTUAL TABLE concern_events_fts USING fts5(summary, text, content='concern_events', "
    f"content_rowid='id', tokenize='{TOKENIZE}')",
    # Chronology entries are append-only (the database refuses an update or a delete): an insert trigger is enough.
    "CREATE TRIGGER concern_events_fts_insert AFTER INSERT ON concern_events BEGIN "
    "INSERT INTO concern_events_fts (rowid, summary, text) VALUES (new.id, new.summary, new.text); END",
    "INSERT INTO concerns_fts (concerns_fts) VALUES ('rebuild')",
    "INSERT INTO concern_events_fts (concern_events_fts) VALUES ('rebuild')",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, expression) in POSTGRESQL_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression})")
        return
    for statement in SQLITE_STATEMENTS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRESQL_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    for trigger in ("concerns_fts_insert", "concerns_fts_update", "concerns_fts_delete", "concern_events_fts_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS concerns_fts")
    op.execute("DROP TABLE IF EXISTS concern_events_fts")
