"""the queue's counts from the index alone: the open and the closed concerns by access level, with their ids

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 22:40:00

The access condition of every list reads a concern's id (a grant to a named person is looked up by it) as well as its
status and access level. Without the id in the index, PostgreSQL fetched every counted concern from the table: the
queue's counts read 5,000 table rows for a school with five years of records. With it, both counts are index-only
scans. SQLite keeps the rowid (a concern's id) in every index already, so it needs the closed index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_concerns_open_status_access", table_name="concerns")
    op.create_index(
        "ix_concerns_open_status_access",
        "concerns",
        ["school_id", "status", "access_level"],
        postgresql_include=["id"],
        postgresql_where=sa.text("status <> 'closed'"),
        sqlite_where=sa.text("status <> 'closed'"),
    )
    op.create_index(
        "ix_concerns_closed_access",
        "concerns",
        ["school_id", "access_level"],
        postgresql_include=["id"],
        postgresql_where=sa.text("status = 'closed'"),
        sqlite_where=sa.text("status = 'closed'"),
    )


def downgrade():
    op.drop_index("ix_concerns_closed_access", table_name="concerns")
    op.drop_index("ix_concerns_open_status_access", table_name="concerns")
    op.create_index(
        "ix_concerns_open_status_access",
        "concerns",
        ["school_id", "status", "access_level"],
        postgresql_where=sa.text("status <> 'closed'"),
        sqlite_where=sa.text("status <> 'closed'"),
    )
