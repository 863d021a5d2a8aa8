"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-04 15:45:57.430505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tally.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subdomain", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("adjust_stock_on_resolve", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("subdomain", name=op.f("uq_tenants_subdomain")),
    )
    op.create_table(
        "accounts",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("batch_tracking", sa.Boolean(), nullable=False),
        sa.Column("sell_by_tracking", sa.Boolean(), nullable=False),
        sa.Column("best_before_tracking", sa.Boolean(), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_accounts_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_accounts_tenant_id_code")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("client_pk", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_idempotency_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "tenant_id", "client_pk", "key", name=op.f("uq_idempotency_keys_tenant_id_client_pk_key")
        ),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created_at", ["created_at"], unique=False)

    op.create_table(
        "oauth_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_oauth_clients_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint("tenant_id", "client_id", name=op.f("uq_oauth_clients_tenant_id_client_id")),
    )
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.create_index("ix_oauth_clients_client_id", ["client_id"], unique=False)

    op.create_table(
        "reason_codes",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=150), nullable=False),
        sa.Column("reason_type", sa.String(length=30), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_reason_codes_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reason_codes")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_reason_codes_tenant_id_code")),
    )
    op.create_table(
        "warehouses",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_warehouses_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_warehouses_tenant_id_code")),
    )
    op.create_table(
        "locations",
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=150), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_counted_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["warehouses.tenant_id", "warehouses.id"],
            name=op.f("fk_locations_tenant_id_warehouse_id_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_locations_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_locations")),
        sa.UniqueConstraint(
            "tenant_id", "warehouse_id", "code", name=op.f("uq_locations_tenant_id_warehouse_id_code")
        ),
    )
    op.create_table(
        "oauth_tokens",
        sa.Column("client_pk", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("expires_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_pk"],
            ["oauth_clients.tenant_id", "oauth_clients.id"],
            name=op.f("fk_oauth_tokens_tenant_id_client_pk_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_oauth_tokens_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_oauth_tokens")),
        sa.UniqueConstraint("tenant_id", "token_hash", name=op.f("uq_oauth_tokens_tenant_id_token_hash")),
    )
    op.create_table(
        "products",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=150), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name=op.f("fk_products_tenant_id_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_products_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_products")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_products_tenant_id_code")),
    )
    op.create_table(
        "stocks",
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", tally.db.types.Quantity(precision=18, scale=4), nullable=False),
        sa.Column("batch", sa.String(length=100), server_default="", nullable=False),
        sa.Column("sell_by_date", sa.Date(), nullable=True),
        sa.Column("best_before_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("storage_unit_reference", sa.String(length=100), nullable=True),
        sa.Column("fifo_date", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_counted_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name=op.f("fk_stocks_tenant_id_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            name=op.f("fk_stocks_tenant_id_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_stocks_tenant_id_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stocks_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_stocks")),
    )
    with op.batch_alter_table("stocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stocks_location_product", ["tenant_id", "location_id", "product_id"], unique=False
        )

    op.create_table(
        "tasks",
        sa.Column("task_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("location_from_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_from_id"],
            ["locations.tenant_id", "locations.id"],
            name=op.f("fk_tasks_tenant_id_location_from_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tasks_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tasks")),
    )
    op.create_table(
        "stock_checks",
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expected_completion_date", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_client_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            name=op.f("fk_stock_checks_tenant_id_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "task_id"],
            ["tasks.tenant_id", "tasks.id"],
            name=op.f("fk_stock_checks_tenant_id_task_id_tasks"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_stock_checks_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_stock_checks")),
        sa.UniqueConstraint("tenant_id", "task_id", name=op.f("uq_stock_checks_tenant_id_task_id")),
    )
    with op.batch_alter_table("stock_checks", schema=None) as batch_op:
        batch_op.create_index("ix_stock_checks_status", ["tenant_id", "status"], unique=False)
        batch_op.create_index(
            "uq_stock_checks_pending_location",
            ["tenant_id", "location_id"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "transactions",
        sa.Column("stock_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity_change", tally.db.types.Quantity(precision=18, scale=4), nullable=False),
        sa.Column("resulting_quantity", tally.db.types.Quantity(precision=18, scale=4), nullable=False),
        sa.Column("subtype", sa.String(length=20), nullable=False),
        sa.Column("reason_code_id", sa.BigInteger(), nullable=True),
        sa.Column("client_id", sa.BigInteger(), nullable=True),
        sa.Column("stock_check_id", sa.BigInteger(), nullable=True),
        sa.Column("stock_check_record_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            name=op.f("fk_transactions_tenant_id_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_transactions_tenant_id_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reason_code_id"],
            ["reason_codes.tenant_id", "reason_codes.id"],
            name=op.f("fk_transactions_tenant_id_reason_code_id_reason_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "stock_id"],
            ["stocks.tenant_id", "stocks.id"],
            name=op.f("fk_transactions_tenant_id_stock_id_stocks"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_transactions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_transactions")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index("ix_transactions_stock", ["tenant_id", "stock_id"], unique=False)

    op.create_table(
        "stock_check_records",
        sa.Column("stock_check_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("batch", sa.String(length=100), nullable=False),
        sa.Column("sell_by_date", sa.Date(), nullable=True),
        sa.Column("best_before_date", sa.Date(), nullable=True),
        sa.Column("group_key", sa.String(length=200), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("last_result", sa.String(length=10), nullable=True),
        sa.Column("reason_code_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", tally.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_client_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_stock_check_records_tenant_id_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reason_code_id"],
            ["reason_codes.tenant_id", "reason_codes.id"],
            name=op.f("fk_stock_check_records_tenant_id_reason_code_id_reason_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "stock_check_id"],
            ["stock_checks.tenant_id", "stock_checks.id"],
            name=op.f("fk_stock_check_records_tenant_id_stock_check_id_stock_checks"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stock_check_records_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_stock_check_records")),
        sa.UniqueConstraint(
            "tenant_id",
            "stock_check_id",
            "group_key",
            name=op.f("uq_stock_check_records_tenant_id_stock_check_id_group_key"),
        ),
    )
    op.create_table(
        "stock_check_attempts",
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("physical_count", tally.db.types.Quantity(precision=18, scale=4), nullable=False),
        sa.Column("system_count", tally.db.types.Quantity(precision=18, scale=4), nullable=False),
        sa.Column("attempt_result", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", tally.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "record_id"],
            ["stock_check_records.tenant_id", "stock_check_records.id"],
            name=op.f("fk_stock_check_attempts_tenant_id_record_id_stock_check_records"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stock_check_attempts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_stock_check_attempts")),
        sa.UniqueConstraint(
            "tenant_id",
            "record_id",
            "attempt_number",
            name=op.f("uq_stock_check_attempts_tenant_id_record_id_attempt_number"),
        ),
    )

    _ledger_is_immutable()


def _ledger_is_immutable() -> None:
    """The ledger is append-only: the database itself refuses UPDATE and DELETE of its rows."""
    if op.get_context().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER transactions_no_{verb.lower()} BEFORE {verb} ON transactions "
                "BEGIN SELECT RAISE(ABORT, 'ledger transactions are immutable'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION tally_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'ledger transactions are immutable'; END $$"
        )
        op.execute(
            "CREATE TRIGGER transactions_immutable BEFORE UPDATE OR DELETE ON transactions "
            "FOR EACH ROW EXECUTE FUNCTION tally_ledger_immutable()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS transactions_no_update")
        op.execute("DROP TRIGGER IF EXISTS transactions_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS transactions_immutable ON transactions")
        op.execute("DROP FUNCTION IF EXISTS tally_ledger_immutable()")
    op.drop_table("stock_check_attempts")
    op.drop_table("stock_check_records")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_stock")

    op.drop_table("transactions")
    with op.batch_alter_table("stock_checks", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stock_checks_pending_location",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_stock_checks_status")

    op.drop_table("stock_checks")
    op.drop_table("tasks")
    with op.batch_alter_table("stocks", schema=None) as batch_op:
        batch_op.drop_index("ix_stocks_location_product")

    op.drop_table("stocks")
    op.drop_table("products")
    op.drop_table("oauth_tokens")
    op.drop_table("locations")
    op.drop_table("warehouses")
    op.drop_table("reason_codes")
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.drop_index("ix_oauth_clients_client_id")

    op.drop_table("oauth_clients")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_created_at")

    op.drop_table("idempotency_keys")
    op.drop_table("accounts")
    op.drop_table("tenants")
