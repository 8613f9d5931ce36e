"""One database transaction per GraphQL operation; events leave only after it commits."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.core.events import take_pending
from schema.context import Context


class OperationTransaction(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        if self._is_subscription():
            yield
            return
        state = context.begin_operation()
        try:
            yield
            events = await self._finish(state.session)
        finally:
            await state.session.close()
            context.end_operation()
        if events:
            await context.broker.publish_all(events)

    async def _finish(self, session: object) -> list:
        from sqlalchemy.ext.asyncio import AsyncSession

        assert isinstance(session, AsyncSession)
        result = self.execution_context.result
        is_mutation = self.execution_context.operation_type is OperationType.MUTATION
        if is_mutation and result is not None and not result.errors:
            await session.commit()
            return take_pending(session)
        await session.rollback()
        take_pending(session)
        return []

    def _is_subscription(self) -> bool:
        try:
            return self.execution_context.operation_type is OperationType.SUBSCRIPTION
        except RuntimeError:
            return False
