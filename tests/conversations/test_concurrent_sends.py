"""A phone retrying a send while the first is still in flight: the same clientMessageId in
two parallel transactions makes one message, and both calls answer with it."""

from __future__ import annotations

import asyncio

from sqlmodel import col, func, select

from app.conversations import service
from app.conversations.models import Message
from app.conversations.service import Draft, Subject
from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from tests.conversations.factories import case


async def test_parallel_sends_with_one_client_message_id_make_one_message(
    committed_sessions: SessionFactory,
) -> None:
    # given a customer's request thread
    async with committed_sessions() as session, session.begin():
        c = await case(session)
        thread = await service.open_thread(
            session, subject=Subject.service_request(c.request.id or 0)
        )
        thread_id = thread.id
        customer = Principal(
            f"test:c{c.world.customer.id}", Role.CUSTOMER, "Asha", customer_id=c.world.customer.id
        )
    assert thread_id is not None
    barrier = asyncio.Barrier(2)

    async def send() -> int | None:
        async with committed_sessions() as session, session.begin():
            await session.execute(select(1))  # hold a connection before the start line
            await barrier.wait()
            draft = Draft(body="Is anyone coming?", client_message_id="phone-retry-1")
            message = await service.send_message(session, customer, thread_id, draft)
            return message.id

    # when the same send runs twice at once
    ids = await asyncio.gather(send(), send())

    # then both answer with the one message that was stored
    async with committed_sessions() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(col(Message.conversation_id) == thread_id)
            .where(col(Message.client_message_id) == "phone-retry-1")
        )
    assert stored == 1
    assert ids[0] == ids[1] and ids[0] is not None
