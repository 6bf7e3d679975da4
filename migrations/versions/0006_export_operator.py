"""exports: the name of whoever made the export, as it was then; pupils: transfers awaiting receipt

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:00:00

"""

import sqlalchemy as sa
from alembic import op

AWAITING_RECEIPT = sa.text("transfer_sent_at IS NOT NULL AND transfer_confirmed_at IS NULL")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exports") as batch:
        batch.add_column(sa.Column("generated_by_name", sa.String(200), nullable=True))
    # The queue shows every transfer still unconfirmed: only the few awaiting receipt are read, never the roll.
    op.create_index(
        "ix_pupils_transfer_awaiting_receipt",
        "pupils",
        ["school_id", "transfer_sent_at"],
        postgresql_where=AWAITING_RECEIPT,
        sqlite_where=AWAITING_RECEIPT,
    )


def downgrade():
    op.drop_index("ix_pupils_transfer_awaiting_receipt", table_name="pupils")
    with op.batch_alter_table("exports") as batch:
        batch.drop_column("generated_by_name")
