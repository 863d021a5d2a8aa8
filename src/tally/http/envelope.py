"""The Clarus JSON:API-like response envelope."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tally.http.json import json_response


def resource_document(resource_type: str, id_: int, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"id": id_, "type": resource_type, "attributes": attributes}}


def resource_response(
    resource_type: str, id_: int, attributes: dict[str, Any], status: int = 200
) -> Response:
    return json_response(resource_document(resource_type, id_, attributes), status)
