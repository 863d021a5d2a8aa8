"""Scopes and secrets: pure decisions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets

INVENTORY_READ = "inventory:read"
INVENTORY_WRITE = "inventory:write"
STOCK_CHECKS_COUNT = "stock_checks:count"
STOCK_CHECKS_MANAGE = "stock_checks:manage"
# Administering the tenant's users and OAuth clients. Never implied: a client holds it only when it is named.
ADMIN = "admin"

# What a client created without scopes gets: the four API scopes, never `admin`. (ALL_SCOPES is the old name,
# kept because integrations and tests read it as "the default grant".)
DEFAULT_SCOPES: tuple[str, ...] = (INVENTORY_READ, INVENTORY_WRITE, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE)
ALL_SCOPES = DEFAULT_SCOPES
# Every scope a client may be registered with.
KNOWN_SCOPES: tuple[str, ...] = (*DEFAULT_SCOPES, ADMIN)


def parse_scopes(value: str | None) -> list[str]:
    """Space-delimited scope string (RFC 6749 §3.3) to an ordered list without duplicates."""
    seen: list[str] = []
    for scope in (value or "").split():
        if scope not in seen:
            seen.append(scope)
    return seen


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in KNOWN_SCOPES]


def client_scopes(requested: str | None) -> list[str]:
    """The scopes a new client gets: those asked for, or the four default ones (not admin) when none are."""
    scopes = parse_scopes(requested)
    return scopes or list(DEFAULT_SCOPES)


def granted_scopes(requested: str | None, allowed: list[str]) -> list[str] | None:
    """The scopes a token request gets: all the client's when none are asked for; None when it asks for
    any scope the client does not hold (invalid_scope)."""
    asked = parse_scopes(requested)
    if not asked:
        return list(allowed)
    if any(scope not in allowed for scope in asked):
        return None
    return asked


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy random secret; a slow hash would add nothing against 256 random bits."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
