"""People: users, redirect URIs and public clients, and who did what.

The audit columns (user_id on tokens, attempts, checks, records, ledger rows and tasks) carry no foreign key:
they record history that must never block, and SQLite can only add a composite foreign key by rebuilding the
table (which would drop the ledger's immutability triggers). Services check the user belongs to the tenant.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tally.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_COLUMNS = [
    ("oauth_tokens", "user_id"),
    ("tasks", "user_id"),
    ("stock_checks", "created_by_user_id"),
    ("stock_checks", "completed_by_client_id"),
    ("stock_checks", "completed_by_user_id"),
    ("stock_check_records", "resolved_by_user_id"),
    ("stock_check_attempts", "user_id"),
    ("transactions", "user_id"),
]
TASK_TIMES = ["assigned_at", "start_at", "last_accessed_at"]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name=op.f("fk_users_tenant_id_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_users_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_users_tenant_id_email")),
    )
    op.add_column(
        "oauth_clients", sa.Column("redirect_uris", sa.String(length=2000), server_default="", nullable=False)
    )
    op.add_column("oauth_clients", sa.Column("is_public", sa.Boolean(), server_default="0", nullable=False))
    for table, column in AUDIT_COLUMNS:
        op.add_column(table, sa.Column(column, sa.BigInteger(), nullable=True))
    for column in TASK_TIMES:
        op.add_column("tasks", sa.Column(column, tally.db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in reversed(TASK_TIMES):
        op.drop_column("tasks", column)
    for table, column in reversed(AUDIT_COLUMNS):
        op.drop_column(table, column)
    op.drop_column("oauth_clients", "is_public")
    op.drop_column("oauth_clients", "redirect_uris")
    op.drop_table("users")
