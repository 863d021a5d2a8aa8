"""OAuth client administration: registering a tenant's clients, changing them, rotating their secrets.

A confidential client authenticates with its secret, shown once (on create and on rotation) and stored only
as a SHA-256 digest. A public client (a browser or handheld app that cannot keep a secret) has none and can
only use the authorization code grant with PKCE; its stored digest is empty, which no secret ever matches.
Deactivating a client refuses its token requests and every token it already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from tally.db import Database
from tally.errors import FieldError, InvalidInput, NotFound, RuleViolation
from tally.oauth import rules
from tally.oauth.models import OAuthClient

MAX_PAGE = 500
# What a public client stores instead of a secret's digest: digests are 64 hex digits, so nothing matches.
NO_SECRET = ""
# oauth_clients.redirect_uris holds them space-separated in 2000 characters.
MAX_REDIRECT_URIS_LENGTH = 2000
MAX_REDIRECT_URI_LENGTH = 500
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def redirect_uri_problem(uri: str) -> str | None:
    """Why `uri` cannot be registered as a redirect URI, or None. RFC 6749 §3.1.2: absolute, no fragment;
    RFC 8252 §7.3 and §8.3: https, or http to a loopback host for native apps."""
    if not uri or len(uri) > MAX_REDIRECT_URI_LENGTH:
        return f"must be an absolute URI of at most {MAX_REDIRECT_URI_LENGTH} characters"
    if any(c.isspace() or not c.isprintable() for c in uri):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return "is not a valid URI"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute https URI (http only for localhost, 127.0.0.1 or [::1])"
    if "#" in uri:
        return "must not contain a fragment"
    if "@" in parts.netloc:
        return "must not contain credentials"
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return "must use https; http is only allowed for localhost, 127.0.0.1 or [::1]"
    return None


def redirect_uris_of(client: OAuthClient) -> list[str]:
    return client.redirect_uris.split()


@dataclass(frozen=True)
class ClientWithSecret:
    """A client and its new secret, which exists nowhere else (None for a public client)."""

    client: OAuthClient
    secret: str | None


def _pointer(name: str) -> str:
    return f"/data/attributes/{name}"


def _stored_redirect_uris(uris: list[str]) -> str:
    stored = " ".join(uris)
    if len(stored) > MAX_REDIRECT_URIS_LENGTH:
        message = f"redirect_uris may hold at most {MAX_REDIRECT_URIS_LENGTH} characters in all."
        raise InvalidInput(message, [FieldError(_pointer("redirect_uris"), message, "too_long")])
    return stored


def _check_public_has_redirect(is_public: bool, uris: str) -> None:
    if is_public and not uris:
        message = "A public client needs a redirect URI: the authorization code grant is all it can use."
        raise InvalidInput(message, [FieldError(_pointer("redirect_uris"), message, "required")])


async def register_client(db: Database, tenant_id: int, values: dict[str, Any]) -> ClientWithSecret:
    """Register a client of the tenant from validated attributes. Without scopes it gets the four default
    ones (never admin). A confidential client's secret is returned here once."""
    scopes = values.get("scopes") or list(rules.DEFAULT_SCOPES)
    uris = _stored_redirect_uris(values.get("redirect_uris") or [])
    is_public = bool(values.get("is_public", False))
    _check_public_has_redirect(is_public, uris)
    secret = None if is_public else rules.new_secret(32)
    async with db.write() as session:
        client = OAuthClient(
            tenant_id=tenant_id,
            client_id=rules.new_secret(16),
            name=values["name"],
            secret_hash=rules.digest(secret) if secret is not None else NO_SECRET,
            scopes=" ".join(scopes),
            redirect_uris=uris,
            is_public=is_public,
            is_active=values.get("is_active", True),
        )
        session.add(client)
        await session.flush()
    return ClientWithSecret(client, secret)


async def get_client(db: Database, tenant_id: int, id_: int) -> OAuthClient:
    """A client of the tenant by id; another tenant's client is as absent as a missing one."""
    async with db.read() as session:
        client = await session.get(OAuthClient, (tenant_id, id_))
    if client is None:
        raise NotFound(f"No OAuth client with id {id_}.")
    return client


async def list_clients(db: Database, tenant_id: int, after: int | None, limit: int) -> list[OAuthClient]:
    """Up to `limit` of the tenant's clients in id order, starting after the id `after`."""
    statement = select(OAuthClient).where(OAuthClient.tenant_id == tenant_id)
    if after is not None:
        statement = statement.where(OAuthClient.id > after)
    async with db.read() as session:
        return list((await session.scalars(statement.order_by(OAuthClient.id).limit(limit))).all())


async def _locked(session: Any, tenant_id: int, id_: int) -> OAuthClient:
    client: OAuthClient | None = await session.scalar(
        select(OAuthClient).where(OAuthClient.tenant_id == tenant_id, OAuthClient.id == id_).with_for_update()
    )
    if client is None:
        raise NotFound(f"No OAuth client with id {id_}.")
    return client


async def update_client(db: Database, tenant_id: int, id_: int, changes: dict[str, Any]) -> OAuthClient:
    """Change the attributes sent (and only those). Narrowed scopes and deactivation apply at once to the
    tokens the client already holds; is_public cannot change."""
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise InvalidInput(
            "These attributes may not be null: " + ", ".join(nulls) + ".",
            [FieldError(_pointer(k), f"{k} may not be null.", "null") for k in nulls],
        )
    async with db.write() as session:
        client = await _locked(session, tenant_id, id_)
        if changes.get("is_public") is not None and changes["is_public"] != client.is_public:
            message = "is_public cannot change: register a new client instead."
            raise RuleViolation(message, [FieldError(_pointer("is_public"), message, "immutable")])
        if "name" in changes:
            client.name = changes["name"]
        if "scopes" in changes:
            client.scopes = " ".join(changes["scopes"])
        if "redirect_uris" in changes:
            client.redirect_uris = _stored_redirect_uris(changes["redirect_uris"])
        _check_public_has_redirect(client.is_public, client.redirect_uris)
        if "is_active" in changes:
            client.is_active = changes["is_active"]
        await session.flush()
        return client


async def rotate_secret(db: Database, tenant_id: int, id_: int) -> ClientWithSecret:
    """Give a confidential client a new secret, returned here once; the old one stops working at once.
    Tokens already issued stay valid until they expire (deactivate the client to cut them off)."""
    secret = rules.new_secret(32)
    async with db.write() as session:
        client = await _locked(session, tenant_id, id_)
        if client.is_public:
            raise RuleViolation("A public client has no secret to rotate: it authenticates with PKCE.")
        client.secret_hash = rules.digest(secret)
        await session.flush()
        return ClientWithSecret(client, secret)
