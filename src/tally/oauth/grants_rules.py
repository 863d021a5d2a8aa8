"""The authorization code grant's decisions: redirect URIs, scopes, code and sign-in limits. No I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tally.oauth.pkce import S256, valid_challenge
from tally.oauth.rules import parse_scopes

CODE_LIFETIME = timedelta(seconds=60)
# How long the sign-in page's signed request, and the consent page's signed sign-in, stay usable.
SIGN_IN_PAGE_LIFETIME = timedelta(minutes=30)
CONSENT_PAGE_LIFETIME = timedelta(minutes=10)

THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20

MAX_STATE_LENGTH = 2000


def registered_redirect_uris(registered: str) -> list[str]:
    return registered.split()


def redirect_target(requested: str | None, registered: str) -> str | None:
    """Where the authorization response goes, or None when the request names no registered URI.

    The match is exact, character for character (RFC 9700 §4.1.3). A request may leave redirect_uri out
    only when the client registered exactly one (RFC 6749 §3.1.2.3). URIs with a fragment never qualify
    (§3.1.2).
    """
    uris = registered_redirect_uris(registered)
    if requested is None or requested == "":
        return uris[0] if len(uris) == 1 and "#" not in uris[0] else None
    if "#" in requested:
        return None
    return requested if requested in uris else None


def redirect_with(uri: str, params: dict[str, str | None]) -> str:
    """`uri` with `params` added to its query, keeping the query it already has (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def requested_scopes_allowed(requested: str | None, client_scopes: Iterable[str]) -> bool:
    """A request may name only scopes the client holds (else invalid_scope); naming none asks for all."""
    allowed = set(client_scopes)
    return all(scope in allowed for scope in parse_scopes(requested))


def consent_scopes(
    requested: str | None, client_scopes: Sequence[str], role_scopes: Iterable[str]
) -> list[str]:
    """The scopes a user can grant: those requested (all the client's when none are named) that both the
    client and the user's role hold, in the client's order."""
    asked = set(parse_scopes(requested)) or set(client_scopes)
    role = set(role_scopes)
    return [scope for scope in client_scopes if scope in asked and scope in role]


def narrowed_scopes(requested: str | None, granted: Sequence[str]) -> list[str] | None:
    """A refresh's access-token scopes: the grant's when none are named; None when it names any scope
    outside the grant (RFC 6749 §6: invalid_scope)."""
    asked = parse_scopes(requested)
    if not asked:
        return list(granted)
    if any(scope not in granted for scope in asked):
        return None
    return [scope for scope in granted if scope in asked]


def throttle_wait(
    failures: Sequence[datetime], now: datetime, limit: int, window: timedelta = THROTTLE_WINDOW
) -> timedelta | None:
    """How long until fewer than `limit` of `failures` fall within `window` of now; None when already so."""
    recent = sorted(moment for moment in failures if now - moment < window)
    if len(recent) < limit:
        return None
    # Once the failure at this position leaves the window, limit - 1 remain.
    return recent[len(recent) - limit] + window - now


def whole_minutes(wait: timedelta) -> int:
    """A wait as the minutes to tell a person: rounded up, at least one."""
    return max(1, math.ceil(wait.total_seconds() / 60))


def account_key(subdomain: str, email: str) -> str:
    return f"account:{subdomain}:{email}"


def address_key(address: str) -> str:
    return f"address:{address}"


# What the consent page says each scope lets the application do.
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "inventory:read": "See master data and stock",
    "inventory:write": "Create and change master data and stock",
    "stock_checks:count": "Count stock for stock checks (without seeing system counts)",
    "stock_checks:manage": "Create, complete, cancel and resolve stock checks, and see system counts",
    "admin": "Manage users and applications",
}


def authorization_request_error(
    params: Mapping[str, str], repeated: Iterable[str], client_scopes: Sequence[str]
) -> tuple[str, str] | None:
    """The RFC 6749 §4.1.2.1 error (code, description) for an authorization request whose client and
    redirect URI are already validated, or None when it may proceed to sign-in."""
    repeated = sorted(repeated)
    if repeated:
        return "invalid_request", f"The parameter {repeated[0]!r} is repeated."
    response_type = params.get("response_type")
    if not response_type:
        return "invalid_request", "response_type is required."
    if response_type != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    if len(params.get("state", "")) > MAX_STATE_LENGTH:
        return "invalid_request", f"state is longer than {MAX_STATE_LENGTH} characters."
    if not requested_scopes_allowed(params.get("scope"), client_scopes):
        return "invalid_scope", "The requested scope exceeds what this client may hold."
    challenge = params.get("code_challenge")
    if not challenge:
        return "invalid_request", "code_challenge is required (PKCE with code_challenge_method=S256)."
    if params.get("code_challenge_method") != S256:
        # RFC 7636 §4.4.1: an unsupported transformation is invalid_request; "plain" (also the default
        # when the method is left out) gives no protection against an intercepted request, so only S256.
        return "invalid_request", "code_challenge_method must be S256."
    if not valid_challenge(challenge):
        return "invalid_request", "code_challenge must be the 43-character base64url SHA-256 of the verifier."
    return None
