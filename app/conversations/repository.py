"""Conversation queries scoped to the caller, unread counts and message pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.attachments.models import Attachment
from app.conversations.models import (
    Conversation,
    Message,
    MessageAttachment,
    MessageEdit,
    MessageKind,
    Participant,
    ParticipantRole,
)
from app.core.auth import Principal, Role
from app.depot_repair import repository as repair_orders
from app.depot_repair.models import RepairOrder
from app.service_requests import repository as requests
from app.service_requests.models import ServiceRequest
from app.technicians.models import Technician
from app.work_orders import repository as tasks
from app.work_orders.models import Task


def _technicians_of(principal: Principal) -> Any:
    if principal.role is Role.TECHNICIAN and principal.technician_id:
        return [principal.technician_id]
    if principal.role is Role.PARTNER and principal.partner_id:
        return select(Technician.id).where(col(Technician.partner_id) == principal.partner_id)
    return None


def readable(principal: Principal | None) -> SelectOfScalar[Conversation]:
    """Staff read every thread; a customer their own (of their requests, tasks, repair orders
    and their direct thread); a technician the threads of the tasks, requests and repair
    orders they may read, and those they were added to (an expert); a partner those of its
    technicians' work."""
    statement = select(Conversation)
    if principal is None:
        return statement.where(false())
    if principal.is_staff:
        return statement
    if principal.role is Role.CUSTOMER:
        if principal.customer_id is None:
            return statement.where(false())
        return statement.where(col(Conversation.customer_id) == principal.customer_id)
    technicians = _technicians_of(principal)
    if technicians is None:
        return statement.where(false())
    task_ids = tasks.readable(principal).with_only_columns(col(Task.id))
    request_ids = requests.readable(principal).with_only_columns(col(ServiceRequest.id))
    order_ids = repair_orders.readable(principal).with_only_columns(col(RepairOrder.id))
    # only an expert keeps a thread by membership: a technician who once wrote in a task's
    # thread loses it with the task (reassigned, perhaps to another partner)
    joined = select(Participant.conversation_id).where(
        col(Participant.technician_id).in_(technicians),
        col(Participant.role) == ParticipantRole.EXPERT,
    )
    return statement.where(
        or_(
            col(Conversation.task_id).in_(task_ids),
            col(Conversation.service_request_id).in_(request_ids),
            col(Conversation.repair_order_id).in_(order_ids),
            col(Conversation.id).in_(joined),
        )
    )


async def get_readable(
    session: AsyncSession, principal: Principal | None, conversation_id: int
) -> Conversation | None:
    return await session.scalar(readable(principal).where(col(Conversation.id) == conversation_id))


def mine(principal: Principal | None) -> SelectOfScalar[Conversation]:
    """The threads in the caller's inbox: every thread they may read (staff: all of them,
    the desk's shared inbox)."""
    return readable(principal)


async def inbox_page(
    session: AsyncSession,
    principal: Principal | None,
    limit: int,
    after: tuple[int, int] | None,
) -> tuple[list[Conversation], bool]:
    """One page of the caller's threads, newest activity first (the last message's id, then
    the thread's), after the (activity, id) of the previous page's last thread; and whether
    more follow."""
    page = mine(principal).order_by(
        col(Conversation.last_activity_seq).desc(), col(Conversation.id).desc()
    )
    if after is not None:
        seq, db_id = after
        page = page.where(
            (col(Conversation.last_activity_seq) < seq)
            | ((col(Conversation.last_activity_seq) == seq) & (col(Conversation.id) < db_id))
        )
    rows = list((await session.scalars(page.limit(limit + 1))).all())
    return rows[:limit], len(rows) > limit


async def inbox_size(session: AsyncSession, principal: Principal | None) -> int:
    total = await session.scalar(
        select(func.count()).select_from(mine(principal).order_by(None).subquery())
    )
    return int(total or 0)


async def participant(
    session: AsyncSession, conversation_id: int, subject: str
) -> Participant | None:
    return await session.scalar(
        select(Participant)
        .where(
            col(Participant.conversation_id) == conversation_id,
            col(Participant.subject) == subject,
        )
        .execution_options(populate_existing=True)
    )


async def participants_of(session: AsyncSession, ids: list[int]) -> list[list[Participant]]:
    rows = (
        await session.scalars(
            select(Participant)
            .where(col(Participant.conversation_id).in_(ids))
            .order_by(col(Participant.id))
        )
    ).all()
    found: dict[int, list[Participant]] = {i: [] for i in ids}
    for row in rows:
        found[row.conversation_id].append(row)
    return [found[i] for i in ids]


async def unread_counts(session: AsyncSession, subject: str, ids: list[int]) -> list[int]:
    """Per thread, the messages of others after the caller's read receipt (all of them before
    any receipt), deleted ones left out."""
    last_read = (
        select(Participant.last_read_message_id)
        .where(
            col(Participant.conversation_id) == col(Message.conversation_id),
            col(Participant.subject) == subject,
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(col(Message.conversation_id), func.count())
        .where(
            col(Message.conversation_id).in_(ids),
            col(Message.sender_subject) != subject,
            col(Message.deleted_at).is_(None),
            col(Message.id) > func.coalesce(last_read, 0),
        )
        .group_by(col(Message.conversation_id))
    )
    counts = {int(thread): int(count) for thread, count in rows.all()}
    return [int(counts.get(i, 0)) for i in ids]


def messages(
    conversation_id: int, kinds: list[MessageKind] | None = None
) -> SelectOfScalar[Message]:
    statement = select(Message).where(col(Message.conversation_id) == conversation_id)
    if kinds:
        statement = statement.where(col(Message.kind).in_(kinds))
    return statement


async def attachments_of(session: AsyncSession, ids: list[int]) -> list[list[Attachment]]:
    rows = await session.execute(
        select(MessageAttachment.message_id, Attachment)
        .join(Attachment, col(Attachment.id) == col(MessageAttachment.attachment_id))
        .where(col(MessageAttachment.message_id).in_(ids))
        .order_by(col(MessageAttachment.position))
    )
    found: dict[int, list[Attachment]] = {i: [] for i in ids}
    for message_id, attachment in rows.all():
        found[message_id].append(attachment)
    return [found[i] for i in ids]


async def edits_of(session: AsyncSession, ids: list[int]) -> list[list[MessageEdit]]:
    rows = (
        await session.scalars(
            select(MessageEdit)
            .where(col(MessageEdit.message_id).in_(ids))
            .order_by(col(MessageEdit.id))
        )
    ).all()
    found: dict[int, list[MessageEdit]] = {i: [] for i in ids}
    for row in rows:
        found[row.message_id].append(row)
    return [found[i] for i in ids]


async def get_readable_message(
    session: AsyncSession, principal: Principal | None, message_id: int
) -> Message | None:
    """A message of a thread the caller may read."""
    threads = readable(principal).with_only_columns(col(Conversation.id))
    return await session.scalar(
        select(Message).where(
            col(Message.id) == message_id, col(Message.conversation_id).in_(threads)
        )
    )
