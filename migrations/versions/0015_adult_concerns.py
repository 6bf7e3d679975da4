"""concerns about adults: allegations, low-level concerns, the LADO, kept apart from the children's records

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04 19:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table, column, target):
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name)


def upgrade():
    # Roles are kept as plain strings in user_roles (no CHECK constraint, no enum type), so the chair of governors'
    # role ("chair") needs no change there.
    op.create_table(
        "adult_settings",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=True),
        sa.Column("lado_name", sa.String(length=200), nullable=False),
        sa.Column("lado_contact", sa.String(length=300), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _fk("adult_settings", "school_id", "schools"),
        sa.ForeignKeyConstraint(["deputy_id"], ["users.id"], name=op.f("fk_adult_settings_deputy_id_users")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_adult_settings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_adult_settings")),
    )
    op.create_table(
        "adult_concerns",
        sa.Column("id", BigId, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("track", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("routed_to", sa.String(length=10), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("subject_name", sa.String(length=120), nullable=False),
        sa.Column("subject_relation", sa.String(length=20), nullable=False),
        sa.Column("subject_role", sa.String(length=120), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("threshold", sa.String(length=10), nullable=False),
        sa.Column("wording_kept_reason", sa.Text(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=True),
        sa.Column("lado_due_at", sa.DateTime(), nullable=True),
        sa.Column("lado_escalated_at", sa.DateTime(), nullable=True),
        sa.Column("lado_discussed_at", sa.DateTime(), nullable=True),
        sa.Column("lado_name", sa.String(length=200), nullable=False),
        sa.Column("lado_contact", sa.String(length=300), nullable=False),
        sa.Column("lado_advice", sa.Text(), nullable=False),
        sa.Column("lado_reference", sa.String(length=60), nullable=False),
        sa.Column("strategy_meeting", sa.Boolean(), nullable=False),
        sa.Column("police", sa.Boolean(), nullable=False),
        sa.Column("childrens_social_care", sa.Boolean(), nullable=False),
        sa.Column("involvement", sa.Text(), nullable=False),
        sa.Column("interim_measure", sa.String(length=20), nullable=True),
        sa.Column("interim_reason", sa.Text(), nullable=False),
        sa.Column("interim_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_notes", sa.Text(), nullable=False),
        sa.Column("outcome_at", sa.DateTime(), nullable=True),
        sa.Column("dbs_referral", sa.Boolean(), nullable=True),
        sa.Column("dbs_reason", sa.Text(), nullable=False),
        sa.Column("tra_referral", sa.Boolean(), nullable=True),
        sa.Column("tra_reason", sa.Text(), nullable=False),
        sa.Column("retirement_date", sa.Date(), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("remove_from_personnel", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("adult_concerns", "school_id", "schools"),
        sa.ForeignKeyConstraint(
            ["subject_user_id"], ["users.id"], name=op.f("fk_adult_concerns_subject_user_id_users")
        ),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], name=op.f("fk_adult_concerns_reporter_id_users")),
        sa.ForeignKeyConstraint(["deputy_id"], ["users.id"], name=op.f("fk_adult_concerns_deputy_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_concerns")),
        sa.UniqueConstraint("school_id", "reference", name=op.f("uq_adult_concerns_school_id_reference")),
    )
    with op.batch_alter_table("adult_concerns") as batch:
        batch.create_index(
            "ix_adult_concerns_school_id_status_received_at", ["school_id", "status", "received_at"], unique=False
        )
        batch.create_index(
            "ix_adult_concerns_school_id_subject_user_id", ["school_id", "subject_user_id"], unique=False
        )
        batch.create_index("ix_adult_concerns_lado_due_at", ["lado_due_at"], unique=False)
    op.create_table(
        "adult_concern_children",
        sa.Column("concern_id", BigId, nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["adult_concerns.id"], name=op.f("fk_adult_concern_children_concern_id_adult_concerns")
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_adult_concern_children_pupil_id_pupils")),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_adult_concern_children_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("concern_id", "pupil_id", name=op.f("pk_adult_concern_children")),
    )
    with op.batch_alter_table("adult_concern_children") as batch:
        batch.create_index("ix_adult_concern_children_school_id_pupil_id", ["school_id", "pupil_id"], unique=False)
    op.create_table(
        "adult_concern_access",
        sa.Column("concern_id", BigId, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["adult_concerns.id"], name=op.f("fk_adult_concern_access_concern_id_adult_concerns")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_adult_concern_access_user_id_users")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_adult_concern_access_school_id_schools")),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"], name=op.f("fk_adult_concern_access_added_by_id_users")),
        sa.PrimaryKeyConstraint("concern_id", "user_id", name=op.f("pk_adult_concern_access")),
    )
    with op.batch_alter_table("adult_concern_access") as batch:
        batch.create_index("ix_adult_concern_access_school_id_user_id", ["school_id", "user_id"], unique=False)
    op.create_table(
        "adult_concern_entries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", BigId, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_adult_concern_entries_school_id_schools")),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["adult_concerns.id"], name=op.f("fk_adult_concern_entries_concern_id_adult_concerns")
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_adult_concern_entries_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adult_concern_entries")),
    )
    with op.batch_alter_table("adult_concern_entries") as batch:
        batch.create_index(
            "ix_adult_concern_entries_school_id_concern_id", ["school_id", "concern_id", "id"], unique=False
        )
    # A case's chronology is append-only, as the children's is (0003 defines safeguard_refuse_change on PostgreSQL).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER adult_concern_entries_append_only BEFORE UPDATE OR DELETE ON adult_concern_entries "
            "FOR EACH ROW EXECUTE FUNCTION safeguard_refuse_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER adult_concern_entries_no_{operation.lower()} BEFORE {operation} "
                f"ON adult_concern_entries BEGIN SELECT RAISE(ABORT, "
                f"'rows of adult_concern_entries are append-only: {operation} refused'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS adult_concern_entries_append_only ON adult_concern_entries")
    else:
        op.execute("DROP TRIGGER IF EXISTS adult_concern_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS adult_concern_entries_no_delete")
    op.drop_table("adult_concern_entries")
    op.drop_table("adult_concern_access")
    op.drop_table("adult_concern_children")
    op.drop_table("adult_concerns")
    op.drop_table("adult_settings")
