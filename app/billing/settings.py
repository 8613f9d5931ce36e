"""Secrets and tunables of the billing domain, read from the environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PAYMENT_LINK_SECRET = "dev-only-payment-link-secret-change-me"
DEV_PROVIDER_SECRET = "dev-only-payment-provider-secret"


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: str = "dev"
    payment_link_secret: str = DEV_PAYMENT_LINK_SECRET
    """Signs payment links (HMAC-SHA256); env PAYMENT_LINK_SECRET."""
    payment_provider_secret: str = DEV_PROVIDER_SECRET
    """Verifies the payment provider's callbacks; env PAYMENT_PROVIDER_SECRET."""
    payment_link_ttl_minutes: int = 72 * 60
    invoice_due_days: int = 15
    public_base_url: str = "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> BillingSettings:
        if self.env == "prod" and (
            self.payment_link_secret == DEV_PAYMENT_LINK_SECRET
            or self.payment_provider_secret == DEV_PROVIDER_SECRET
        ):
            raise ValueError(
                "set PAYMENT_LINK_SECRET and PAYMENT_PROVIDER_SECRET: development secrets are "
                "refused when ENV=prod"
            )
        return self


@lru_cache
def get_billing_settings() -> BillingSettings:
    return BillingSettings()
