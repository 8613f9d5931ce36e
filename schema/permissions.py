"""Access declared on fields: `extensions=[allow(Role.ADMIN, ...)]`.

On a mutation a refusal is the payload's `userErrors` (FORBIDDEN or UNAUTHENTICATED);
on a query it is a GraphQL error carrying the same code in its extensions.
"""

from __future__ import annotations

import inspect
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from app.core.auth import STAFF_ROLES, Role
from app.core.errors import ErrorCode
from schema.errors import Payload, UserError

STAFF = tuple(sorted(STAFF_ROLES))
EVERYONE = tuple(Role)


class Allow(FieldExtension):
    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = frozenset(roles)
        self.payload_type: type[Payload] | None = None

    def apply(self, field: StrawberryField) -> None:
        field_type = field.type
        if isinstance(field_type, type) and issubclass(field_type, Payload):
            self.payload_type = field_type

    def refusal(self, principal: Any) -> tuple[ErrorCode, str] | None:
        if principal is None:
            return ErrorCode.UNAUTHENTICATED, "authentication required"
        if principal.role not in self.roles:
            return ErrorCode.FORBIDDEN, f"{principal.role} may not do this"
        return None

    def deny(self, code: ErrorCode, message: str) -> Any:
        if self.payload_type is not None:
            return self.payload_type(
                user_errors=[UserError(field=None, message=message, code=code)]
            )
        raise GraphQLError(message, extensions={"code": code.value})

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        refused = self.refusal(info.context.principal)
        return self.deny(*refused) if refused else next_(source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        refused = self.refusal(info.context.principal)
        if refused:
            return self.deny(*refused)
        result = next_(source, info, **kwargs)
        # A subscription resolver hands back an async generator, which is not awaited.
        return await result if inspect.isawaitable(result) else result


def allow(*roles: Role) -> Allow:
    return Allow(roles or EVERYONE)


def staff() -> Allow:
    return Allow(STAFF)


def authenticated() -> Allow:
    return Allow(EVERYONE)
