"""Notification settings read from the environment (`NOTIFICATIONS_*`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_CALLBACK_SECRET = "dev-only-provider-callback-secret"
DEV_LINK_SECRET = "dev-only-survey-link-secret"


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", env_file=".env", extra="ignore")

    env: str = Field(default="dev", validation_alias="ENV")
    """The deployment (`ENV`, shared with the core settings): `prod` refuses the development
    secrets below."""

    public_url: str = Field(
        default="http://127.0.0.1:8000", description="base of links sent to customers"
    )
    callback_secret: str = Field(
        default=DEV_CALLBACK_SECRET,
        description="HMAC secret of provider status callbacks and inbound replies",
    )
    link_secret: str = Field(default=DEV_LINK_SECRET, description="signs survey links")
    delivery_interval_seconds: float = Field(default=5.0, gt=0)
    batch_size: int = Field(default=50, ge=1, le=1000)

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> NotificationSettings:
        if self.env != "prod":
            return self
        unset = [
            name
            for name, value, development in (
                ("NOTIFICATIONS_CALLBACK_SECRET", self.callback_secret, DEV_CALLBACK_SECRET),
                ("NOTIFICATIONS_LINK_SECRET", self.link_secret, DEV_LINK_SECRET),
            )
            if not value or value == development
        ]
        if unset:
            raise ValueError(
                f"set {' and '.join(unset)}: the development secrets of provider callbacks "
                "and survey links are refused when ENV=prod"
            )
        return self


@lru_cache
def get_notification_settings() -> NotificationSettings:
    return NotificationSettings()
