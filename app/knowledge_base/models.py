"""The knowledge base: how-to and troubleshooting articles for technicians and customers.

An article is written in Markdown (rendered server-side to sanitised HTML), in one language,
for one audience (INTERNAL: technicians and staff; CUSTOMER: also customers and partners),
linked to product models, fault codes, symptoms and tags. It goes draft -> review ->
published -> archived; every edit of a published article is a new version, and each version
keeps who wrote it and who reviewed it. Technicians and customers vote whether an article
helped on a task or a request; technicians propose updates that staff accept or reject.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import AfterValidator, StringConstraints, field_validator
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlmodel import Field, SQLModel

from app.core.models import Audited, enum_type, fk, id_field, timestamp

TITLE_MAX = 200
BODY_MAX = 50_000
LIST_MAX = 20
MODELS_MAX = 50


class ArticleStatus(StrEnum):
    """Where an article stands in its lifecycle."""

    DRAFT = "DRAFT"
    """Being written; staff only."""
    REVIEW = "REVIEW"
    """Submitted for review; staff only."""
    PUBLISHED = "PUBLISHED"
    """Live for its audience; edits make new versions."""
    ARCHIVED = "ARCHIVED"
    """Withdrawn; staff only, kept with its versions."""


class Audience(StrEnum):
    """Who may read a published article."""

    INTERNAL = "INTERNAL"
    """Technicians and staff."""
    CUSTOMER = "CUSTOMER"
    """Also customers and partners."""


class MediaKind(StrEnum):
    """What a linked medium is."""

    IMAGE = "IMAGE"
    """A picture."""
    VIDEO = "VIDEO"
    """A video (a link to where it plays)."""
    DOCUMENT = "DOCUMENT"
    """A manual or a data sheet."""


class ProposalStatus(StrEnum):
    """Where a proposed article update stands."""

    PENDING = "PENDING"
    """Waiting for a reviewer."""
    ACCEPTED = "ACCEPTED"
    """Taken into a new version of the article."""
    REJECTED = "REJECTED"
    """Refused, with a reason."""


class SuggestionReason(StrEnum):
    """Why an article is suggested for a job."""

    PRODUCT_MODEL = "PRODUCT_MODEL"
    """It is about the product model of the job's asset."""
    FAULT_CODE = "FAULT_CODE"
    """It covers a fault code the job's description mentions."""
    SYMPTOMS = "SYMPTOMS"
    """Its text matches the symptoms the job describes."""
    HELPED_BEFORE = "HELPED_BEFORE"
    """It was marked helpful on completed tasks of the same product model."""


LANGUAGES: dict[str, str] = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
"""Languages with a PostgreSQL text search configuration (stemming, stop words); any other
language is indexed with `simple` (words as written). `hindi` and a few others exist only in
newer PostgreSQL versions: `search_config` checks what the server has."""


def _https(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be an https:// URL")
    return value


HttpsUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_https)
]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40)
]
FaultCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_upper=True,
        min_length=1,
        max_length=20,
        pattern=r"^[A-Za-z0-9_-]+$",
    ),
]
Symptom = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Language = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z]{2,3}$")
]


class Medium(SQLModel):
    """An image, video or document linked from an article."""

    url: HttpsUrl
    kind: MediaKind = MediaKind.IMAGE
    caption: str | None = Field(default=None, max_length=200)


def _text_array() -> Any:
    return Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.Text), nullable=False, server_default="{}"),
    )


class ArticleContent(SQLModel):
    """What an author writes; validated at the edge."""

    title: str = Field(min_length=3, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    language: Language = "en"
    audience: Audience = Audience.INTERNAL
    tags: list[Tag] = Field(default_factory=list, max_length=LIST_MAX)
    fault_codes: list[FaultCode] = Field(default_factory=list, max_length=LIST_MAX)
    symptoms: list[Symptom] = Field(default_factory=list, max_length=LIST_MAX)
    media: list[Medium] = Field(default_factory=list, max_length=LIST_MAX)
    product_model_ids: list[int] = Field(default_factory=list, max_length=MODELS_MAX)

    @field_validator("title")
    @classmethod
    def _title_has_text(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value) < 3:
            raise ValueError("must have at least 3 characters besides spaces")
        return value

    @field_validator("tags", "fault_codes", "symptoms", "product_model_ids")
    @classmethod
    def _distinct(cls, values: list[Any]) -> list[Any]:
        return list(dict.fromkeys(values))


class Article(Audited, table=True):
    """A knowledge base article as it stands (its current version)."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        sa.Index("ix_kb_articles_search", "search", postgresql_using="gin"),
        sa.Index("ix_kb_articles_keywords", "keywords", postgresql_using="gin"),
        sa.Index(
            "ix_kb_articles_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ),
        sa.Index("ix_kb_articles_fault_codes", "fault_codes", postgresql_using="gin"),
        sa.Index("ix_kb_articles_tags", "tags", postgresql_using="gin"),
        sa.Index("ix_kb_articles_status_audience", "status", "audience"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: int | None = id_field()
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(sa_type=sa.Text)
    """Markdown as written."""
    body_html: str = Field(sa_type=sa.Text)
    """The body rendered and sanitised."""
    body_text: str = Field(sa_type=sa.Text)
    """The body as plain text (indexed, and highlighted in search results)."""
    language: str = Field(max_length=3)
    search_config: str = Field(max_length=32)
    """The PostgreSQL text search configuration of the language (`simple` when none)."""
    audience: Audience = Field(sa_type=enum_type(Audience, 16))
    status: ArticleStatus = Field(default=ArticleStatus.DRAFT, sa_type=enum_type(ArticleStatus, 16))
    tags: list[str] = _text_array()
    fault_codes: list[str] = _text_array()
    symptoms: list[str] = _text_array()
    media: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default="[]")
    )
    revision: int = 1
    """The number of the current version."""
    author: str = Field(max_length=200)
    """Who created it."""
    published_at: datetime | None = timestamp(nullable=True, default_now=False)
    """When it was first published."""
    search: Any = Field(default=None, sa_column=sa.Column(TSVECTOR, nullable=True))
    """Weighted document (A title, B symptoms, fault codes and tags, C body), kept by a
    trigger in the article's text search configuration."""
    keywords: Any = Field(default=None, sa_column=sa.Column(TSVECTOR, nullable=True))
    """The title (A) and the symptoms, fault codes and tags (B) alone: a small vector that
    ranks the matches in them without reading the body's."""


class ArticleModel(SQLModel, table=True):
    """A product model an article is about."""

    __tablename__ = "kb_article_models"

    article_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="kb_articles.id", primary_key=True, ondelete="CASCADE"
    )
    product_model_id: int = Field(
        sa_type=sa.BigInteger, foreign_key="product_models.id", primary_key=True, index=True
    )


class ArticleVersion(SQLModel, table=True):
    """One version of an article's content, with who wrote and who reviewed it."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number"),)

    id: int | None = id_field()
    article_id: int = fk("kb_articles.id", ondelete="CASCADE")
    number: int
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(sa_type=sa.Text)
    body_html: str = Field(sa_type=sa.Text)
    language: str = Field(max_length=3)
    audience: Audience = Field(sa_type=enum_type(Audience, 16))
    tags: list[str] = _text_array()
    fault_codes: list[str] = _text_array()
    symptoms: list[str] = _text_array()
    media: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default="[]")
    )
    product_model_ids: list[int] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
    )
    author: str = Field(max_length=200)
    """Who wrote this version (for an accepted proposal: who proposed it)."""
    reviewer: str | None = Field(default=None, max_length=200)
    """Who published it, or accepted the proposal it came from."""
    reviewed_at: datetime | None = timestamp(nullable=True, default_now=False)
    change_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class ArticleVote(SQLModel, table=True):
    """Whether an article helped on a task or a service request, one per user and job."""

    __tablename__ = "kb_votes"
    __table_args__ = (
        sa.CheckConstraint("num_nonnulls(task_id, service_request_id) = 1", name="one_job"),
        sa.Index(
            "uq_kb_votes_voter_job",
            "article_id",
            "voter",
            sa.text("coalesce(task_id, 0)"),
            sa.text("coalesce(service_request_id, 0)"),
            unique=True,
        ),
    )

    id: int | None = id_field()
    article_id: int = fk("kb_articles.id", ondelete="CASCADE")
    voter: str = Field(max_length=200)
    voter_role: str = Field(max_length=16)
    task_id: int | None = fk("tasks.id", nullable=True, ondelete="CASCADE")
    service_request_id: int | None = fk("service_requests.id", nullable=True, ondelete="CASCADE")
    helpful: bool
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class ArticleProposal(Audited, table=True):
    """A technician's proposed update of a published article."""

    __tablename__ = "kb_proposals"

    id: int | None = id_field()
    article_id: int = fk("kb_articles.id", ondelete="CASCADE")
    base_revision: int
    """The article version the proposal was written against."""
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(sa_type=sa.Text)
    note: str | None = Field(default=None, max_length=1000)
    proposed_by: str = Field(max_length=200)
    proposed_by_role: str = Field(max_length=16)
    status: ProposalStatus = Field(
        default=ProposalStatus.PENDING, sa_type=enum_type(ProposalStatus, 16), index=True
    )
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp(nullable=True, default_now=False)
    decision_note: str | None = Field(default=None, max_length=1000)
    resulting_revision: int | None = None


class ProposalCreate(SQLModel):
    article_id: int
    title: str | None = Field(default=None, min_length=3, max_length=TITLE_MAX)
    """None: keep the current title."""
    body: str = Field(min_length=1, max_length=BODY_MAX)
    note: str | None = Field(default=None, max_length=1000)
