"""Two admins saving the same version of a policy at once: one wins, the other is stale."""

from __future__ import annotations

import asyncio

from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError, ErrorCode
from app.policies.settings import (
    CommunicationPolicyUpdate,
    communication_policy,
    update_communication_policy,
)

ADMIN = Principal(subject="test:admin", role=Role.ADMIN, name="Admin")


async def _save(sessions: SessionFactory, version: int, survey_days: int) -> ErrorCode | None:
    async with sessions() as session:
        try:
            update = CommunicationPolicyUpdate(survey_link_days=survey_days)
            await update_communication_policy(session, ADMIN, update, version)
            await asyncio.sleep(0.2)  # hold the family's lock while the other one waits
            await session.commit()
        except DomainError as error:
            await session.rollback()
            return error.code
    return None


async def test_concurrent_saves_of_one_version_let_exactly_one_through(
    committed_sessions: SessionFactory,
) -> None:
    async with committed_sessions() as session:
        before = await communication_policy(session)
        await session.commit()
    try:
        outcomes = await asyncio.gather(
            _save(committed_sessions, before.version, before.values.survey_link_days + 1),
            _save(committed_sessions, before.version, before.values.survey_link_days + 2),
        )
        assert sorted(outcomes, key=str) == sorted([None, ErrorCode.STALE_VERSION], key=str)
        async with committed_sessions() as session:
            after = await communication_policy(session)
        assert after.version == before.version + 1
    finally:
        async with committed_sessions() as session:
            restore = CommunicationPolicyUpdate(survey_link_days=before.values.survey_link_days)
            await update_communication_policy(session, ADMIN, restore, None)
            await session.commit()
