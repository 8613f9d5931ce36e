"""Domain errors: every business rule failure carries a stable code.

Resolvers map them, in one place, to the `userErrors` of a mutation payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import ValidationError


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    """An input value breaks a rule (format, range, a missing or inconsistent value, an ID of
    the wrong type): correct the input (`field` says which, when known) and send again."""
    NOT_FOUND = "NOT_FOUND"
    """A referenced object does not exist, or the caller may not see it: check the ID; reading
    it again will not help."""
    FORBIDDEN = "FORBIDDEN"
    """The caller's role, or their relation to the object, does not allow this: do not retry;
    hide the action from this user."""
    UNAUTHENTICATED = "UNAUTHENTICATED"
    """No valid bearer token was sent, or login got a wrong email or password: log in (again)
    and send the token as `Authorization: Bearer <token>`."""
    INVALID_TRANSITION = "INVALID_TRANSITION"
    """The object's current status does not allow this step (e.g. issuing an invoice that is
    not a draft): read the object again and offer only what its status allows."""
    STALE_VERSION = "STALE_VERSION"
    """The object changed since you read it: read it again and retry with its new version."""
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    """The stock location does not hold (or has not reserved) enough of the part: lower the
    quantity, or move stock there first."""
    SLOT_TAKEN = "SLOT_TAKEN"
    """The appointment slot is no longer free, or its hold expired or was used: fetch the
    available slots again and let the customer choose another."""
    DUPLICATE = "DUPLICATE"
    """The value must be unique and is already used (a code, an email, a reference), or the
    same thing was already done (e.g. a task already rated): change the value, or use the
    existing object."""
    CONFLICT = "CONFLICT"
    """The request clashes with the current state of other data (e.g. a warehouse that still
    holds stock, an overlapping membership, an expired payment link): resolve that first; the
    message says what."""
    NOT_RELEASED = "NOT_RELEASED"
    """The task needs an approved travel request before it is released for execution (its
    task type's travel policy, or the distance from the technician's home base): request
    travel, and start once it is approved."""
    RATE_LIMITED = "RATE_LIMITED"
    """Too many requests from this token or address, or too many failed logins for this
    account: wait the seconds the message (and the `Retry-After` header) gives, then retry."""
    INTERNAL = "INTERNAL"
    """An unexpected server failure, reported only as a GraphQL error, with no details: retry
    later (with the same idempotencyKey where the mutation takes one)."""


class FieldProblem:
    """One problem with one input field (or with the input as a whole when field is None)."""

    __slots__ = ("code", "field", "message")

    def __init__(self, message: str, code: ErrorCode, field: Sequence[str] | None = None) -> None:
        self.message = message
        self.code = code
        self.field = list(field) if field is not None else None

    def __repr__(self) -> str:
        return f"FieldProblem({self.code}, {self.field}, {self.message!r})"


class DomainError(Exception):
    """A business rule refused the operation; nothing it wrote is kept."""

    def __init__(
        self,
        message: str,
        code: ErrorCode = ErrorCode.INVALID,
        field: Sequence[str] | None = None,
        problems: Sequence[FieldProblem] | None = None,
    ) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems else [FieldProblem(message, code, field)]

    @property
    def code(self) -> ErrorCode:
        return self.problems[0].code


class NotFound(DomainError):
    def __init__(self, what: str, field: Sequence[str] | None = None) -> None:
        super().__init__(f"{what} not found", ErrorCode.NOT_FOUND, field)


class Forbidden(DomainError):
    def __init__(self, message: str = "not allowed", field: Sequence[str] | None = None) -> None:
        super().__init__(message, ErrorCode.FORBIDDEN, field)


class StaleVersion(DomainError):
    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"expected version {expected} but the current version is {actual}",
            ErrorCode.STALE_VERSION,
            ["expectedVersion"],
        )


def invalid(message: str, *field: str) -> DomainError:
    return DomainError(message, ErrorCode.INVALID, list(field) or None)


def collect(problems: list[FieldProblem]) -> None:
    """Raise all problems found by a validation pass at once, so a form shows every mistake."""
    if problems:
        raise DomainError(problems[0].message, problems=problems)


def camel(name: str) -> str:
    """A snake_case field name as the API spells it (camelCase)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def from_validation(error: ValidationError, prefix: Sequence[str] = ()) -> DomainError:
    """A pydantic validation failure as INVALID field problems, paths in the API's spelling."""
    problems = [
        FieldProblem(
            str(issue.get("msg", "invalid value")).removeprefix("Value error, "),
            ErrorCode.INVALID,
            [*prefix, *(camel(str(part)) for part in issue["loc"])] or None,
        )
        for issue in error.errors()
    ]
    return DomainError(problems[0].message, problems=problems)
