"""Conversations: threads bound to a service request, a task, a depot repair order, or direct
between a customer and the desk; participants with roles; messages sent idempotently, edited
and deleted with an audit trail, read receipts; delivered live after commit.

Other domains call these (they take the caller's session and never commit):

- `open_thread(session, subject=Subject.task(42), title=None)` returns the subject's thread,
  creating it on first use (one thread per subject; concurrent callers get the same one).
- `add_participant(session, thread, user, role)` adds a user (a `Principal`) to a thread in a
  role (`ParticipantRole.EXPERT`, say) or returns their existing membership; a technician
  added so reads the thread even without the task.
- `post_system_event(session, subject, text)` posts a system message (a status change, an
  escalation) into the subject's thread, opening it if needed.

Task status changes and repair order steps are posted into existing threads automatically
(see `listeners.py`); a message from the desk to a customer also goes out through the
notification outbox on the customer's preferred channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.attachments import repository as attachments
from app.conversations import channels, repository
from app.conversations.models import (
    MAX_ATTACHMENTS,
    MAX_BODY,
    Conversation,
    Message,
    MessageAttachment,
    MessageEdit,
    MessageKind,
    MessageVia,
    Participant,
    ParticipantRole,
    SubjectKind,
)
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.core.events import queue_event
from app.core.models import utcnow
from app.core.repository import check_version
from app.customers.models import Customer
from app.depot_repair import repository as repair_orders
from app.depot_repair.models import RepairOrder
from app.notifications.models import NotificationEvent
from app.notifications.outbox import enqueue
from app.service_requests import repository as requests
from app.service_requests.models import ServiceRequest
from app.work_orders import repository as tasks
from app.work_orders.models import Task

RATE_LIMIT = 30
"""Messages one user may send in `RATE_WINDOW`."""
RATE_WINDOW = timedelta(minutes=1)
EDIT_WINDOW = timedelta(hours=24)
"""How long after sending its author may still edit or delete a message."""
SYSTEM_SUBJECT = "system"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a thread is about: a request, a task, a repair order, or a customer (direct)."""

    kind: SubjectKind
    id: int

    @classmethod
    def service_request(cls, request_id: int) -> Subject:
        return cls(SubjectKind.SERVICE_REQUEST, request_id)

    @classmethod
    def task(cls, task_id: int) -> Subject:
        return cls(SubjectKind.TASK, task_id)

    @classmethod
    def repair_order(cls, order_id: int) -> Subject:
        return cls(SubjectKind.REPAIR_ORDER, order_id)

    @classmethod
    def direct(cls, customer_id: int) -> Subject:
        return cls(SubjectKind.DIRECT, customer_id)


def participant_role(principal: Principal) -> ParticipantRole:
    if principal.role is Role.CUSTOMER:
        return ParticipantRole.CUSTOMER
    if principal.role is Role.TECHNICIAN:
        return ParticipantRole.TECHNICIAN
    if principal.role is Role.PARTNER:
        return ParticipantRole.PARTNER
    return ParticipantRole.AGENT


# --- threads ------------------------------------------------------------------------------


async def _subject_row(session: AsyncSession, subject: Subject) -> tuple[int | None, str]:
    """The subject's customer and a title for its thread; NOT_FOUND when it does not exist."""
    if subject.kind is SubjectKind.TASK:
        task = await session.get(Task, subject.id)
        if task is None:
            raise NotFound("task", ["taskId"])
        return task.customer_id, f"Visit T-{task.id}"
    if subject.kind is SubjectKind.SERVICE_REQUEST:
        request = await session.get(ServiceRequest, subject.id)
        if request is None:
            raise NotFound("service request", ["serviceRequestId"])
        return request.customer_id, f"Request SR-{request.id}"
    if subject.kind is SubjectKind.REPAIR_ORDER:
        order = await session.get(RepairOrder, subject.id)
        if order is None:
            raise NotFound("repair order", ["repairOrderId"])
        return order.customer_id, f"Repair order {order.id}"
    if await session.get(Customer, subject.id) is None:
        raise NotFound("customer", ["customerId"])
    return subject.id, "Service desk"


def _subject_columns(subject: Subject) -> dict[str, int | None]:
    return {
        "service_request_id": subject.id if subject.kind is SubjectKind.SERVICE_REQUEST else None,
        "task_id": subject.id if subject.kind is SubjectKind.TASK else None,
        "repair_order_id": subject.id if subject.kind is SubjectKind.REPAIR_ORDER else None,
    }


async def find_thread(session: AsyncSession, subject: Subject) -> Conversation | None:
    statement = select(Conversation).where(col(Conversation.subject_kind) == subject.kind)
    if subject.kind is SubjectKind.DIRECT:
        statement = statement.where(col(Conversation.customer_id) == subject.id)
    else:
        column = {
            SubjectKind.SERVICE_REQUEST: Conversation.service_request_id,
            SubjectKind.TASK: Conversation.task_id,
            SubjectKind.REPAIR_ORDER: Conversation.repair_order_id,
        }[subject.kind]
        statement = statement.where(col(column) == subject.id)
    return await session.scalar(statement)


async def open_thread(
    session: AsyncSession, *, subject: Subject, title: str | None = None
) -> Conversation:
    """The subject's thread, created on first use; concurrent callers get the same one."""
    found = await find_thread(session, subject)
    if found is not None:
        return found
    customer_id, default_title = await _subject_row(session, subject)
    now = utcnow()
    await session.execute(
        insert(Conversation)
        .values(
            subject_kind=subject.kind.value,
            customer_id=customer_id,
            title=(title or default_title)[:200],
            last_activity_at=now,
            last_activity_seq=0,
            created_at=now,
            updated_at=now,
            version=1,
            **_subject_columns(subject),
        )
        .on_conflict_do_nothing()
    )
    thread = await find_thread(session, subject)
    assert thread is not None
    return thread


async def may_open(session: AsyncSession, principal: Principal, subject: Subject) -> None:
    """NOT_FOUND unless the caller may read the subject (a customer: only their own)."""
    if subject.kind is SubjectKind.TASK:
        if await tasks.get_readable(session, principal, subject.id) is None:
            raise NotFound("task", ["taskId"])
    elif subject.kind is SubjectKind.SERVICE_REQUEST:
        if await requests.get_readable(session, principal, subject.id) is None:
            raise NotFound("service request", ["serviceRequestId"])
    elif subject.kind is SubjectKind.REPAIR_ORDER:
        if await repair_orders.get_readable(session, principal, subject.id) is None:
            raise NotFound("repair order", ["repairOrderId"])
    elif not (principal.is_staff or principal.customer_id == subject.id):
        raise NotFound("customer", ["customerId"])


async def open_for(session: AsyncSession, principal: Principal, subject: Subject) -> Conversation:
    """A caller opens the thread of a subject they may read, joining it."""
    await may_open(session, principal, subject)
    thread = await open_thread(session, subject=subject)
    await add_participant(session, thread, principal, participant_role(principal))
    return thread


async def add_participant(
    session: AsyncSession, thread: Conversation, user: Principal, role: ParticipantRole
) -> Participant:
    """The user's membership of the thread, added in `role` unless they are in it already."""
    assert thread.id is not None
    await session.execute(
        insert(Participant)
        .values(
            conversation_id=thread.id,
            subject=user.subject,
            role=role.value,
            name=user.name[:200],
            technician_id=user.technician_id if user.role is Role.TECHNICIAN else None,
            customer_id=user.customer_id if user.role is Role.CUSTOMER else None,
            joined_at=utcnow(),
            last_read_message_id=0,
        )
        .on_conflict_do_nothing()
    )
    row = await repository.participant(session, thread.id, user.subject)
    assert row is not None
    return row


async def readable_thread(
    session: AsyncSession, principal: Principal, conversation_id: int
) -> Conversation:
    thread = await repository.get_readable(session, principal, conversation_id)
    if thread is None:
        raise NotFound("conversation", ["conversationId"])
    return thread


# --- messages -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    body: str
    client_message_id: str | None = None
    attachment_ids: tuple[int, ...] = ()
    via: MessageVia = MessageVia.APP


def _check_draft(draft: Draft) -> str:
    body = draft.body.strip()
    problems: list[FieldProblem] = []
    if not body and not draft.attachment_ids:
        problems.append(
            FieldProblem("write something or attach a file", ErrorCode.INVALID, ["body"])
        )
    if len(body) > MAX_BODY:
        problems.append(FieldProblem(f"at most {MAX_BODY} characters", ErrorCode.INVALID, ["body"]))
    if len(draft.attachment_ids) > MAX_ATTACHMENTS:
        problems.append(
            FieldProblem(
                f"at most {MAX_ATTACHMENTS} attachments", ErrorCode.INVALID, ["attachmentIds"]
            )
        )
    if draft.client_message_id is not None and not 1 <= len(draft.client_message_id) <= 100:
        problems.append(FieldProblem("1 to 100 characters", ErrorCode.INVALID, ["clientMessageId"]))
    collect(problems)
    return body


async def _check_rate(session: AsyncSession, subject: str, now: datetime) -> None:
    sent = await session.scalar(
        select(func.count()).where(
            col(Message.sender_subject) == subject,
            col(Message.created_at) > now - RATE_WINDOW,
            col(Message.created_at) <= now,
        )
    )
    if (sent or 0) >= RATE_LIMIT:
        raise DomainError(
            f"at most {RATE_LIMIT} messages a minute: wait a little", ErrorCode.RATE_LIMITED
        )


async def _attachments(session: AsyncSession, principal: Principal, ids: tuple[int, ...]) -> None:
    if not ids:
        return
    found = set(
        (
            await session.scalars(
                attachments.readable(principal)
                .with_only_columns(col(attachments.Attachment.id))
                .where(col(attachments.Attachment.id).in_(ids))
            )
        ).all()
    )
    problems = [
        FieldProblem(
            "no such attachment you may see", ErrorCode.NOT_FOUND, ["attachmentIds", str(i)]
        )
        for i, attachment_id in enumerate(ids)
        if attachment_id not in found
    ]
    if len(set(ids)) != len(ids):
        problems.append(FieldProblem("listed twice", ErrorCode.INVALID, ["attachmentIds"]))
    collect(problems)


async def send_message(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    draft: Draft,
    now: datetime | None = None,
) -> Message:
    """A message from the caller in a thread they may read. The same clientMessageId from the
    same sender returns the original message and changes nothing."""
    now = now or utcnow()
    body = _check_draft(draft)
    thread = await readable_thread(session, principal, conversation_id)
    if draft.client_message_id is not None:
        earlier = await _by_client_id(session, thread, principal.subject, draft.client_message_id)
        if earlier is not None:
            return earlier
    await _check_rate(session, principal.subject, now)
    await _attachments(session, principal, draft.attachment_ids)
    row = Message(
        conversation_id=conversation_id,
        kind=MessageKind.TEXT,
        via=draft.via,
        body=body,
        sender_subject=principal.subject,
        sender_role=principal.role.value,
        sender_name=principal.name[:200],
        client_message_id=draft.client_message_id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            message = await _append(session, thread, row)
    except IntegrityError:
        # a retry of the same send that committed first: answer with its message
        if draft.client_message_id is None:
            raise
        earlier = await _by_client_id(session, thread, principal.subject, draft.client_message_id)
        if earlier is None:
            raise
        return earlier
    assert message.id is not None
    session.add_all(
        MessageAttachment(message_id=message.id, attachment_id=a, position=i)
        for i, a in enumerate(draft.attachment_ids)
    )
    await _joined_and_read(session, thread, principal, message.id, now)
    if principal.is_staff and draft.via is MessageVia.APP:
        _tell_customer(session, thread, message)
    return message


async def _joined_and_read(
    session: AsyncSession, thread: Conversation, user: Principal, upto: int, now: datetime
) -> None:
    """The sender joins the thread (if new to it) and has read it up to their message: one
    statement."""
    table = Participant.__table__  # type: ignore[attr-defined]
    statement = insert(Participant).values(
        conversation_id=thread.id,
        subject=user.subject,
        role=participant_role(user).value,
        name=user.name[:200],
        technician_id=user.technician_id if user.role is Role.TECHNICIAN else None,
        customer_id=user.customer_id if user.role is Role.CUSTOMER else None,
        joined_at=now,
        last_read_message_id=upto,
        last_read_at=now,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["conversation_id", "subject"],
            set_={
                "last_read_message_id": func.greatest(table.c.last_read_message_id, upto),
                "last_read_at": now,
            },
        )
    )


async def _by_client_id(
    session: AsyncSession, thread: Conversation, subject: str, client_id: str
) -> Message | None:
    return await session.scalar(
        select(Message).where(
            col(Message.conversation_id) == thread.id,
            col(Message.sender_subject) == subject,
            col(Message.client_message_id) == client_id,
        )
    )


async def _append(session: AsyncSession, thread: Conversation, message: Message) -> Message:
    session.add(message)
    await session.flush()
    assert message.id is not None and thread.id is not None
    thread.last_message_id = message.id
    thread.last_activity_seq = message.id
    thread.last_activity_at = message.created_at
    thread.touch()
    await session.flush()
    publish(session, thread.id, message.id, channels.POSTED)
    return message


def publish(session: AsyncSession, conversation_id: int, message_id: int, action: str) -> None:
    queue_event(
        session,
        channels.thread_channel(conversation_id),
        channels.MESSAGE_CHANGED,
        {"conversation_id": conversation_id, "message_id": message_id, "action": action},
    )


def _tell_customer(session: AsyncSession, thread: Conversation, message: Message) -> None:
    """The desk's answer goes out on the customer's preferred channel (the outbox picks it
    from their preferences)."""
    if thread.customer_id is None or not message.body:
        return
    enqueue(
        session,
        NotificationEvent.CONVERSATION_MESSAGE,
        customer_id=thread.customer_id,
        task_id=thread.task_id,
        data={
            "conversation_id": thread.id,
            "message_id": message.id,
            "title": thread.title,
            "sender_name": message.sender_name or "Service desk",
            "body": message.body,
        },
        key=f"conversation_message:{message.id}",
    )


async def post_system_event(
    session: AsyncSession, subject: Subject, text: str, now: datetime | None = None
) -> Message:
    """A system message in the subject's thread (opened if needed)."""
    thread = await open_thread(session, subject=subject)
    return await _append(
        session,
        thread,
        Message(
            conversation_id=thread.id or 0,
            kind=MessageKind.SYSTEM,
            via=MessageVia.SYSTEM,
            body=text.strip()[:MAX_BODY],
            sender_subject=SYSTEM_SUBJECT,
            sender_role="SYSTEM",
            sender_name="Fieldgraph",
            created_at=now or utcnow(),
        ),
    )


async def post_as_customer(
    session: AsyncSession,
    subject: Subject,
    customer_id: int,
    name: str,
    text: str,
    via: MessageVia,
    now: datetime | None = None,
) -> Message:
    """A customer's message arriving outside the API (a WhatsApp or SMS reply, a chatbot)."""
    customer = Principal(
        subject=f"customer:{customer_id}", role=Role.CUSTOMER, name=name, customer_id=customer_id
    )
    thread = await open_thread(session, subject=subject)
    await add_participant(session, thread, customer, ParticipantRole.CUSTOMER)
    body = text.strip()[:MAX_BODY] or "(empty message)"
    return await _append(
        session,
        thread,
        Message(
            conversation_id=thread.id or 0,
            kind=MessageKind.TEXT,
            via=via,
            body=body,
            sender_subject=customer.subject,
            sender_role=Role.CUSTOMER.value,
            sender_name=name[:200],
            created_at=now or utcnow(),
        ),
    )


async def _own_message(
    session: AsyncSession, principal: Principal, message_id: int, expected: int | None
) -> tuple[Conversation, Message]:
    message = await session.scalar(
        select(Message).where(col(Message.id) == message_id).with_for_update()
    )
    if message is None:
        raise NotFound("message", ["messageId"])
    thread = await readable_thread(session, principal, message.conversation_id)
    if message.kind is not MessageKind.TEXT or message.sender_subject != principal.subject:
        raise Forbidden("only its author may change a message", ["messageId"])
    if message.deleted_at is not None:
        raise DomainError("the message was deleted", ErrorCode.INVALID_TRANSITION, ["messageId"])
    check_version(message, expected)
    return thread, message


async def edit_message(
    session: AsyncSession,
    principal: Principal,
    message_id: int,
    body: str,
    expected: int | None,
    now: datetime | None = None,
) -> Message:
    """The author changes their message's text within a day; the earlier text is kept."""
    now = now or utcnow()
    text = _check_draft(Draft(body=body))
    if not text:
        raise DomainError("write something (or delete the message)", ErrorCode.INVALID, ["body"])
    thread, message = await _own_message(session, principal, message_id, expected)
    if now - message.created_at > EDIT_WINDOW:
        raise DomainError("too late to edit", ErrorCode.INVALID_TRANSITION, ["messageId"])
    if text == message.body:
        return message
    session.add(
        MessageEdit(
            message_id=message_id,
            previous_body=message.body,
            edited_by=principal.subject,
            edited_at=now,
        )
    )
    message.body, message.edited_at = text, now
    message.version += 1
    await session.flush()
    publish(session, thread.id or 0, message_id, channels.EDITED)
    return message


async def delete_message(
    session: AsyncSession,
    principal: Principal,
    message_id: int,
    expected: int | None,
    now: datetime | None = None,
) -> Message:
    """The author (or staff, moderating) deletes a message: it stays, shown as deleted with
    who and when; its text is kept in the edit history for audit."""
    now = now or utcnow()
    message = await session.scalar(
        select(Message).where(col(Message.id) == message_id).with_for_update()
    )
    if message is None:
        raise NotFound("message", ["messageId"])
    thread = await readable_thread(session, principal, message.conversation_id)
    if not principal.is_staff:
        thread, message = await _own_message(session, principal, message_id, expected)
    elif message.deleted_at is not None:
        raise DomainError("the message was deleted", ErrorCode.INVALID_TRANSITION, ["messageId"])
    check_version(message, expected)
    session.add(
        MessageEdit(
            message_id=message_id,
            previous_body=message.body,
            edited_by=principal.subject,
            edited_at=now,
        )
    )
    message.body, message.deleted_at, message.deleted_by = "", now, principal.subject
    message.version += 1
    await session.flush()
    publish(session, thread.id or 0, message_id, channels.DELETED)
    return message


async def mark_read(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    message_id: int | None,
    now: datetime | None = None,
) -> Participant:
    """The caller has read the thread up to a message (null: its last); a receipt never moves
    back."""
    thread = await readable_thread(session, principal, conversation_id)
    upto = message_id if message_id is not None else thread.last_message_id or 0
    if message_id is not None:
        found = await session.scalar(
            select(Message.id).where(
                col(Message.id) == message_id, col(Message.conversation_id) == conversation_id
            )
        )
        if found is None:
            raise NotFound("message", ["messageId"])
    await add_participant(session, thread, principal, participant_role(principal))
    return await _mark_read(session, thread, principal.subject, upto, now or utcnow())


async def _mark_read(
    session: AsyncSession, thread: Conversation, subject: str, upto: int, now: datetime
) -> Participant:
    row = await session.scalar(
        select(Participant)
        .where(col(Participant.conversation_id) == thread.id, col(Participant.subject) == subject)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if upto > row.last_read_message_id:
        row.last_read_message_id, row.last_read_at = upto, now
        await session.flush()
    return row
