"""Reading request bodies: application/json only, the Clarus {"data": {"attributes": …}} envelope, and
Pydantic validation errors turned into JSON-pointer field errors."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from tally.errors import FieldError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from tally.http.json import loads

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 1_000_000


async def json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType("The request body must be JSON, sent with Content-Type: application/json.")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    return loads(raw)


def _describe(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err.get("loc", ())]
    name = loc[-1] if loc else "body"
    kind = err.get("type", "")
    if kind == "missing":
        return f"{name} is required."
    if kind == "extra_forbidden":
        return f"{name} is not a known attribute."
    message = str(err.get("msg", "is invalid"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{name}: {message}"


def validation_failure(exc: ValidationError, prefix: str) -> InvalidInput:
    field_errors: list[FieldError] = []
    unknown: list[str] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        pointer = prefix + ("/" + "/".join(loc) if loc else "")
        code = "unknown_attribute" if err["type"] == "extra_forbidden" else str(err["type"])
        if err["type"] == "extra_forbidden":
            unknown.append(loc[-1] if loc else "?")
        field_errors.append(FieldError(pointer=pointer, detail=_describe(dict(err)), code=code))
    if unknown:
        message = "Unknown attributes: " + ", ".join(sorted(unknown)) + "."
    elif len(field_errors) == 1:
        message = field_errors[0].detail
    else:
        message = "The request has invalid attributes: " + " ".join(fe.detail for fe in field_errors)
    return InvalidInput(message, field_errors)


def validate(model: type[M], value: Any, prefix: str) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise validation_failure(exc, prefix) from None


def envelope_attributes(body: Any, resource_type: str | None) -> Any:
    """The attributes of a {"data": {"type", "attributes"}} body; a sent `type` must name the resource."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise InvalidInput(
            'The body must be {"data": {"attributes": {…}}}.', [FieldError("/data", "data is required.")]
        )
    data = body["data"]
    unknown = set(data) - {"type", "attributes", "id", "relationships"}
    if unknown:
        raise InvalidInput(
            "Unknown members of data: " + ", ".join(sorted(unknown)) + ".",
            [
                FieldError(f"/data/{k}", f"{k} is not allowed here.", "unknown_attribute")
                for k in sorted(unknown)
            ],
        )
    sent_type = data.get("type")
    if resource_type is not None and sent_type is not None and sent_type != resource_type:
        raise InvalidInput(
            f"data.type must be {resource_type!r}.",
            [FieldError("/data/type", f"Expected {resource_type!r}, got {sent_type!r}.")],
        )
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        raise InvalidInput(
            "data.attributes must be an object.", [FieldError("/data/attributes", "attributes is required.")]
        )
    return attributes


async def read_attributes(request: Request, model: type[M], resource_type: str | None) -> M:
    """Parse and validate an enveloped request body into `model`."""
    attributes = envelope_attributes(await json_body(request), resource_type)
    return validate(model, attributes, "/data/attributes")


async def read_bare(request: Request, model: type[M]) -> M:
    """Parse and validate a bare (non-enveloped) request body, as Clarus's resolve endpoint takes."""
    return validate(model, await json_body(request), "")
