"""Create, read, update and validation for every master-data resource, from the table in resources.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from tally.db import Database
from tests.inventory.resources import ALL, ResourceSpec
from tests.support import Api, new_site, unique

Body = dict[str, Any]


def envelope(plural: str, attributes: Body) -> Body:
    return {"data": {"type": plural, "attributes": attributes}}


async def count_rows(db: Database, spec: ResourceSpec, tenant_id: int) -> int:
    model: Any = spec.model
    async with db.read() as session:
        n = await session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))
    return int(n or 0)


async def create(api: Api, spec: ResourceSpec, body: Body) -> Body:
    response = await api.post(f"/api/{spec.plural}", envelope(spec.plural, body))
    assert response.status_code == 201, response.text
    data: Body = response.json()["data"]
    return data


def assert_refused(response: Any, attribute: str) -> None:
    """A 422 with one sentence and a field error pointing at the attribute."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    pointers = [e["source"]["pointer"] for e in body["errors"]]
    assert f"/data/attributes/{attribute}" in pointers, body
    for error in body["errors"]:
        assert error["status"] == "422"
        assert error["code"] and error["detail"]


_JSON = {"Content-Type": "application/json"}


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


resources = pytest.mark.parametrize("spec", ALL, ids=str)
invalid_creates = pytest.mark.parametrize(
    "spec,case",
    [(spec, case) for spec in ALL for case in spec.invalid_create],
    ids=lambda v: str(v) if isinstance(v, ResourceSpec) else v.name,
)
invalid_updates = pytest.mark.parametrize(
    "spec,case",
    [(spec, case) for spec in ALL for case in spec.invalid_update],
    ids=lambda v: str(v) if isinstance(v, ResourceSpec) else v.name,
)
unique_resources = pytest.mark.parametrize("spec", [s for s in ALL if s.unique], ids=str)


@resources
async def test_create_answers_201_with_the_resource(api: Api, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    response = await api.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert response.status_code == 201, response.text
    document = response.json()
    assert set(document) == {"data"}
    data = document["data"]
    assert isinstance(data["id"], int) and data["id"] > 0
    assert data["type"] == spec.plural
    attributes = data["attributes"]
    for name, value in body.items():
        assert attributes[name] == value, name
    for name, value in spec.defaults.items():
        if name not in body:
            assert attributes[name] == value, name


@resources
async def test_create_without_type_uses_the_path(api: Api, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    response = await api.post(f"/api/{spec.plural}", {"data": {"attributes": body}})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["type"] == spec.plural


@resources
async def test_read_returns_what_create_returned(api: Api, spec: ResourceSpec) -> None:
    created = await create(api, spec, await spec.body(api))

    response = await api.get(f"/api/{spec.plural}/{created['id']}")

    assert response.status_code == 200, response.text
    assert response.json() == {"data": created}


@resources
async def test_update_changes_only_what_was_sent(api: Api, spec: ResourceSpec) -> None:
    created = await create(api, spec, await spec.body(api))

    response = await api.patch(f"/api/{spec.plural}/{created['id']}", envelope(spec.plural, spec.update))

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["id"], data["type"]) == (created["id"], spec.plural)
    for name, value in created["attributes"].items():
        expected = spec.update.get(name, value)
        if name != "updated_at":
            assert data["attributes"][name] == expected, name
    reread = (await api.get(f"/api/{spec.plural}/{created['id']}")).json()["data"]
    assert reread["attributes"] == data["attributes"]


@resources
async def test_empty_update_changes_nothing(api: Api, spec: ResourceSpec) -> None:
    created = await create(api, spec, await spec.body(api))

    response = await api.patch(f"/api/{spec.plural}/{created['id']}", envelope(spec.plural, {}))

    assert response.status_code == 200, response.text
    attributes = response.json()["data"]["attributes"]
    assert {k: v for k, v in attributes.items() if k != "updated_at"} == {
        k: v for k, v in created["attributes"].items() if k != "updated_at"
    }


@invalid_creates
async def test_invalid_create_is_refused_and_writes_nothing(
    api: Api, db: Database, spec: ResourceSpec, case: Any
) -> None:
    body = case.apply(await spec.body(api))
    before = await count_rows(db, spec, api.tenant_id)

    response = await api.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert_refused(response, case.attribute)
    assert await count_rows(db, spec, api.tenant_id) == before


@invalid_updates
async def test_invalid_update_is_refused_and_changes_nothing(api: Api, spec: ResourceSpec, case: Any) -> None:
    created = await create(api, spec, await spec.body(api))
    path = f"/api/{spec.plural}/{created['id']}"

    response = await api.patch(path, envelope(spec.plural, case.apply({})))

    assert_refused(response, case.attribute)
    assert (await api.get(path)).json() == {"data": created}


@resources
async def test_unknown_attributes_are_refused_by_name(api: Api, db: Database, spec: ResourceSpec) -> None:
    body = {**(await spec.body(api)), "colour": "red", "weight": 3}
    before = await count_rows(db, spec, api.tenant_id)

    response = await api.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert_refused(response, "colour")
    assert_refused(response, "weight")
    assert "colour" in response.json()["error"] and "weight" in response.json()["error"]
    assert await count_rows(db, spec, api.tenant_id) == before


@resources
async def test_update_with_unknown_attribute_is_refused(api: Api, spec: ResourceSpec) -> None:
    created = await create(api, spec, await spec.body(api))
    path = f"/api/{spec.plural}/{created['id']}"

    response = await api.patch(path, envelope(spec.plural, {**spec.update, "colour": "red"}))

    assert_refused(response, "colour")
    assert (await api.get(path)).json() == {"data": created}


@pytest.mark.parametrize("spec", [s for s in ALL if s.read_only], ids=str)
async def test_read_only_attributes_cannot_be_written(api: Api, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    created = await create(api, spec, body)
    for name, value in spec.read_only.items():
        assert name in created["attributes"]
        refused = await api.post(f"/api/{spec.plural}", envelope(spec.plural, {**body, name: value}))
        assert_refused(refused, name)
        patched = await api.patch(f"/api/{spec.plural}/{created['id']}", envelope(spec.plural, {name: value}))
        assert_refused(patched, name)


@unique_resources
async def test_duplicate_is_refused(api: Api, db: Database, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    await create(api, spec, body)
    before = await count_rows(db, spec, api.tenant_id)

    response = await api.post(f"/api/{spec.plural}", envelope(spec.plural, body))

    assert_refused(response, spec.unique[-1])
    assert [e["code"] for e in response.json()["errors"]] == ["taken"]
    assert await count_rows(db, spec, api.tenant_id) == before


@unique_resources
async def test_update_to_a_taken_code_is_refused(api: Api, spec: ResourceSpec) -> None:
    first = await create(api, spec, await spec.body(api))
    body = await spec.body(api)
    second = await create(api, spec, {**body, **{k: first["attributes"][k] for k in spec.unique[:-1]}})
    path = f"/api/{spec.plural}/{second['id']}"

    response = await api.patch(path, envelope(spec.plural, {"code": first["attributes"]["code"]}))

    assert_refused(response, "code")
    assert (await api.get(path)).json() == {"data": second}


@unique_resources
async def test_update_keeping_its_own_code_is_allowed(api: Api, spec: ResourceSpec) -> None:
    created = await create(api, spec, await spec.body(api))
    response = await api.patch(
        f"/api/{spec.plural}/{created['id']}", envelope(spec.plural, {"code": created["attributes"]["code"]})
    )
    assert response.status_code == 200, response.text


@unique_resources
async def test_codes_are_unique_per_tenant_only(api: Api, other_api: Api, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    await create(api, spec, body)
    other_body = {**(await spec.body(other_api)), "code": body["code"]}
    created = await create(other_api, spec, other_body)
    assert created["attributes"]["code"] == body["code"]


async def test_location_codes_are_unique_per_warehouse_only(api: Api) -> None:
    first = await api.create("warehouses", code=unique("W"), name="One")
    second = await api.create("warehouses", code=unique("W"), name="Two")
    await api.create("locations", code="A-01", warehouse_id=first["id"])
    location = await api.create("locations", code="A-01", warehouse_id=second["id"])

    moved = await api.patch(
        f"/api/locations/{location['id']}", envelope("locations", {"warehouse_id": first["id"]})
    )

    assert_refused(moved, "code")
    assert "already exists in this warehouse" in moved.json()["error"]


@resources
async def test_other_tenants_ids_answer_404_and_are_untouched(
    api: Api, other_api: Api, spec: ResourceSpec
) -> None:
    created = await create(api, spec, await spec.body(api))
    path = f"/api/{spec.plural}/{created['id']}"

    read = await other_api.get(path)
    patched = await other_api.patch(path, envelope(spec.plural, spec.update))

    assert read.status_code == 404, read.text
    assert patched.status_code == 404, patched.text
    for response in (read, patched):
        assert "data" not in response.json()
        assert response.json()["error"]
    assert (await api.get(path)).json() == {"data": created}


@pytest.mark.parametrize("spec", [s for s in ALL if s.references], ids=str)
async def test_references_to_another_tenants_rows_are_refused(
    api: Api, other_api: Api, db: Database, spec: ResourceSpec
) -> None:
    theirs = await spec.body(other_api)
    references = {k: theirs[k] for k in spec.references}
    mine = await spec.body(api)
    before = await count_rows(db, spec, api.tenant_id)

    response = await api.post(f"/api/{spec.plural}", envelope(spec.plural, {**mine, **references}))

    assert response.status_code == 422, response.text
    pointers = {e["source"]["pointer"] for e in response.json()["errors"]}
    assert pointers & {f"/data/attributes/{name}" for name in references}, pointers
    assert await count_rows(db, spec, api.tenant_id) == before


@resources
@pytest.mark.parametrize("id_", ["999999999", "0", "-1", "abc", str(2**63)])
async def test_unknown_ids_answer_404(api: Api, spec: ResourceSpec, id_: str) -> None:
    read = await api.get(f"/api/{spec.plural}/{id_}")
    patched = await api.patch(f"/api/{spec.plural}/{id_}", envelope(spec.plural, spec.update))
    assert (read.status_code, patched.status_code) == (404, 404), (read.text, patched.text)
    assert read.json()["error"] and patched.json()["error"]


@resources
async def test_wrong_type_is_refused(api: Api, db: Database, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    before = await count_rows(db, spec, api.tenant_id)

    response = await api.post(f"/api/{spec.plural}", {"data": {"type": "widgets", "attributes": body}})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/type"
    assert await count_rows(db, spec, api.tenant_id) == before


@resources
@pytest.mark.parametrize(
    "document",
    [[], {}, {"data": None}, {"data": []}, {"data": {"type": "x"}}, {"data": {"attributes": []}}, None],
    ids=["array", "empty", "data null", "data array", "no attributes", "attributes array", "null"],
)
async def test_bodies_without_the_envelope_are_refused(api: Api, spec: ResourceSpec, document: Any) -> None:
    response = await api.post(f"/api/{spec.plural}", content=_json(document), headers=_JSON)
    assert response.status_code == 422, response.text
    assert response.json()["error"]


@resources
async def test_unknown_members_of_data_are_refused(api: Api, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    response = await api.post(
        f"/api/{spec.plural}", {"data": {"type": spec.plural, "attributes": body, "meta": {}}}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/meta"


@resources
@pytest.mark.parametrize("method", ["post", "patch"])
@pytest.mark.parametrize(
    "raw",
    [b'{"data": {', b"", b"{'data': {}}", b'{"data": NaN}', b'{"data": ' + b"[" * 100_000],
    ids=["truncated", "empty", "single quotes", "NaN", "nested too deep"],
)
async def test_malformed_json_answers_400(api: Api, spec: ResourceSpec, method: str, raw: bytes) -> None:
    created = await create(api, spec, await spec.body(api))
    path = f"/api/{spec.plural}" if method == "post" else f"/api/{spec.plural}/{created['id']}"

    response = await getattr(api, method)(path, content=raw, headers=_JSON)

    assert response.status_code == 400, response.text
    assert response.json()["error"]
    if method == "patch":
        assert (await api.get(path)).json() == {"data": created}


@resources
@pytest.mark.parametrize("method", ["post", "patch"])
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_bodies_that_are_not_json_answer_415(
    api: Api, db: Database, spec: ResourceSpec, method: str, content_type: str | None
) -> None:
    body = await spec.body(api)
    created = await create(api, spec, body)
    path = f"/api/{spec.plural}" if method == "post" else f"/api/{spec.plural}/{created['id']}"
    headers = {"Content-Type": content_type} if content_type else {}
    before = await count_rows(db, spec, api.tenant_id)

    response = await getattr(api, method)(path, content=_json(envelope(spec.plural, body)), headers=headers)

    assert response.status_code == 415, response.text
    assert response.json()["error"]
    assert await count_rows(db, spec, api.tenant_id) == before


@pytest.mark.parametrize(
    "text",
    [
        b'"Acme\\u0000Foods"',  # NUL: PostgreSQL cannot store it
        b'"Acme\\ud800Foods"',  # a lone surrogate: not encodable as UTF-8
    ],
    ids=["NUL", "lone surrogate"],
)
async def test_text_that_cannot_be_stored_is_refused_not_a_500(api: Api, db: Database, text: bytes) -> None:
    spec = ALL[0]
    raw = b'{"data": {"type": "accounts", "attributes": {"code": "A1", "name": ' + text + b"}}}"
    before = await count_rows(db, spec, api.tenant_id)

    response = await api.post("/api/accounts", content=raw, headers=_JSON)

    assert_refused(response, "name")
    assert await count_rows(db, spec, api.tenant_id) == before


async def test_text_is_trimmed(api: Api) -> None:
    created = await api.create("warehouses", code="  WH-9 ", name=" Main ")
    assert (created["attributes"]["code"], created["attributes"]["name"]) == ("WH-9", "Main")


async def test_product_account_cannot_change_while_it_has_stock(api: Api) -> None:
    site = await new_site(api)
    other_account = await api.create("accounts", code=unique("A"), name="Beta")
    await api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=1)
    path = f"/api/products/{site.product_id}"

    response = await api.patch(path, envelope("products", {"account_id": other_account["id"]}))

    assert response.status_code == 422, response.text
    assert (await api.get(path)).json()["data"]["attributes"]["account_id"] == site.account_id


async def test_product_account_may_change_while_it_has_no_stock(api: Api) -> None:
    site = await new_site(api)
    other_account = await api.create("accounts", code=unique("A"), name="Beta")

    response = await api.patch(
        f"/api/products/{site.product_id}", envelope("products", {"account_id": other_account["id"]})
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["account_id"] == other_account["id"]


@unique_resources
async def test_concurrent_duplicates_create_one_row(api: Api, db: Database, spec: ResourceSpec) -> None:
    body = await spec.body(api)
    before = await count_rows(db, spec, api.tenant_id)

    responses = await asyncio.gather(
        *[api.post(f"/api/{spec.plural}", envelope(spec.plural, body)) for _ in range(6)]
    )

    assert sorted(r.status_code for r in responses) == [201] + [422] * 5, [r.text for r in responses]
    assert await count_rows(db, spec, api.tenant_id) == before + 1


@resources
@pytest.mark.parametrize("method", ["DELETE", "PUT"])
async def test_other_methods_answer_405_with_an_error(api: Api, spec: ResourceSpec, method: str) -> None:
    created = await create(api, spec, await spec.body(api))
    path = f"/api/{spec.plural}/{created['id']}"

    response = await api.http.request(method, path, headers=api.headers())

    assert response.status_code == 405, response.text
    assert response.json()["error"]
    assert (await api.get(path)).json() == {"data": created}
