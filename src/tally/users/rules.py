"""Roles and what they may do: pure decisions."""

from __future__ import annotations

import re
from typing import Final

from tally.oauth.rules import ADMIN, INVENTORY_READ, INVENTORY_WRITE, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE

ADMIN_SCOPE: Final = ADMIN
CLIENT_ROLE: Final = "client"

# As in Clarus: Admin, Standard, Client (a stock owner's own people) and RF (handheld operatives).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {INVENTORY_READ, INVENTORY_WRITE, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE, ADMIN_SCOPE}
    ),
    "standard": frozenset({INVENTORY_READ, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE}),
    CLIENT_ROLE: frozenset({INVENTORY_READ}),
    "rf": frozenset({STOCK_CHECKS_COUNT}),
}
ROLES: tuple[str, ...] = tuple(ROLE_SCOPES)

MAX_EMAIL_LENGTH: Final = 254  # RFC 5321's limit on a forward path
# Deliberately loose: one @, something either side, no spaces. Deliverability is the mail server's business.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")

# No account has this id (ids start at 1): a client-role user whose account is somehow missing sees nothing.
NO_ACCOUNT: Final = 0


def role_scopes(role: str) -> frozenset[str]:
    """The scopes a user of `role` may hold; an unknown role may hold none."""
    return ROLE_SCOPES.get(role, frozenset())


def effective_scopes(token_scopes: frozenset[str], role: str | None) -> frozenset[str]:
    """What a token may do now: a token acting as a user (role set) never exceeds what the user's role
    allows today, whatever the role was when the token was issued."""
    if role is None:
        return token_scopes
    return token_scopes & role_scopes(role)


def normal_email(email: str) -> str:
    """Logins compare case-insensitively: stored and looked up in lower case."""
    return email.strip().lower()


def valid_email(email: str) -> bool:
    """Whether a normalised email can be a login."""
    # NUL passes the pattern, but PostgreSQL text cannot hold it.
    return len(email) <= MAX_EMAIL_LENGTH and "\x00" not in email and _EMAIL.fullmatch(email) is not None


def account_binding_problem(role: str, account_id: int | None) -> str | None:
    """Why this role and account cannot go together, or None: a client-role user is bound to exactly one
    account (the stock owner whose people they are); every other role to none."""
    if role == CLIENT_ROLE and account_id is None:
        return "A client-role user must name its account: account_id is required."
    if role != CLIENT_ROLE and account_id is not None:
        return f"Only client-role users belong to an account: a {role} user must not have an account_id."
    return None


def visible_account(role: str | None, account_id: int | None) -> int | None:
    """The one account whose stock, products and ledger a caller may see, or None for all of them.

    Client-role users see their own account's only; everyone else (other roles, and tokens acting for a
    client application rather than a person) sees the whole tenant."""
    if role != CLIENT_ROLE:
        return None
    return account_id if account_id is not None else NO_ACCOUNT
