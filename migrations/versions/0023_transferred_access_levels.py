"""transferred_concerns: the access level the sending school held a concern at (restricted or sealed concerns are
read at the receiving school by its lead DSL only)

Files received before this revision were sent without their restricted and sealed concerns: theirs are standard.
The column is added in place (no table rebuild on SQLite), so the append-only triggers of revision 0018 stay.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 05:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "transferred_concerns",
        sa.Column("access_level", sa.String(length=20), nullable=False, server_default="standard"),
    )


def downgrade():
    # In place too (SQLite 3.35 and later drop a column without a rebuild), keeping the triggers.
    op.drop_column("transferred_concerns", "access_level")
