"""Experts racing to accept one assist request in real parallel transactions: one wins, the
others get a typed CONFLICT, and the request names the winner."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.remote_service import assist
from app.remote_service.models import AssistCreate, AssistRequest, AssistStatus
from tests.remote_service import factories as rf


async def test_parallel_accepts_give_the_request_to_exactly_one_expert(
    committed_sessions: SessionFactory,
) -> None:
    # given an open request and four qualified experts (staff users)
    contenders = 4
    async with committed_sessions() as session, session.begin():
        site = await rf.field_task(session)
        experts = []
        for _ in range(contenders):
            user = await rf.staff_user(session, Role.AGENT)
            await rf.expert(session, site.world.skill, 5, user=user)
            experts.append(Principal(f"user:{user.id}", Role.AGENT, user.name, user_id=user.id))
        technician = Principal(
            "test:technician", Role.TECHNICIAN, technician_id=site.world.technician.id
        )
        asked = await assist.ask(
            session,
            technician,
            AssistCreate(
                task_id=site.task.id or 0,
                skill_code=site.world.skill.code,
                question="Which refrigerant charge for this model?",
            ),
        )
        assist_id = asked.id
    assert assist_id is not None
    barrier = asyncio.Barrier(contenders)

    async def accept(expert: Principal) -> str:
        async with committed_sessions() as session:
            async with session.begin():
                await session.execute(select(1))  # hold a connection before the start line
                await barrier.wait()
                try:
                    async with session.begin_nested():
                        await assist.accept(session, expert, assist_id, None)
                except DomainError as refused:
                    return refused.code.value
            return "OK"

    # when all four accept at once, each in their own transaction
    outcomes = await asyncio.gather(*(accept(e) for e in experts))

    # then one wins and the others get CONFLICT
    assert sorted(outcomes, key=lambda o: o != "OK") == ["OK"] + ["CONFLICT"] * (contenders - 1)
    winner = experts[outcomes.index("OK")]
    async with committed_sessions() as session:
        row = await session.get(AssistRequest, assist_id)
        assert row is not None and row.status is AssistStatus.ACCEPTED
        assert row.accepted_by == winner.subject
