"""the queue's indexes: new concerns in the queue's order (its first two tiers), and open concerns by status (its counts)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 04:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NEW = sa.text("status = 'new'")
OPEN = sa.text("status <> 'closed'")


def upgrade():
    op.create_index(
        "ix_concerns_new_queue",
        "concerns",
        ["school_id", "urgent", "logged_at", "id", "ack_due_at"],
        postgresql_where=NEW,
        sqlite_where=NEW,
    )
    op.create_index(
        "ix_concerns_open_status",
        "concerns",
        ["school_id", "status"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade():
    op.drop_index("ix_concerns_open_status", table_name="concerns")
    op.drop_index("ix_concerns_new_queue", table_name="concerns")
