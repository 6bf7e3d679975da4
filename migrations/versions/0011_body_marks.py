"""body map: marks on a child's body, append-only like the chronology that records them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "body_marks",
        sa.Column("id", BigId, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", BigId, nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("region_id", sa.String(length=60), nullable=False),
        sa.Column("region_label", sa.String(length=120), nullable=False),
        sa.Column("side", sa.String(length=5), nullable=True),
        sa.Column("view", sa.String(length=10), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("placed_on_outline", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("length_cm", sa.Float(), nullable=False),
        sa.Column("width_cm", sa.Float(), nullable=True),
        sa.Column("shape", sa.String(length=200), nullable=False),
        sa.Column("colour", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("child_words", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_body_marks_school_id_schools")),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name=op.f("fk_body_marks_concern_id_concerns")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_body_marks_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["event_id"], ["concern_events.id"], name=op.f("fk_body_marks_event_id_concern_events")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_body_marks_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_marks")),
    )
    with op.batch_alter_table("body_marks") as batch:
        batch.create_index("ix_body_marks_school_id_concern_id", ["school_id", "concern_id", "id"], unique=False)
        batch.create_index("ix_body_marks_school_id_pupil_id_seen_at", ["school_id", "pupil_id", "seen_at"], unique=False)
    # A mark is part of the record as it was written: the database refuses to change or delete one, as it does for
    # the chronology (0003 defines safeguard_refuse_change on PostgreSQL).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER body_marks_append_only BEFORE UPDATE OR DELETE ON body_marks "
            "FOR EACH ROW EXECUTE FUNCTION safeguard_refuse_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER body_marks_no_{operation.lower()} BEFORE {operation} ON body_marks "
                f"BEGIN SELECT RAISE(ABORT, 'rows of body_marks are append-only: {operation} refused'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS body_marks_append_only ON body_marks")
    else:
        op.execute("DROP TRIGGER IF EXISTS body_marks_no_update")
        op.execute("DROP TRIGGER IF EXISTS body_marks_no_delete")
    with op.batch_alter_table("body_marks") as batch:
        batch.drop_index("ix_body_marks_school_id_pupil_id_seen_at")
        batch.drop_index("ix_body_marks_school_id_concern_id")
    op.drop_table("body_marks")
