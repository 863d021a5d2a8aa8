"""The one mapping from domain errors to HTTP status and the error body {"error", "errors"}."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tally import errors
from tally.http.json import json_response

log = structlog.get_logger(__name__)

STATUS: dict[type[errors.TallyError], int] = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.IdempotencyConflict: 409,
    errors.RuleViolation: 422,
    errors.InvalidInput: 422,
    errors.MalformedRequest: 400,
    errors.UnsupportedMediaType: 415,
    errors.PayloadTooLarge: 413,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
}


def status_of(exc: errors.TallyError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(exc: errors.TallyError, status: int) -> dict[str, Any]:
    body: dict[str, Any] = {"error": exc.message}
    if exc.field_errors:
        body["errors"] = [
            {
                "status": str(status),
                "code": fe.code,
                "detail": fe.detail,
                "source": {"pointer": fe.pointer},
            }
            for fe in exc.field_errors
        ]
    return body


def error_response(exc: errors.TallyError) -> Response:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, errors.Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="tally"'
    elif isinstance(exc, errors.Forbidden):
        headers["WWW-Authenticate"] = 'Bearer realm="tally", error="insufficient_scope"'
    return json_response(error_body(exc, status), status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    async def on_tally_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.TallyError)
        return error_response(exc)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        messages = {404: "No such endpoint.", 405: "Method not allowed on this endpoint."}
        message = messages.get(exc.status_code, str(exc.detail))
        return json_response({"error": message}, exc.status_code, headers=dict(exc.headers or {}))

    async def on_validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        field_errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            field_errors.append(errors.FieldError("/" + "/".join(loc[1:]), err.get("msg", "invalid")))
        where = {str(e.get("loc", ("",))[0]) for e in exc.errors()}
        status = 404 if where == {"path"} else 422
        message = "No such resource." if status == 404 else "The request is invalid."
        body: dict[str, Any] = {"error": message}
        if status == 422:
            body = error_body(errors.InvalidInput(message, field_errors), 422)
        return json_response(body, status)

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("request.failed", error=repr(exc))
        return json_response({"error": "Internal server error."}, 500)

    app.add_exception_handler(errors.TallyError, on_tally_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
