"""Tenancy and bearer tokens: the X-Clarus-Subdomain header names the tenant, the token must belong to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from tally.db import Database
from tally.errors import Forbidden, MalformedRequest, Unauthenticated
from tally.users.rules import visible_account

TENANT_HEADER = "X-Clarus-Subdomain"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a client of one tenant holding some scopes, acting for a user or for itself."""

    tenant_id: int
    subdomain: str
    client_pk: int
    scopes: frozenset[str]
    user_id: int | None = None
    # The acting user's role and, for client-role users, their account (None for client credentials).
    role: str | None = None
    account_id: int | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def visible_account(self) -> int | None:
        """The one account whose stock this caller may see, or None for the whole tenant."""
        return visible_account(self.role, self.account_id)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _db_dependency(request: Request) -> Database:
    # async, so FastAPI calls it inline rather than sending a plain function to its thread pool per request
    return get_db(request)


DB = Annotated[Database, Depends(_db_dependency)]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("A bearer token is required: send Authorization: Bearer <token>.")
    return token.strip()


async def authenticate(request: Request) -> Principal:
    """The caller of a request under /api or /graphql; cached on the request."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    subdomain = request.headers.get(TENANT_HEADER, "").strip()
    if not subdomain:
        raise MalformedRequest(f"The {TENANT_HEADER} header is required: it names your tenant.")
    token = bearer_token(request)
    from tally.oauth.service import principal_for_token

    principal = await principal_for_token(get_db(request), subdomain.lower(), token)
    request.state.principal = principal
    return principal


def require_scope(*any_of: str) -> Any:
    """A dependency giving the caller, who must hold at least one of `any_of`."""

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if not any(principal.has(scope) for scope in any_of):
            needed = " or ".join(any_of)
            raise Forbidden(f"This token lacks the scope this endpoint needs: {needed}.")
        return principal

    return Depends(dependency)


InventoryRead = Annotated[Principal, require_scope("inventory:read", "inventory:write")]
InventoryWrite = Annotated[Principal, require_scope("inventory:write")]
Count = Annotated[Principal, require_scope("stock_checks:count")]
Manage = Annotated[Principal, require_scope("stock_checks:manage")]
CountOrManage = Annotated[Principal, require_scope("stock_checks:count", "stock_checks:manage")]
Admin = Annotated[Principal, require_scope("admin")]
