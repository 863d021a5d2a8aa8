"""Creating and finding tenants."""

from __future__ import annotations

from sqlalchemy import select

from tally.db import Database
from tally.errors import Conflict, InvalidInput, NotFound
from tally.tenants.models import Tenant
from tally.tenants.rules import valid_subdomain


async def create_tenant(db: Database, subdomain: str, name: str | None = None) -> Tenant:
    """Create a tenant; the subdomain must be a lower-case DNS label not yet taken."""
    if not valid_subdomain(subdomain):
        raise InvalidInput(
            f"{subdomain!r} is not a valid subdomain: use lower-case letters, digits and inner hyphens."
        )
    async with db.write() as session:
        existing = await session.scalar(select(Tenant).where(Tenant.subdomain == subdomain))
        if existing is not None:
            raise Conflict(f"Tenant {subdomain!r} already exists.")
        tenant = Tenant(subdomain=subdomain, name=name or subdomain)
        session.add(tenant)
        await session.flush()
        return tenant


async def get_tenant(db: Database, subdomain: str) -> Tenant:
    async with db.read() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.subdomain == subdomain))
    if tenant is None:
        raise NotFound(f"No tenant {subdomain!r}.")
    return tenant


async def get_or_create_tenant(db: Database, subdomain: str, name: str | None = None) -> Tenant:
    try:
        return await get_tenant(db, subdomain)
    except NotFound:
        return await create_tenant(db, subdomain, name)
