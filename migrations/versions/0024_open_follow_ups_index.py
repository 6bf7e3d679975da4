"""follow-ups: the open ones of a school in date order, for the queue's "overdue follow-ups"

The queue lists a school's first overdue follow-ups (those not done, past their date), soonest first and then by id,
each joined to its concern for the condition of who may see it. The index on (school_id, done_at, due_on) found the
open ones but not in that order (the id broke ties), so every overdue follow-up of the school was joined to its
concern and checked, then sorted, to show the first twenty. This index holds only open follow-ups, in the list's own
order, so the statement stops at the twentieth it may show. It replaces the older index: every statement that used it
(the trust dashboard's count of overdue follow-ups too) asks for open follow-ups only.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 13:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_follow_ups_open_due",
        "follow_ups",
        ["school_id", "due_on", "id"],
        postgresql_where=sa.text("done_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL"),
    )
    op.drop_index("ix_follow_ups_school_id_due_on", table_name="follow_ups")


def downgrade():
    op.create_index("ix_follow_ups_school_id_due_on", "follow_ups", ["school_id", "done_at", "due_on"])
    op.drop_index("ix_follow_ups_open_due", table_name="follow_ups")
