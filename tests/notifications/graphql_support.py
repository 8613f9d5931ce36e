"""Role matrices and small factories shared by the communication GraphQL tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.notifications.models import Notification, NotificationEvent, NotificationStatus
from tests.support import GraphQLClient

ROLES: list[Role | None] = [
    None,
    Role.CUSTOMER,
    Role.TECHNICIAN,
    Role.PARTNER,
    Role.DISPATCHER,
    Role.AGENT,
    Role.MANAGER,
    Role.ADMIN,
]
REFUSED = {"FORBIDDEN", "UNAUTHENTICATED"}


def as_role(gql: GraphQLClient, role: Role | None, **links: int | None) -> GraphQLClient:
    kinds = {
        Role.CUSTOMER: "customer_id",
        Role.TECHNICIAN: "technician_id",
        Role.PARTNER: "partner_id",
    }
    kind = kinds.get(role) if role is not None else None
    defaults = {kind: links.get(kind)} if kind else {}
    return gql.as_role(role, **defaults)


async def refused_query(client: GraphQLClient, query: str, variables: dict[str, Any]) -> bool:
    body = await client.raw(query, variables)
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    return bool(codes & REFUSED)


async def refused_mutation(client: GraphQLClient, query: str, variables: dict[str, Any]) -> bool:
    body = await client.raw(query, variables)
    assert "errors" not in body, body["errors"]
    (payload,) = body["data"].values()
    return bool({e["code"] for e in payload["userErrors"]} & REFUSED)


async def notification(
    session: AsyncSession,
    customer_id: int | None,
    *,
    task_id: int | None = None,
    technician_id: int | None = None,
    status: NotificationStatus = NotificationStatus.DELIVERED,
    body: str | None = "Your technician is on the way",
    key: str | None = None,
) -> Notification:
    row = Notification(
        event=NotificationEvent.ON_THE_WAY,
        idempotency_key=key or f"test:{uuid.uuid4().hex}",
        customer_id=customer_id,
        technician_id=technician_id,
        task_id=task_id,
        body=body,
        status=status,
    )
    session.add(row)
    await session.flush()
    return row
