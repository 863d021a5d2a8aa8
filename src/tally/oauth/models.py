from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKeyConstraint, Identity, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base, TenantOwned
from tally.db.types import UTCDateTime, utcnow


class OAuthClient(TenantOwned, Base):
    __tablename__ = "oauth_clients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id"),
        # Token requests name a client before they name a tenant.
        Index("ix_oauth_clients_client_id", "client_id"),
    )

    client_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(150))
    secret_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[str] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Space-separated redirect URIs registered for the authorization code grant (matched exactly).
    redirect_uris: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    # A public client (no secret; PKCE alone) may only use the authorization code grant.
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthToken(TenantOwned, Base):
    """An issued access token, known only by its SHA-256 hash."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        Index("ix_oauth_tokens_family", "tenant_id", "family_id"),
        ForeignKeyConstraint(
            ["tenant_id", "client_pk"], ["oauth_clients.tenant_id", "oauth_clients.id"], ondelete="CASCADE"
        ),
    )

    client_pk: Mapped[int] = mapped_column(BigInteger)
    # Set when the token acts as a person (authorization code grant); None for client credentials.
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The grant family (the id of the authorization code it began with) for tokens of the authorization code
    # and refresh grants, so a reused code or refresh token can revoke every token issued from it.
    family_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class OAuthAuthorizationCode(TenantOwned, Base):
    """A single-use authorization code (RFC 6749 §4.1), known only by its SHA-256 hash.

    Its id names the grant family: the access and refresh tokens issued from it carry it as `family_id`.
    """

    __tablename__ = "oauth_authorization_codes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code_hash"),
        ForeignKeyConstraint(
            ["tenant_id", "client_pk"], ["oauth_clients.tenant_id", "oauth_clients.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    code_hash: Mapped[str] = mapped_column(String(64))
    client_pk: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    # As sent in the authorization request; "" when it was left out (the one registered URI was used).
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[str] = mapped_column(String(500))
    # The PKCE S256 challenge: base64url(SHA-256(verifier)), 43 characters.
    code_challenge: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthRefreshToken(TenantOwned, Base):
    """A refresh token, known only by its SHA-256 hash. Each use rotates it: the token is spent and a new one
    of the same family issued; presenting a spent one revokes the whole family (RFC 9700 §4.14.2)."""

    __tablename__ = "oauth_refresh_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        Index("ix_oauth_refresh_tokens_family", "tenant_id", "family_id"),
        ForeignKeyConstraint(
            ["tenant_id", "client_pk"], ["oauth_clients.tenant_id", "oauth_clients.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    token_hash: Mapped[str] = mapped_column(String(64))
    client_pk: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    # The scopes of the grant; a refresh may ask for fewer for its access token, never more (RFC 6749 §6).
    scopes: Mapped[str] = mapped_column(String(500))
    family_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInFailure(Base):
    """One failed sign-in, counted against its account and its client address to throttle guessing.

    Not tenant-owned: `key` is the SHA-256 of "account:<subdomain>:<email>" or "address:<ip>", so the table
    holds no email addresses and any text fits. Kept in the database so every app server sees the same counts.
    """

    __tablename__ = "signin_failures"
    __table_args__ = (
        Index("ix_signin_failures_key_created_at", "key", "created_at"),
        Index("ix_signin_failures_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
