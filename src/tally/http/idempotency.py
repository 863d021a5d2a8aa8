"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for POST endpoints.

The first request with a key claims it (a row committed before the work starts), runs, and stores its
response; a retry with the same key and the same request gets that response back and changes nothing. The same
key with a different request is 422; a retry while the first is still running is 409. Keys belong to one
tenant and client and are kept for TALLY_IDEMPOTENCY_TTL_SECONDS (24 h by default).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import Request
from sqlalchemy import delete, select, update
from starlette.responses import Response

from tally.config import get_settings
from tally.db import Database, dialect
from tally.db.types import utcnow
from tally.errors import IdempotencyConflict, InvalidInput, MalformedRequest, RuleViolation, TallyError
from tally.http.auth import Principal
from tally.http.errors import error_response
from tally.http.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# A claim whose request never finished (the server died mid-request) may be taken over after this long.
ABANDONED_AFTER = timedelta(minutes=5)


def _fingerprint(request: Request, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


async def _claim(db: Database, principal: Principal, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Claim the key; None when this request now owns it, else the earlier request's row."""
    ttl = timedelta(seconds=get_settings().idempotency_ttl_seconds)
    now = utcnow()
    async with db.write() as session:
        if random.random() < 0.01:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.tenant_id == principal.tenant_id, IdempotencyKey.created_at < now - ttl
                )
            )
        stmt = (
            dialect.insert(session, IdempotencyKey)
            .values(
                tenant_id=principal.tenant_id,
                client_pk=principal.client_pk,
                key=key,
                fingerprint=fingerprint,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "client_pk", "key"])
            .returning(IdempotencyKey.id)
        )
        if (await session.execute(stmt)).first() is not None:
            return None
        existing = await session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.tenant_id == principal.tenant_id,
                IdempotencyKey.client_pk == principal.client_pk,
                IdempotencyKey.key == key,
            )
        )
        assert existing is not None
        expired = existing.created_at < now - ttl
        abandoned = existing.response_status is None and existing.created_at < now - ABANDONED_AFTER
        if expired or abandoned:
            existing.fingerprint = fingerprint
            existing.created_at = now
            existing.response_status = None
            existing.response_body = None
            return None
        return existing


async def _finish(db: Database, principal: Principal, key: str, response: Response | None) -> None:
    where = (
        IdempotencyKey.tenant_id == principal.tenant_id,
        IdempotencyKey.client_pk == principal.client_pk,
        IdempotencyKey.key == key,
    )
    async with db.write() as session:
        if response is None or response.status_code >= 500:
            await session.execute(delete(IdempotencyKey).where(*where))
        else:
            await session.execute(
                update(IdempotencyKey)
                .where(*where)
                .values(response_status=response.status_code, response_body=bytes(response.body))
            )


async def idempotent(
    request: Request, db: Database, principal: Principal, handler: Callable[[], Awaitable[Response]]
) -> Response:
    """Run `handler` at most once per Idempotency-Key; without the header, just run it."""
    key = request.headers.get(HEADER)
    if key is None:
        return await handler()
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise MalformedRequest(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.")
    body = await request.body()
    fingerprint = _fingerprint(request, body)
    earlier = await _claim(db, principal, key, fingerprint)
    if earlier is not None:
        if earlier.fingerprint != fingerprint:
            raise RuleViolation(
                f"This {HEADER} was already used for a different request; use a new key for a new request."
            )
        if earlier.response_status is None:
            raise IdempotencyConflict(f"A request with this {HEADER} is still being processed; retry later.")
        return Response(
            earlier.response_body or b"",
            status_code=earlier.response_status,
            media_type="application/json" if earlier.response_body else None,
            headers={"Idempotent-Replayed": "true"},
        )
    response: Response | None = None
    try:
        try:
            response = await handler()
        except (InvalidInput, TallyError) as exc:
            response = error_response(exc)
        return response
    finally:
        await _finish(db, principal, key, response)
