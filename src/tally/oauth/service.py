"""Clients and access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from tally.db import Database
from tally.db.types import utcnow
from tally.errors import InvalidInput, NotFound, Unauthenticated
from tally.http.auth import Principal
from tally.oauth import rules
from tally.oauth.models import OAuthClient, OAuthToken
from tally.tenants.models import Tenant
from tally.tenants.rules import valid_subdomain
from tally.users import rules as user_rules
from tally.users.models import User

UNAUTHENTICATED = "The access token is missing, invalid, expired or revoked, or not valid for this tenant."


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str
    scopes: list[str]


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scopes: list[str]


async def create_client(db: Database, subdomain: str, name: str, scopes: str | None = None) -> NewClient:
    """Register a client for a tenant. The secret is returned once and stored only as a hash."""
    granted = rules.client_scopes(scopes)
    unknown = rules.unknown_scopes(granted)
    if unknown:
        raise InvalidInput(
            f"Unknown scopes: {', '.join(unknown)}. Known scopes: {', '.join(rules.KNOWN_SCOPES)}."
        )
    async with db.write() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.subdomain == subdomain))
        if tenant is None:
            raise NotFound(f"No tenant {subdomain!r}.")
        client_id = rules.new_secret(16)
        secret = rules.new_secret(32)
        session.add(
            OAuthClient(
                tenant_id=tenant.id,
                client_id=client_id,
                name=name,
                secret_hash=rules.digest(secret),
                scopes=" ".join(granted),
            )
        )
    return NewClient(client_id=client_id, client_secret=secret, scopes=granted)


@dataclass(frozen=True)
class AuthenticatedClient:
    pk: int
    tenant_id: int
    subdomain: str
    scopes: list[str]


async def authenticate_client(db: Database, client_id: str, secret: str) -> AuthenticatedClient | None:
    row = None
    # No client id holds NUL, and PostgreSQL refuses to even compare text that does.
    if "\x00" not in client_id:
        async with db.read() as session:
            row = (
                await session.execute(
                    select(OAuthClient, Tenant.subdomain)
                    .join(Tenant, Tenant.id == OAuthClient.tenant_id)
                    .where(OAuthClient.client_id == client_id, OAuthClient.is_active.is_(True))
                )
            ).first()
    if row is None:
        rules.secret_matches(secret, "0" * 64)  # same work whether or not the client exists
        return None
    client, subdomain = row
    if not rules.secret_matches(secret, client.secret_hash):
        return None
    return AuthenticatedClient(client.id, client.tenant_id, subdomain, rules.parse_scopes(client.scopes))


async def issue_token(
    db: Database, client: AuthenticatedClient, scopes: list[str], lifetime: int
) -> IssuedToken:
    token = rules.new_secret(32)
    async with db.write() as session:
        session.add(
            OAuthToken(
                tenant_id=client.tenant_id,
                client_pk=client.pk,
                token_hash=rules.digest(token),
                scopes=" ".join(scopes),
                expires_at=utcnow() + timedelta(seconds=lifetime),
            )
        )
    return IssuedToken(access_token=token, expires_in=lifetime, scopes=scopes)


async def revoke_token(db: Database, client: AuthenticatedClient, token: str) -> None:
    """RFC 7009: revoke a token of this client; unknown tokens are not an error."""
    async with db.write() as session:
        await session.execute(
            update(OAuthToken)
            .where(
                OAuthToken.tenant_id == client.tenant_id,
                OAuthToken.token_hash == rules.digest(token),
                OAuthToken.client_pk == client.pk,
                OAuthToken.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )


async def principal_for_token(db: Database, subdomain: str, token: str) -> Principal:
    """The caller behind a bearer token, in one statement: the tenant by subdomain and the token by hash
    (indexed), with the token's client and, when it acts as a person, its user joined by primary key.

    A token is refused when it is expired or revoked, when its client has been deactivated, and when it acts
    as a user who is inactive or gone. It may use only the scopes its client and, for a user, the user's
    role allow now: both may have been narrowed since it was issued."""
    if not valid_subdomain(subdomain):
        # No tenant has it, and text such as NUL would make PostgreSQL fail the lookup instead of missing.
        raise Unauthenticated(UNAUTHENTICATED)
    async with db.read() as session:
        row = (
            await session.execute(
                select(
                    OAuthToken.tenant_id,
                    OAuthToken.client_pk,
                    OAuthToken.user_id,
                    OAuthToken.scopes,
                    OAuthToken.expires_at,
                    OAuthToken.revoked_at,
                    OAuthClient.scopes.label("client_scopes"),
                    OAuthClient.is_active.label("client_active"),
                    User.id.label("found_user_id"),
                    User.role,
                    User.account_id,
                    User.is_active.label("user_active"),
                )
                .join(Tenant, Tenant.id == OAuthToken.tenant_id)
                .join(
                    OAuthClient,
                    (OAuthClient.tenant_id == OAuthToken.tenant_id)
                    & (OAuthClient.id == OAuthToken.client_pk),
                )
                .outerjoin(User, (User.tenant_id == OAuthToken.tenant_id) & (User.id == OAuthToken.user_id))
                .where(Tenant.subdomain == subdomain, OAuthToken.token_hash == rules.digest(token))
            )
        ).first()
    if (
        row is None
        or row.revoked_at is not None
        or row.expires_at <= utcnow()
        or not row.client_active
        or (row.user_id is not None and (row.found_user_id is None or not row.user_active))
    ):
        raise Unauthenticated(UNAUTHENTICATED)
    scopes = frozenset(rules.parse_scopes(row.scopes)) & frozenset(rules.parse_scopes(row.client_scopes))
    role = row.role if row.user_id is not None else None
    return Principal(
        tenant_id=row.tenant_id,
        subdomain=subdomain,
        client_pk=row.client_pk,
        scopes=user_rules.effective_scopes(scopes, role),
        user_id=row.user_id,
        role=role,
        account_id=row.account_id if row.user_id is not None else None,
    )
