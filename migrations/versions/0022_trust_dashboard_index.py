"""the trust dashboard's index: a school's concerns by when they were logged, holding when each was acknowledged

The dashboard reads, for each school of the trust and each of two periods, how many concerns were logged, how many of
them were acknowledged and how long each took: with the acknowledgement in the index, the statement reads the index
alone (an index-only scan) instead of a table row for each concern. It replaces the index on (school_id, logged_at),
whose key it keeps, so that every statement that used that one uses this one, and a concern's row still has one
index of its logging to keep up to date, not two.

PostgreSQL holds the acknowledgement as an included column (not part of the key); SQLite has no included columns, and
holds it as the last column of the key, which covers the same statements.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 23:00:00

"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_concerns_school_id_logged_at_acknowledged",
            "concerns",
            ["school_id", "logged_at"],
            postgresql_include=["acknowledged_at"],
        )
    else:
        op.create_index(
            "ix_concerns_school_id_logged_at_acknowledged", "concerns", ["school_id", "logged_at", "acknowledged_at"]
        )
    op.drop_index("ix_concerns_school_id_logged_at", table_name="concerns")


def downgrade():
    op.create_index("ix_concerns_school_id_logged_at", "concerns", ["school_id", "logged_at"])
    op.drop_index("ix_concerns_school_id_logged_at_acknowledged", table_name="concerns")
