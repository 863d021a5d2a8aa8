"""POST /oauth/token (RFC 6749: client credentials, authorization code with PKCE, refresh token),
POST /oauth/revoke (RFC 7009) and POST /oauth/introspect (RFC 7662)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from fastapi import APIRouter, Request
from starlette.responses import Response

from tally.config import Settings
from tally.http.auth import DB, TENANT_HEADER
from tally.http.json import json_response
from tally.oauth import flows, rules, service

router = APIRouter(prefix="/oauth", tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(error: OAuth2Error) -> Response:
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    if error.status_code != 401:
        headers.pop("WWW-Authenticate", None)
    return json_response(dict(error.get_body()), error.status_code or 400, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise InvalidRequestError(description="The body must be application/x-www-form-urlencoded.")
    form: dict[str, str] = {}
    for key, value in parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True):
        if key in form:
            # RFC 6749 §3.2: request parameters must not be included more than once.
            raise InvalidRequestError(description=f"The parameter {key!r} is repeated.")
        form[key] = value
    return form


async def _client(
    request: Request, form: dict[str, str], db: DB, *, public: bool = True
) -> flows.GrantClient:
    """The calling client: by HTTP Basic or form secret, or (where `public`) a public client by its
    client_id alone."""
    try:
        basic_id, basic_secret = extract_basic_authorization(request.headers)
    except ValueError:  # authlib raises on "Basic " alone and on credentials that are not UTF-8
        raise InvalidClientError(description="Client authentication failed.", status_code=401) from None
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if basic_id and (form_id or form_secret) and (form_id != basic_id or form_secret):
        raise InvalidRequestError(description="Use one client authentication method, not two.")
    client_id, secret = (basic_id, basic_secret) if basic_id else (form_id, form_secret)
    if not client_id or (not secret and not public):
        raise InvalidClientError(description="Client authentication is required.", status_code=401)
    client = await flows.authenticate_client(db, client_id, secret or None)
    sent_tenant = request.headers.get(TENANT_HEADER, "").strip().lower()
    if client is None or (sent_tenant and sent_tenant != client.subdomain):
        raise InvalidClientError(description="Client authentication failed.", status_code=401)
    return client


def _granted(issued: flows.IssuedGrant) -> Response:
    return json_response(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "refresh_token": issued.refresh_token,
            "scope": " ".join(issued.scopes),
        },
        headers=NO_STORE,
    )


@router.post("/token")
async def token(request: Request, db: DB) -> Response:
    # The app's own settings, not the process-wide ones: an app built with other settings keeps to them.
    settings: Settings = request.app.state.settings
    try:
        form = await _form(request)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise InvalidRequestError(description="grant_type is required.")
        client = await _client(request, form, db)
        if grant_type == "authorization_code":
            return _granted(
                await flows.exchange_code(
                    db,
                    client,
                    form.get("code"),
                    form.get("redirect_uri"),
                    form.get("code_verifier"),
                    settings.token_lifetime_seconds,
                    settings.refresh_token_lifetime_seconds,
                )
            )
        if grant_type == "refresh_token":
            return _granted(
                await flows.refresh(
                    db,
                    client,
                    form.get("refresh_token"),
                    form.get("scope"),
                    settings.token_lifetime_seconds,
                    settings.refresh_token_lifetime_seconds,
                )
            )
        if grant_type != "client_credentials":
            # This error class takes the grant type, not a description, and leaves the body without one.
            unsupported = UnsupportedGrantTypeError(grant_type)
            unsupported.description = f"grant_type {grant_type!r} is not supported."
            raise unsupported
        if client.is_public:
            raise UnauthorizedClientError(
                description="A public client may use only the authorization code grant."
            )
        scopes = rules.granted_scopes(form.get("scope"), client.scopes)
        if scopes is None:
            raise InvalidScopeError(description="The requested scope exceeds what this client may hold.")
    except OAuth2Error as error:
        return _error(error)
    issued = await service.issue_token(db, client.authenticated(), scopes, settings.token_lifetime_seconds)
    return json_response(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
        },
        headers=NO_STORE,
    )


@router.post("/revoke")
async def revoke(request: Request, db: DB) -> Response:
    try:
        form = await _form(request)
        client = await _client(request, form, db)
        token_value = form.get("token")
        if not token_value:
            raise InvalidRequestError(description="token is required.")
    except OAuth2Error as error:
        return _error(error)
    await service.revoke_token(db, client.authenticated(), token_value)
    await flows.revoke_refresh_token(db, client, token_value)
    return Response(status_code=200, headers=NO_STORE)


@router.post("/introspect")
async def introspect(request: Request, db: DB) -> Response:
    """RFC 7662 for confidential clients: tokens of the caller's tenant; anything else is inactive."""
    try:
        form = await _form(request)
        client = await _client(request, form, db, public=False)
        token_value = form.get("token")
        if not token_value:
            raise InvalidRequestError(description="token is required.")
    except OAuth2Error as error:
        return _error(error)
    return json_response(await flows.introspect(db, client, token_value), headers=NO_STORE)
