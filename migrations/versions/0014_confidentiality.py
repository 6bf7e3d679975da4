"""confidentiality: access levels on concerns and children's files, the people who may see them, the lead DSL

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:30:00

Plain ADD COLUMN on concerns and pupils (no batch: a batch copy of concerns would drop its triggers on SQLite).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "concerns", sa.Column("access_level", sa.String(length=12), nullable=False, server_default="standard")
    )
    op.add_column("pupils", sa.Column("access_level", sa.String(length=12), nullable=False, server_default="standard"))
    op.add_column("schools", sa.Column("lead_dsl_id", sa.Integer(), nullable=True))
    if postgresql:
        op.create_foreign_key("fk_schools_lead_dsl_id_users", "schools", "users", ["lead_dsl_id"], ["id"])
    op.create_index(
        "ix_concerns_open_status_access",
        "concerns",
        ["school_id", "status", "access_level"],
        postgresql_where=sa.text("status <> 'closed'"),
        sqlite_where=sa.text("status <> 'closed'"),
    )
    op.create_index(
        "ix_concerns_restricted",
        "concerns",
        ["school_id"],
        postgresql_where=sa.text("access_level <> 'standard'"),
        sqlite_where=sa.text("access_level <> 'standard'"),
    )
    op.create_index(
        "ix_pupils_restricted_file",
        "pupils",
        ["school_id", "id"],
        postgresql_where=sa.text("access_level <> 'standard'"),
        sqlite_where=sa.text("access_level <> 'standard'"),
    )
    op.create_table(
        "record_access",
        sa.Column("id", BigId, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", BigId, nullable=True),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("(concern_id IS NULL) <> (pupil_id IS NULL)", name=op.f("ck_record_access_one_record")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_record_access_school_id_schools")),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name=op.f("fk_record_access_concern_id_concerns")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_record_access_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_record_access_user_id_users")),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"], name=op.f("fk_record_access_granted_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_record_access_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_access")),
    )
    op.create_index("ix_record_access_concern", "record_access", ["school_id", "concern_id", "user_id"])
    op.create_index(
        "ix_record_access_pupil",
        "record_access",
        ["school_id", "pupil_id", "user_id"],
        postgresql_where=sa.text("pupil_id IS NOT NULL"),
        sqlite_where=sa.text("pupil_id IS NOT NULL"),
    )
    op.create_index("ix_record_access_user", "record_access", ["school_id", "user_id", "kind"])


def downgrade():
    op.drop_index("ix_record_access_user", table_name="record_access")
    op.drop_index("ix_record_access_pupil", table_name="record_access")
    op.drop_index("ix_record_access_concern", table_name="record_access")
    op.drop_table("record_access")
    op.drop_index("ix_pupils_restricted_file", table_name="pupils")
    op.drop_index("ix_concerns_restricted", table_name="concerns")
    op.drop_index("ix_concerns_open_status_access", table_name="concerns")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_schools_lead_dsl_id_users", "schools", type_="foreignkey")
    # Dropping a column is plain ALTER TABLE ... DROP COLUMN on SQLite 3.35+ and PostgreSQL (no batch copy).
    op.drop_column("schools", "lead_dsl_id")
    op.drop_column("pupils", "access_level")
    op.drop_column("concerns", "access_level")
