"""Notification settings read from the environment (`NOTIFICATIONS_*`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_CALLBACK_SECRET = "dev-only-provider-callback-secret"


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", env_file=".env", extra="ignore")

    public_url: str = Field(
        default="http://127.0.0.1:8000", description="base of links sent to customers"
    )
    callback_secret: str = Field(
        default=DEV_CALLBACK_SECRET,
        description="HMAC secret of provider status callbacks and inbound replies",
    )
    link_secret: str = Field(
        default="dev-only-survey-link-secret", description="signs survey links"
    )
    delivery_interval_seconds: float = Field(default=5.0, gt=0)
    batch_size: int = Field(default=50, ge=1, le=1000)


@lru_cache
def get_notification_settings() -> NotificationSettings:
    return NotificationSettings()
