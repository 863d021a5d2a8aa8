"""The authorization code flow's pages (RFC 6749 §4.1): GET /oauth/authorize → sign-in → consent → redirect,
and the server metadata (RFC 8414).

No session is kept: the validated authorization request travels in a hidden field signed with HMAC, and
CSRF is a signed double-submit token (a cookie and a hidden field carrying our signature of it). Until the
client and its redirect URI are validated every error is shown here, never redirected (no open redirect).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tally.config import Settings
from tally.db.types import utcnow
from tally.http.auth import DB
from tally.http.json import json_response
from tally.oauth import flows, grants_rules, signing
from tally.oauth.rules import ALL_SCOPES
from tally.users.rules import role_scopes

router = APIRouter(tags=["oauth"])

CSRF_COOKIE = "tally_csrf"
_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
REQUEST_PURPOSE = "authorize-request"
CONSENT_PURPOSE = "authorize-consent"


class PageError(Exception):
    def __init__(self, title: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.status = status


def _key(request: Request) -> bytes:
    settings: Settings = request.app.state.settings
    return signing.signing_key(settings.secret_key)


def _csp_source(uri: str) -> str:
    origin = grants_rules.origin_of(uri)
    return origin if not origin.endswith("://") else origin.removesuffix("//")


def _page(
    request: Request, template: str, status: int = 200, redirect_to: str | None = None, **context: Any
) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    # A form-action that allows the redirect lets the browser follow the 303 after the form is posted.
    form_action = "'self'" + (f" {_csp_source(redirect_to)}" if redirect_to else "")
    headers = {
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
            f"frame-ancestors 'none'; form-action {form_action}"
        ),
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def _error_page(request: Request, error: PageError) -> HTMLResponse:
    return _page(request, "error.html", error.status, title=error.title, message=error.message)


def _redirect(uri: str, params: dict[str, str | None], status: int) -> RedirectResponse:
    return RedirectResponse(
        grants_rules.redirect_with(uri, params), status_code=status, headers={"Cache-Control": "no-store"}
    )


def _error_redirect(
    uri: str, error: str, description: str, state: str | None, status: int
) -> RedirectResponse:
    return _redirect(uri, {"error": error, "error_description": description, "state": state or None}, status)


def _params(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    params: dict[str, str] = {}
    repeated: set[str] = set()
    for key, value in pairs:
        if key in params:
            repeated.add(key)
        params[key] = value
    return params, repeated


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise PageError("Cannot continue", "The form was not sent as a web form.")
    body = (await request.body()).decode("utf-8", "replace")
    form, repeated = _params(parse_qsl(body, keep_blank_values=True))
    if repeated:
        raise PageError("Cannot continue", "The form was sent with repeated fields.")
    return form


def _csrf_nonce(request: Request) -> str:
    existing = request.cookies.get(CSRF_COOKIE, "")
    return existing if _NONCE.fullmatch(existing) else signing.new_csrf_nonce()


def _check_csrf(request: Request, form: dict[str, str]) -> str:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not signing.csrf_valid(_key(request), cookie, form.get("csrf_token")):
        raise PageError(
            "Cannot continue",
            "This form has expired or was not sent from this sign-in page (security check failed).",
            403,
        )
    assert cookie is not None
    return cookie


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/oauth/authorize", response_class=HTMLResponse)
async def authorize(request: Request, db: DB) -> Response:
    """Validate the authorization request, then show the sign-in page."""
    params, repeated = _params(parse_qsl(request.url.query, keep_blank_values=True))
    if {"client_id", "redirect_uri"} & repeated:
        return _error_page(request, PageError("Cannot continue", "client_id or redirect_uri is repeated."))
    client = await flows.find_client(db, params.get("client_id", ""))
    if client is None:
        return _error_page(
            request, PageError("Unknown application", "No active application has this client_id.")
        )
    redirect_to = grants_rules.redirect_target(params.get("redirect_uri"), client.redirect_uris)
    if redirect_to is None:
        message = (
            "redirect_uri is not registered for this application."
            if params.get("redirect_uri")
            else "redirect_uri is required: this application does not have exactly one registered."
        )
        return _error_page(request, PageError("Cannot continue", message))

    # The redirect URI is trusted from here on: errors go back to the application.
    state = params.get("state")
    problem = grants_rules.authorization_request_error(params, repeated, client.scopes)
    if problem is not None:
        long_state = len(state or "") > grants_rules.MAX_STATE_LENGTH
        return _error_redirect(redirect_to, *problem, None if long_state else state, 302)

    key = _key(request)
    carried = {
        "client_pk": client.pk,
        "client_id": client.client_id,
        "redirect_uri": params.get("redirect_uri", ""),
        "redirect_to": redirect_to,
        "scope": params.get("scope"),
        "state": state,
        "code_challenge": params["code_challenge"],
    }
    nonce = _csrf_nonce(request)
    response = _signin_page(
        request,
        client,
        signing.sign(key, REQUEST_PURPOSE, carried, utcnow()),
        signing.csrf_field(key, nonce),
        redirect_to,
    )
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/oauth/authorize",
    )
    return response


def _signin_page(
    request: Request,
    client: flows.GrantClient,
    request_token: str,
    csrf_token: str,
    redirect_to: str,
    *,
    status: int = 200,
    error: str | None = None,
    subdomain: str = "",
    email: str = "",
) -> HTMLResponse:
    return _page(
        request,
        "signin.html",
        status,
        redirect_to=redirect_to,
        client_name=client.name,
        request_token=request_token,
        csrf_token=csrf_token,
        error=error,
        subdomain=subdomain,
        email=email,
    )


async def _carried_client(db: DB, carried: dict[str, Any]) -> flows.GrantClient:
    """The client of a signed request, still active and still holding the redirect URI."""
    client = await flows.find_client(db, str(carried.get("client_id", "")))
    if (
        client is None
        or client.pk != carried.get("client_pk")
        or grants_rules.redirect_target(carried.get("redirect_uri"), client.redirect_uris)
        != carried.get("redirect_to")
    ):
        raise PageError(
            "Cannot continue", "The application is no longer active or changed its redirect URIs."
        )
    return client


@router.post("/oauth/authorize/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, db: DB) -> Response:
    """Check the person's organisation, email and password, then show the consent page."""
    try:
        form = await _form(request)
        nonce = _check_csrf(request, form)
        key = _key(request)
        request_token = form.get("request", "")
        carried = signing.unsign(
            key, REQUEST_PURPOSE, request_token, utcnow(), grants_rules.SIGN_IN_PAGE_LIFETIME
        )
        if carried is None:
            raise PageError("Cannot continue", "This sign-in page has expired or was altered.")
        client = await _carried_client(db, carried)
    except PageError as error:
        return _error_page(request, error)

    redirect_to: str = carried["redirect_to"]
    subdomain = form.get("subdomain", "").strip().lower()
    email = form.get("email", "").strip()
    password = form.get("password", "")

    def again(message: str, status: int) -> HTMLResponse:
        return _signin_page(
            request,
            client,
            request_token,
            form.get("csrf_token", ""),
            redirect_to,
            status=status,
            error=message,
            subdomain=subdomain,
            email=email,
        )

    if not subdomain or not email or not password:
        return again("Enter your organisation, email and password.", 400)
    if subdomain != client.subdomain:
        # A person signs in to the organisation the application belongs to, and to no other.
        return again(f"{client.name} does not belong to the organisation {subdomain!r}.", 400)
    outcome = await flows.sign_in(db, subdomain, email, password, _address(request))
    if outcome.wait is not None:
        minutes = grants_rules.whole_minutes(outcome.wait)
        unit = "minute" if minutes == 1 else "minutes"
        return again(f"Too many sign-in attempts. For your security, try again in {minutes} {unit}.", 429)
    if outcome.user is None:
        return again("The email or password is not right, or the account is not active.", 400)

    scopes = grants_rules.consent_scopes(carried.get("scope"), client.scopes, role_scopes(outcome.user.role))
    if not scopes:
        return _error_redirect(
            redirect_to,
            "access_denied",
            "The user's role holds none of the requested scopes.",
            carried.get("state"),
            303,
        )
    consent = {**carried, "user_id": outcome.user.id, "scopes": scopes, "csrf": nonce}
    return _page(
        request,
        "consent.html",
        redirect_to=redirect_to,
        client_name=client.name,
        email=outcome.user.email,
        subdomain=subdomain,
        scopes=[
            {"name": scope, "description": grants_rules.SCOPE_DESCRIPTIONS.get(scope, scope)}
            for scope in scopes
        ],
        consent_token=signing.sign(key, CONSENT_PURPOSE, consent, utcnow()),
        csrf_token=form.get("csrf_token", ""),
        redirect_origin=grants_rules.origin_of(redirect_to),
    )


@router.post("/oauth/authorize/consent", response_class=HTMLResponse)
async def consent(request: Request, db: DB) -> Response:
    """Allow → redirect with a code and the state; Deny → redirect with error=access_denied."""
    try:
        form = await _form(request)
        nonce = _check_csrf(request, form)
        carried = signing.unsign(
            _key(request),
            CONSENT_PURPOSE,
            form.get("consent", ""),
            utcnow(),
            grants_rules.CONSENT_PAGE_LIFETIME,
        )
        if carried is None:
            raise PageError("Cannot continue", "This page has expired or was altered. Sign in again.")
        if carried.get("csrf") != nonce:
            # The signed sign-in belongs to the browser it was shown to.
            raise PageError("Cannot continue", "This page was not shown to this browser. Sign in again.", 403)
        client = await _carried_client(db, carried)
    except PageError as error:
        return _error_page(request, error)

    redirect_to: str = carried["redirect_to"]
    state: str | None = carried.get("state")
    decision = form.get("decision")
    if decision == "deny":
        return _error_redirect(redirect_to, "access_denied", "The user denied the request.", state, 303)
    if decision != "approve":
        return _error_page(request, PageError("Cannot continue", "Choose Allow or Deny."))
    code = await flows.issue_code(
        db,
        client,
        int(carried["user_id"]),
        str(carried["redirect_uri"]),
        list(carried["scopes"]),
        str(carried["code_challenge"]),
    )
    if code is None:
        return _error_redirect(redirect_to, "access_denied", "The user account is not active.", state, 303)
    return _redirect(redirect_to, {"code": code, "state": state or None}, 303)


@router.get("/.well-known/oauth-authorization-server")
async def metadata(request: Request) -> Response:
    """RFC 8414 authorization server metadata."""
    issuer = str(request.base_url).rstrip("/")
    return json_response(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "scopes_supported": list(ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )
