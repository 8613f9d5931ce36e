"""Settings read from the environment and an optional `.env` file."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEV = "dev"
    PROD = "prod"
    TEST = "test"


DEV_JWT_SECRET = "dev-only-secret-change-me-in-production-32b"
DEV_CORS_ORIGIN_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
"""Outside prod, pages served from this machine on any port may call the API."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Environment = Environment.DEV
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/fieldgraph"
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "fieldgraph"
    jwt_audience: str = "fieldgraph-api"
    jwt_ttl_minutes: int = 12 * 60

    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_statement_timeout_ms: int = 30_000

    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 1_000
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 210 * 1_048_576
    page_size_default: int = 20
    page_size_max: int = 100
    metrics_token: str | None = Field(
        default=None,
        description="bearer token for /metrics; in prod /metrics answers 404 without one",
    )
    rate_limit_per_token: int = Field(
        default=1_200, ge=0, description="requests a minute per bearer token; 0: no limit"
    )
    rate_limit_per_address: int = Field(
        default=300, ge=0, description="requests a minute per address without a token; 0: none"
    )
    login_attempts: int = Field(
        default=10, ge=0, description="failed logins per account per window; 0: no limit"
    )
    login_window_seconds: int = Field(default=900, ge=1)
    run_jobs: bool = Field(default=True, description="run a job worker in this process")
    service_plan_horizon_days: int = Field(
        default=90, ge=1, le=730, description="days ahead service plans generate visits for"
    )
    # Query cost (schema/cost.py): the most an operation may be estimated to cost, per role of
    # the caller. One unit is one scalar value; an object costs 2; a list multiplies what it
    # holds by its page size (`first`/`last`, else the field's default, at most page_size_max).
    cost_limit_anonymous: int = 5_000
    cost_limit_customer: int = 20_000
    cost_limit_technician: int = 20_000
    cost_limit_partner: int = 40_000
    cost_limit_agent: int = 60_000
    cost_limit_manager: int = 60_000
    cost_limit_dispatcher: int = 100_000
    cost_limit_admin: int = 100_000
    max_response_bytes: int = Field(
        default=8 * 1_048_576, description="a larger GraphQL response is refused, not sent"
    )
    shutdown_grace_seconds: float = Field(
        default=20.0,
        gt=0,
        le=3_600,
        description="on SIGTERM: how long in-flight requests may take before they are cut off",
    )
    web_concurrency: int = Field(
        default=1, ge=1, le=64, description="server processes `fieldgraph serve` starts"
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector base URL (spans go to <url>/v1/traces); unset: no tracing",
    )
    otel_service_name: str = Field(default="fieldgraph", description="service.name of the spans")
    otel_traces_sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="share of new traces recorded (parent-based)"
    )
    log_level: str = "INFO"
    log_json: bool = Field(default=False, description="JSON log lines instead of console output")

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins of browser apps allowed to call the API (comma-separated)",
    )
    cors_origin_regex: str | None = Field(
        default=None, description="a pattern of allowed origins; outside prod: localhost"
    )
    cors_allow_credentials: bool = Field(
        default=False, description="let browsers send cookies (never with the `*` origin)"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _cors_defaults_and_limits(self) -> Settings:
        if self.cors_origin_regex is None and self.env is not Environment.PROD:
            self.cors_origin_regex = DEV_CORS_ORIGIN_REGEX
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError(
                "CORS_ORIGINS=* with CORS_ALLOW_CREDENTIALS=true would let any site act with "
                "a user's cookies: list the origins instead"
            )
        return self

    @model_validator(mode="after")
    def _refuse_the_development_secret_in_production(self) -> Settings:
        if self.env is Environment.PROD and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("set JWT_SECRET: the development secret is refused when ENV=prod")
        return self

    @property
    def is_prod(self) -> bool:
        return self.env is Environment.PROD


@lru_cache
def get_settings() -> Settings:
    return Settings()
