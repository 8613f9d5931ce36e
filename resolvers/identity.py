"""Who am I, any node by ID, login, and user administration."""

from __future__ import annotations

import strawberry

from app.core.auth import Role
from app.users import repository, service
from app.users.models import User, UserCreate, UserUpdate
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_optional_id, split_id
from schema.inputs import ArchiveInput, provided
from schema.node import Node, register_node, resolve_node
from schema.pagination import paginate
from schema.permissions import allow, authenticated
from schema.users import (
    CreateUserInput,
    LoginInput,
    LoginPayload,
    UpdateUserInput,
    UserConnection,
    UserPayload,
    UserType,
)
from schema.viewer import Viewer

register_node(UserType, repository.get_readable, UserType.from_model)

LINKS = {"technician_id": "Technician", "customer_id": "Customer", "partner_id": "Partner"}


def _decode_links(values: dict[str, object]) -> dict[str, object]:
    for name, type_name in LINKS.items():
        if name in values:
            values[name] = decode_optional_id(values[name], type_name, name)  # type: ignore[arg-type]
    return values


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        description=(
            "Who the caller is, from their token: role, name and what they stand for. Any "
            "signed-in role; without a token it is an UNAUTHENTICATED error."
        ),
        extensions=[authenticated()],
    )
    def me(self, info: Info) -> Viewer:
        return Viewer.of(info.context.require_principal())

    @strawberry.field(description="Any object by its global ID, if the caller may see it.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parts = split_id(id)
        if parts is None:
            return None
        return await resolve_node(info.context.session, info.context.principal, *parts)

    @strawberry.field(
        description="All users, archived ones included, oldest first (ADMIN and MANAGER only).",
        extensions=[allow(Role.ADMIN, Role.MANAGER)],
    )
    async def users(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> UserConnection:
        return await paginate(
            info.context.session,
            repository.readable(info.context.principal),
            User.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=UserType.from_model,
        )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        description=(
            "Exchange email and password for a bearer token; needs no token. A wrong email or "
            "password, or an archived account, gets the same UNAUTHENTICATED user error. Records "
            "lastLoginAt."
        )
    )
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        async def action() -> LoginPayload:
            context = info.context
            user, token = await service.login(
                context.session,
                context.settings,
                input.email,
                input.password,
                context.login_attempts,
            )
            return LoginPayload(token=token, user=UserType.from_model(user))

        return await execute(info, LoginPayload, action)

    @strawberry.mutation(
        description=(
            "Create a user account with an initial password (ADMIN only). An email in use "
            "gives DUPLICATE."
        ),
        extensions=[allow(Role.ADMIN)],
    )
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        async def action() -> UserPayload:
            data = UserCreate.model_validate(_decode_links(provided(input)))
            return UserPayload(
                user=UserType.from_model(await service.create_user(info.context.session, data))
            )

        return await execute(info, UserPayload, action)

    @strawberry.mutation(
        description=(
            "Change a user's name, role, password or links (ADMIN only); their tokens already "
            "issued keep the old role and links until they expire."
        ),
        extensions=[allow(Role.ADMIN)],
    )
    async def update_user(self, info: Info, input: UpdateUserInput) -> UserPayload:
        async def action() -> UserPayload:
            changes = UserUpdate.model_validate(
                _decode_links(provided(input, exclude=("id", "expected_version")))
            )
            user = await service.update_user(
                info.context.session, decode_id(input.id, "User"), changes, input.expected_version
            )
            return UserPayload(user=UserType.from_model(user))

        return await execute(info, UserPayload, action)

    @strawberry.mutation(
        description=(
            "Archive a user (ADMIN only): they can no longer log in, but tokens already issued "
            "stay valid until they expire. Archiving an archived user changes nothing."
        ),
        extensions=[allow(Role.ADMIN)],
    )
    async def archive_user(self, info: Info, input: ArchiveInput) -> UserPayload:
        async def action() -> UserPayload:
            user = await service.archive_user(
                info.context.session, decode_id(input.id, "User"), input.expected_version
            )
            return UserPayload(user=UserType.from_model(user))

        return await execute(info, UserPayload, action)
