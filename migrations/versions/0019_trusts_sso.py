"""trusts, memberships of several schools, the trust lead's access grants, concerns linked across schools

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-04 19:30:00

An account keeps its first school (``users.school_id``, its roles in ``user_roles``); ``school_memberships`` holds
its roles in the deployment's other schools. The school a signed-in browser works in is kept on its
``sign_in_sessions`` row (``school_id``, already there).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trusts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusts")),
        sa.UniqueConstraint("name", name=op.f("uq_trusts_name")),
    )
    op.create_table(
        "trust_schools",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_trust_schools_school_id_schools")),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_trust_schools_trust_id_trusts")),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_trust_schools")),
    )
    op.create_index("ix_trust_schools_trust_id", "trust_schools", ["trust_id"])
    op.create_table(
        "school_memberships",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_school_memberships_user_id_users")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_school_memberships_school_id_schools")),
        sa.PrimaryKeyConstraint("user_id", "school_id", "role", name=op.f("pk_school_memberships")),
    )
    op.create_index("ix_school_memberships_school_id_role", "school_memberships", ["school_id", "role"])
    op.create_table(
        "trust_access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_trust_access_grants_school_id_schools")),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_trust_access_grants_trust_id_trusts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_trust_access_grants_user_id_users")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_trust_access_grants_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_access_grants")),
    )
    op.create_index("ix_trust_access_grants_school_id_status", "trust_access_grants", ["school_id", "status"])
    op.create_index("ix_trust_access_grants_user_id_school_id", "trust_access_grants", ["user_id", "school_id"])
    op.create_table(
        "trust_concern_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("other_school_id", sa.Integer(), nullable=False),
        sa.Column("other_concern_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_trust_concern_links_school_id_schools")),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name=op.f("fk_trust_concern_links_concern_id_concerns")),
        sa.ForeignKeyConstraint(
            ["other_school_id"], ["schools.id"], name=op.f("fk_trust_concern_links_other_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["other_concern_id"], ["concerns.id"], name=op.f("fk_trust_concern_links_other_concern_id_concerns")
        ),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_trust_concern_links_trust_id_trusts")),
        sa.ForeignKeyConstraint(["linked_by_id"], ["users.id"], name=op.f("fk_trust_concern_links_linked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_concern_links")),
        sa.UniqueConstraint("concern_id", "other_concern_id", name=op.f("uq_trust_concern_links_concern_id")),
    )
    op.create_index("ix_trust_concern_links_school_id_concern_id", "trust_concern_links", ["school_id", "concern_id"])
    # The trust dashboard's referrals: a narrow partial index, so that counting every school's referrals over a period
    # does not read the whole chronology (a plain index; concern_events itself is not altered).
    op.create_index(
        "ix_concern_events_referrals",
        "concern_events",
        ["school_id", "at"],
        postgresql_where=sa.text("kind = 'referral'"),
        sqlite_where=sa.text("kind = 'referral'"),
    )


    op.create_table(
        "sign_in_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("trust_id", sa.Integer(), nullable=True),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret", sa.String(length=500), nullable=False),
        sa.Column("allowed_domains", sa.Text(), nullable=False),
        sa.Column("provision_staff", sa.Boolean(), nullable=False),
        sa.Column("accept_provider_mfa", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_sign_in_providers_school_id_schools")),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], name=op.f("fk_sign_in_providers_trust_id_trusts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_providers")),
    )

    op.create_table(
        "passkeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_passkeys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkeys_credential_id")),
    )
    op.create_index("ix_passkeys_user_id", "passkeys", ["user_id"])
    op.create_table(
        "school_sign_in",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("password_sign_in", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_school_sign_in_school_id_schools")),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_school_sign_in")),
    )


def downgrade():
    op.drop_table("school_sign_in")
    op.drop_index("ix_passkeys_user_id", table_name="passkeys")
    op.drop_table("passkeys")
    op.drop_table("sign_in_providers")
    op.drop_index("ix_concern_events_referrals", table_name="concern_events")
    op.drop_index("ix_trust_concern_links_school_id_concern_id", table_name="trust_concern_links")
    op.drop_table("trust_concern_links")
    op.drop_index("ix_trust_access_grants_user_id_school_id", table_name="trust_access_grants")
    op.drop_index("ix_trust_access_grants_school_id_status", table_name="trust_access_grants")
    op.drop_table("trust_access_grants")
    op.drop_index("ix_school_memberships_school_id_role", table_name="school_memberships")
    op.drop_table("school_memberships")
    op.drop_index("ix_trust_schools_trust_id", table_name="trust_schools")
    op.drop_table("trust_schools")
    op.drop_table("trusts")
