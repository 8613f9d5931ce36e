"""Partner business rules: create, update and archive."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import utcnow
from app.core.repository import apply_changes, check_version, flush_unique, get_for_update
from app.partners.models import Partner, PartnerCreate, PartnerUpdate


async def create_partner(session: AsyncSession, data: PartnerCreate) -> Partner:
    partner = Partner.model_validate(data)
    session.add(partner)
    await flush_unique(session, "code", f"a partner with code {data.code} exists")
    return partner


async def update_partner(
    session: AsyncSession, partner_id: int, changes: PartnerUpdate, expected_version: int | None
) -> Partner:
    partner = await get_for_update(session, Partner, partner_id, what="partner")
    check_version(partner, expected_version)
    apply_changes(partner, changes.model_dump(exclude_unset=True))
    partner.touch()
    await session.flush()
    return partner


async def archive_partner(
    session: AsyncSession, partner_id: int, expected_version: int | None
) -> Partner:
    partner = await get_for_update(session, Partner, partner_id, what="partner")
    check_version(partner, expected_version)
    if partner.archived_at is None:
        partner.archived_at = utcnow()
        partner.touch()
        await session.flush()
    return partner
