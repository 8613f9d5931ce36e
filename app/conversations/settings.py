"""Chatbot webhook settings read from the environment (`CHATBOT_*`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_CHATBOT_SECRET = "dev-only-chatbot-webhook-secret"


class ChatbotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATBOT_", env_file=".env", extra="ignore")

    env: str = Field(default="dev", validation_alias="ENV")
    secret: str = Field(
        default=DEV_CHATBOT_SECRET,
        description="HMAC secret the chatbot platform signs its calls with",
    )
    tolerance_seconds: int = Field(default=300, ge=10, le=3600)
    """How old (or new) a signature's timestamp may be."""
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    """Largest request body (photos sent inline included)."""

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> ChatbotSettings:
        if self.env == "prod" and self.secret in ("", DEV_CHATBOT_SECRET):
            raise ValueError("set CHATBOT_SECRET: the development secret is refused when ENV=prod")
        return self


@lru_cache
def get_chatbot_settings() -> ChatbotSettings:
    return ChatbotSettings()
