"""Every table, imported in one place so metadata and migrations see them all."""

from tally.db.base import Base
from tally.http.models import IdempotencyKey
from tally.inventory.models import (
    Account,
    LedgerTransaction,
    Location,
    Product,
    ReasonCode,
    Stock,
    Warehouse,
)
from tally.oauth.models import OAuthClient, OAuthToken
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tally.tasks.models import Task
from tally.tenants.models import Tenant
from tally.users.models import User

__all__ = [
    "Account",
    "Base",
    "IdempotencyKey",
    "LedgerTransaction",
    "Location",
    "OAuthClient",
    "OAuthToken",
    "Product",
    "ReasonCode",
    "Stock",
    "StockCheck",
    "StockCheckAttempt",
    "StockCheckRecord",
    "Task",
    "Tenant",
    "User",
    "Warehouse",
]
