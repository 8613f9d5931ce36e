"""Notification queries and mutations: the caller's inbox, preferences, and the admin and
support views of templates, providers and the outbox."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode
from app.notifications import preferences, repository, service
from app.notifications.models import (
    Channel,
    Notification,
    NotificationEvent,
    NotificationStatus,
    NotificationTemplate,
    PreferenceUpdate,
    TemplateCreate,
    TemplateUpdate,
)
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_ids, decode_optional_id, encode_id
from schema.inputs import provided
from schema.node import register_node
from schema.notifications import (
    ConfigureNotificationProviderInput,
    CreateNotificationTemplateInput,
    MarkNotificationsReadInput,
    MarkNotificationsReadPayload,
    NotificationConnection,
    NotificationPayload,
    NotificationPreferencesPayload,
    NotificationPreferencesType,
    NotificationProviderPayload,
    NotificationProviderType,
    NotificationTemplateConnection,
    NotificationTemplatePayload,
    NotificationTemplateType,
    NotificationType,
    RequeueNotificationInput,
    UpdateNotificationPreferencesInput,
    UpdateNotificationTemplateInput,
)
from schema.notifications import NotificationEvent as NotificationEventEnum
from schema.notifications import NotificationStatus as NotificationStatusEnum
from schema.pagination import paginate
from schema.permissions import allow

register_node(NotificationType, repository.get_readable, NotificationType.from_model)

SUPPORT = (Role.AGENT, Role.ADMIN, Role.MANAGER)
PREFERENCE_STAFF = (Role.AGENT, Role.ADMIN, Role.MANAGER, Role.DISPATCHER)


def _customer_of(principal: Principal, customer_id: strawberry.ID | None) -> int:
    """A customer's own id; staff must name the customer."""
    if principal.role is Role.CUSTOMER:
        own = principal.customer_id
        asked = decode_optional_id(customer_id, "Customer", "customerId")
        if own is None or asked not in (None, own):
            raise DomainError("a customer sees only their own preferences", ErrorCode.FORBIDDEN)
        return own
    if customer_id is None:
        raise DomainError("name the customer", ErrorCode.INVALID, ["customerId"])
    return decode_id(customer_id, "Customer", "customerId")


@strawberry.type
class NotificationsQuery:
    @strawberry.field(
        name="myNotifications",
        extensions=[allow(Role.CUSTOMER, Role.TECHNICIAN)],
        description=(
            "The caller's own rendered notifications, on any channel, oldest first; failed, "
            "dead and skipped ones are left out. Customers and technicians only."
        ),
    )
    async def my_notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: Annotated[
            bool, strawberry.argument(description="Only notifications not yet read.")
        ] = False,
    ) -> NotificationConnection:
        principal = info.context.require_principal()
        return await paginate(
            info.context.session,
            repository.inbox(principal, unread_only),
            Notification.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=NotificationType.from_model,
        )

    @strawberry.field(
        extensions=[allow(*SUPPORT)],
        description=(
            "The whole outbox as support sees it, oldest first, optionally by status and "
            "customer. Agents, admins and managers."
        ),
    )
    async def notifications(
        self,
        info: Info,
        status: Annotated[
            NotificationStatusEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only notifications in this status; null: all."),
        ] = None,
        customer_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> NotificationConnection:
        customer = decode_optional_id(customer_id, "Customer", "customerId")
        return await paginate(
            info.context.session,
            repository.outbox(NotificationStatus(status) if status else None, customer),
            Notification.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=NotificationType.from_model,
        )

    @strawberry.field(
        extensions=[allow(Role.CUSTOMER, *PREFERENCE_STAFF)],
        description=(
            "A customer's notification preferences (empty defaults when never saved). A "
            "customer reads their own; agents, admins, managers and dispatchers name the customer."
        ),
    )
    async def notification_preferences(
        self, info: Info, customer_id: strawberry.ID | None = None
    ) -> NotificationPreferencesType:
        customer = _customer_of(info.context.require_principal(), customer_id)
        row = await repository.preference_of(info.context.session, customer)
        return NotificationPreferencesType.from_model(encode_id("Customer", customer), row)

    @strawberry.field(
        extensions=[allow(Role.ADMIN)],
        description="Message templates in use (archived ones left out), oldest first. Admins only.",
    )
    async def notification_templates(
        self,
        info: Info,
        event: Annotated[
            NotificationEventEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only templates of this event; null: all."),
        ] = None,
        language: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "Only templates in this language tag (case-insensitive, exact); null: all."
                )
            ),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> NotificationTemplateConnection:
        return await paginate(
            info.context.session,
            repository.templates(NotificationEvent(event) if event else None, language),
            NotificationTemplate.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=NotificationTemplateType.from_model,
        )

    @strawberry.field(
        extensions=[allow(Role.ADMIN)],
        description=(
            "The configured provider of each channel, by channel, secrets masked. Admins only."
        ),
    )
    async def notification_providers(self, info: Info) -> list[NotificationProviderType]:
        rows = await repository.providers(info.context.session)
        return [NotificationProviderType.from_model(row) for row in rows]


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(
        extensions=[allow(Role.CUSTOMER, Role.TECHNICIAN)],
        description=(
            "Marks notifications of the caller's own inbox read; already-read ones keep their "
            "first readAt, and an unknown id fails the whole call. Customers and technicians."
        ),
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        async def action() -> MarkNotificationsReadPayload:
            ids = decode_ids([str(i) for i in input.ids], "Notification", "ids")
            principal = info.context.require_principal()
            rows = await service.mark_read(info.context.session, principal, ids)
            return MarkNotificationsReadPayload(
                notifications=[NotificationType.from_model(row) for row in rows]
            )

        return await execute(info, MarkNotificationsReadPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.CUSTOMER, *PREFERENCE_STAFF)],
        description=(
            "Changes a customer's notification preferences, creating them on first save; applies "
            "to notifications not yet sent. A customer edits their own; agents, admins, managers "
            "and dispatchers name the customer."
        ),
    )
    async def update_notification_preferences(
        self, info: Info, input: UpdateNotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        async def action() -> NotificationPreferencesPayload:
            customer = _customer_of(info.context.require_principal(), input.customer_id)
            changes = PreferenceUpdate.model_validate(
                provided(input, exclude=("customer_id", "expected_version"))
            )
            row = await preferences.update_preferences(
                info.context.session, customer, changes, input.expected_version
            )
            return NotificationPreferencesPayload(
                preferences=NotificationPreferencesType.from_model(
                    encode_id("Customer", customer), row
                )
            )

        return await execute(info, NotificationPreferencesPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Adds a template; refused if one exists for the same event, channel and language. "
            "Admins only."
        ),
    )
    async def create_notification_template(
        self, info: Info, input: CreateNotificationTemplateInput
    ) -> NotificationTemplatePayload:
        async def action() -> NotificationTemplatePayload:
            data = TemplateCreate.model_validate(provided(input))
            row = await service.create_template(info.context.session, data)
            return NotificationTemplatePayload(template=NotificationTemplateType.from_model(row))

        return await execute(info, NotificationTemplatePayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Changes a template's subject or body; used for messages rendered from then on. "
            "Admins only."
        ),
    )
    async def update_notification_template(
        self, info: Info, input: UpdateNotificationTemplateInput
    ) -> NotificationTemplatePayload:
        async def action() -> NotificationTemplatePayload:
            changes = TemplateUpdate.model_validate(
                provided(input, exclude=("id", "expected_version"))
            )
            row = await service.update_template(
                info.context.session,
                decode_id(input.id, "NotificationTemplate"),
                changes,
                input.expected_version,
            )
            return NotificationTemplatePayload(template=NotificationTemplateType.from_model(row))

        return await execute(info, NotificationTemplatePayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN)],
        description=(
            "Sets (creates or replaces) the provider of a channel; IN_APP needs none. Admins only."
        ),
    )
    async def configure_notification_provider(
        self, info: Info, input: ConfigureNotificationProviderInput
    ) -> NotificationProviderPayload:
        async def action() -> NotificationProviderPayload:
            if not isinstance(input.config, dict):
                raise DomainError("config must be a JSON object", ErrorCode.INVALID, ["config"])
            row = await service.configure_provider(
                info.context.session, Channel(input.channel), input.config, input.active
            )
            return NotificationProviderPayload(provider=NotificationProviderType.from_model(row))

        return await execute(info, NotificationProviderPayload, action)

    @strawberry.mutation(
        extensions=[allow(*SUPPORT)],
        description=(
            "Sends a DEAD or FAILED notification again now, with its attempts reset; any other "
            "status is refused. Agents, admins and managers."
        ),
    )
    async def requeue_notification(
        self, info: Info, input: RequeueNotificationInput
    ) -> NotificationPayload:
        async def action() -> NotificationPayload:
            row = await service.requeue(info.context.session, decode_id(input.id, "Notification"))
            return NotificationPayload(notification=NotificationType.from_model(row))

        return await execute(info, NotificationPayload, action)
