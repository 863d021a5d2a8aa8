"""Client-role users see their own account's stock, products and account only; locations, warehouses and
reason codes are shared. Another account's row answers 404, exactly as a missing one does."""

from __future__ import annotations

import pytest

from tests.support import Api, unique
from tests.users.helpers import as_role, envelope, two_owners

SHARED = ["locations", "warehouses", "reason_codes"]


async def test_client_users_read_their_own_accounts_rows_only(api: Api) -> None:
    owners = await two_owners(api)
    client = await as_role(api, "client", owners.mine.account_id)

    mine = {
        "stocks": owners.my_stock,
        "products": owners.mine.product_id,
        "accounts": owners.mine.account_id,
    }
    theirs = {
        "stocks": owners.their_stock,
        "products": owners.theirs.product_id,
        "accounts": owners.theirs.account_id,
    }
    for resource in mine:
        assert (await client.get(f"/api/{resource}/{mine[resource]}")).status_code == 200, resource
        hidden = await client.get(f"/api/{resource}/{theirs[resource]}")
        missing = await client.get(f"/api/{resource}/999999999")
        assert hidden.status_code == 404, hidden.text
        # Nothing tells a hidden row from a missing one but the id in the sentence.
        assert hidden.json()["error"].replace(str(theirs[resource]), "N") == missing.json()["error"].replace(
            "999999999", "N"
        )


@pytest.mark.parametrize("resource", SHARED)
async def test_client_users_read_shared_master_data(api: Api, resource: str) -> None:
    owners = await two_owners(api)
    client = await as_role(api, "client", owners.theirs.account_id)
    ids = {
        "locations": owners.mine.location_id,
        "warehouses": owners.mine.warehouse_id,
        "reason_codes": owners.reason_code,
    }
    assert (await client.get(f"/api/{resource}/{ids[resource]}")).status_code == 200


async def test_client_users_cannot_write_inventory(api: Api) -> None:
    owners = await two_owners(api)
    client = await as_role(api, "client", owners.mine.account_id)

    created = await client.post("/api/warehouses", envelope("warehouses", {"code": unique("W"), "name": "W"}))
    adjusted = await client.post(
        f"/api/stocks/{owners.my_stock}/adjust",
        {"data": {"attributes": {"quantity_change": 1, "reason_code_id": owners.reason_code}}},
    )

    assert (created.status_code, adjusted.status_code) == (403, 403)


@pytest.mark.parametrize("role", ["standard", "admin"])
async def test_other_roles_see_every_account(api: Api, role: str) -> None:
    owners = await two_owners(api)
    user = await as_role(api, role)
    for path in (
        f"/api/stocks/{owners.their_stock}",
        f"/api/products/{owners.theirs.product_id}",
        f"/api/accounts/{owners.theirs.account_id}",
    ):
        assert (await user.get(path)).status_code == 200, path


async def test_a_client_user_moved_to_another_account_sees_that_one_at_once(api: Api) -> None:
    owners = await two_owners(api)
    admin = await api.with_scopes("admin")
    client = await as_role(api, "client", owners.mine.account_id)
    assert (await client.get(f"/api/stocks/{owners.their_stock}")).status_code == 404

    users = (await admin.get("/api/users")).json()["data"]
    (me,) = [u for u in users if u["attributes"]["role"] == "client"]
    moved = await admin.patch(
        f"/api/users/{me['id']}", envelope("users", {"account_id": owners.theirs.account_id})
    )

    assert moved.status_code == 200, moved.text
    assert (await client.get(f"/api/stocks/{owners.their_stock}")).status_code == 200
    assert (await client.get(f"/api/stocks/{owners.my_stock}")).status_code == 404
