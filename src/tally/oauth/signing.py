"""HMAC-signed values for the sign-in and consent forms: the carried authorization request and the CSRF
double-submit token. Pure functions of a key; no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

# Used when settings.secret_key is empty: every form then belongs to this process (fine for one server).
_PROCESS_KEY = secrets.token_bytes(32)


def signing_key(secret_key: str) -> bytes:
    return secret_key.encode("utf-8") if secret_key else _PROCESS_KEY


def _mac(key: bytes, purpose: str, body: bytes) -> str:
    # The purpose is signed too, so a value signed for one form is never accepted by another.
    digest = hmac.new(key, purpose.encode("utf-8") + b"\x00" + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(key: bytes, purpose: str, payload: dict[str, Any], now: datetime) -> str:
    """`payload` with an issue time, as base64url JSON and its HMAC-SHA256."""
    body = json.dumps({**payload, "iat": int(now.timestamp())}, separators=(",", ":")).encode("utf-8")
    encoded = base64.urlsafe_b64encode(body).rstrip(b"=").decode("ascii")
    return f"{encoded}.{_mac(key, purpose, encoded.encode('ascii'))}"


def unsign(key: bytes, purpose: str, value: str, now: datetime, max_age: timedelta) -> dict[str, Any] | None:
    """The payload of a value `sign` made for `purpose` no longer than `max_age` ago, else None."""
    encoded, _, mac = value.partition(".")
    if not encoded or not mac or not encoded.isascii() or not mac.isascii():
        return None
    if not hmac.compare_digest(_mac(key, purpose, encoded.encode("ascii")), mac):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("iat"), int):
        return None
    age = now.timestamp() - payload["iat"]
    if age < -60 or age > max_age.total_seconds():
        return None
    return payload


def new_csrf_nonce() -> str:
    return secrets.token_urlsafe(32)


def csrf_field(key: bytes, nonce: str) -> str:
    """The hidden field matching the CSRF cookie `nonce`: the nonce and its signature."""
    return f"{nonce}.{_mac(key, 'csrf', nonce.encode('ascii'))}"


def csrf_valid(key: bytes, cookie: str | None, field: str | None) -> bool:
    """Signed double submit: the form's field carries our signature of the very nonce in the cookie."""
    if not cookie or not field or not cookie.isascii() or not field.isascii():
        return False
    nonce, _, mac = field.partition(".")
    return hmac.compare_digest(nonce, cookie) and hmac.compare_digest(
        _mac(key, "csrf", nonce.encode("ascii")), mac
    )
