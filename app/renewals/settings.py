"""Renewal settings read from the environment (`RENEWALS_*`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_OFFER_LINK_SECRET = "dev-only-offer-link-secret"


class RenewalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RENEWALS_", env_file=".env", extra="ignore")

    env: str = Field(default="dev", validation_alias="ENV")
    offer_link_secret: str = Field(
        default=DEV_OFFER_LINK_SECRET, description="signs the accept/decline links of offers"
    )
    link_grace_days: int = Field(
        default=3, ge=0, description="days an offer link still opens after the offer's last day"
    )
    job_interval_seconds: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> RenewalSettings:
        if self.env == "prod" and self.offer_link_secret in ("", DEV_OFFER_LINK_SECRET):
            raise ValueError("set RENEWALS_OFFER_LINK_SECRET: the development secret is refused")
        return self


@lru_cache
def get_renewal_settings() -> RenewalSettings:
    return RenewalSettings()
