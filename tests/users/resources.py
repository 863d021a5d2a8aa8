"""The two administration resources declared once — a valid create body, an update, defaults, what must be
unique and bodies that must be refused — for the table-driven tests in test_resources.py (as
tests/inventory/resources.py does for master data)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tally.db.base import Base
from tally.oauth.models import OAuthClient
from tally.users.models import User
from tests.inventory.resources import MISSING, NO_SUCH_ID, Invalid
from tests.support import Api, unique
from tests.users.helpers import email

Body = dict[str, Any]


@dataclass(frozen=True)
class AdminResource:
    plural: str
    model: type[Base]
    body: Callable[[Api], Awaitable[Body]]
    update: Body
    defaults: Body = field(default_factory=dict)
    # Attributes the create answer carries and later reads never do (a client's secret).
    shown_once: tuple[str, ...] = ()
    # Attributes never returned at all, though they may be written (a user's password).
    write_only: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    invalid_create: tuple[Invalid, ...] = ()
    invalid_update: tuple[Invalid, ...] = ()
    actions: tuple[str, ...] = ()  # POST /api/<plural>/{id}/<action>

    def __str__(self) -> str:
        return self.plural


async def _user(api: Api) -> Body:
    return {"email": email(), "name": "Pat Picker", "role": "standard"}


async def _client(api: Api) -> Body:
    return {
        "name": unique("erp"),
        "scopes": ["inventory:read", "stock_checks:count"],
        "redirect_uris": ["https://erp.example.com/oauth/callback"],
    }


USERS = AdminResource(
    "users",
    User,
    _user,
    update={"name": "Pat Counter", "role": "rf", "is_active": False},
    defaults={"is_active": True, "account_id": None},
    write_only=("password",),
    unique=("email",),
    invalid_create=(
        Invalid("email missing", {"email": MISSING}, "email"),
        Invalid("email not an address", {"email": "pat.example.com"}, "email"),
        Invalid("email with a space", {"email": "pat picker@example.com"}, "email"),
        Invalid("email too long", {"email": "p" * 250 + "@example.com"}, "email"),
        Invalid("email not a string", {"email": 7}, "email"),
        Invalid("email with NUL", {"email": "pat\u0000@example.com"}, "email"),
        Invalid("name missing", {"name": MISSING}, "name"),
        Invalid("name too long", {"name": "n" * 151}, "name"),
        Invalid("role missing", {"role": MISSING}, "role"),
        Invalid("role unknown", {"role": "superuser"}, "role"),
        Invalid("role Financial (not in Tally)", {"role": "financial"}, "role"),
        Invalid("account_id on a standard user", {"account_id": NO_SUCH_ID}, "account_id"),
        Invalid("client without account_id", {"role": "client"}, "account_id"),
        Invalid("client with an unknown account", {"role": "client", "account_id": NO_SUCH_ID}, "account_id"),
        Invalid("password too short", {"password": "seven77"}, "password"),
        Invalid("password not a string", {"password": 12345678}, "password"),
        Invalid("password too long", {"password": "p" * 1025}, "password"),
        Invalid("is_active a string", {"is_active": "yes"}, "is_active"),
        Invalid("password_hash written", {"password_hash": "$argon2id$..."}, "password_hash"),
    ),
    invalid_update=(
        Invalid("email null", {"email": None}, "email"),
        Invalid("email not an address", {"email": "nobody"}, "email"),
        Invalid("role null", {"role": None}, "role"),
        Invalid("role unknown", {"role": "owner"}, "role"),
        Invalid("to client without an account", {"role": "client"}, "account_id"),
        Invalid("account_id on a standard user", {"account_id": NO_SUCH_ID}, "account_id"),
        Invalid("password too short", {"password": "short"}, "password"),
        Invalid("is_active null", {"is_active": None}, "is_active"),
    ),
)

OAUTH_CLIENTS = AdminResource(
    "oauth_clients",
    OAuthClient,
    _client,
    update={
        "name": "ERP (staging)",
        "scopes": ["inventory:read"],
        "redirect_uris": ["http://localhost:8080/cb", "http://[::1]/cb"],
        "is_active": False,
    },
    defaults={"is_public": False, "is_active": True},
    shown_once=("client_secret",),
    invalid_create=(
        Invalid("name missing", {"name": MISSING}, "name"),
        Invalid("name too long", {"name": "n" * 151}, "name"),
        Invalid("scope unknown", {"scopes": ["inventory:read", "inventory:delete"]}, "scopes/1"),
        Invalid("scopes empty", {"scopes": []}, "scopes"),
        Invalid("scopes a string", {"scopes": "inventory:read"}, "scopes"),
        Invalid("scope not a string", {"scopes": [1]}, "scopes/0"),
        Invalid("redirect over http", {"redirect_uris": ["http://erp.example.com/cb"]}, "redirect_uris/0"),
        Invalid(
            "redirect with a fragment", {"redirect_uris": ["https://erp.example.com/cb#x"]}, "redirect_uris/0"
        ),
        Invalid("redirect relative", {"redirect_uris": ["/oauth/callback"]}, "redirect_uris/0"),
        Invalid("redirect custom scheme", {"redirect_uris": ["com.example.app:/cb"]}, "redirect_uris/0"),
        Invalid(
            "redirect with a space", {"redirect_uris": ["https://erp.example.com/a b"]}, "redirect_uris/0"
        ),
        Invalid(
            "redirect with credentials",
            {"redirect_uris": ["https://u:p@erp.example.com/"]},
            "redirect_uris/0",
        ),
        Invalid(
            "redirect bad port", {"redirect_uris": ["https://erp.example.com:99999/"]}, "redirect_uris/0"
        ),
        Invalid("redirect_uris a string", {"redirect_uris": "https://erp.example.com/cb"}, "redirect_uris"),
        Invalid("public without redirect", {"is_public": True, "redirect_uris": []}, "redirect_uris"),
        Invalid("client_id chosen", {"client_id": "mine"}, "client_id"),
        Invalid("client_secret chosen", {"client_secret": "hunter2hunter2"}, "client_secret"),
        Invalid("is_public a string", {"is_public": "false"}, "is_public"),
    ),
    invalid_update=(
        Invalid("name null", {"name": None}, "name"),
        Invalid("scopes null", {"scopes": None}, "scopes"),
        Invalid("scopes empty", {"scopes": []}, "scopes"),
        Invalid("scope unknown", {"scopes": ["root"]}, "scopes/0"),
        Invalid("redirect over ftp", {"redirect_uris": ["ftp://erp.example.com/"]}, "redirect_uris/0"),
        Invalid("made public", {"is_public": True}, "is_public"),
        Invalid("is_active null", {"is_active": None}, "is_active"),
        Invalid("client_id changed", {"client_id": "mine"}, "client_id"),
    ),
    actions=("rotate_secret",),
)

ALL: tuple[AdminResource, ...] = (USERS, OAUTH_CLIENTS)
