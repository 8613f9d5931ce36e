"""Who a notification goes to and how: channel order, language, quiet hours (in the time zone
of the customer's territory) and the addresses the customer gave."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.errors import NotFound
from app.core.models import utcnow
from app.customers.models import Customer, Site
from app.notifications.models import (
    MESSAGING_CHANNELS,
    Channel,
    Notification,
    NotificationPreference,
    PreferenceUpdate,
)
from app.service_requests.models import ServiceRequest
from app.territories.models import Territory
from app.work_orders.models import Task

CONTACT_TO_CHANNEL = {
    "PHONE": Channel.SMS,
    "SMS": Channel.SMS,
    "WHATSAPP": Channel.WHATSAPP,
    "EMAIL": Channel.EMAIL,
    "PUSH": Channel.PUSH,
    "VOICE": Channel.VOICE,
}


@dataclass(slots=True)
class Recipient:
    customer_id: int | None
    language: str = "en"
    channel_order: list[Channel] = field(default_factory=lambda: list(MESSAGING_CHANNELS))
    addresses: dict[Channel, str] = field(default_factory=dict)
    quiet: tuple[time, time] | None = None
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    muted: frozenset[str] = frozenset()

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the quiet hours around `now` end, or None outside them."""
        if self.quiet is None:
            return None
        start, end = self.quiet
        local = now.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        inside = start <= clock < end if start <= end else clock >= start or clock < end
        if not inside:
            return None
        end_local = datetime.combine(local.date(), end, tzinfo=self.zone)
        if end_local <= local:
            end_local += timedelta(days=1)
        return end_local


def addresses_of(customer: Customer) -> dict[Channel, str]:
    assert customer.id is not None
    found = {
        Channel.IN_APP: f"customer:{customer.id}",
        Channel.PUSH: f"customer:{customer.id}",
        Channel.EMAIL: customer.email,
        Channel.SMS: customer.phone,
        Channel.VOICE: customer.phone,
        Channel.WHATSAPP: customer.whatsapp or customer.phone,
    }
    return {channel: address for channel, address in found.items() if address}


def _order(preference: NotificationPreference | None, customer: Customer) -> list[Channel]:
    if preference is not None and preference.channel_order:
        chosen = [Channel(c) for c in preference.channel_order]
    else:
        chosen = [
            CONTACT_TO_CHANNEL[c] for c in customer.preferred_channels if c in CONTACT_TO_CHANNEL
        ]
    rest = [c for c in MESSAGING_CHANNELS if c not in chosen]
    return list(dict.fromkeys([*chosen, *rest]))


async def customer_of(session: AsyncSession, notification: Notification) -> int | None:
    if notification.customer_id is not None:
        return notification.customer_id
    if notification.task_id is None:
        return None
    return await session.scalar(
        select(Task.customer_id).where(col(Task.id) == notification.task_id)
    )


async def _site_zone(session: AsyncSession, site_id: int) -> str | None:
    """The time zone of the territory a site lies in (the smallest, where they overlap)."""
    return await session.scalar(
        select(Territory.time_zone)
        .join(Site, func.ST_Intersects(col(Territory.area), func.geometry(col(Site.point))))
        .where(col(Site.id) == site_id, col(Territory.archived_at).is_(None))
        .order_by(func.ST_Area(col(Territory.area)), col(Territory.id))
        .limit(1)
    )


async def _site_of(
    session: AsyncSession, notification: Notification, customer_id: int
) -> int | None:
    """The site a notification without a task is about: the one its data names, its service
    request's, else the customer's primary site (their first one still in use)."""
    data = notification.data or {}
    site_id = data.get("site_id")
    if isinstance(site_id, int):
        return site_id
    request_id = data.get("service_request_id")
    if isinstance(request_id, int):
        found = await session.scalar(
            select(ServiceRequest.site_id).where(col(ServiceRequest.id) == request_id)
        )
        if found is not None:
            return found
    return await session.scalar(
        select(Site.id)
        .where(col(Site.customer_id) == customer_id, col(Site.archived_at).is_(None))
        .order_by(col(Site.id))
        .limit(1)
    )


async def zone_for(session: AsyncSession, notification: Notification, customer_id: int) -> ZoneInfo:
    """The zone of the customer's territory, that quiet hours and times in messages are
    read in: the task's territory (else its site's); without a task, the territory of the
    site the notification is about (see `_site_of`). UTC only when none is known."""
    name: str | None = None
    site_id: int | None = None
    if notification.task_id is not None:
        row = (
            await session.execute(
                select(Territory.time_zone, Task.site_id)
                .select_from(Task)
                .outerjoin(Territory, col(Task.territory_id) == col(Territory.id))
                .where(col(Task.id) == notification.task_id)
            )
        ).first()
        if row is not None:
            name, site_id = row
    if name is None and site_id is None:
        site_id = await _site_of(session, notification, customer_id)
    if name is None and site_id is not None:
        name = await _site_zone(session, site_id)
    return ZoneInfo(name) if name else ZoneInfo("UTC")


async def recipient_for(session: AsyncSession, notification: Notification) -> Recipient:
    customer_id = await customer_of(session, notification)
    if customer_id is None:
        return Recipient(customer_id=None)
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return Recipient(customer_id=None)
    preference = await session.scalar(
        select(NotificationPreference).where(col(NotificationPreference.customer_id) == customer_id)
    )
    quiet = None
    if preference and preference.quiet_start is not None and preference.quiet_end is not None:
        quiet = (preference.quiet_start, preference.quiet_end)
    return Recipient(
        customer_id=customer_id,
        language=(preference.language if preference and preference.language else customer.language),
        channel_order=_order(preference, customer),
        addresses=addresses_of(customer),
        quiet=quiet,
        zone=await zone_for(session, notification, customer_id),
        muted=frozenset(preference.muted_events if preference else ()),
    )


async def update_preferences(
    session: AsyncSession, customer_id: int, changes: PreferenceUpdate, expected_version: int | None
) -> NotificationPreference:
    from app.core.repository import apply_changes, check_version

    if await session.get(Customer, customer_id) is None:
        raise NotFound("customer", ["customerId"])
    preference = await session.scalar(
        select(NotificationPreference)
        .where(col(NotificationPreference.customer_id) == customer_id)
        .with_for_update()
    )
    if preference is None:
        preference = NotificationPreference(customer_id=customer_id)
        session.add(preference)
    else:
        check_version(preference, expected_version)
        preference.touch()
    values = changes.model_dump(exclude_unset=True)
    for name in ("channel_order", "muted_events"):
        if name in values:
            values[name] = [str(v) for v in values[name] or []]
    apply_changes(preference, values)
    preference.updated_at = utcnow()
    await session.flush()
    return preference
