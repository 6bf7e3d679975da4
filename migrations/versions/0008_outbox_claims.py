"""outbox: the worker delivering a message and until when (its claim), so that two workers never send it twice

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(32), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claim_token")
