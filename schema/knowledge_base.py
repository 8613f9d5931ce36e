"""GraphQL types of the knowledge base: articles and their versions, search hits,
suggestions for a job, votes and proposed updates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.assets.models import ProductModel
from app.knowledge_base import models, render, repository
from app.knowledge_base.models import Article, ArticleProposal, ArticleVersion
from schema.assets import ProductModelType
from schema.context import Info
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection, FirstItems
from schema.permissions import internal

ArticleStatus = strawberry.enum(
    models.ArticleStatus,
    name="KnowledgeArticleStatus",
    description="Where a knowledge base article stands in its lifecycle.",
)
ArticleAudience = strawberry.enum(
    models.Audience,
    name="KnowledgeArticleAudience",
    description="Who may read a published knowledge base article.",
)
MediaKind = strawberry.enum(
    models.MediaKind, name="KnowledgeMediaKind", description="What a linked medium is."
)
ProposalStatus = strawberry.enum(
    models.ProposalStatus,
    name="KnowledgeProposalStatus",
    description="Where a proposed article update stands.",
)


SuggestionReason = strawberry.enum(
    models.SuggestionReason,
    name="SuggestionReason",
    description="Why an article is suggested for a job.",
)


@strawberry.type(name="KnowledgeMedium", description="An image, video or document link.")
class MediumType:
    url: str = strawberry.field(description="Where it is: an https:// URL.")
    kind: MediaKind = strawberry.field(description="Image, video or document.")  # type: ignore[valid-type]
    caption: str | None = strawberry.field(description="A caption; null if none.")


def _media(rows: list[dict[str, object]]) -> list[MediumType]:
    return [
        MediumType(
            url=str(m["url"]),
            kind=models.MediaKind(str(m.get("kind", "IMAGE"))),
            caption=str(m["caption"]) if m.get("caption") is not None else None,
        )
        for m in rows
    ]


@strawberry.type(
    name="KnowledgeArticleVersion",
    description=(
        "One version of an article's content: a published version never changes; each edit "
        "of a published article, or accepted proposal, is a new one."
    ),
)
class ArticleVersionType:
    number: int = strawberry.field(description="1 for the first version, then 2, 3...")
    title: str = strawberry.field(description="The title in this version.")
    body_markdown: str = strawberry.field(description="The body as written (Markdown).")
    body_html: str = strawberry.field(description="The body rendered to sanitised HTML.")
    language: str = strawberry.field(description="Language code, e.g. en, de, hi.")
    audience: ArticleAudience = strawberry.field(description="Who it was written for.")  # type: ignore[valid-type]
    tags: list[str] = strawberry.field(description="Tags in this version.")
    fault_codes: list[str] = strawberry.field(description="Fault codes in this version.")
    symptoms: list[str] = strawberry.field(description="Symptoms in this version.")
    author: str = strawberry.field(
        description="Who wrote it (for an accepted proposal: the proposer)."
    )
    reviewer: str | None = strawberry.field(
        description="Who published it or accepted it; null for a draft never reviewed."
    )
    reviewed_at: datetime | None = strawberry.field(description="When it was reviewed.")
    change_note: str | None = strawberry.field(description="What changed, as the author said.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: ArticleVersion) -> ArticleVersionType:
        return cls(
            number=row.number,
            title=row.title,
            body_markdown=row.body,
            body_html=row.body_html,
            language=row.language,
            audience=row.audience,
            tags=list(row.tags),
            fault_codes=list(row.fault_codes),
            symptoms=list(row.symptoms),
            author=row.author,
            reviewer=row.reviewer,
            reviewed_at=row.reviewed_at,
            change_note=row.change_note,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(
    name="KnowledgeArticle",
    description=(
        "A knowledge base article: how to diagnose and fix a fault, or how a customer can help "
        "themselves, for product models, fault codes and symptoms."
    ),
)
class ArticleType(Node):
    title: str = strawberry.field(description="The title.")
    body_markdown: str = strawberry.field(description="The body as written (Markdown).")
    body_html: str = strawberry.field(
        description="The body rendered server-side to sanitised HTML, safe to insert in a page."
    )
    language: str = strawberry.field(description="Language code, e.g. en, de, hi.")
    audience: ArticleAudience = strawberry.field(  # type: ignore[valid-type]
        description="INTERNAL: technicians and staff; CUSTOMER: also customers and partners."
    )
    status: ArticleStatus = strawberry.field(  # type: ignore[valid-type]
        description="Draft, in review, published or archived."
    )
    tags: list[str] = strawberry.field(description="Tags, lower case.")
    fault_codes: list[str] = strawberry.field(description="Fault codes it covers, e.g. E5, OE.")
    symptoms: list[str] = strawberry.field(description="Symptoms it covers, as customers say.")
    media: list[MediumType] = strawberry.field(description="Linked images, videos, documents.")
    revision: int = strawberry.field(description="The number of the current content version.")
    author: str = strawberry.field(extensions=[internal()], description="Who created it.")
    published_at: datetime | None = strawberry.field(
        description="When it was first published; null before."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[Article]

    @classmethod
    def from_model(cls, row: Article) -> ArticleType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            title=row.title,
            body_markdown=row.body,
            body_html=row.body_html,
            language=row.language,
            audience=row.audience,
            status=row.status,
            tags=list(row.tags),
            fault_codes=list(row.fault_codes),
            symptoms=list(row.symptoms),
            media=_media(row.media),
            revision=row.revision,
            author=row.author,
            published_at=row.published_at,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(extensions=[FirstItems(50)], description="The product models it is about.")
    async def product_models(self, info: Info) -> list[ProductModelType]:
        session = info.context.session

        async def load(ids: list[int]) -> list[list[int]]:
            return await repository.model_ids_of(session, ids)

        model_ids = await info.context.loaders.custom("kb.models", load).load(self.db_id)
        rows = await info.context.loaders.by_id(ProductModel).load_many(model_ids)
        return [ProductModelType.from_model(r) for r in rows if r is not None]

    async def _votes(self, info: Info) -> tuple[int, int]:
        session = info.context.session

        async def load(ids: list[int]) -> list[tuple[int, int]]:
            return await repository.vote_counts(session, ids)

        result: tuple[int, int] = await info.context.loaders.custom("kb.votes", load).load(
            self.db_id
        )
        return result

    @strawberry.field(description="How many votes said it helped.")
    async def helpful_count(self, info: Info) -> int:
        return (await self._votes(info))[0]

    @strawberry.field(description="How many votes said it did not help.")
    async def not_helpful_count(self, info: Info) -> int:
        return (await self._votes(info))[1]

    @strawberry.field(
        extensions=[internal(), FirstItems(100)],
        description="Every version, newest first, with who wrote and who reviewed each.",
    )
    async def versions(self, info: Info) -> list[ArticleVersionType]:
        rows = await repository.versions_of(info.context.session, self.db_id)
        return [ArticleVersionType.from_model(r) for r in rows]

    @strawberry.field(
        extensions=[internal()], description="One earlier (or the current) version by number."
    )
    async def version_at(
        self,
        info: Info,
        number: Annotated[int, strawberry.argument(description="The version number, from 1.")],
    ) -> ArticleVersionType | None:
        row = await repository.version(info.context.session, self.db_id, number)
        return ArticleVersionType.from_model(row) if row else None


ArticleConnection = Connection[ArticleType]


@strawberry.type(name="KnowledgeSearchHit", description="An article found by a search.")
class SearchHitType:
    article: ArticleType = strawberry.field(description="The article.")
    rank: float = strawberry.field(description="Relevance: higher is better.")
    title_highlight: str = strawberry.field(
        description="The title, HTML-escaped, matched words in <mark>."
    )
    highlight: str = strawberry.field(
        description="Passages of the body, HTML-escaped, matched words in <mark>."
    )

    @classmethod
    def from_value(cls, hit: repository.Hit) -> SearchHitType:
        return cls(
            article=ArticleType.from_model(hit.article),
            rank=round(hit.rank, 6),
            title_highlight=hit.title_highlight,
            highlight=hit.highlight,
        )


@strawberry.type(name="SuggestedArticle", description="An article suggested for a job.")
class SuggestedArticleType:
    article: ArticleType = strawberry.field(description="The article.")
    score: float = strawberry.field(description="How well it fits the job: higher is better.")
    reasons: list[SuggestionReason] = strawberry.field(  # type: ignore[valid-type]
        description="Why it is suggested."
    )

    @classmethod
    def from_value(cls, found: repository.Suggestion) -> SuggestedArticleType:
        return cls(
            article=ArticleType.from_model(found.article),
            score=found.score,
            reasons=[models.SuggestionReason(r) for r in found.reasons],
        )


@strawberry.type(
    name="KnowledgeArticleProposal",
    description="A technician's proposed update of a published article, for staff to review.",
)
class ProposalType(Node):
    status: ProposalStatus = strawberry.field(description="Pending, accepted or rejected.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="The proposed title.")
    body_markdown: str = strawberry.field(description="The proposed body (Markdown).")
    note: str | None = strawberry.field(description="Why, as the proposer says.")
    base_revision: int = strawberry.field(description="The article version it was written on.")
    proposed_by: str = strawberry.field(description="Who proposed it.")
    decided_by: str | None = strawberry.field(description="Who accepted or rejected it.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    decision_note: str | None = strawberry.field(description="The reviewer's note or reason.")
    resulting_revision: int | None = strawberry.field(
        description="The article version it became; null unless accepted."
    )
    version: int
    created_at: datetime
    row: strawberry.Private[ArticleProposal]

    @classmethod
    def from_model(cls, row: ArticleProposal) -> ProposalType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            status=row.status,
            title=row.title,
            body_markdown=row.body,
            note=row.note,
            base_revision=row.base_revision,
            proposed_by=row.proposed_by,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            resulting_revision=row.resulting_revision,
            version=row.version,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The proposed body rendered to sanitised HTML (a preview).")
    def body_html(self) -> str:
        return render.to_html(self.row.body)

    @strawberry.field(description="The article it would change, as the caller may read it.")
    async def article(self, info: Info) -> ArticleType | None:
        row = await repository.get_readable(
            info.context.session, info.context.principal, self.row.article_id
        )
        return ArticleType.from_model(row) if row else None


ProposalConnection = Connection[ProposalType]


@strawberry.input(description="An image, video or document to link from an article.")
class MediumInput:
    url: str = strawberry.field(description="An https:// URL, at most 2,000 characters.")
    kind: MediaKind = strawberry.field(  # type: ignore[valid-type]
        default=models.MediaKind.IMAGE, description="Image, video or document."
    )
    caption: str | None = strawberry.field(default=None, description="Up to 200 characters.")


@strawberry.input(description="A new knowledge base article (a draft).")
class CreateArticleInput:
    title: str = strawberry.field(description="3 to 200 characters.")
    body: str = strawberry.field(description="Markdown, 1 to 50,000 characters (no raw HTML).")
    language: str = strawberry.field(default="en", description="Language code: en, de, hi...")
    audience: ArticleAudience = strawberry.field(  # type: ignore[valid-type]
        default=models.Audience.INTERNAL, description="Who may read it once published."
    )
    tags: list[str] = strawberry.field(default_factory=list, description="Up to 20 tags.")
    fault_codes: list[str] = strawberry.field(
        default_factory=list, description="Up to 20 fault codes (letters, digits, - and _)."
    )
    symptoms: list[str] = strawberry.field(
        default_factory=list, description="Up to 20 symptoms, each up to 200 characters."
    )
    media: list[MediumInput] = strawberry.field(
        default_factory=list, description="Up to 20 linked images, videos or documents."
    )
    product_model_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Up to 50 product models it is about."
    )
    idempotency_key: str | None = None


@strawberry.input(description="Change an article's content; fields left out keep their value.")
class UpdateArticleInput:
    article_id: strawberry.ID = strawberry.field(description="The article.")
    title: str | None = strawberry.field(default=None, description="3 to 200 characters.")
    body: str | None = strawberry.field(default=None, description="Markdown, 1 to 50,000.")
    language: str | None = strawberry.field(default=None, description="Language code.")
    audience: ArticleAudience | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Who may read it once published."
    )
    tags: list[str] | None = strawberry.field(default=None, description="Up to 20 tags.")
    fault_codes: list[str] | None = strawberry.field(
        default=None, description="Up to 20 fault codes."
    )
    symptoms: list[str] | None = strawberry.field(default=None, description="Up to 20 symptoms.")
    media: list[MediumInput] | None = strawberry.field(
        default=None, description="Up to 20 linked media (replaces the list)."
    )
    product_model_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Up to 50 product models (replaces the list)."
    )
    change_note: str | None = strawberry.field(
        default=None, description="What changed, up to 500 characters; kept on the version."
    )
    expected_version: int | None = None


@strawberry.input(description="Move an article along its lifecycle.")
class ArticleStatusInput:
    article_id: strawberry.ID = strawberry.field(description="The article.")
    expected_version: int | None = None


@strawberry.input(description="Whether an article helped on a task or a service request.")
class VoteOnArticleInput:
    article_id: strawberry.ID = strawberry.field(description="A published article.")
    task_id: strawberry.ID | None = strawberry.field(
        default=None, description="The task it was used on; or else serviceRequestId."
    )
    service_request_id: strawberry.ID | None = strawberry.field(
        default=None, description="The service request it was used on; or else taskId."
    )
    helpful: bool = strawberry.field(description="True: it helped; false: it did not.")


@strawberry.input(description="Propose a new title and body for a published article.")
class ProposeArticleUpdateInput:
    article_id: strawberry.ID = strawberry.field(description="A published article.")
    title: str | None = strawberry.field(default=None, description="Null: keep the title.")
    body: str = strawberry.field(description="The proposed body, Markdown, 1 to 50,000.")
    note: str | None = strawberry.field(default=None, description="Why, up to 1,000.")
    idempotency_key: str | None = None


@strawberry.input(description="Take a proposal into a new version of its article.")
class AcceptArticleProposalInput:
    proposal_id: strawberry.ID = strawberry.field(description="A pending proposal.")
    note: str | None = strawberry.field(default=None, description="A note for the version.")
    expected_version: int | None = None


@strawberry.input(description="Refuse a proposal, saying why.")
class RejectArticleProposalInput:
    proposal_id: strawberry.ID = strawberry.field(description="A pending proposal.")
    reason: str = strawberry.field(description="Why, 1 to 1,000 characters.")
    expected_version: int | None = None


@strawberry.type
class ArticlePayload(Payload):
    article: ArticleType | None = strawberry.field(
        default=None, description="The article as saved; null when the change failed."
    )


@strawberry.type
class VoteOnArticlePayload(Payload):
    article: ArticleType | None = strawberry.field(
        default=None, description="The article voted on; null when the vote failed."
    )
    helpful: bool | None = strawberry.field(
        default=None, description="The caller's vote as it now stands."
    )


@strawberry.type
class ArticleProposalPayload(Payload):
    proposal: ProposalType | None = strawberry.field(
        default=None, description="The proposal as saved; null when the change failed."
    )
    article: ArticleType | None = strawberry.field(
        default=None, description="The article after an accepted proposal; null otherwise."
    )
