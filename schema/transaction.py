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
        if self._is_of_type(OperationType.SUBSCRIPTION):
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
        if self._is_of_type(OperationType.MUTATION) and result is not None and not result.errors:
            await session.commit()
            return take_pending(session)
        await session.rollback()
        take_pending(session)
        return []

    def _is_of_type(self, operation_type: OperationType) -> bool:
        """False too when the document did not parse (it has no operation)."""
        try:
            return self.execution_context.operation_type is operation_type
        except RuntimeError:
            return False
