"""Attachment queries and mutations: upload (multipart or base64), list, remove."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, cast

import strawberry

from app.attachments import repository, service
from app.attachments.models import Attachment, AttachmentCreate
from app.attachments.service import Parent, largest_allowed
from app.attachments.settings import MB, get_attachment_settings
from app.attachments.storage import current_storage
from app.core.errors import DomainError, ErrorCode
from resolvers.base import execute
from schema.attachments import (
    AttachmentConnection,
    AttachmentPayload,
    AttachmentType,
    AttachToRepairOrderInput,
    AttachToServiceRequestInput,
    AttachToTaskInput,
    RemoveAttachmentInput,
    RemoveAttachmentPayload,
)
from schema.context import Info
from schema.ids import decode_id, decode_optional_id, encode_id
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import authenticated

register_node(AttachmentType, repository.get_readable, AttachmentType.from_model)


AttachInput = AttachToServiceRequestInput | AttachToTaskInput | AttachToRepairOrderInput


@dataclass(frozen=True, slots=True)
class _Content:
    data: bytes
    filename: str | None
    content_type: str | None


async def _read(
    input: AttachInput,
) -> _Content:
    """The bytes from the upload or the base64 field (exactly one), refused early when big."""
    limit = largest_allowed(get_attachment_settings())
    if (input.file is None) == (input.content_base64 is None):
        raise DomainError("send either file or contentBase64", ErrorCode.INVALID, ["file"])
    if input.content_base64 is not None:
        if len(input.content_base64) > limit * 4 // 3 + 4:
            raise DomainError(
                f"files may be at most {limit / MB:g} MB", ErrorCode.INVALID, ["file"]
            )
        try:
            data = base64.b64decode(input.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError("not base64", ErrorCode.INVALID, ["contentBase64"]) from exc
        return _Content(data, None, None)
    upload: Any = input.file
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError(f"files may be at most {limit / MB:g} MB", ErrorCode.INVALID, ["file"])
    return _Content(data, upload.filename, upload.content_type)


async def _attach(
    info: Info,
    input: AttachInput,
    parent: Parent,
) -> AttachmentPayload:
    content = await _read(input)
    data = AttachmentCreate.model_validate(
        {
            "filename": input.filename or content.filename or "attachment",
            "caption": input.caption,
            "declared_content_type": content.content_type,
        }
    )
    attachment = await service.attach(
        info.context.session,
        info.context.require_principal(),
        parent,
        content.data,
        data,
        storage=current_storage(),
        settings=get_attachment_settings(),
    )
    return AttachmentPayload(attachment=AttachmentType.from_model(attachment))


async def _closing(
    input: AttachInput,
    result: Coroutine[Any, Any, AttachmentPayload],
) -> AttachmentPayload:
    """The payload; the upload's temporary file is closed whatever happened."""
    try:
        return await result
    finally:
        if input.file is not None:
            await cast(Any, input.file).close()


@strawberry.type
class AttachmentsQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description="Attachments the caller may see: a request's with its tasks', or a task's "
        "with its request's.",
    )
    async def attachments(
        self,
        info: Info,
        service_request_id: strawberry.ID | None = None,
        task_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AttachmentConnection:
        statement = repository.listed(
            info.context.principal,
            service_request_id=decode_optional_id(
                service_request_id, "ServiceRequest", "serviceRequestId"
            ),
            task_id=decode_optional_id(task_id, "Task", "taskId"),
        )
        return await paginate(
            info.context.session,
            statement,
            Attachment.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=AttachmentType.from_model,
        )


@strawberry.type
class AttachmentsMutation:
    @strawberry.mutation(
        extensions=[authenticated()],
        description=(
            "Upload a photo, video or PDF/Office document to a service request the caller can see;"
            " the same file again returns the first attachment."
        ),
    )
    async def attach_to_service_request(
        self, info: Info, input: AttachToServiceRequestInput
    ) -> AttachmentPayload:
        async def action() -> AttachmentPayload:
            request_id = decode_id(input.service_request_id, "ServiceRequest", "serviceRequestId")
            return await _attach(info, input, Parent(service_request_id=request_id))

        return await _closing(
            input, execute(info, AttachmentPayload, action, idempotency_key=input.idempotency_key)
        )

    @strawberry.mutation(
        extensions=[authenticated()],
        description=(
            "Upload a photo, video or PDF/Office document to a task the caller can see; the same "
            "file again returns the first attachment."
        ),
    )
    async def attach_to_task(self, info: Info, input: AttachToTaskInput) -> AttachmentPayload:
        async def action() -> AttachmentPayload:
            task_id = decode_id(input.task_id, "Task", "taskId")
            return await _attach(info, input, Parent(task_id=task_id))

        return await _closing(
            input, execute(info, AttachmentPayload, action, idempotency_key=input.idempotency_key)
        )

    @strawberry.mutation(
        extensions=[authenticated()],
        description=(
            "Upload a photo, video or PDF/Office document to a depot repair order the caller "
            "can see (condition photos at intake, say); the same file again returns the first "
            "attachment."
        ),
    )
    async def attach_to_repair_order(
        self, info: Info, input: AttachToRepairOrderInput
    ) -> AttachmentPayload:
        async def action() -> AttachmentPayload:
            order_id = decode_id(input.repair_order_id, "RepairOrder", "repairOrderId")
            return await _attach(info, input, Parent(repair_order_id=order_id))

        return await _closing(
            input, execute(info, AttachmentPayload, action, idempotency_key=input.idempotency_key)
        )

    @strawberry.mutation(
        extensions=[authenticated()],
        description="Staff remove any attachment they see; others what they uploaded.",
    )
    async def remove_attachment(
        self, info: Info, input: RemoveAttachmentInput
    ) -> RemoveAttachmentPayload:
        async def action() -> RemoveAttachmentPayload:
            removed = await service.remove(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.id, "Attachment"),
            )
            return RemoveAttachmentPayload(
                removed_id=strawberry.ID(encode_id("Attachment", removed))
            )

        return await execute(info, RemoveAttachmentPayload, action)
