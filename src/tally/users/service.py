"""Users: creating, reading and changing them, and checking their passwords.

Every function takes the tenant explicitly (the command line names it by subdomain). A user's email is
unique within the tenant; a client-role user belongs to one account of the tenant and no other user to any.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tally.db import Database
from tally.errors import FieldError, InvalidInput, NotFound
from tally.inventory.models import Account
from tally.tenants.models import Tenant
from tally.users import passwords, rules
from tally.users.models import User

MAX_PAGE = 500


def _pointer(name: str) -> str:
    return f"/data/attributes/{name}"


def _invalid(attribute: str, message: str, code: str = "invalid") -> InvalidInput:
    return InvalidInput(message, [FieldError(_pointer(attribute), message, code)])


def _email_taken(email: str) -> InvalidInput:
    return InvalidInput(
        f"A user with email {email!r} already exists in this tenant.",
        [FieldError(_pointer("email"), "email has already been taken.", "taken")],
    )


async def _hash(password: str | None) -> str | None:
    # Argon2 is deliberately slow: off the event loop, and before any transaction is open.
    return await asyncio.to_thread(passwords.hash_password, password) if password else None


async def _check_account(session: AsyncSession, tenant_id: int, role: str, account_id: int | None) -> None:
    problem = rules.account_binding_problem(role, account_id)
    if problem is not None:
        raise _invalid("account_id", problem)
    if account_id is not None and await session.get(Account, (tenant_id, account_id)) is None:
        raise _invalid(
            "account_id", f"account_id {account_id} does not name an account of this tenant.", "not_found"
        )


async def _check_email_free(session: AsyncSession, tenant_id: int, email: str, own_id: int | None) -> None:
    conditions = [User.tenant_id == tenant_id, User.email == email]
    if own_id is not None:
        conditions.append(User.id != own_id)
    if await session.scalar(select(User.id).where(*conditions)) is not None:
        raise _email_taken(email)


async def register_user(db: Database, tenant_id: int, values: dict[str, Any]) -> User:
    """Create a user of the tenant from validated attributes (email, name, role, account_id, is_active and
    an optional password, stored only as an Argon2 hash)."""
    values = dict(values)
    password_hash = await _hash(values.pop("password", None))
    email = rules.normal_email(values["email"])

    async def work(session: AsyncSession) -> User:
        await _check_account(session, tenant_id, values["role"], values.get("account_id"))
        await _check_email_free(session, tenant_id, email, None)
        user = User(
            tenant_id=tenant_id,
            **{**values, "email": email},
            password_hash=password_hash,
        )
        session.add(user)
        await session.flush()
        return user

    try:
        return await db.transaction(work)
    except IntegrityError:
        # Two creates raced past the check; the unique constraint decided.
        raise _email_taken(email) from None


def check_new_user(email: str, name: str, role: str, password: str | None, account_id: int | None) -> None:
    """Refuse values no user may have, before any database work (the command line checks them before it
    asks for a password)."""
    if role not in rules.ROLES:
        raise _invalid("role", f"Unknown role {role!r}: use one of {', '.join(rules.ROLES)}.")
    if not rules.valid_email(rules.normal_email(email)):
        raise _invalid("email", f"{email!r} is not an email address.")
    if not name.strip() or len(name.strip()) > 150 or "\x00" in name:
        raise _invalid("name", "A name needs 1 to 150 characters.")
    problem = rules.account_binding_problem(role, account_id)
    if problem is not None:
        raise _invalid("account_id", problem)
    if password is not None and len(password) < passwords.MIN_LENGTH:
        raise _invalid("password", f"A password needs at least {passwords.MIN_LENGTH} characters.")


async def create_user(
    db: Database,
    subdomain: str,
    email: str,
    name: str,
    role: str,
    password: str | None,
    account_id: int | None = None,
) -> User:
    """Create a user of the tenant named by `subdomain` from unvalidated values (the command line)."""
    check_new_user(email, name, role, password, account_id)
    email = rules.normal_email(email)
    async with db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.subdomain == subdomain))
    if tenant_id is None:
        raise NotFound(f"No tenant {subdomain!r}.")
    values = {"email": email, "name": name.strip(), "role": role, "account_id": account_id}
    return await register_user(db, tenant_id, {**values, "password": password})


async def get_user(db: Database, tenant_id: int, id_: int) -> User:
    """A user of the tenant; another tenant's user is as absent as a missing one."""
    async with db.read() as session:
        user = await session.get(User, (tenant_id, id_))
    if user is None:
        raise NotFound(f"No user with id {id_}.")
    return user


async def list_users(db: Database, tenant_id: int, after: int | None, limit: int) -> list[User]:
    """Up to `limit` of the tenant's users in id order, starting after the id `after`."""
    statement = select(User).where(User.tenant_id == tenant_id)
    if after is not None:
        statement = statement.where(User.id > after)
    async with db.read() as session:
        return list((await session.scalars(statement.order_by(User.id).limit(limit))).all())


async def update_user(db: Database, tenant_id: int, id_: int, changes: dict[str, Any]) -> User:
    """Change the attributes sent (and only those). The role and account must still go together; a null
    password removes the password. Tokens already issued to the user follow the change at once: they are
    refused while the user is inactive and hold no scope the new role lacks."""
    changes = dict(changes)
    nulls = [k for k in ("email", "name", "role", "is_active") if k in changes and changes[k] is None]
    if nulls:
        raise InvalidInput(
            "These attributes may not be null: " + ", ".join(nulls) + ".",
            [FieldError(_pointer(k), f"{k} may not be null.", "null") for k in nulls],
        )
    if "email" in changes:
        changes["email"] = rules.normal_email(changes["email"])
    if "password" in changes:
        changes["password_hash"] = await _hash(changes.pop("password"))

    async def work(session: AsyncSession) -> User:
        user = await session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.id == id_).with_for_update()
        )
        if user is None:
            raise NotFound(f"No user with id {id_}.")
        role = changes.get("role", user.role)
        account_id = changes.get("account_id", user.account_id)
        if "role" in changes or "account_id" in changes:
            await _check_account(session, tenant_id, role, account_id)
        if "email" in changes:
            await _check_email_free(session, tenant_id, changes["email"], id_)
        for key, value in changes.items():
            setattr(user, key, value)
        await session.flush()
        return user

    try:
        return await db.transaction(work)
    except IntegrityError:
        raise _email_taken(str(changes.get("email"))) from None


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
