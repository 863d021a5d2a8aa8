"""Domain errors. Services raise these; `tally.http.errors` maps them to HTTP in one place."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    """One invalid input field: `pointer` is a JSON pointer into the request body."""

    pointer: str
    detail: str
    code: str = "invalid"


@dataclass
class TallyError(Exception):
    message: str
    field_errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class NotFound(TallyError):
    """The resource does not exist for this tenant (404)."""


class Conflict(TallyError):
    """The request conflicts with the current state, e.g. a duplicate code (409)."""


class RuleViolation(TallyError):
    """A business rule forbids the request in the current state (422)."""


class InvalidInput(TallyError):
    """The request body fails validation (422)."""


class MalformedRequest(TallyError):
    """The request cannot be parsed at all (400)."""


class PayloadTooLarge(TallyError):
    """The request body is larger than Tally accepts (413)."""


class UnsupportedMediaType(TallyError):
    """The body is not application/json (415)."""


class Unauthenticated(TallyError):
    """No valid credentials for the named tenant (401)."""


class Forbidden(TallyError):
    """Valid credentials without the needed scope (403)."""


class IdempotencyConflict(TallyError):
    """A request with the same Idempotency-Key is still being processed (409)."""
