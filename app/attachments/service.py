"""Attaching files to requests and tasks: type and size checks, storage once per content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, delete, select

from app.attachments import repository
from app.attachments.models import Attachment, AttachmentCreate, AttachmentKind, Blob, Parent
from app.attachments.settings import MB, AttachmentSettings
from app.attachments.sniff import contradicts, sniff
from app.attachments.storage import Storage, key_for
from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.depot_repair import repository as repair_orders
from app.service_requests import repository as requests
from app.work_orders import repository as tasks


def limit_for(settings: AttachmentSettings, kind: AttachmentKind) -> int:
    return {
        AttachmentKind.PHOTO: settings.max_photo_bytes,
        AttachmentKind.VIDEO: settings.max_video_bytes,
        AttachmentKind.DOCUMENT: settings.max_document_bytes,
    }[kind]


def largest_allowed(settings: AttachmentSettings) -> int:
    return max(limit_for(settings, kind) for kind in AttachmentKind)


async def _check_parent(session: AsyncSession, principal: Principal, parent: Parent) -> None:
    found: object
    if parent.task_id is not None:
        found = await tasks.get_readable(session, principal, parent.task_id)
        what, field = "task", "taskId"
    elif parent.repair_order_id is not None:
        found = await repair_orders.get_readable(session, principal, parent.repair_order_id)
        what, field = "repair order", "repairOrderId"
    else:
        assert parent.service_request_id is not None
        found = await requests.get_readable(session, principal, parent.service_request_id)
        what, field = "service request", "serviceRequestId"
    if found is None:
        raise NotFound(what, [field])


def _checked_type(content: bytes, data: AttachmentCreate, settings: AttachmentSettings) -> Blob:
    if not content:
        raise DomainError("the file is empty", ErrorCode.INVALID, ["file"])
    found = sniff(content, data.filename)
    if found is None:
        raise DomainError(
            "only photos (JPEG, PNG, GIF, WebP, HEIC), videos (MP4, QuickTime, WebM, 3GP), "
            "PDF and Office documents are accepted",
            ErrorCode.INVALID,
            ["file"],
        )
    if contradicts(data.declared_content_type, found):
        raise DomainError(
            f"the file is {found.content_type}, not {data.declared_content_type}",
            ErrorCode.INVALID,
            ["file"],
        )
    limit = limit_for(settings, found.kind)
    if len(content) > limit:
        raise DomainError(
            f"a {found.kind.lower()} may be at most {limit / MB:g} MB",
            ErrorCode.INVALID,
            ["file"],
        )
    sha256 = hashlib.sha256(content).hexdigest()
    return Blob(
        sha256=sha256,
        size_bytes=len(content),
        content_type=found.content_type,
        kind=found.kind,
        storage_key=key_for(sha256),
    )


async def _store_blob(session: AsyncSession, storage: Storage, blob: Blob, content: bytes) -> None:
    """Write the content unless it is known already. A rolled-back attach may leave an object
    behind; it is content-addressed, so a later upload of the same bytes simply reuses it."""
    if await session.get(Blob, blob.sha256) is not None:
        return
    await storage.put(blob.storage_key, content, blob.content_type)
    await session.execute(
        insert(Blob).values(**blob.model_dump()).on_conflict_do_nothing(index_elements=["sha256"])
    )


async def attach(
    session: AsyncSession,
    principal: Principal,
    parent: Parent,
    content: bytes,
    data: AttachmentCreate,
    *,
    storage: Storage,
    settings: AttachmentSettings,
) -> Attachment:
    """Attach `content` to a request or task the caller may read; the same file attached to
    the same parent again returns the first attachment."""
    await _check_parent(session, principal, parent)
    blob = _checked_type(content, data, settings)
    same = await repository.find_same(session, blob.sha256, parent)
    if same is not None:
        return same
    await _store_blob(session, storage, blob, content)
    attachment = Attachment(
        filename=data.filename,
        caption=data.caption,
        blob_sha256=blob.sha256,
        service_request_id=parent.service_request_id,
        task_id=parent.task_id,
        repair_order_id=parent.repair_order_id,
        kind=blob.kind,
        content_type=blob.content_type,
        size_bytes=blob.size_bytes,
        uploaded_by=principal.subject,
        uploaded_by_role=principal.role.value,
        uploaded_by_name=principal.name,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def remove(session: AsyncSession, principal: Principal, attachment_id: int) -> int:
    """Staff remove any attachment they see; others only what they uploaded themselves."""
    attachment = await repository.get_readable(session, principal, attachment_id)
    if attachment is None:
        raise NotFound("attachment", ["id"])
    if not principal.is_staff and attachment.uploaded_by != principal.subject:
        raise Forbidden("only the uploader or the office may remove an attachment", ["id"])
    await session.delete(attachment)
    await session.flush()
    return attachment_id


async def take_orphan_blobs(session: AsyncSession) -> Sequence[str]:
    """Forget blobs no attachment uses and return their storage keys; delete those objects
    from the storage only after this transaction commits."""
    used = select(Attachment.blob_sha256)
    deleted = await session.execute(
        delete(Blob).where(col(Blob.sha256).not_in(used)).returning(col(Blob.storage_key))
    )
    return list(deleted.scalars().all())
