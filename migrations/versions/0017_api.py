"""api: tokens, idempotent answers, monitoring alerts, pupils' contacts and MIS fields

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-04 19:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_api_tokens_school_id_schools")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_api_tokens_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_school_id_created_at", "api_tokens", ["school_id", "created_at"])
    op.create_table(
        "api_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], name=op.f("fk_api_idempotency_token_id_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotency")),
        sa.UniqueConstraint("token_id", "key", name=op.f("uq_api_idempotency_token_id_key")),
    )
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=60), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=False),
        sa.Column("in_tray", sa.Boolean(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("matched_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("concern_id", BigId, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("wording_kept_reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_monitoring_alerts_school_id_schools")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_monitoring_alerts_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["matched_by_id"], ["users.id"], name=op.f("fk_monitoring_alerts_matched_by_id_users")),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name=op.f("fk_monitoring_alerts_concern_id_concerns")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_monitoring_alerts_decided_by_id_users")),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], name=op.f("fk_monitoring_alerts_token_id_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alerts")),
        sa.UniqueConstraint(
            "school_id", "vendor", "event_id", name=op.f("uq_monitoring_alerts_school_id_vendor_event_id")
        ),
    )
    op.create_index(
        "ix_monitoring_alerts_school_id_outcome_severity",
        "monitoring_alerts",
        ["school_id", "outcome", "in_tray", "severity"],
    )
    op.create_index("ix_monitoring_alerts_school_id_occurred_at", "monitoring_alerts", ["school_id", "occurred_at"])
    op.create_table(
        "pupil_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("contact_key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=60), nullable=False),
        sa.Column("parental_responsibility", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_pupil_contacts_school_id_schools")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_contacts_pupil_id_pupils")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_contacts")),
    )
    op.create_index("ix_pupil_contacts_school_id_pupil_id", "pupil_contacts", ["school_id", "pupil_id"])
    op.create_index("ix_pupil_contacts_school_id_contact_key", "pupil_contacts", ["school_id", "contact_key"])
    # Plain ADD COLUMN (no batch): SQLite adds a column without copying the table.
    op.add_column("pupils", sa.Column("sen_status", sa.String(length=20), server_default="", nullable=False))
    op.add_column("pupils", sa.Column("username", sa.String(length=200), nullable=True))
    op.add_column("pupils", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("pupils", sa.Column("mis_id", sa.String(length=100), nullable=True))
    op.create_index("ix_pupils_school_id_username", "pupils", ["school_id", "username"])
    op.create_index("ix_pupils_school_id_email", "pupils", ["school_id", "email"])
    op.add_column("schools", sa.Column("monitoring_min_severity", sa.Integer(), server_default="3", nullable=False))
    op.add_column("schools", sa.Column("mis_synced_at", sa.DateTime(), nullable=True))
    op.add_column("notifications", sa.Column("link", sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("link")
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("mis_synced_at")
        batch.drop_column("monitoring_min_severity")
    op.drop_index("ix_pupils_school_id_email", table_name="pupils")
    op.drop_index("ix_pupils_school_id_username", table_name="pupils")
    with op.batch_alter_table("pupils") as batch:
        batch.drop_column("mis_id")
        batch.drop_column("email")
        batch.drop_column("username")
        batch.drop_column("sen_status")
    op.drop_table("pupil_contacts")
    op.drop_table("monitoring_alerts")
    op.drop_table("api_idempotency")
    op.drop_table("api_tokens")
