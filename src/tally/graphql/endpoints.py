"""POST /graphql: the read API, under the same tenancy and bearer tokens as REST.

The caller is authenticated before the query reaches Strawberry, so a missing X-Clarus-Subdomain is a plain
400 and a bad token a plain 401 with WWW-Authenticate, exactly as under /api. Everything after that is a 200
whose body is {"data", "errors"}: a missing scope, a bad filter or a page too large is an error in `errors`
for the root field concerned. Responses are written by tally.http.json, so Decimal quantities come out as
exact JSON numbers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from tally.db import Database
from tally.errors import MalformedRequest
from tally.graphql.context import Context, Reader
from tally.graphql.loaders import Loaders
from tally.graphql.schema import schema
from tally.http.auth import authenticate, get_db
from tally.http.body import json_body
from tally.http.json import json_response

router = APIRouter(tags=["graphql"])


def _request_fields(body: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if not isinstance(body, dict):
        raise MalformedRequest('A GraphQL request is a JSON object: {"query", "variables", "operationName"}.')
    query, variables, operation = body.get("query"), body.get("variables"), body.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise MalformedRequest("query is required: a GraphQL document as a string.")
    if variables is not None and not isinstance(variables, dict):
        raise MalformedRequest("variables must be a JSON object.")
    if operation is not None and not isinstance(operation, str):
        raise MalformedRequest("operationName must be a string.")
    return query, variables, operation


@router.post("/graphql", summary="GraphQL reads: stocks, master data, the ledger, stock checks, tasks")
async def graphql(request: Request) -> Response:
    principal = await authenticate(request)
    query, variables, operation = _request_fields(await json_body(request))
    db: Database = get_db(request)
    async with db.read() as session:
        reader = Reader(session)
        context = Context(principal, reader, db.dialect, Loaders(reader, principal.tenant_id))
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation,
        )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return json_response(body)
