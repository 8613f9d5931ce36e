"""Knowledge base queries and mutations: articles, search, suggestions for a job, votes and
proposed updates."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.core.auth import Role
from app.core.errors import DomainError, ErrorCode
from app.knowledge_base import repository, service
from app.knowledge_base.models import (
    Article,
    ArticleContent,
    ArticleProposal,
    ArticleStatus,
    ProposalCreate,
)
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.knowledge_base import (
    AcceptArticleProposalInput,
    ArticleAudience,
    ArticleConnection,
    ArticlePayload,
    ArticleProposalPayload,
    ArticleStatusInput,
    ArticleType,
    CreateArticleInput,
    MediumInput,
    ProposalConnection,
    ProposalStatus,
    ProposalType,
    ProposeArticleUpdateInput,
    RejectArticleProposalInput,
    SearchHitType,
    SuggestedArticleType,
    UpdateArticleInput,
    VoteOnArticleInput,
    VoteOnArticlePayload,
)
from schema.knowledge_base import ArticleStatus as ArticleStatusEnum
from schema.node import register_node
from schema.pagination import paginate
from schema.permissions import allow, authenticated, staff

register_node(ArticleType, repository.get_readable, ArticleType.from_model)
register_node(ProposalType, repository.get_proposal, ProposalType.from_model)

WORKERS = (Role.TECHNICIAN, Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.AGENT)
VOTERS = (Role.TECHNICIAN, Role.CUSTOMER)
SUGGESTED_TO = (*WORKERS, Role.CUSTOMER)
MOST_HITS = 50
LONGEST_QUERY = 200


def _payload(row: Article) -> ArticlePayload:
    return ArticlePayload(article=ArticleType.from_model(row))


def _media(items: list[MediumInput]) -> list[dict[str, Any]]:
    return [{"url": m.url, "kind": m.kind, "caption": m.caption} for m in items]


def _models(ids: list[strawberry.ID]) -> list[int]:
    return decode_ids([str(i) for i in ids], "ProductModel", "productModelIds")


def _bounded(first: int, most: int) -> int:
    if not 1 <= first <= most:
        raise DomainError(f"first must be 1 to {most}", ErrorCode.INVALID, ["first"])
    return first


@strawberry.type
class KnowledgeBaseQuery:
    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "Knowledge base articles, newest first: staff see all (drafts too), technicians "
            "published INTERNAL and CUSTOMER articles, customers and partners published "
            "CUSTOMER articles."
        ),
    )
    async def knowledge_articles(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[ArticleStatusEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these statuses; null or empty: all."),
        ] = None,
        audience: Annotated[
            ArticleAudience | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this audience."),
        ] = None,
        product_model_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only articles about this product model."),
        ] = None,
        tag: Annotated[str | None, strawberry.argument(description="Only with this tag.")] = None,
    ) -> ArticleConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                statuses=status,
                audience=audience,
                product_model_id=decode_optional_id(
                    product_model_id, "ProductModel", "productModelId"
                ),
                tag=tag,
            ),
            Article.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ArticleType.from_model,
            newest_first=True,
        )

    @strawberry.field(
        extensions=[authenticated()],
        description="One article as the caller may read it; null when absent or hidden.",
    )
    async def knowledge_article(self, info: Info, id: strawberry.ID) -> ArticleType | None:
        row = await repository.get_readable(
            info.context.session, info.context.principal, decode_id(id, "KnowledgeArticle")
        )
        return ArticleType.from_model(row) if row else None

    @strawberry.field(
        extensions=[authenticated()],
        description=(
            "Search the articles the caller may read, best first: full text (title over "
            "symptoms, fault codes and tags over body, stemmed in the language), forgiving "
            "typos in titles, with highlighted passages."
        ),
    )
    async def search_knowledge_articles(
        self,
        info: Info,
        query: Annotated[
            str, strawberry.argument(description="Words as a person types them, 1 to 200.")
        ],
        first: Annotated[
            int, strawberry.argument(description="How many hits, 1 to 50 (default 10).")
        ] = 10,
        offset: Annotated[
            int, strawberry.argument(description="Hits to skip (next page), 0 to 500.")
        ] = 0,
        language: Annotated[
            str | None,
            strawberry.argument(description="Only articles in this language; stems for it."),
        ] = None,
        audience: Annotated[
            ArticleAudience | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this audience."),
        ] = None,
        product_model_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only articles about this product model."),
        ] = None,
        status: Annotated[
            list[ArticleStatusEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these statuses (staff); null: all readable."),
        ] = None,
    ) -> list[SearchHitType]:
        text = " ".join(query.split())
        if not 1 <= len(text) <= LONGEST_QUERY:
            raise DomainError("query must have 1 to 200 characters", ErrorCode.INVALID, ["query"])
        if not 0 <= offset <= 500:
            raise DomainError("offset must be 0 to 500", ErrorCode.INVALID, ["offset"])
        session = info.context.session
        lang = language.strip().lower() if language else None
        hits = await repository.search(
            session,
            info.context.principal,
            text,
            limit=_bounded(first, MOST_HITS),
            offset=offset,
            language=lang,
            config=await service.search_config(session, lang or "en"),
            audience=audience,
            product_model_id=decode_optional_id(product_model_id, "ProductModel", "productModelId"),
            statuses=status,
        )
        return [SearchHitType.from_value(h) for h in hits]

    @strawberry.field(
        extensions=[allow(*SUGGESTED_TO)],
        description=(
            "Articles for the job of a task or a service request the caller may read, best "
            "first: about the asset's product model, covering a fault code or the symptoms "
            "it describes, and what helped on completed tasks of the same model."
        ),
    )
    async def suggested_articles(
        self,
        info: Info,
        task_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The task; or else request.")
        ] = None,
        service_request_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The service request; or else taskId."),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="How many, 1 to 20 (default 5).")
        ] = 5,
    ) -> list[SuggestedArticleType]:
        found = await service.suggestions(
            info.context.session,
            info.context.require_principal(),
            task_id=decode_optional_id(task_id, "Task", "taskId"),
            service_request_id=decode_optional_id(
                service_request_id, "ServiceRequest", "serviceRequestId"
            ),
            limit=_bounded(first, 20),
        )
        return [SuggestedArticleType.from_value(s) for s in found]

    @strawberry.field(
        extensions=[allow(*WORKERS)],
        description="Proposed article updates, newest first: staff see all, technicians theirs.",
    )
    async def article_proposals(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        article_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only for this article.")
        ] = None,
        status: Annotated[
            list[ProposalStatus] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only these statuses; null or empty: all."),
        ] = None,
    ) -> ProposalConnection:
        return await paginate(
            info.context.session,
            repository.proposals(
                info.context.principal,
                decode_optional_id(article_id, "KnowledgeArticle", "articleId"),
                status,
            ),
            ArticleProposal.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=ProposalType.from_model,
            newest_first=True,
        )


async def _move(info: Info, input: ArticleStatusInput, to: ArticleStatus) -> ArticlePayload:
    async def action() -> ArticlePayload:
        row = await service.move(
            info.context.session,
            info.context.require_principal(),
            decode_id(input.article_id, "KnowledgeArticle", "articleId"),
            to,
            input.expected_version,
        )
        return _payload(row)

    return await execute(info, ArticlePayload, action)


def _changes(input: UpdateArticleInput) -> dict[str, Any]:
    changes: dict[str, Any] = {
        name: getattr(input, name)
        for name in ("title", "body", "language", "audience", "tags", "fault_codes", "symptoms")
        if getattr(input, name) is not None
    }
    if input.media is not None:
        changes["media"] = _media(input.media)
    if input.product_model_ids is not None:
        changes["product_model_ids"] = _models(input.product_model_ids)
    return changes


@strawberry.type
class KnowledgeBaseMutation:
    @strawberry.mutation(
        extensions=[staff()],
        description="Staff: write a new article (a draft, version 1); the body is Markdown.",
    )
    async def create_article(self, info: Info, input: CreateArticleInput) -> ArticlePayload:
        async def action() -> ArticlePayload:
            content = ArticleContent.model_validate(
                {
                    "title": input.title,
                    "body": input.body,
                    "language": input.language,
                    "audience": input.audience,
                    "tags": input.tags,
                    "fault_codes": input.fault_codes,
                    "symptoms": input.symptoms,
                    "media": _media(input.media),
                    "product_model_ids": _models(input.product_model_ids),
                }
            )
            row = await service.create_article(
                info.context.session, info.context.require_principal(), content
            )
            return _payload(row)

        return await execute(info, ArticlePayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[staff()],
        description=(
            "Staff: change an article. A draft changes in place; a published article gets a "
            "new version (earlier ones stay readable). Refuses a stale expectedVersion."
        ),
    )
    async def update_article(self, info: Info, input: UpdateArticleInput) -> ArticlePayload:
        async def action() -> ArticlePayload:
            if input.change_note is not None and len(input.change_note) > 500:
                raise DomainError("at most 500 characters", ErrorCode.INVALID, ["changeNote"])
            row = await service.update_article(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.article_id, "KnowledgeArticle", "articleId"),
                _changes(input),
                input.expected_version,
                input.change_note,
            )
            return _payload(row)

        return await execute(info, ArticlePayload, action)

    @strawberry.mutation(extensions=[staff()], description="Staff: send a draft for review.")
    async def submit_article_for_review(
        self, info: Info, input: ArticleStatusInput
    ) -> ArticlePayload:
        return await _move(info, input, ArticleStatus.REVIEW)

    @strawberry.mutation(
        extensions=[staff()],
        description="Staff: publish an article under review; the caller is its reviewer.",
    )
    async def publish_article(self, info: Info, input: ArticleStatusInput) -> ArticlePayload:
        return await _move(info, input, ArticleStatus.PUBLISHED)

    @strawberry.mutation(
        extensions=[staff()],
        description="Staff: send an article in review back to draft, or take up an archived one.",
    )
    async def return_article_to_draft(
        self, info: Info, input: ArticleStatusInput
    ) -> ArticlePayload:
        return await _move(info, input, ArticleStatus.DRAFT)

    @strawberry.mutation(
        extensions=[staff()], description="Staff: archive an article; its versions are kept."
    )
    async def archive_article(self, info: Info, input: ArticleStatusInput) -> ArticlePayload:
        return await _move(info, input, ArticleStatus.ARCHIVED)

    @strawberry.mutation(
        extensions=[allow(*VOTERS)],
        description=(
            "Technicians and customers: say whether a published article helped on a task or "
            "a service request they can read. One vote per person, article and job: voting "
            "again changes it, the same vote again changes nothing."
        ),
    )
    async def vote_on_article(self, info: Info, input: VoteOnArticleInput) -> VoteOnArticlePayload:
        async def action() -> VoteOnArticlePayload:
            session = info.context.session
            principal = info.context.require_principal()
            article_id = decode_id(input.article_id, "KnowledgeArticle", "articleId")
            vote = await service.vote(
                session,
                principal,
                article_id,
                task_id=decode_optional_id(input.task_id, "Task", "taskId"),
                service_request_id=decode_optional_id(
                    input.service_request_id, "ServiceRequest", "serviceRequestId"
                ),
                helpful=input.helpful,
            )
            row = await repository.get_readable(session, principal, article_id)
            assert row is not None
            return VoteOnArticlePayload(article=ArticleType.from_model(row), helpful=vote.helpful)

        return await execute(info, VoteOnArticlePayload, action)

    @strawberry.mutation(
        extensions=[allow(*WORKERS)],
        description="Propose a new title and body for a published article, for staff to review.",
    )
    async def propose_article_update(
        self, info: Info, input: ProposeArticleUpdateInput
    ) -> ArticleProposalPayload:
        async def action() -> ArticleProposalPayload:
            data = ProposalCreate(
                article_id=decode_id(input.article_id, "KnowledgeArticle", "articleId"),
                title=input.title,
                body=input.body,
                note=input.note,
            )
            row = await service.propose(
                info.context.session, info.context.require_principal(), data
            )
            return ArticleProposalPayload(proposal=ProposalType.from_model(row))

        return await execute(
            info, ArticleProposalPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[staff()],
        description=(
            "Staff: accept a proposal into a new version of its article, written by the "
            "proposer and reviewed by the caller."
        ),
    )
    async def accept_article_proposal(
        self, info: Info, input: AcceptArticleProposalInput
    ) -> ArticleProposalPayload:
        async def action() -> ArticleProposalPayload:
            if input.note is not None and len(input.note) > 500:
                raise DomainError("at most 500 characters", ErrorCode.INVALID, ["note"])
            proposal, article = await service.accept(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.proposal_id, "KnowledgeArticleProposal", "proposalId"),
                input.expected_version,
                input.note,
            )
            return ArticleProposalPayload(
                proposal=ProposalType.from_model(proposal),
                article=ArticleType.from_model(article),
            )

        return await execute(info, ArticleProposalPayload, action)

    @strawberry.mutation(
        extensions=[staff()], description="Staff: reject a proposal with a reason."
    )
    async def reject_article_proposal(
        self, info: Info, input: RejectArticleProposalInput
    ) -> ArticleProposalPayload:
        async def action() -> ArticleProposalPayload:
            reason = input.reason.strip()
            if not 1 <= len(reason) <= 1000:
                raise DomainError("give a reason of 1 to 1,000 characters", field=["reason"])
            row = await service.reject(
                info.context.session,
                info.context.require_principal(),
                decode_id(input.proposal_id, "KnowledgeArticleProposal", "proposalId"),
                reason,
                input.expected_version,
            )
            return ArticleProposalPayload(proposal=ProposalType.from_model(row))

        return await execute(info, ArticleProposalPayload, action)
