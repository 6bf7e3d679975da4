"""security, second round: the records' hash chain, a concern's recorded facts kept, two-person account requests

- ``record_links``: each concern's original account and each chronology entry, hash-chained per school (append-only).
- A trigger keeps a concern's recorded facts (who logged it, when, the account…) as the chronology's entries are kept;
  a concern is never deleted. Both give way only for a concern whose disposal was sealed in the chain.
- ``account_requests``: a change of the DSL or head role, or a reset of a DSL's, head's or administrator's password or
  second factor, proposed by one person and approved by another; ``account_links``: the one-time links a reset sends
  its owner.

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-04 19:40:00

"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The facts of a concern as its reporter recorded them. Its reference changes once, from the placeholder it is added
# under; its status, assignee and decisions move on (they are the chronology's to record).
FACTS = (
    "id",
    "school_id",
    "reporter_id",
    "observed_at",
    "logged_at",
    "location",
    "account",
    "already_done",
    "urgent",
    "immediate_danger",
    "vocabulary_version",
    "wording_kept_reason",
)
DISPOSED = (
    "EXISTS (SELECT 1 FROM record_links WHERE record_links.chain = OLD.school_id "
    "AND record_links.record_type = 'disposal' AND record_links.record_id = OLD.id)"
)

KEEP_FACTS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION safeguard_keep_concern_facts() RETURNS trigger AS $$
BEGIN
    IF {DISPOSED} THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'concerns are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ({", ".join(f"NEW.{c}" for c in FACTS)}) IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in FACTS)})
       OR (NEW.reference IS DISTINCT FROM OLD.reference AND OLD.reference NOT LIKE 'pending-%') THEN
        RAISE EXCEPTION 'a concern''s recorded facts are never changed: record an addendum'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

EVENT_FIELDS = (
    "id",
    "school_id",
    "concern_id",
    "at",
    "actor_id",
    "kind",
    "summary",
    "text",
    "detail",
    "visible_to_reporter",
)
GENESIS = "0" * 64

# The records held before this revision, sealed as safeguard.audit.records seals new ones (the same content and link
# hashes, written out here: a revision never imports the application's code).
_concerns = sa.table(
    "concerns",
    *(
        sa.column(
            c,
            sa.DateTime()
            if c in ("observed_at", "logged_at")
            else sa.Boolean()
            if c in ("urgent", "immediate_danger")
            else None,
        )
        for c in FACTS
    ),
)
_events = sa.table(
    "concern_events",
    *(
        sa.column(
            c,
            sa.DateTime()
            if c == "at"
            else sa.JSON()
            if c == "detail"
            else sa.Boolean()
            if c == "visible_to_reporter"
            else None,
        )
        for c in EVENT_FIELDS
    ),
)
_links = sa.table(
    "record_links",
    *(sa.column(c) for c in ("chain", "seq", "record_type", "record_id", "content_hash", "prev_hash", "hash")),
    sa.column("at", sa.DateTime()),
)


def _plain(value):
    if isinstance(value, datetime):
        # Stored as naive UTC.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _digest(content):
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def content_hash(record_type, row, fields):
    return _digest({"type": record_type, **{name: _plain(row[name]) for name in fields}})


def seal_existing(connection):
    """Seal every concern and chronology entry already recorded, school by school, in the order they were added."""
    now = datetime.now(UTC).replace(tzinfo=None)
    heads = {}
    records = [
        ("concern", row._mapping, FACTS) for row in connection.execute(sa.select(_concerns).order_by(_concerns.c.id))
    ] + [("event", row._mapping, EVENT_FIELDS) for row in connection.execute(sa.select(_events).order_by(_events.c.id))]
    for record_type, row, fields in records:
        chain = row["school_id"]
        seq, prev = heads.get(chain, (0, GENESIS))
        link = {
            "chain": chain,
            "seq": seq + 1,
            "at": now,
            "record_type": record_type,
            "record_id": row["id"],
            "content_hash": content_hash(record_type, row, fields),
            "prev_hash": prev,
        }
        link["hash"] = _digest({k: _plain(v) for k, v in link.items()})
        connection.execute(sa.insert(_links), link)
        heads[chain] = (seq + 1, link["hash"])


SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FACTS)


def upgrade():
    op.create_table(
        "record_links",
        sa.Column("id", BigId, nullable=False),
        sa.Column("chain", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", BigId, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_links")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_record_links_chain")),
    )
    op.create_index("ix_record_links_record", "record_links", ["chain", "record_type", "record_id"])
    op.create_table(
        "account_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("roles_before", sa.JSON(), nullable=False),
        sa.Column("roles_after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("needs_chair", sa.Boolean(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("chair_approved_by_id", sa.Integer(), nullable=True),
        sa.Column("chair_approved_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_account_requests_school_id_schools")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_requests_user_id_users")),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_account_requests_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_account_requests_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["chair_approved_by_id"], ["users.id"], name=op.f("fk_account_requests_chair_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_account_requests_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_requests")),
    )
    op.create_index("ix_account_requests_school_id_outcome", "account_requests", ["school_id", "outcome", "expires_at"])
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_account_links_school_id_schools")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_links_user_id_users")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["account_requests.id"], name=op.f("fk_account_links_request_id_account_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_links_token_hash")),
    )

    seal_existing(op.get_bind())

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER record_links_append_only BEFORE UPDATE OR DELETE ON record_links "
            "FOR EACH ROW EXECUTE FUNCTION safeguard_refuse_change()"
        )
        op.execute(KEEP_FACTS_FUNCTION)
        op.execute(
            "CREATE TRIGGER concerns_keep_facts BEFORE UPDATE OR DELETE ON concerns "
            "FOR EACH ROW EXECUTE FUNCTION safeguard_keep_concern_facts()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER record_links_no_{operation.lower()} BEFORE {operation} ON record_links "
                f"BEGIN SELECT RAISE(ABORT, 'rows of record_links are append-only: {operation} refused'); END"
            )
        op.execute(
            "CREATE TRIGGER concerns_keep_facts BEFORE UPDATE ON concerns "
            f"WHEN NOT {DISPOSED} AND ({SQLITE_CHANGED} OR (NEW.reference IS NOT OLD.reference "
            "AND OLD.reference NOT LIKE 'pending-%')) "
            "BEGIN SELECT RAISE(ABORT, 'a concern''s recorded facts are never changed: record an addendum'); END"
        )
        op.execute(
            f"CREATE TRIGGER concerns_no_delete BEFORE DELETE ON concerns WHEN NOT {DISPOSED} "
            "BEGIN SELECT RAISE(ABORT, 'concerns are never deleted'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS concerns_keep_facts ON concerns")
        op.execute("DROP FUNCTION IF EXISTS safeguard_keep_concern_facts()")
        op.execute("DROP TRIGGER IF EXISTS record_links_append_only ON record_links")
    else:
        for trigger in (
            "concerns_keep_facts",
            "concerns_no_delete",
            "record_links_no_update",
            "record_links_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table("account_links")
    op.drop_index("ix_account_requests_school_id_outcome", table_name="account_requests")
    op.drop_table("account_requests")
    op.drop_index("ix_record_links_record", table_name="record_links")
    op.drop_table("record_links")
