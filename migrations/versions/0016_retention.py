"""retention and subject access: schedule overrides, reviews, legal holds, disposals, subject access requests

A disposal destroys a file's content: the chronology (concern_events) and the body map (body_marks) are append-only
in the database (0003, 0011), so their triggers are replaced by ones that allow exactly the disposal's update (the
content replaced by the placeholder below, every other column unchanged) and only for a concern a destruction
record lists (disposed_concerns); every other update, and every delete, is still refused. On SQLite the text-search
index of the chronology gets an update trigger too, so that the destroyed words leave the FTS5 index.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-04 19:27:01

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = "0015"
branch_labels = None
depends_on = None

# What a destroyed chronology entry says (safeguard/retention/store.py DESTROYED, written the same).
DESTROYED = "[Content destroyed under the retention schedule]"
UNDECIDED = "status IN ('open', 'held', 'disposal_proposed')"
DISPOSED = "EXISTS (SELECT 1 FROM disposed_concerns d WHERE d.concern_id = {row}.concern_id)"

# The columns a disposal changes, and what it writes into them.
EVENT_CONTENT = {"summary": f"'{DESTROYED}'", "text": None, "detail": "'{}'"}
MARK_CONTENT = {"shape": "''", "colour": "''", "child_words": "''"}
EVENT_KEPT = ["id", "school_id", "concern_id", "at", "actor_id", "kind", "visible_to_reporter"]
MARK_KEPT = [
    "id", "school_id", "concern_id", "pupil_id", "event_id", "region_id", "region_label", "side", "view", "x", "y",
    "placed_on_outline", "kind", "length_cm", "width_cm", "seen_at", "recorded_by_id", "recorded_at",
]


def _content_condition(content, cast=""):
    parts = []
    for column, value in content.items():
        parts.append(f"new.{column} IS NULL" if value is None else f"new.{column}{cast} = {value}")
    return " AND ".join(parts)


def _sqlite_allowed(content, kept):
    same = " AND ".join(f"new.{c} IS old.{c}" for c in kept)
    return f"{DISPOSED.format(row='old')} AND {same} AND {_content_condition(content)}"


def _postgresql_guard(table, content):
    # Every other column, present or added later (a hash, say), must stay as it was: compared as a whole.
    dropped = "".join(f" - '{c}'" for c in content)
    condition = _content_condition(content, "::text").replace("new.", "NEW.")
    return f"""
CREATE OR REPLACE FUNCTION safeguard_{table}_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {DISPOSED.format(row='OLD')}
       AND (to_jsonb(NEW){dropped}) = (to_jsonb(OLD){dropped}) AND {condition} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rows of % are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


GUARDED = {
    # table: (content, kept columns, the PostgreSQL trigger's name, SQLite's update trigger's name)
    "concern_events": (EVENT_CONTENT, EVENT_KEPT, "concern_events_append_only", "concern_events_no_update"),
    "body_marks": (MARK_CONTENT, MARK_KEPT, "body_marks_append_only", "body_marks_no_update"),
}


def upgrade():
    op.create_table('legal_holds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('external_reference', sa.String(length=120), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=False),
    sa.Column('placed_at', sa.DateTime(), nullable=False),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.Column('lift_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_legal_holds_lifted_by_id_users')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_legal_holds_placed_by_id_users')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_legal_holds_pupil_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_legal_holds_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index('ix_legal_holds_school_id_pupil_id', ['school_id', 'pupil_id', 'lifted_at'], unique=False)

    op.create_table('retention_periods',
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_retention_periods_school_id_schools')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_retention_periods_set_by_id_users')),
    sa.PrimaryKeyConstraint('school_id', 'kind', name=op.f('pk_retention_periods'))
    )
    op.create_table('retention_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('kept_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_retention_reviews_decided_by_id_users')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_retention_reviews_pupil_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_retention_reviews_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_reviews'))
    )
    with op.batch_alter_table('retention_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_retention_reviews_school_id_status', ['school_id', 'status', 'due_on'], unique=False)
        # One undecided review per file (two runs of `retention review` at once cannot open it twice).
        batch_op.create_index(
            'uq_retention_reviews_undecided', ['school_id', 'pupil_id'], unique=True,
            postgresql_where=sa.text(UNDECIDED), sqlite_where=sa.text(UNDECIDED),
        )

    op.create_table('retention_disposals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(), nullable=True),
    sa.Column('what', sa.JSON(), nullable=False),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_retention_disposals_approved_by_id_users')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_retention_disposals_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_retention_disposals_pupil_id_pupils')),
    sa.ForeignKeyConstraint(['review_id'], ['retention_reviews.id'], name=op.f('fk_retention_disposals_review_id_retention_reviews')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_retention_disposals_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_disposals')),
    sa.UniqueConstraint('school_id', 'reference', name=op.f('uq_retention_disposals_school_id_reference'))
    )
    with op.batch_alter_table('retention_disposals', schema=None) as batch_op:
        batch_op.create_index('ix_retention_disposals_school_id_status', ['school_id', 'status', 'proposed_at'], unique=False)

    op.create_table('subject_access_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('requester_name', sa.String(length=200), nullable=False),
    sa.Column('relationship', sa.String(length=20), nullable=False),
    sa.Column('competence_note', sa.Text(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('extension_reason', sa.String(length=500), nullable=True),
    sa.Column('stopped_days', sa.Integer(), nullable=False),
    sa.Column('stopped_on', sa.Date(), nullable=True),
    sa.Column('stopped_for', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('logged_by_id', sa.Integer(), nullable=False),
    sa.Column('logged_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('export_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('overdue_alerted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['export_id'], ['exports.id'], name=op.f('fk_subject_access_requests_export_id_exports')),
    sa.ForeignKeyConstraint(['logged_by_id'], ['users.id'], name=op.f('fk_subject_access_requests_logged_by_id_users')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_subject_access_requests_pupil_id_pupils')),
    sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_subject_access_requests_released_by_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_subject_access_requests_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_access_requests')),
    sa.UniqueConstraint('school_id', 'reference', name=op.f('uq_subject_access_requests_school_id_reference'))
    )
    with op.batch_alter_table('subject_access_requests', schema=None) as batch_op:
        batch_op.create_index('ix_subject_access_requests_school_id_status', ['school_id', 'status', 'received_on'], unique=False)

    op.create_table('disposed_concerns',
    sa.Column('concern_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('disposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concerns.id'], name=op.f('fk_disposed_concerns_concern_id_concerns')),
    sa.ForeignKeyConstraint(['disposal_id'], ['retention_disposals.id'], name=op.f('fk_disposed_concerns_disposal_id_retention_disposals')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_disposed_concerns_school_id_schools')),
    sa.PrimaryKeyConstraint('concern_id', name=op.f('pk_disposed_concerns'))
    )
    op.create_table('sar_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_sar_events_actor_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['subject_access_requests.id'], name=op.f('fk_sar_events_request_id_subject_access_requests')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sar_events_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sar_events'))
    )
    with op.batch_alter_table('sar_events', schema=None) as batch_op:
        batch_op.create_index('ix_sar_events_request_id', ['request_id', 'at'], unique=False)

    op.create_table('sar_redactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('passage', sa.String(length=60), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_sar_redactions_made_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['subject_access_requests.id'], name=op.f('fk_sar_redactions_request_id_subject_access_requests')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sar_redactions_school_id_schools')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_sar_redactions_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sar_redactions'))
    )
    with op.batch_alter_table('sar_redactions', schema=None) as batch_op:
        batch_op.create_index('ix_sar_redactions_request_id', ['request_id', 'passage'], unique=False)


    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, (content, kept, pg_trigger, sqlite_trigger) in GUARDED.items():
        if postgresql:
            op.execute(_postgresql_guard(table, content))
            op.execute(f"DROP TRIGGER IF EXISTS {pg_trigger} ON {table}")
            op.execute(
                f"CREATE TRIGGER {pg_trigger} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION safeguard_{table}_guard()"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {sqlite_trigger}")
            op.execute(
                f"CREATE TRIGGER {sqlite_trigger} BEFORE UPDATE ON {table} "
                f"WHEN NOT ({_sqlite_allowed(content, kept)}) "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are append-only: UPDATE refused'); END"
            )
    if not postgresql:
        # The destroyed words must leave the chronology's search index (0012 had an insert trigger only).
        op.execute(
            "CREATE TRIGGER concern_events_fts_update AFTER UPDATE OF summary, text ON concern_events BEGIN "
            "INSERT INTO concern_events_fts (concern_events_fts, rowid, summary, text) "
            "VALUES ('delete', old.id, old.summary, old.text); "
            "INSERT INTO concern_events_fts (rowid, summary, text) VALUES (new.id, new.summary, new.text); END"
        )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, (_content, _kept, pg_trigger, sqlite_trigger) in GUARDED.items():
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {pg_trigger} ON {table}")
            op.execute(
                f"CREATE TRIGGER {pg_trigger} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION safeguard_refuse_change()"
            )
            op.execute(f"DROP FUNCTION IF EXISTS safeguard_{table}_guard()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {sqlite_trigger}")
            op.execute(
                f"CREATE TRIGGER {sqlite_trigger} BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are append-only: UPDATE refused'); END"
            )
    if not postgresql:
        op.execute("DROP TRIGGER IF EXISTS concern_events_fts_update")
    for table in ("sar_redactions", "sar_events", "disposed_concerns", "subject_access_requests",
                  "retention_disposals", "retention_reviews", "retention_periods", "legal_holds"):
        op.drop_table(table)
