"""Domain errors: every business rule failure carries a stable code.

Resolvers map them, in one place, to the `userErrors` of a mutation payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    STALE_VERSION = "STALE_VERSION"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SLOT_TAKEN = "SLOT_TAKEN"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"
    INTERNAL = "INTERNAL"


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
