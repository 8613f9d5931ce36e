"""GraphQL types for attachments: photos, videos and documents on requests and tasks."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.file_uploads import Upload

from app.attachments import models
from app.attachments.models import Attachment
from app.attachments.settings import get_attachment_settings
from app.attachments.storage import current_storage, key_for
from app.service_requests.models import ServiceRequest
from app.work_orders.models import Task
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.permissions import internal

if TYPE_CHECKING:
    from schema.service_requests import ServiceRequestType
    from schema.work_orders import TaskType

TaskRef = Annotated["TaskType", strawberry.lazy("schema.work_orders")]
RequestRef = Annotated["ServiceRequestType", strawberry.lazy("schema.service_requests")]

AttachmentKind = strawberry.enum(models.AttachmentKind, name="AttachmentKind")


@strawberry.type(
    name="Attachment",
    description="A photo, video or document attached to one service request or one task.",
)
class AttachmentType(Node):
    kind: AttachmentKind = strawberry.field(  # type: ignore[valid-type]
        description="What the file is, detected from its content."
    )
    filename: str = strawberry.field(description="File name to show and offer for download.")
    caption: str | None = strawberry.field(
        description=("Caption given by the uploader; null if none.")
    )
    content_type: str = strawberry.field(description="The type the content was found to be.")
    size_bytes: int = strawberry.field(description="Size of the content in bytes.")
    sha256: str = strawberry.field(
        description="SHA-256 of the content, hex; the same file uploaded twice has the same hash."
    )
    uploaded_by_name: str = strawberry.field(
        description="Name of the user who uploaded it at the time; may be empty."
    )
    uploaded_by_role: str = strawberry.field(
        description="Role of the uploader, e.g. TECHNICIAN or CUSTOMER."
    )
    created_at: datetime
    row: strawberry.Private[Attachment]

    @classmethod
    def from_model(cls, row: Attachment) -> AttachmentType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            kind=row.kind,
            filename=row.filename,
            caption=row.caption,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.blob_sha256,
            uploaded_by_name=row.uploaded_by_name,
            uploaded_by_role=row.uploaded_by_role,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(
        extensions=[internal()],
        description="Where the content is kept in the storage (relative key). Staff only.",
    )
    def storage_key(self) -> str:
        return key_for(self.sha256)

    @strawberry.field(
        description="A signed URL that expires, when the storage serves files itself (S3); "
        "null for local storage, which the API serves."
    )
    def url(self) -> str | None:
        ttl = get_attachment_settings().url_ttl_seconds
        return current_storage().url(self.storage_key(), ttl)

    @strawberry.field(description="The content, base64-encoded, for small files only.")
    async def content_base64(self) -> str | None:
        if self.size_bytes > get_attachment_settings().inline_max_bytes:
            return None
        return base64.b64encode(await current_storage().get(self.storage_key())).decode()

    @strawberry.field(
        description="The service request it is attached to; null when attached to a task."
    )
    async def service_request(self, info: Info) -> RequestRef | None:
        from schema.service_requests import ServiceRequestType

        if self.row.service_request_id is None:
            return None
        row = await info.context.loaders.by_id(ServiceRequest).load(self.row.service_request_id)
        return ServiceRequestType.from_model(row) if row else None

    @strawberry.field(description="The task it is attached to; null when attached to a request.")
    async def task(self, info: Info) -> TaskRef | None:
        from schema.work_orders import TaskType

        if self.row.task_id is None:
            return None
        row = await info.context.loaders.by_id(Task).load(self.row.task_id)
        return TaskType.from_model(row) if row else None


AttachmentConnection = Connection[AttachmentType]

_FILE = "The file, as a GraphQL multipart request upload."
_BASE64 = "Or the content base64-encoded, for clients that cannot send multipart requests."


@strawberry.input(
    description="A file for a service request: send exactly one of file and contentBase64."
)
class AttachToServiceRequestInput:
    service_request_id: strawberry.ID
    file: Upload | None = strawberry.field(default=None, description=_FILE)
    content_base64: str | None = strawberry.field(default=None, description=_BASE64)
    filename: str | None = strawberry.field(
        default=None, description="Defaults to the uploaded file's name."
    )
    caption: str | None = strawberry.field(
        default=None, description="Short caption shown with the file (up to 300 characters)."
    )
    idempotency_key: str | None = None


@strawberry.input(description="A file for a task: send exactly one of file and contentBase64.")
class AttachToTaskInput:
    task_id: strawberry.ID
    file: Upload | None = strawberry.field(default=None, description=_FILE)
    content_base64: str | None = strawberry.field(default=None, description=_BASE64)
    filename: str | None = strawberry.field(
        default=None, description="Defaults to the uploaded file's name."
    )
    caption: str | None = strawberry.field(
        default=None, description="Short caption shown with the file (up to 300 characters)."
    )
    idempotency_key: str | None = None


@strawberry.input(
    description="A file for a depot repair order (condition photos at intake, documents): send "
    "exactly one of file and contentBase64."
)
class AttachToRepairOrderInput:
    repair_order_id: strawberry.ID
    file: Upload | None = strawberry.field(default=None, description=_FILE)
    content_base64: str | None = strawberry.field(default=None, description=_BASE64)
    filename: str | None = strawberry.field(
        default=None, description="Defaults to the uploaded file's name."
    )
    caption: str | None = strawberry.field(
        default=None, description="Short caption shown with the file (up to 300 characters)."
    )
    idempotency_key: str | None = None


@strawberry.input(description="The attachment to remove.")
class RemoveAttachmentInput:
    id: strawberry.ID


@strawberry.type
class AttachmentPayload(Payload):
    attachment: AttachmentType | None = strawberry.field(
        default=None,
        description=("The new attachment, or the existing one for the same file; null if refused."),
    )


@strawberry.type
class RemoveAttachmentPayload(Payload):
    removed_id: strawberry.ID | None = None
