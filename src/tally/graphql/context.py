"""What every resolver of one GraphQL request shares: the caller, one read session, the DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import strawberry
from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info as StrawberryInfo

from tally.http.auth import Principal
from tally.oauth.rules import INVENTORY_READ, INVENTORY_WRITE, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE

if TYPE_CHECKING:
    from tally.graphql.loaders import Loaders

# As in REST, a token that may write master data may also read it.
INVENTORY_SCOPES = (INVENTORY_READ, INVENTORY_WRITE)
STOCK_CHECK_SCOPES = (STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE)


class QueryError(Exception):
    """A mistake in the query (bad cursor, page too large, missing scope): shown to the caller as is.

    Any other exception is a fault of ours and is masked as "Unexpected error." in the response."""


class Reader:
    """The request's one read session.

    GraphQL resolves sibling fields concurrently and DataLoaders dispatch their batches as separate tasks,
    but an AsyncSession allows one operation at a time, so statements take turns on a lock."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = asyncio.Lock()

    async def scalars(self, statement: Executable) -> list[Any]:
        async with self._lock:
            return list((await self._session.scalars(statement)).all())

    async def rows(self, statement: Executable) -> list[Any]:
        async with self._lock:
            return list((await self._session.execute(statement)).all())

    async def scalar(self, statement: Executable) -> Any:
        async with self._lock:
            return await self._session.scalar(statement)


@dataclass
class Context:
    principal: Principal
    reader: Reader
    dialect: str
    loaders: Loaders

    @property
    def tenant_id(self) -> int:
        return self.principal.tenant_id

    @property
    def visible_account(self) -> int | None:
        """The one account whose stock, products and ledger the caller may see (client-role users), or
        None for the whole tenant."""
        return self.principal.visible_account

    @property
    def sees_system_counts(self) -> bool:
        """Blind counting: expected quantities and system counts only for stock_checks:manage."""
        return self.principal.has(STOCK_CHECKS_MANAGE)

    def require(self, field_name: str, scopes: tuple[str, ...]) -> None:
        if not any(self.principal.has(scope) for scope in scopes):
            raise QueryError(f"This token lacks the scope {field_name} needs: {' or '.join(scopes)}.")


Info: TypeAlias = StrawberryInfo[Context, None]


F = TypeVar("F", bound=Callable[..., Any])


def resolver(*, description: str | None = None, name: str | None = None) -> Callable[[F], F]:
    """strawberry.field(...) as a decorator mypy can see through (strawberry types it as Any)."""
    decorator: Callable[[F], F] = strawberry.field(description=description, name=name)
    return decorator
