"""The authorization code grant with PKCE, refresh-token rotation, introspection and sign-in throttling.

Codes, refresh tokens and access tokens are stored only as SHA-256 hashes. Every token issued from one
authorization code shares a family (the code's id), so presenting a spent code or a spent refresh token
revokes the whole family: whoever holds a stolen copy loses it together with the legitimate client.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tally.db import Database
from tally.db.types import utcnow
from tally.oauth import grants_rules, pkce, rules
from tally.oauth.models import (
    OAuthAuthorizationCode,
    OAuthClient,
    OAuthRefreshToken,
    OAuthToken,
    SignInFailure,
)
from tally.oauth.service import AuthenticatedClient
from tally.tenants.models import Tenant
from tally.tenants.rules import valid_subdomain
from tally.users import passwords
from tally.users import rules as user_rules
from tally.users.models import User
from tally.users.service import user_by_password


@dataclass(frozen=True)
class GrantClient:
    """An active client as the authorization code grant sees it."""

    pk: int
    tenant_id: int
    subdomain: str
    client_id: str
    name: str
    scopes: list[str]
    is_public: bool
    redirect_uris: str

    def authenticated(self) -> AuthenticatedClient:
        return AuthenticatedClient(self.pk, self.tenant_id, self.subdomain, self.scopes)


@dataclass(frozen=True)
class IssuedGrant:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: list[str]


@dataclass(frozen=True)
class SignedInUser:
    id: int
    tenant_id: int
    email: str
    role: str


@dataclass(frozen=True)
class SignInOutcome:
    """A user, or None; `wait` is set when sign-in was refused unchecked because of too many failures."""

    user: SignedInUser | None
    wait: timedelta | None = None


def _grant_client(client: OAuthClient, subdomain: str) -> GrantClient:
    return GrantClient(
        pk=client.id,
        tenant_id=client.tenant_id,
        subdomain=subdomain,
        client_id=client.client_id,
        name=client.name,
        scopes=rules.parse_scopes(client.scopes),
        is_public=client.is_public,
        redirect_uris=client.redirect_uris,
    )


async def _client_row(db: Database, client_id: str) -> tuple[OAuthClient, str] | None:
    # No client id holds NUL, and PostgreSQL refuses to even compare text that does.
    if not client_id or "\x00" in client_id or len(client_id) > 64:
        return None
    async with db.read() as session:
        row = (
            await session.execute(
                select(OAuthClient, Tenant.subdomain)
                .join(Tenant, Tenant.id == OAuthClient.tenant_id)
                .where(OAuthClient.client_id == client_id, OAuthClient.is_active.is_(True))
            )
        ).first()
    return None if row is None else (row[0], row[1])


async def find_client(db: Database, client_id: str) -> GrantClient | None:
    """The active client with this client_id, whatever its tenant."""
    found = await _client_row(db, client_id)
    return None if found is None else _grant_client(*found)


async def authenticate_client(db: Database, client_id: str, secret: str | None) -> GrantClient | None:
    """The client, authenticated by its secret; or, with no secret, a public client by its id alone
    (RFC 6749 §2.1: a public client cannot keep a secret, so PKCE protects its codes instead)."""
    found = await _client_row(db, client_id)
    if secret is None:
        return _grant_client(*found) if found is not None and found[0].is_public else None
    if found is None:
        rules.secret_matches(secret, "0" * 64)  # same work whether or not the client exists
        return None
    return _grant_client(*found) if rules.secret_matches(secret, found[0].secret_hash) else None


# Sign-in and its throttle


def _throttle_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


async def sign_in(db: Database, subdomain: str, email: str, password: str, address: str) -> SignInOutcome:
    """The active user of the tenant with this email and password.

    Refused unchecked while the account has 5, or the client address 20, failures in the last 15 minutes
    (counted in the database, so every app server agrees). A failure is counted against both; a success
    clears the account's count.
    """
    now = utcnow()
    email = user_rules.normal_email(email)
    account = _throttle_key(grants_rules.account_key(subdomain, email))
    address_ = _throttle_key(grants_rules.address_key(address))
    async with db.read() as session:
        rows = (
            await session.execute(
                select(SignInFailure.key, SignInFailure.created_at).where(
                    SignInFailure.key.in_([account, address_]),
                    SignInFailure.created_at > now - grants_rules.THROTTLE_WINDOW,
                )
            )
        ).all()

    def times(key: str) -> list[datetime]:
        return [row.created_at for row in rows if row.key == key]

    waits = [
        grants_rules.throttle_wait(times(account), now, grants_rules.ACCOUNT_FAILURE_LIMIT),
        grants_rules.throttle_wait(times(address_), now, grants_rules.ADDRESS_FAILURE_LIMIT),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        return SignInOutcome(user=None, wait=wait)

    user: User | None = None
    if valid_subdomain(subdomain) and "\x00" not in email:
        user = await user_by_password(db, subdomain, email, password)
    else:
        # Text PostgreSQL cannot compare names no user; spend the same work as a real check.
        passwords.password_matches(password, None)
    async with db.write() as session:
        if user is None:
            await session.execute(
                insert(SignInFailure),
                [{"key": account, "created_at": now}, {"key": address_, "created_at": now}],
            )
            # Old failures count for nothing; drop them while we are here.
            await session.execute(
                delete(SignInFailure).where(SignInFailure.created_at < now - grants_rules.THROTTLE_WINDOW)
            )
            return SignInOutcome(user=None)
        await session.execute(delete(SignInFailure).where(SignInFailure.key == account))
    return SignInOutcome(SignedInUser(user.id, user.tenant_id, user.email, user.role))


# Codes


async def issue_code(
    db: Database,
    client: GrantClient,
    user_id: int,
    redirect_uri: str,
    scopes: list[str],
    code_challenge: str,
) -> str | None:
    """A new single-use code valid for 60 seconds, or None when the user is no longer active."""
    code = rules.new_secret(32)
    now = utcnow()
    async with db.write() as session:
        active = await session.scalar(
            select(User.is_active).where(User.tenant_id == client.tenant_id, User.id == user_id)
        )
        if not active:
            return None
        session.add(
            OAuthAuthorizationCode(
                tenant_id=client.tenant_id,
                code_hash=rules.digest(code),
                client_pk=client.pk,
                user_id=user_id,
                redirect_uri=redirect_uri,
                scopes=" ".join(scopes),
                code_challenge=code_challenge,
                expires_at=now + grants_rules.CODE_LIFETIME,
                created_at=now,
            )
        )
    return code


async def _revoke_family(session: AsyncSession, tenant_id: int, family_id: int, now: datetime) -> None:
    await session.execute(
        update(OAuthRefreshToken)
        .where(
            OAuthRefreshToken.tenant_id == tenant_id,
            OAuthRefreshToken.family_id == family_id,
            OAuthRefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    await session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.tenant_id == tenant_id,
            OAuthToken.family_id == family_id,
            OAuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def _user_scopes(session: AsyncSession, tenant_id: int, user_id: int) -> frozenset[str] | None:
    """What the user's role may hold now, or None when the user is gone or inactive."""
    row = (
        await session.execute(
            select(User.role, User.is_active).where(User.tenant_id == tenant_id, User.id == user_id)
        )
    ).first()
    if row is None or not row.is_active:
        return None
    return user_rules.role_scopes(row.role)


def _issue_pair(
    session: AsyncSession,
    client: GrantClient,
    user_id: int,
    family_id: int,
    grant_scopes: list[str],
    access_scopes: list[str],
    now: datetime,
    access_lifetime: int,
    refresh_lifetime: int,
) -> IssuedGrant:
    access, refresh = rules.new_secret(32), rules.new_secret(32)
    session.add(
        OAuthToken(
            tenant_id=client.tenant_id,
            client_pk=client.pk,
            user_id=user_id,
            family_id=family_id,
            token_hash=rules.digest(access),
            scopes=" ".join(access_scopes),
            expires_at=now + timedelta(seconds=access_lifetime),
            created_at=now,
        )
    )
    session.add(
        OAuthRefreshToken(
            tenant_id=client.tenant_id,
            client_pk=client.pk,
            user_id=user_id,
            family_id=family_id,
            token_hash=rules.digest(refresh),
            scopes=" ".join(grant_scopes),
            expires_at=now + timedelta(seconds=refresh_lifetime),
            created_at=now,
        )
    )
    return IssuedGrant(access, refresh, access_lifetime, access_scopes)


async def exchange_code(
    db: Database,
    client: GrantClient,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
    access_lifetime: int,
    refresh_lifetime: int,
) -> IssuedGrant:
    """RFC 6749 §4.1.3 with RFC 7636 §4.6: an access and a refresh token for a code issued to this client.

    A second use of a code is refused and revokes every token issued from it (RFC 6749 §4.1.2).
    """
    if not code:
        raise InvalidRequestError(description="code is required.")
    if not code_verifier:
        raise InvalidRequestError(description="code_verifier is required (PKCE).")
    now = utcnow()
    refusal: str | None = None
    async with db.write() as session:
        row = await session.scalar(
            select(OAuthAuthorizationCode)
            .where(
                OAuthAuthorizationCode.tenant_id == client.tenant_id,
                OAuthAuthorizationCode.code_hash == rules.digest(code),
            )
            .with_for_update()
        )
        if row is None or row.client_pk != client.pk:
            refusal = "The authorization code is invalid or was issued to another client."
        elif row.used_at is not None:
            await _revoke_family(session, client.tenant_id, row.id, now)
            refusal = "The authorization code was already used; the tokens issued from it are revoked."
        elif row.expires_at <= now:
            refusal = "The authorization code has expired."
        elif (redirect_uri or "") != row.redirect_uri:
            refusal = "redirect_uri does not match the one of the authorization request."
        elif not pkce.verifier_matches(code_verifier, row.code_challenge):
            refusal = "code_verifier does not match the code_challenge (PKCE)."
        else:
            user_scopes = await _user_scopes(session, client.tenant_id, row.user_id)
            spent = await session.execute(
                update(OAuthAuthorizationCode)
                .where(
                    OAuthAuthorizationCode.tenant_id == row.tenant_id,
                    OAuthAuthorizationCode.id == row.id,
                    OAuthAuthorizationCode.used_at.is_(None),
                )
                .values(used_at=now)
            )
            if user_scopes is None:
                refusal = "The user who granted this code is no longer active."
            elif getattr(spent, "rowcount", 1) != 1:
                refusal = "The authorization code was already used."
            else:
                scopes = [
                    s for s in rules.parse_scopes(row.scopes) if s in user_scopes and s in client.scopes
                ]
                return _issue_pair(
                    session,
                    client,
                    row.user_id,
                    row.id,
                    scopes,
                    scopes,
                    now,
                    access_lifetime,
                    refresh_lifetime,
                )
    raise InvalidGrantError(description=refusal)


async def refresh(
    db: Database,
    client: GrantClient,
    refresh_token: str | None,
    scope: str | None,
    access_lifetime: int,
    refresh_lifetime: int,
) -> IssuedGrant:
    """RFC 6749 §6 with rotation: the refresh token is spent and a new one of the same family issued.

    A spent refresh token presented again revokes the whole family (RFC 9700 §4.14.2). The access token
    holds the scopes asked for (no more than the grant's) that the client and the user's role still hold.
    """
    if not refresh_token:
        raise InvalidRequestError(description="refresh_token is required.")
    now = utcnow()
    refusal: str | None = None
    async with db.write() as session:
        row = await session.scalar(
            select(OAuthRefreshToken)
            .where(
                OAuthRefreshToken.tenant_id == client.tenant_id,
                OAuthRefreshToken.token_hash == rules.digest(refresh_token),
            )
            .with_for_update()
        )
        if row is None or row.client_pk != client.pk:
            refusal = "The refresh token is invalid or was issued to another client."
        elif row.revoked_at is not None:
            refusal = "The refresh token was revoked."
        elif row.used_at is not None:
            await _revoke_family(session, client.tenant_id, row.family_id, now)
            refusal = "The refresh token was already used; every token of its grant is now revoked."
        elif row.expires_at <= now:
            refusal = "The refresh token has expired."
        else:
            grant_scopes = rules.parse_scopes(row.scopes)
            asked = grants_rules.narrowed_scopes(scope, grant_scopes)
            if asked is None:
                raise InvalidScopeError(
                    description="A refresh may ask only for scopes of the original grant."
                )
            user_scopes = await _user_scopes(session, client.tenant_id, row.user_id)
            if user_scopes is None:
                await _revoke_family(session, client.tenant_id, row.family_id, now)
                refusal = "The user who granted this token is no longer active."
            else:
                spent = await session.execute(
                    update(OAuthRefreshToken)
                    .where(
                        OAuthRefreshToken.tenant_id == row.tenant_id,
                        OAuthRefreshToken.id == row.id,
                        OAuthRefreshToken.used_at.is_(None),
                    )
                    .values(used_at=now)
                )
                if getattr(spent, "rowcount", 1) != 1:
                    refusal = "The refresh token was already used."
                else:
                    access_scopes = [s for s in asked if s in user_scopes and s in client.scopes]
                    return _issue_pair(
                        session,
                        client,
                        row.user_id,
                        row.family_id,
                        grant_scopes,
                        access_scopes,
                        now,
                        access_lifetime,
                        refresh_lifetime,
                    )
    raise InvalidGrantError(description=refusal)


async def revoke_refresh_token(db: Database, client: GrantClient, token: str) -> None:
    """RFC 7009 §2.1: revoking a refresh token of this client revokes its whole grant."""
    now = utcnow()
    async with db.write() as session:
        family_id = await session.scalar(
            select(OAuthRefreshToken.family_id).where(
                OAuthRefreshToken.tenant_id == client.tenant_id,
                OAuthRefreshToken.token_hash == rules.digest(token),
                OAuthRefreshToken.client_pk == client.pk,
            )
        )
        if family_id is not None:
            await _revoke_family(session, client.tenant_id, family_id, now)


# Introspection

INACTIVE: dict[str, Any] = {"active": False}


async def introspect(db: Database, client: GrantClient, token: str) -> dict[str, Any]:
    """RFC 7662: what a token of the caller's tenant is; {"active": false} for anything not usable now."""
    if "\x00" in token:
        return INACTIVE
    now = utcnow()
    token_hash = rules.digest(token)
    async with db.read() as session:
        access = (
            await session.execute(
                select(
                    OAuthToken.scopes,
                    OAuthToken.expires_at,
                    OAuthToken.revoked_at,
                    OAuthToken.created_at,
                    OAuthToken.user_id,
                    OAuthClient.client_id,
                    User.email,
                    User.is_active,
                )
                .join(
                    OAuthClient,
                    (OAuthClient.tenant_id == OAuthToken.tenant_id)
                    & (OAuthClient.id == OAuthToken.client_pk),
                )
                .outerjoin(User, (User.tenant_id == OAuthToken.tenant_id) & (User.id == OAuthToken.user_id))
                .where(OAuthToken.tenant_id == client.tenant_id, OAuthToken.token_hash == token_hash)
            )
        ).first()
        refresh_row = None
        if access is None:
            refresh_row = (
                await session.execute(
                    select(
                        OAuthRefreshToken.scopes,
                        OAuthRefreshToken.expires_at,
                        OAuthRefreshToken.revoked_at,
                        OAuthRefreshToken.used_at,
                        OAuthRefreshToken.created_at,
                        OAuthRefreshToken.user_id,
                        OAuthClient.client_id,
                        User.email,
                        User.is_active,
                    )
                    .join(
                        OAuthClient,
                        (OAuthClient.tenant_id == OAuthRefreshToken.tenant_id)
                        & (OAuthClient.id == OAuthRefreshToken.client_pk),
                    )
                    .join(
                        User,
                        (User.tenant_id == OAuthRefreshToken.tenant_id)
                        & (User.id == OAuthRefreshToken.user_id),
                    )
                    .where(
                        OAuthRefreshToken.tenant_id == client.tenant_id,
                        OAuthRefreshToken.token_hash == token_hash,
                    )
                )
            ).first()
    row = access or refresh_row
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return INACTIVE
    if refresh_row is not None and refresh_row.used_at is not None:
        return INACTIVE
    if row.user_id is not None and not row.is_active:
        return INACTIVE
    answer: dict[str, Any] = {
        "active": True,
        "scope": row.scopes,
        "client_id": row.client_id,
        "token_type": "Bearer" if access is not None else "refresh_token",
        "exp": int(row.expires_at.timestamp()),
        "iat": int(row.created_at.timestamp()),
        "tenant": client.subdomain,
    }
    if row.user_id is not None:
        answer["sub"] = str(row.user_id)
        answer["username"] = row.email
    return answer
