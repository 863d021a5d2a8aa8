"""Steps shared by the user and client administration tests: users made through the API, and bearer tokens
acting as them, inserted directly as the authorization code grant would issue them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tally.oauth.rules import ADMIN, DEFAULT_SCOPES
from tests.support import Api, Site, new_site, unique

Body = dict[str, Any]
WAREHOUSE_PROBE = "/api/warehouses/999999999"  # authenticated and in scope: 404; otherwise 401 or 403


def envelope(resource: str, attributes: Body) -> Body:
    return {"data": {"type": resource, "attributes": attributes}}


def email() -> str:
    return f"{unique('u')}@example.com"


async def new_user(admin: Api, role: str = "standard", **attributes: Any) -> Body:
    """A user made through POST /api/users; its data member."""
    body = {"email": email(), "name": "Pat Picker", "role": role, **attributes}
    response = await admin.post("/api/users", envelope("users", body))
    assert response.status_code == 201, response.text
    data: Body = response.json()["data"]
    return data


async def acting_as(api: Api, user_id: int, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> Api:
    """The api's client acting as the user: a bearer token issued to that user with `scopes`."""
    return await api.acting_as(user_id, scopes)


async def as_role(api: Api, role: str, account_id: int | None = None) -> Api:
    """A token of the api's client acting as a new user of `role`, holding the four default scopes (what
    the role allows of them is what it may use)."""
    admin = await api.with_scopes(*DEFAULT_SCOPES, ADMIN)
    attributes = {"account_id": account_id} if account_id is not None else {}
    user = await new_user(admin, role, **attributes)
    return await acting_as(api, user["id"])


@dataclass(frozen=True)
class Owners:
    """Two accounts of one tenant with a product and stock each at one shared location, and a ledger row
    for each stock (its creation) plus an adjustment of the first."""

    mine: Site
    theirs: Site
    my_stock: int
    their_stock: int
    reason_code: int


async def two_owners(api: Api) -> Owners:
    mine = await new_site(api)
    other_account = await api.create("accounts", code=unique("A"), name="Beta")
    other_product = await api.create(
        "products", code=unique("P"), description="Peas", account_id=other_account["id"]
    )
    theirs = Site(other_account["id"], mine.warehouse_id, mine.location_id, other_product["id"])
    my_stock = await api.create(
        "stocks", product_id=mine.product_id, location_id=mine.location_id, quantity=5
    )
    their_stock = await api.create(
        "stocks", product_id=theirs.product_id, location_id=mine.location_id, quantity=7
    )
    reason = await api.create(
        "reason_codes",
        code=unique("RC"),
        name="Found",
        description="Found",
        reason_type="positive_adjustment",
    )
    adjusted = await api.post(
        f"/api/stocks/{my_stock['id']}/adjust",
        {"data": {"attributes": {"quantity_change": 1, "reason_code_id": reason["id"]}}},
    )
    assert adjusted.status_code == 200, adjusted.text
    return Owners(mine, theirs, my_stock["id"], their_stock["id"], reason["id"])
