from tests.support import Api


async def test_create_and_read_location(api: Api) -> None:
    warehouse = await api.create("warehouses", code="WH1", name="Main")
    location = await api.create("locations", code="A-01", warehouse_id=warehouse["id"])
    response = await api.get(f"/api/locations/{location['id']}")
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["code"] == "A-01"
