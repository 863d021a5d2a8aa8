"""The read schema: one root field per resource, each `{ all(filter:, first:, after:) }` as in Clarus.

A token without the scope a root field needs gets null for that field and an error naming the scope in
`errors` (HTTP 200): one query may ask for several roots, and the others still answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
import structlog
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from graphql import GraphQLError
from tally.graphql.context import INVENTORY_SCOPES, STOCK_CHECK_SCOPES, Info, QueryError, resolver
from tally.graphql.inventory import (
    AccountsQuery,
    LocationsQuery,
    ProductsQuery,
    ReasonCodesQuery,
    StocksQuery,
    WarehousesQuery,
)
from tally.graphql.ledger import TransactionsQuery
from tally.graphql.scalars import SCALARS
from tally.graphql.stock_checks import StockChecksQuery
from tally.graphql.tasks import TasksQuery

log = structlog.get_logger(__name__)

# Deep enough for every documented shape (stock_checks → records → attempts is 7), shallow enough to stop
# task → stock_check → task … cycles.
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5000

_INVENTORY = "Needs inventory:read."
_COUNTING = "Needs stock_checks:count or stock_checks:manage."


@strawberry.type
class Query:
    @resolver(description=f"Stock records. {_INVENTORY}")
    def stocks(self, info: Info) -> StocksQuery | None:
        info.context.require("stocks", INVENTORY_SCOPES)
        return StocksQuery()

    @resolver(description=f"Locations. {_INVENTORY}")
    def locations(self, info: Info) -> LocationsQuery | None:
        info.context.require("locations", INVENTORY_SCOPES)
        return LocationsQuery()

    @resolver(description=f"Products. {_INVENTORY}")
    def products(self, info: Info) -> ProductsQuery | None:
        info.context.require("products", INVENTORY_SCOPES)
        return ProductsQuery()

    @resolver(description=f"Accounts (stock owners). {_INVENTORY}")
    def accounts(self, info: Info) -> AccountsQuery | None:
        info.context.require("accounts", INVENTORY_SCOPES)
        return AccountsQuery()

    @resolver(description=f"Warehouses. {_INVENTORY}")
    def warehouses(self, info: Info) -> WarehousesQuery | None:
        info.context.require("warehouses", INVENTORY_SCOPES)
        return WarehousesQuery()

    @resolver(description=f"Reason codes. {_INVENTORY}")
    def reason_codes(self, info: Info) -> ReasonCodesQuery | None:
        info.context.require("reason_codes", INVENTORY_SCOPES)
        return ReasonCodesQuery()

    @resolver(description=f"The stock ledger, read-only. {_INVENTORY}")
    def transactions(self, info: Info) -> TransactionsQuery | None:
        info.context.require("transactions", INVENTORY_SCOPES)
        return TransactionsQuery()

    @resolver(description=f"Stock checks. {_COUNTING} System counts need manage.")
    def stock_checks(self, info: Info) -> StockChecksQuery | None:
        info.context.require("stock_checks", STOCK_CHECK_SCOPES)
        return StockChecksQuery()

    @resolver(description=f"Tasks. {_COUNTING}")
    def tasks(self, info: Info) -> TasksQuery | None:
        info.context.require("tasks", STOCK_CHECK_SCOPES)
        return TasksQuery()


def is_unexpected(error: GraphQLError) -> bool:
    """A fault of ours raised while resolving a field, as opposed to a mistake in the query.

    Parse, validation and variable errors carry no path; QueryError is a message meant for the caller."""
    original = error.original_error
    return error.path is not None and original is not None and not isinstance(original, QueryError)


class ReadSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_unexpected(error):
                original: Any = error.original_error
                log.error("graphql.error", path=error.path, exc_info=original)


# Factories, not instances: an extension keeps per-operation state, so each request gets its own.
EXTENSIONS: list[Callable[[], SchemaExtension]] = [
    lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
    lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
    lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    lambda: MaskErrors(should_mask_error=is_unexpected),
]

schema = ReadSchema(
    query=Query,
    config=StrawberryConfig(auto_camel_case=False, scalar_map=SCALARS),
    extensions=EXTENSIONS,
)
