"""Roles and what they may do: pure decisions."""

from __future__ import annotations

from typing import Final

from tally.oauth.rules import INVENTORY_READ, INVENTORY_WRITE, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE

ADMIN_SCOPE: Final = "admin"

# As in Clarus: Admin, Standard, Client (a stock owner's own people) and RF (handheld operatives).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {INVENTORY_READ, INVENTORY_WRITE, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE, ADMIN_SCOPE}
    ),
    "standard": frozenset({INVENTORY_READ, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE}),
    "client": frozenset({INVENTORY_READ}),
    "rf": frozenset({STOCK_CHECKS_COUNT}),
}
ROLES: tuple[str, ...] = tuple(ROLE_SCOPES)


def role_scopes(role: str) -> frozenset[str]:
    """The scopes a user of `role` may hold; an unknown role may hold none."""
    return ROLE_SCOPES.get(role, frozenset())


def normal_email(email: str) -> str:
    """Logins compare case-insensitively: stored and looked up in lower case."""
    return email.strip().lower()
