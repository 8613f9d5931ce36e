"""The UserError form of domain errors, and the payload base every mutation returns."""

from __future__ import annotations

from typing import Any

import strawberry
from pydantic import ValidationError

from app.core.errors import DomainError, camel
from app.core.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(
    DomainErrorCode,
    name="ErrorCode",
    description=(
        "Stable error codes: in a mutation's userErrors, and in `extensions.code` of GraphQL "
        "errors."
    ),
)


@strawberry.type(description="One reason a mutation was refused.")
class UserError:
    field: list[str] | None = strawberry.field(
        description=(
            "Path to the input field at fault, relative to the mutation's input (e.g. "
            '["lines", "0", "quantity"]); null when it concerns the input as a whole.'
        )
    )
    message: str = strawberry.field(
        description="What was wrong, in English; the wording may change, so branch on code."
    )
    code: ErrorCode = strawberry.field(  # type: ignore[valid-type]
        description="Stable machine-readable kind of problem: branch on this, not on message."
    )


@strawberry.type
class Payload:
    """Base of every mutation payload: the changed objects, or what was wrong."""

    user_errors: list[UserError] = strawberry.field(default_factory=list)


def from_domain_error(error: DomainError) -> list[UserError]:
    return [UserError(field=p.field, message=p.message, code=p.code) for p in error.problems]


def from_validation_error(
    error: ValidationError, prefix: list[str] | None = None
) -> list[UserError]:
    return [
        UserError(
            field=[*(prefix or []), *(camel(str(part)) for part in issue["loc"])] or None,
            message=_message(issue),
            code=DomainErrorCode.INVALID,
        )
        for issue in error.errors()
    ]


def _message(issue: Any) -> str:
    message = str(issue.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")
