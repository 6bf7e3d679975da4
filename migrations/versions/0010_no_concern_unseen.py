"""no concern unseen: DSLs' away dates, the school's onward escalation contact, the worker's heartbeat

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("away_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("away_until", sa.Date(), nullable=True))
    with op.batch_alter_table("schools") as batch:
        batch.add_column(sa.Column("onward_contact_label", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("onward_contact_email", sa.String(254), nullable=False, server_default=""))
    with op.batch_alter_table("concerns") as batch:
        batch.add_column(sa.Column("onward_escalated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )


def downgrade():
    op.drop_table("worker_heartbeats")
    with op.batch_alter_table("concerns") as batch:
        batch.drop_column("onward_escalated_at")
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("onward_contact_email")
        batch.drop_column("onward_contact_label")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("away_until")
        batch.drop_column("away_from")
