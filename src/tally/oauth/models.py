from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKeyConstraint, Index, String, UniqueConstraint
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
