"""Settings from TALLY_* environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TALLY_", extra="ignore")

    # A plain URL: postgresql://user@host:5432/db or sqlite:///path/to/file.db. Tally picks the drivers.
    database_url: str = "sqlite:///tally.db"
    token_lifetime_seconds: int = 3600
    refresh_token_lifetime_seconds: int = 30 * 24 * 3600
    # Signs the sign-in and consent forms' CSRF tokens. Set the same value on every server; when unset each
    # process makes its own (fine for one server, and for development).
    secret_key: str = ""
    # Idempotency keys are kept at least this long (draft-ietf-httpapi-idempotency-key-header).
    idempotency_ttl_seconds: int = 24 * 3600
    db_pool_size: int = 10
    log_level: str = "INFO"
    log_json: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
