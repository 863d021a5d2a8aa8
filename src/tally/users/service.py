"""Users: creating them and checking their passwords."""

from __future__ import annotations

from sqlalchemy import select

from tally.db import Database
from tally.errors import Conflict, InvalidInput, NotFound
from tally.tenants.models import Tenant
from tally.users import passwords, rules
from tally.users.models import User


async def create_user(
    db: Database,
    subdomain: str,
    email: str,
    name: str,
    role: str,
    password: str | None,
    account_id: int | None = None,
) -> User:
    """Create a user of a tenant. Client-role users are bound to one account; others to none."""
    email = rules.normal_email(email)
    if role not in rules.ROLES:
        raise InvalidInput(f"Unknown role {role!r}: use one of {', '.join(rules.ROLES)}.")
    if "@" not in email or len(email) > 254:
        raise InvalidInput(f"{email!r} is not an email address.")
    if password is not None and len(password) < passwords.MIN_LENGTH:
        raise InvalidInput(f"A password needs at least {passwords.MIN_LENGTH} characters.")
    if (role == "client") != (account_id is not None):
        raise InvalidInput("A client-role user must name its account (account_id); other roles must not.")
    async with db.write() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.subdomain == subdomain))
        if tenant is None:
            raise NotFound(f"No tenant {subdomain!r}.")
        taken = await session.scalar(select(User.id).where(User.tenant_id == tenant.id, User.email == email))
        if taken is not None:
            raise Conflict(f"A user with email {email!r} already exists in this tenant.")
        user = User(
            tenant_id=tenant.id,
            email=email,
            name=name,
            role=role,
            account_id=account_id,
            password_hash=passwords.hash_password(password) if password else None,
        )
        session.add(user)
        await session.flush()
        return user


async def user_by_password(db: Database, subdomain: str, email: str, password: str) -> User | None:
    """The active user with this email and password in the tenant, else None (same cost either way)."""
    async with db.read() as session:
        user = await session.scalar(
            select(User)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(Tenant.subdomain == subdomain, User.email == rules.normal_email(email))
        )
    stored = user.password_hash if user is not None else None
    if not passwords.password_matches(password, stored) or user is None or not user.is_active:
        return None
    return user
