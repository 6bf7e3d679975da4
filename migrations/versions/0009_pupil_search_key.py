"""pupils: a search key (names and UPN without case, accents or apostrophes), filled for every pupil, and its index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# The one normalisation the app stores and searches with. It is the exception to "revisions never import application
# code", on purpose: a key computed by a copy of it here would drift from the keys the app writes and searches for.
# It uses the standard library only, and a later change to it is a new revision that fills the keys again.
from safeguard.core.names import search_key

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("pupils") as batch:
        batch.add_column(sa.Column("search_key", sa.String(700), server_default="", nullable=False))
    pupils = sa.table(
        "pupils",
        sa.column("id", sa.Integer),
        sa.column("upn", sa.String),
        sa.column("legal_first_name", sa.String),
        sa.column("legal_last_name", sa.String),
        sa.column("preferred_name", sa.String),
        sa.column("search_key", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            pupils.c.id, pupils.c.legal_first_name, pupils.c.legal_last_name, pupils.c.preferred_name, pupils.c.upn
        )
    ).all()
    update = pupils.update().where(pupils.c.id == sa.bindparam("pupil_id")).values(search_key=sa.bindparam("key"))
    keys = [{"pupil_id": row.id, "key": search_key(*row[1:])} for row in rows]
    for start in range(0, len(keys), BATCH):
        connection.execute(update, keys[start : start + BATCH])
    op.create_index("ix_pupils_school_id_search_key", "pupils", ["school_id", "search_key"])


def downgrade():
    op.drop_index("ix_pupils_school_id_search_key", table_name="pupils")
    with op.batch_alter_table("pupils") as batch:
        batch.drop_column("search_key")
