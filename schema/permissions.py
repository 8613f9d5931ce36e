"""Access declared on fields: `extensions=[allow(Role.ADMIN, ...)]`.

On a mutation a refusal is the payload's `userErrors` (FORBIDDEN or UNAUTHENTICATED);
on a query it is a GraphQL error carrying the same code in its extensions.

The same rules sit on the fields of object types, where they decide what each role may read
of an object it can reach: `hidden_from(Role.CUSTOMER)` on a technician's phone, `own_partner()`
on a technician's costs. A refused object field is a FORBIDDEN error at its path, and the field
resolves to null (or, for a non-null field, its nearest nullable parent does), exactly as a
refused root field does: one rule for every refusal, never a silent null.
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

    def refusal(self, principal: Any, source: Any = None) -> tuple[ErrorCode, str] | None:
        if principal is None:
            return ErrorCode.UNAUTHENTICATED, (
                "authentication required: send a token as `Authorization: Bearer <token>` "
                "(the login mutation gives one)"
            )
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            return (
                ErrorCode.FORBIDDEN,
                f"the {principal.role} role may not use this; roles that may: {allowed}",
            )
        return None

    def permits(self, role: Role) -> bool | None:
        """Whether `role` may read the field: True, False, or None when it depends on the row."""
        return role in self.roles

    def deny(self, code: ErrorCode, message: str) -> Any:
        if self.payload_type is not None:
            return self.payload_type(
                user_errors=[UserError(field=None, message=message, code=code)]
            )
        raise GraphQLError(message, extensions={"code": code.value})

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        refused = self.refusal(info.context.principal, source)
        return self.deny(*refused) if refused else next_(source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        refused = self.refusal(info.context.principal, source)
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


def hidden_from(*roles: Role) -> Allow:
    """Every signed-in role but these reads the field."""
    return Allow(tuple(role for role in Role if role not in roles))


class OwnPartner(Allow):
    """Staff read the field; a partner only on its own rows (the source's `partner_db_id`)."""

    def __init__(self, roles: tuple[Role, ...], attribute: str) -> None:
        super().__init__((*roles, Role.PARTNER))
        self.attribute = attribute

    def refusal(self, principal: Any, source: Any = None) -> tuple[ErrorCode, str] | None:
        refused = super().refusal(principal, source)
        if refused or principal.role is not Role.PARTNER:
            return refused
        if principal.partner_id is None or getattr(source, self.attribute) != principal.partner_id:
            return ErrorCode.FORBIDDEN, "a partner reads this only of its own technicians"
        return None

    def permits(self, role: Role) -> bool | None:
        return None if role is Role.PARTNER else role in self.roles


def own_partner(*roles: Role, attribute: str = "partner_db_id") -> OwnPartner:
    """Staff (or the given roles) read the field, and a partner on its own technicians' rows."""
    return OwnPartner(roles or STAFF, attribute)


def not_for_customers() -> Allow:
    """Work detail the organisation and its partners read, but not the customer."""
    return hidden_from(Role.CUSTOMER)


def internal() -> Allow:
    """The organisation's own business (costs, internal notes, audit actors): staff and
    technicians read it, customers and partners do not."""
    return hidden_from(Role.CUSTOMER, Role.PARTNER)


def not_for_partners() -> Allow:
    """What the organisation sells its customers for: not a subcontractor's business."""
    return hidden_from(Role.PARTNER)


class Personal(OwnPartner):
    """A technician's personal data (home, whereabouts, absences): staff read it, the partner
    that employs the technician, and the technician themselves (the source's `db_id`)."""

    def __init__(self) -> None:
        super().__init__((*STAFF, Role.TECHNICIAN), "partner_db_id")

    def refusal(self, principal: Any, source: Any = None) -> tuple[ErrorCode, str] | None:
        refused = super().refusal(principal, source)
        if refused or principal.role is not Role.TECHNICIAN:
            return refused
        if principal.technician_id is None or source.db_id != principal.technician_id:
            return ErrorCode.FORBIDDEN, "a technician reads this only of themselves"
        return None

    def permits(self, role: Role) -> bool | None:
        return None if role in (Role.PARTNER, Role.TECHNICIAN) else role in self.roles


def personal() -> Personal:
    return Personal()
