"""Authorization code grant: codes, refresh tokens, token families and the sign-in throttle.

oauth_tokens.family_id is added without a foreign key for the reason 0002 gives: SQLite can only add one by
rebuilding the table. It names the authorization code a grant began with, so reusing a code or a refresh
token revokes every access and refresh token of that grant.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import tally.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_and_client_keys(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_pk"],
            ["oauth_clients.tenant_id", "oauth_clients.id"],
            name=op.f(f"fk_{table}_tenant_id_client_pk_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f(f"fk_{table}_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "oauth_authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_pk", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("expires_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        *_tenant_and_client_keys("oauth_authorization_codes"),
        sa.UniqueConstraint(
            "tenant_id", "code_hash", name=op.f("uq_oauth_authorization_codes_tenant_id_code_hash")
        ),
    )
    op.create_table(
        "oauth_refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_pk", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("family_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        *_tenant_and_client_keys("oauth_refresh_tokens"),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name=op.f("uq_oauth_refresh_tokens_tenant_id_token_hash")
        ),
    )
    op.create_index("ix_oauth_refresh_tokens_family", "oauth_refresh_tokens", ["tenant_id", "family_id"])

    op.add_column("oauth_tokens", sa.Column("family_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_oauth_tokens_family", "oauth_tokens", ["tenant_id", "family_id"])

    op.create_table(
        "signin_failures",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failures")),
    )
    op.create_index("ix_signin_failures_key_created_at", "signin_failures", ["key", "created_at"])
    op.create_index("ix_signin_failures_created_at", "signin_failures", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_signin_failures_created_at", table_name="signin_failures")
    op.drop_index("ix_signin_failures_key_created_at", table_name="signin_failures")
    op.drop_table("signin_failures")
    op.drop_index("ix_oauth_tokens_family", table_name="oauth_tokens")
    op.drop_column("oauth_tokens", "family_id")
    op.drop_index("ix_oauth_refresh_tokens_family", table_name="oauth_refresh_tokens")
    op.drop_table("oauth_refresh_tokens")
    op.drop_table("oauth_authorization_codes")
