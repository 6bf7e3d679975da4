"""the queue's open concerns: a partial index holding what the queue sorts by

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 05:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = sa.text("status <> 'closed'")


def upgrade():
    op.create_index(
        "ix_concerns_open_queue",
        "concerns",
        ["school_id", "logged_at", "id", "status", "urgent", "ack_due_at"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade():
    op.drop_index("ix_concerns_open_queue", table_name="concerns")
