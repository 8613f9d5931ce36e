"""Where attachments are stored and what is accepted, read from the environment."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class Backend(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class AttachmentSettings(BaseSettings):
    """`ATTACHMENTS_*` variables; S3 needs endpoint, bucket and keys."""

    model_config = SettingsConfigDict(env_prefix="ATTACHMENTS_", env_file=".env", extra="ignore")

    backend: Backend = Backend.LOCAL
    dir: str = Field(default="var/attachments", description="local directory (relative: to cwd)")

    s3_endpoint: str | None = Field(
        default=None, description="e.g. https://s3.eu-west-1.amazonaws.com"
    )
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_virtual_hosted: bool = Field(
        default=False, description="bucket.endpoint/key instead of endpoint/bucket/key"
    )
    url_ttl_seconds: int = Field(default=900, ge=1, le=7 * 24 * 3600)

    max_photo_bytes: int = Field(default=15 * MB, ge=1)
    max_video_bytes: int = Field(default=200 * MB, ge=1)
    max_document_bytes: int = Field(default=25 * MB, ge=1)
    inline_max_bytes: int = Field(
        default=512 * 1024, ge=0, description="largest file served as contentBase64"
    )

    @model_validator(mode="after")
    def _s3_needs_its_settings(self) -> AttachmentSettings:
        if self.backend is Backend.S3:
            needed = ("s3_endpoint", "s3_bucket", "s3_access_key", "s3_secret_key")
            missing = [name for name in needed if not getattr(self, name)]
            if missing:
                names = ", ".join(f"ATTACHMENTS_{m.upper()}" for m in missing)
                raise ValueError(f"ATTACHMENTS_BACKEND=s3 needs {names}")
        return self


@lru_cache
def get_attachment_settings() -> AttachmentSettings:
    return AttachmentSettings()
