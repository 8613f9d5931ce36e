"""Rendering templates safely: `${name}` placeholders filled from the event's data, nothing
evaluated. Missing names stay visible as written rather than failing a delivery."""

from __future__ import annotations

from string import Template
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from app.notifications.models import Channel, NotificationEvent, NotificationTemplate

FALLBACK_LANGUAGE = "en"


def render(text: str, values: dict[str, Any]) -> str:
    flat = {key: "" if value is None else str(value) for key, value in values.items()}
    return Template(text).safe_substitute(flat)


def render_json(template: Any, values: dict[str, Any]) -> Any:
    """A JSON payload template with `${name}` inside its strings (keys stay as written)."""
    if isinstance(template, str):
        return render(template, values)
    if isinstance(template, list):
        return [render_json(item, values) for item in template]
    if isinstance(template, dict):
        return {key: render_json(value, values) for key, value in template.items()}
    return template


async def find_template(
    session: AsyncSession, event: NotificationEvent, channel: Channel, language: str
) -> NotificationTemplate | None:
    """The best template: this language before English, this channel before the generic one."""
    languages = {language, language.split("-")[0], FALLBACK_LANGUAGE}
    statement = select(NotificationTemplate).where(
        col(NotificationTemplate.event) == event,
        col(NotificationTemplate.language).in_(languages),
        or_(
            col(NotificationTemplate.channel) == channel,
            col(NotificationTemplate.channel).is_(None),
        ),
        col(NotificationTemplate.archived_at).is_(None),
    )
    rows = (await session.scalars(statement)).all()
    base = language.split("-")[0]

    def rank(row: NotificationTemplate) -> tuple[int, int]:
        lang = 0 if row.language == language else 1 if row.language == base else 2
        return (lang, 0 if row.channel == channel else 1)

    return min(rows, key=rank, default=None)
