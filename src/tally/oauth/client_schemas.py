"""The wire shape of OAuth client administration: request bodies and response attributes.

Secrets are never read back: `client_secret` appears in the answer to a create (null for a public client)
and to a rotation, once, and nowhere else."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from tally.http.fields import Flag, Schema, Text150
from tally.oauth import rules
from tally.oauth.clients import redirect_uri_problem, redirect_uris_of
from tally.oauth.models import OAuthClient


def _known_scope(value: str) -> str:
    if value not in rules.KNOWN_SCOPES:
        raise ValueError(f"{value!r} is not a scope; known scopes: {', '.join(rules.KNOWN_SCOPES)}")
    return value


def _redirect_uri(value: str) -> str:
    problem = redirect_uri_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Scope = Annotated[str, Field(strict=True), AfterValidator(_known_scope)]
Scopes = Annotated[list[Scope], Field(min_length=1, max_length=20), AfterValidator(_distinct)]
RedirectUri = Annotated[str, Field(strict=True), AfterValidator(_redirect_uri)]
RedirectUris = Annotated[list[RedirectUri], Field(max_length=20), AfterValidator(_distinct)]


class ClientCreate(Schema):
    name: Text150
    # Left out: the four default scopes. `admin` is never implied; it must be named.
    scopes: Scopes | None = None
    redirect_uris: RedirectUris = Field(default_factory=list)
    is_public: Flag = False
    is_active: Flag = True


class ClientUpdate(Schema):
    name: Text150 | None = None
    scopes: Scopes | None = None
    redirect_uris: RedirectUris | None = None
    # Accepted only unchanged: a client cannot trade a secret for PKCE alone, or back.
    is_public: Flag | None = None
    is_active: Flag | None = None


def client_attributes(
    c: OAuthClient, secret: str | None = None, *, with_secret: bool = False
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "client_id": c.client_id,
        "name": c.name,
        "scopes": rules.parse_scopes(c.scopes),
        "redirect_uris": redirect_uris_of(c),
        "is_public": c.is_public,
        "is_active": c.is_active,
        "created_at": c.created_at,
    }
    if with_secret:
        attributes["client_secret"] = secret
    return attributes
