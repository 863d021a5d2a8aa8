"""Create, read, update, list and validation for users and OAuth clients, from the table in resources.py;
both only under the `admin` scope, both per tenant."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from tally.db import Database
from tests.support import Api
from tests.users.helpers import envelope
from tests.users.resources import ALL, AdminResource

Body = dict[str, Any]

resources = pytest.mark.parametrize("spec", ALL, ids=str)
invalid_creates = pytest.mark.parametrize(
    "spec,case",
    [(spec, case) for spec in ALL for case in spec.invalid_create],
    ids=lambda v: str(v) if isinstance(v, AdminResource) else v.name,
)
invalid_updates = pytest.mark.parametrize(
    "spec,case",
    [(spec, case) for spec in ALL for case in spec.invalid_update],
    ids=lambda v: str(v) if isinstance(v, AdminResource) else v.name,
)


async def count_rows(db: Database, spec: AdminResource, tenant_id: int) -> int:
    model: Any = spec.model
    async with db.read() as session:
        n = await session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))
    return int(n or 0)


async def create(admin: Api, spec: AdminResource, body: Body | None = None) -> Body:
    response = await admin.post(f"/api/{spec.plural}", envelope(spec.plural, body or await spec.body(admin)))
    assert response.status_code == 201, response.text
    data: Body = response.json()["data"]
    return data


def as_read(spec: AdminResource, data: Body) -> Body:
    """What a later read shows of a created resource: no shown-once attributes."""
    attributes = {k: v for k, v in data["attributes"].items() if k not in spec.shown_once}
    return {**data, "attributes": attributes}


def assert_refused(response: Any, attribute: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    pointers = [e["source"]["pointer"] for e in body["errors"]]
    assert f"/data/attributes/{attribute}" in pointers, body


def endpoints(spec: AdminResource, id_: int) -> list[tuple[str, str]]:
    return [
        ("POST", f"/api/{spec.plural}"),
        ("GET", f"/api/{spec.plural}"),
        ("GET", f"/api/{spec.plural}/{id_}"),
        ("PATCH", f"/api/{spec.plural}/{id_}"),
        *[("POST", f"/api/{spec.plural}/{id_}/{action}") for action in spec.actions],
    ]


@resources
async def test_create_answers_201_with_the_resource(admin: Api, spec: AdminResource) -> None:
    body = await spec.body(admin)
    response = await admin.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert isinstance(data["id"], int) and data["id"] > 0
    assert data["type"] == spec.plural
    attributes = data["attributes"]
    for name, value in body.items():
        assert attributes[name] == value, name
    for name, value in spec.defaults.items():
        assert attributes[name] == value, name
    for name in spec.shown_once:
        assert name in attributes
    assert "created_at" in attributes
    assert not {"password", "password_hash", "secret_hash"} & set(attributes)


@resources
async def test_read_returns_what_create_returned_without_secrets(admin: Api, spec: AdminResource) -> None:
    created = await create(admin, spec)

    response = await admin.get(f"/api/{spec.plural}/{created['id']}")

    assert response.status_code == 200, response.text
    assert response.json() == {"data": as_read(spec, created)}


@resources
async def test_update_changes_only_what_was_sent(admin: Api, spec: AdminResource) -> None:
    created = as_read(spec, await create(admin, spec))

    response = await admin.patch(f"/api/{spec.plural}/{created['id']}", envelope(spec.plural, spec.update))

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    for name, value in created["attributes"].items():
        if name != "updated_at":
            assert data["attributes"][name] == spec.update.get(name, value), name
    assert (await admin.get(f"/api/{spec.plural}/{created['id']}")).json() == {"data": data}


@resources
async def test_empty_update_changes_nothing(admin: Api, spec: AdminResource) -> None:
    created = as_read(spec, await create(admin, spec))

    response = await admin.patch(f"/api/{spec.plural}/{created['id']}", envelope(spec.plural, {}))

    assert response.status_code == 200, response.text
    assert response.json() == {"data": created}


@invalid_creates
async def test_invalid_create_is_refused_and_writes_nothing(
    admin: Api, db: Database, spec: AdminResource, case: Any
) -> None:
    body = case.apply(await spec.body(admin))
    before = await count_rows(db, spec, admin.tenant_id)

    response = await admin.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert_refused(response, case.attribute)
    assert await count_rows(db, spec, admin.tenant_id) == before


@invalid_updates
async def test_invalid_update_is_refused_and_changes_nothing(
    admin: Api, spec: AdminResource, case: Any
) -> None:
    created = as_read(spec, await create(admin, spec))
    path = f"/api/{spec.plural}/{created['id']}"

    response = await admin.patch(path, envelope(spec.plural, case.apply({})))

    assert_refused(response, case.attribute)
    assert (await admin.get(path)).json() == {"data": created}


@resources
async def test_unknown_attributes_are_refused_by_name(admin: Api, db: Database, spec: AdminResource) -> None:
    body = {**(await spec.body(admin)), "colour": "red"}
    before = await count_rows(db, spec, admin.tenant_id)

    response = await admin.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert_refused(response, "colour")
    assert "colour" in response.json()["error"]
    assert await count_rows(db, spec, admin.tenant_id) == before


@resources
async def test_wrong_type_is_refused(admin: Api, db: Database, spec: AdminResource) -> None:
    before = await count_rows(db, spec, admin.tenant_id)
    response = await admin.post(
        f"/api/{spec.plural}", {"data": {"type": "widgets", "attributes": await spec.body(admin)}}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/type"
    assert await count_rows(db, spec, admin.tenant_id) == before


@pytest.mark.parametrize("spec", [s for s in ALL if s.unique], ids=str)
async def test_duplicate_is_refused(admin: Api, db: Database, spec: AdminResource) -> None:
    body = await spec.body(admin)
    await create(admin, spec, body)
    before = await count_rows(db, spec, admin.tenant_id)

    response = await admin.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert_refused(response, spec.unique[-1])
    assert [e["code"] for e in response.json()["errors"]] == ["taken"]
    assert await count_rows(db, spec, admin.tenant_id) == before


@pytest.mark.parametrize("spec", [s for s in ALL if s.unique], ids=str)
async def test_concurrent_duplicates_create_one_row(admin: Api, db: Database, spec: AdminResource) -> None:
    body = await spec.body(admin)
    before = await count_rows(db, spec, admin.tenant_id)

    responses = await asyncio.gather(
        *[admin.post(f"/api/{spec.plural}", envelope(spec.plural, body)) for _ in range(5)]
    )

    assert sorted(r.status_code for r in responses) == [201] + [422] * 4, [r.text for r in responses]
    assert await count_rows(db, spec, admin.tenant_id) == before + 1


@resources
async def test_other_tenants_ids_answer_404_and_are_untouched(
    admin: Api, other_admin: Api, spec: AdminResource
) -> None:
    created = as_read(spec, await create(admin, spec))
    path = f"/api/{spec.plural}/{created['id']}"

    answers = [
        await other_admin.get(path),
        await other_admin.patch(path, envelope(spec.plural, spec.update)),
        *[await other_admin.post(f"{path}/{action}") for action in spec.actions],
    ]

    for response in answers:
        assert response.status_code == 404, response.text
        assert "data" not in response.json() and response.json()["error"]
    assert (await admin.get(path)).json() == {"data": created}
    listed = (await other_admin.get(f"/api/{spec.plural}?limit=500")).json()["data"]
    assert created["id"] not in [row["id"] for row in listed]


@resources
@pytest.mark.parametrize("id_", ["999999999", "0", "-1", "abc", str(2**63)])
async def test_unknown_ids_answer_404(admin: Api, spec: AdminResource, id_: str) -> None:
    path = f"/api/{spec.plural}/{id_}"
    answers = [
        await admin.get(path),
        await admin.patch(path, envelope(spec.plural, spec.update)),
        *[await admin.post(f"{path}/{action}") for action in spec.actions],
    ]
    assert [r.status_code for r in answers] == [404] * len(answers), [r.text for r in answers]


@resources
async def test_every_endpoint_needs_the_admin_scope(api: Api, admin: Api, spec: AdminResource) -> None:
    created = await create(admin, spec)
    path = f"/api/{spec.plural}/{created['id']}"
    body = envelope(spec.plural, await spec.body(admin))

    for method, url in endpoints(spec, created["id"]):
        # `api` holds the four default scopes, everything but admin.
        forbidden = await api.http.request(method, url, json=body, headers=api.headers())
        assert forbidden.status_code == 403, (method, url, forbidden.text)
        assert "admin" in forbidden.json()["error"]
        anonymous = await api.http.request(
            method, url, json=body, headers={"X-Clarus-Subdomain": api.subdomain}
        )
        assert anonymous.status_code == 401, (method, url, anonymous.text)
    assert (await admin.get(path)).json() == {"data": as_read(spec, created)}


@resources
async def test_list_pages_through_the_tenants_rows_in_id_order(
    admin: Api, other_admin: Api, spec: AdminResource
) -> None:
    await create(other_admin, spec)
    made = [(await create(admin, spec))["id"] for _ in range(3)]

    seen: list[int] = []
    url: str | None = f"/api/{spec.plural}?limit=2"
    while url is not None:
        response = await admin.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) <= 2
        for row in page["data"]:
            assert row["type"] == spec.plural
            assert not set(spec.shown_once) & set(row["attributes"])
        seen += [row["id"] for row in page["data"]]
        url = page["links"]["next"]

    assert seen == sorted(seen)
    assert set(made) <= set(seen)
    # Only this tenant's: the admin's own client (and the api fixture's) for clients, none else.
    assert len(seen) == len(made) + (2 if spec.plural == "oauth_clients" else 0)


@resources
@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "after=-1"])
async def test_list_refuses_bad_paging(admin: Api, spec: AdminResource, query: str) -> None:
    response = await admin.get(f"/api/{spec.plural}?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]
