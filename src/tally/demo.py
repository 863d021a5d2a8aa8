"""Seed the `demo` tenant (idempotently) with sample master data, stock and a client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tally.db import Database
from tally.inventory import service as inventory
from tally.inventory.models import Location
from tally.oauth import rules as oauth_rules
from tally.oauth.models import OAuthClient
from tally.oauth.service import create_client
from tally.tenants.service import get_or_create_tenant

DEMO = "demo"
DEMO_CLIENT = "demo"


@dataclass(frozen=True)
class DemoCredentials:
    client_id: str
    client_secret: str
    location_id: int


async def _seed_master_data(db: Database, tenant_id: int, client_pk: int) -> None:
    acme = await inventory.create(
        db,
        inventory.ACCOUNTS,
        tenant_id,
        {
            "code": "ACME",
            "name": "Acme Foods",
            "is_active": True,
            "batch_tracking": True,
            "sell_by_tracking": False,
            "best_before_tracking": True,
        },
    )
    beta = await inventory.create(
        db,
        inventory.ACCOUNTS,
        tenant_id,
        {
            "code": "BETA",
            "name": "Beta Hardware",
            "is_active": True,
            "batch_tracking": False,
            "sell_by_tracking": False,
            "best_before_tracking": False,
        },
    )
    warehouse = await inventory.create(
        db, inventory.WAREHOUSES, tenant_id, {"code": "WH1", "name": "Main DC"}
    )
    locations = [
        await inventory.create(
            db,
            inventory.LOCATIONS,
            tenant_id,
            {
                "code": code,
                "warehouse_id": warehouse.id,
                "description": f"Aisle A bay {i}",
                "is_active": True,
            },
        )
        for i, code in enumerate(["A-01-01-01", "A-01-01-02", "A-01-02-01"], start=1)
    ]
    beans = await inventory.create(
        db,
        inventory.PRODUCTS,
        tenant_id,
        {"code": "BEANS-400", "description": "Baked beans 400g", "account_id": acme.id},
    )
    soup = await inventory.create(
        db,
        inventory.PRODUCTS,
        tenant_id,
        {"code": "SOUP-TOM", "description": "Tomato soup", "account_id": acme.id},
    )
    bolts = await inventory.create(
        db,
        inventory.PRODUCTS,
        tenant_id,
        {"code": "BOLT-M8", "description": "M8 bolts, box of 100", "account_id": beta.id},
    )
    for code, name, reason_type in [
        ("SC-MISCOUNT", "Miscount", "stock_check"),
        ("SC-DAMAGED", "Damaged", "stock_check"),
        ("ADJ-POS-01", "Found stock", "positive_adjustment"),
        ("ADJ-NEG-01", "Damaged in transit", "negative_adjustment"),
    ]:
        await inventory.create(
            db,
            inventory.REASON_CODES,
            tenant_id,
            {"code": code, "name": name, "description": name, "reason_type": reason_type, "active": True},
        )
    stock = [
        (beans, locations[0], "24", "BATCH_A", date(2027, 6, 1)),
        (beans, locations[0], "12", "BATCH_B", date(2027, 9, 1)),
        (soup, locations[0], "40", "S-77", date(2027, 3, 1)),
        (bolts, locations[0], "5", "", None),
        (bolts, locations[1], "17.5", "", None),
    ]
    for product, location, quantity, batch, best_before in stock:
        await inventory.create_stock(
            db,
            tenant_id,
            client_pk,
            {
                "product_id": product.id,
                "location_id": location.id,
                "quantity": Decimal(quantity),
                "batch": batch,
                "sell_by_date": None,
                "best_before_date": best_before,
                "status": "available",
                "storage_unit_reference": None,
            },
        )


async def seed_demo(database_url: str) -> DemoCredentials:
    """Create the demo tenant and its data once; every run gives the demo client a fresh secret."""
    db = Database(database_url)
    try:
        tenant = await get_or_create_tenant(db, DEMO, "Demo warehouse")
        secret = oauth_rules.new_secret(32)
        async with db.write() as session:
            client = await session.scalar(
                select(OAuthClient).where(OAuthClient.tenant_id == tenant.id, OAuthClient.name == DEMO_CLIENT)
            )
            if client is not None:
                client.secret_hash = oauth_rules.digest(secret)
                client_id, client_pk = client.client_id, client.id
        if client is None:
            created = await create_client(db, DEMO, DEMO_CLIENT)
            client_id, secret = created.client_id, created.client_secret
            async with db.read() as session:
                client_pk = (
                    await session.scalar(
                        select(OAuthClient.id).where(
                            OAuthClient.tenant_id == tenant.id, OAuthClient.client_id == client_id
                        )
                    )
                    or 0
                )
        async with db.read() as session:
            location_id = await session.scalar(
                select(Location.id).where(Location.tenant_id == tenant.id).order_by(Location.id).limit(1)
            )
        if location_id is None:
            await _seed_master_data(db, tenant.id, client_pk)
            async with db.read() as session:
                location_id = await session.scalar(
                    select(Location.id).where(Location.tenant_id == tenant.id).order_by(Location.id).limit(1)
                )
        assert location_id is not None
        return DemoCredentials(client_id, secret, location_id)
    finally:
        await db.dispose()
