"""school calendar and the electronic transfer of a child's file

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-04 19:40:00

Terms and closure days per school (the clocks that count school days read them); each school's signing key
(sealed at rest); the schools it exchanges files with; the transfers it sent and the packages it received, with
the chronology of an imported file, append-only like the school's own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

APPEND_ONLY = ("transferred_concerns", "transferred_entries")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade():
    op.add_column("schools", sa.Column("transfer_keeps_file", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "calendar_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("calendar_periods", "school_id", "schools"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_periods")),
        sa.CheckConstraint("kind IN ('term', 'closure')", name=op.f("ck_calendar_periods_kind")),
        sa.CheckConstraint("first_day <= last_day", name=op.f("ck_calendar_periods_order")),
    )
    op.create_index("ix_calendar_periods_school_id_first_day", "calendar_periods", ["school_id", "first_day"])
    op.create_table(
        "school_keys",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("sealed_private_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("school_keys", "school_id", "schools"),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_school_keys")),
    )
    op.create_table(
        "transfer_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("transfer_partners", "school_id", "schools"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_partners")),
        sa.UniqueConstraint("school_id", "public_key", name=op.f("uq_transfer_partners_school_id")),
    )
    op.create_table(
        "sent_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.String(length=32), nullable=False),
        sa.Column("way", sa.String(length=10), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("concerns", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("link_token_hash", sa.String(length=64), nullable=True),
        sa.Column("link_code_hash", sa.String(length=64), nullable=True),
        sa.Column("link_expires_at", sa.DateTime(), nullable=True),
        sa.Column("storage_name", sa.String(length=40), nullable=True),
        sa.Column("storage_sha256", sa.String(length=64), nullable=True),
        _fk("sent_transfers", "school_id", "schools"),
        _fk("sent_transfers", "pupil_id", "pupils"),
        _fk("sent_transfers", "partner_id", "transfer_partners"),
        _fk("sent_transfers", "sent_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_transfers")),
        sa.UniqueConstraint("package_id", name=op.f("uq_sent_transfers_package_id")),
        sa.UniqueConstraint("link_token_hash", name=op.f("uq_sent_transfers_link_token_hash")),
    )
    op.create_index("ix_sent_transfers_school_id_sent_at", "sent_transfers", ["school_id", "sent_at"])
    op.create_table(
        "received_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.String(length=32), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("from_code", sa.String(length=6), nullable=False),
        sa.Column("from_key", sa.String(length=64), nullable=False),
        sa.Column("reply_to", sa.String(length=300), nullable=False),
        sa.Column("upn", sa.String(length=20), nullable=False),
        sa.Column("child_name", sa.String(length=200), nullable=False),
        sa.Column("concerns", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("storage_name", sa.String(length=40), nullable=False),
        sa.Column("storage_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        _fk("received_transfers", "school_id", "schools"),
        _fk("received_transfers", "imported_by_id", "users"),
        _fk("received_transfers", "pupil_id", "pupils"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_transfers")),
        # A package is taken once: a replay is refused by this constraint as well as by the check before it.
        sa.UniqueConstraint("school_id", "package_id", name=op.f("uq_received_transfers_school_id")),
    )
    op.create_table(
        "transferred_concerns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("received_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("logged_at", sa.DateTime(), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        _fk("transferred_concerns", "school_id", "schools"),
        _fk("transferred_concerns", "received_id", "received_transfers"),
        _fk("transferred_concerns", "pupil_id", "pupils"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transferred_concerns")),
    )
    op.create_index(
        "ix_transferred_concerns_school_id_pupil_id", "transferred_concerns", ["school_id", "pupil_id", "logged_at"]
    )
    op.create_table(
        "transferred_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        _fk("transferred_entries", "school_id", "schools"),
        _fk("transferred_entries", "concern_id", "transferred_concerns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transferred_entries")),
    )
    op.create_index(
        "ix_transferred_entries_school_id_concern_id", "transferred_entries", ["school_id", "concern_id", "position"]
    )
    # A file received is kept as the sending school wrote it: the database refuses to change or delete it.
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION safeguard_refuse_change()"
            )
        else:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are append-only: {operation} refused'); END"
                )


def downgrade():
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_index("ix_transferred_entries_school_id_concern_id", table_name="transferred_entries")
    op.drop_table("transferred_entries")
    op.drop_index("ix_transferred_concerns_school_id_pupil_id", table_name="transferred_concerns")
    op.drop_table("transferred_concerns")
    op.drop_table("received_transfers")
    op.drop_index("ix_sent_transfers_school_id_sent_at", table_name="sent_transfers")
    op.drop_table("sent_transfers")
    op.drop_table("transfer_partners")
    op.drop_table("school_keys")
    op.drop_index("ix_calendar_periods_school_id_first_day", table_name="calendar_periods")
    op.drop_table("calendar_periods")
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("transfer_keeps_file")
