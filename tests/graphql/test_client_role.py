"""Client-role users read their own account's stock, products, account and ledger through GraphQL; shared
master data (locations, warehouses, reason codes) stays readable, and nothing else leaks through filters,
totalCount or nested objects."""

from __future__ import annotations

import pytest

from tests.graphql.helpers import body, data, nodes
from tests.support import Api
from tests.users.helpers import as_role, two_owners

OWNED = """{
  stocks { all { totalCount edges { node { id account { id } product { id account { id } } } } } }
  products { all { totalCount edges { node { id account { id } } } } }
  accounts { all { totalCount edges { node { id } } } }
  transactions { all { totalCount edges { node { id product { id } stock { id } } } } }
}"""
SHARED = """{
  locations { all { totalCount } }
  warehouses { all { totalCount } }
  reason_codes { all { totalCount } }
}"""


def ids(answer: dict[str, object], root: str) -> set[int]:
    return {int(node["id"]) for node in nodes(answer, root)}  # type: ignore[arg-type]


async def test_client_users_see_their_own_accounts_rows_only(api: Api) -> None:
    owners = await two_owners(api)
    client = await as_role(api, "client", owners.mine.account_id)

    answer = await data(client, OWNED)

    assert ids(answer, "stocks") == {owners.my_stock}
    assert ids(answer, "products") == {owners.mine.product_id}
    assert ids(answer, "accounts") == {owners.mine.account_id}
    ledger = nodes(answer, "transactions")
    assert len(ledger) == 2  # the stock's creation and its adjustment
    assert {int(n["product"]["id"]) for n in ledger} == {owners.mine.product_id}
    for root, count in (("stocks", 1), ("products", 1), ("accounts", 1), ("transactions", 2)):
        assert answer[root]["all"]["totalCount"] == count, root
    for node in nodes(answer, "stocks"):
        assert int(node["account"]["id"]) == int(node["product"]["account"]["id"]) == owners.mine.account_id


async def test_filters_naming_another_account_find_nothing(api: Api) -> None:
    owners = await two_owners(api)
    client = await as_role(api, "client", owners.mine.account_id)

    answer = await data(
        client,
        """query($a: IdInputType, $s: IdInputType, $p: IdInputType) {
          stocks { all(filter: {account_id: $a}) { totalCount } }
          by_id: stocks { all(filter: {id: $s}) { totalCount } }
          products { all(filter: {account_id: $a}) { totalCount } }
          accounts { all(filter: {id: $a}) { totalCount } }
          transactions { all(filter: {product_id: $p}) { totalCount } }
        }""",
        {
            "a": {"eq": str(owners.theirs.account_id)},
            "s": {"eq": str(owners.their_stock)},
            "p": {"eq": str(owners.theirs.product_id)},
        },
    )

    for root in ("stocks", "by_id", "products", "accounts", "transactions"):
        assert answer[root]["all"]["totalCount"] == 0, root


async def test_client_users_read_shared_master_data(api: Api) -> None:
    owners = await two_owners(api)
    client = await as_role(api, "client", owners.theirs.account_id)
    everyone = await data(api, SHARED)

    answer = await data(client, SHARED)

    assert answer == everyone
    assert answer["locations"]["all"]["totalCount"] == 1


async def test_client_users_cannot_read_stock_checks_or_tasks(api: Api) -> None:
    owners = await two_owners(api)
    client = await as_role(api, "client", owners.mine.account_id)
    result = await body(client, "{ stock_checks { all { totalCount } } tasks { all { totalCount } } }")
    assert result["data"] == {"stock_checks": None, "tasks": None}
    assert len(result["errors"]) == 2


@pytest.mark.parametrize("role", ["standard", "admin"])
async def test_other_roles_see_every_account(api: Api, role: str) -> None:
    owners = await two_owners(api)
    user = await as_role(api, role)

    answer = await data(user, OWNED)

    assert ids(answer, "stocks") == {owners.my_stock, owners.their_stock}
    assert ids(answer, "accounts") == {owners.mine.account_id, owners.theirs.account_id}
    assert answer["transactions"]["all"]["totalCount"] == 3
