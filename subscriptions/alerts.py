"""Alerts for dispatchers and managers, pushed as they are raised."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry

from app.core.alerts import AlertKind
from app.core.auth import Role
from app.core.channels import ALERTS
from schema.context import Info
from schema.ids import decode_optional_id, encode_id
from schema.permissions import allow

AlertKindType = strawberry.enum(AlertKind, name="AlertKind", description="What an alert is about.")


@strawberry.type(description="Something a dispatcher or manager should look at, as it is raised.")
class Alert:
    kind: AlertKindType = strawberry.field(  # type: ignore[valid-type]
        description="What the alert is about."
    )
    level: int = strawberry.field(description="1 (notice) to 3 (most urgent).")
    message: str = strawberry.field(description="What happened, in words.")
    territory_id: strawberry.ID | None = strawberry.field(description="The territory it is in.")
    task_id: strawberry.ID | None = strawberry.field(description="The task it is about, if any.")
    at: datetime = strawberry.field(description="When it was raised.")

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Alert:
        data = event["data"]
        return cls(
            kind=AlertKind.of(event["kind"]),
            level=int(data.get("level", 1)),
            message=str(data.get("message", "")),
            territory_id=_gid("Territory", data.get("territory_id")),
            task_id=_gid("Task", data.get("task_id")),
            at=datetime.fromisoformat(event["at"]),
        )


def _gid(type_name: str, db_id: int | None) -> strawberry.ID | None:
    return None if db_id is None else strawberry.ID(encode_id(type_name, db_id))


@strawberry.type
class AlertSubscription:
    @strawberry.subscription(
        extensions=[allow(Role.ADMIN, Role.DISPATCHER, Role.MANAGER)],
        description="Alerts as they are raised (e.g. a technician running late), of every "
        "territory or only of territoryId; nothing is replayed on subscribe. Admins, "
        "dispatchers and managers.",
    )
    async def alerts(
        self, info: Info, territory_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Alert, None]:
        wanted = decode_optional_id(territory_id, "Territory", "territoryId")
        async with info.context.broker.subscribe(ALERTS) as events:
            async for event in events:
                if wanted is None or event["data"].get("territory_id") == wanted:
                    yield Alert.from_event(event)
