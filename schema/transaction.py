"""One database transaction per GraphQL operation; events leave only after it commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.core.events import take_pending
from schema.context import Context, OperationState


class OperationTransaction(SchemaExtension):
    """The session starts when execution does, once the operation's type is known: a query
    reads from the read pool when the app has one (autocommit, read-only), a mutation
    writes in one transaction. Nothing is opened for a document that fails to parse or
    validate."""

    _state: OperationState | None = None

    async def on_operation(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        events: list = []
        try:
            yield
            if self._state is not None:
                events = await self._finish(self._state.session)
        finally:
            if self._state is not None:
                await self._state.session.close()
                context.end_operation()
        if events:
            await context.broker.publish_all(events)

    def on_execute(self) -> Iterator[None]:
        if not self._is_of_type(OperationType.SUBSCRIPTION):
            context: Context = self.execution_context.context
            read_only = self._is_of_type(OperationType.QUERY)
            self._state = context.begin_operation(read_only=read_only)
        yield

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
