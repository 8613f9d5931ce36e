"""Knowledge base rules: writing and reviewing articles, versions that never change once
published, votes on whether an article helped, technicians' proposed updates, and the
suggestions for a job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, delete, select

from app.assets.models import Asset, ProductModel
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, FieldProblem, Forbidden, NotFound, collect
from app.core.models import utcnow
from app.core.repository import check_version, get_for_update
from app.knowledge_base import render, repository
from app.knowledge_base.models import (
    LANGUAGES,
    Article,
    ArticleContent,
    ArticleModel,
    ArticleProposal,
    ArticleStatus,
    ArticleVersion,
    ArticleVote,
    ProposalCreate,
    ProposalStatus,
)
from app.service_requests import repository as service_requests
from app.service_requests.models import ServiceRequest
from app.work_orders import repository as tasks

MOVES: dict[ArticleStatus, frozenset[ArticleStatus]] = {
    ArticleStatus.DRAFT: frozenset({ArticleStatus.REVIEW, ArticleStatus.ARCHIVED}),
    ArticleStatus.REVIEW: frozenset(
        {ArticleStatus.DRAFT, ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED}
    ),
    ArticleStatus.PUBLISHED: frozenset({ArticleStatus.ARCHIVED}),
    ArticleStatus.ARCHIVED: frozenset({ArticleStatus.DRAFT}),
}
"""Draft -> review -> published -> archived; a review can send it back to draft, and an
archived article can be taken up again as a draft."""

_configs: dict[str, bool] = {}


async def search_config(session: AsyncSession, language: str) -> str:
    """The server's text search configuration for a language, `simple` when it has none."""
    name = LANGUAGES.get(language, "simple")
    if name not in _configs:
        found = await session.scalar(
            sa.text("SELECT count(*) FROM pg_ts_config WHERE cfgname = :name").bindparams(name=name)
        )
        _configs[name] = bool(found)
    return name if _configs[name] else "simple"


# --- writing ------------------------------------------------------------------------------


async def _models(session: AsyncSession, ids: list[int]) -> list[int]:
    if not ids:
        return []
    known = set(
        (await session.scalars(select(ProductModel.id).where(col(ProductModel.id).in_(ids)))).all()
    )
    collect(
        [
            FieldProblem("no such product model", ErrorCode.NOT_FOUND, ["productModelIds", str(i)])
            for i, model_id in enumerate(ids)
            if model_id not in known
        ]
    )
    return ids


async def _apply(session: AsyncSession, article: Article, content: ArticleContent) -> None:
    body_html = render.to_html(content.body)
    article.title = content.title
    article.body = content.body
    article.body_html = body_html
    article.body_text = render.to_text(body_html)
    article.language = content.language
    article.search_config = await search_config(session, content.language)
    article.audience = content.audience
    article.tags = list(content.tags)
    article.fault_codes = list(content.fault_codes)
    article.symptoms = list(content.symptoms)
    article.media = [m.model_dump(mode="json") for m in content.media]


async def _link_models(session: AsyncSession, article_id: int, model_ids: list[int]) -> None:
    await session.execute(delete(ArticleModel).where(col(ArticleModel.article_id) == article_id))
    session.add_all(ArticleModel(article_id=article_id, product_model_id=m) for m in model_ids)


def _snapshot(
    article: Article, model_ids: list[int], author: str, note: str | None
) -> ArticleVersion:
    assert article.id is not None
    return ArticleVersion(
        article_id=article.id,
        number=article.revision,
        title=article.title,
        body=article.body,
        body_html=article.body_html,
        language=article.language,
        audience=article.audience,
        tags=list(article.tags),
        fault_codes=list(article.fault_codes),
        symptoms=list(article.symptoms),
        media=list(article.media),
        product_model_ids=list(model_ids),
        author=author,
        change_note=note,
    )


async def create_article(
    session: AsyncSession, principal: Principal, content: ArticleContent
) -> Article:
    """A new draft, version 1, by the caller."""
    model_ids = await _models(session, content.product_model_ids)
    article = Article(
        title="",
        body="",
        body_html="",
        body_text="",
        language="en",
        search_config="simple",
        audience=content.audience,
        author=principal.subject,
    )
    await _apply(session, article, content)
    session.add(article)
    await session.flush()
    assert article.id is not None
    await _link_models(session, article.id, model_ids)
    session.add(_snapshot(article, model_ids, principal.subject, None))
    await session.flush()
    return article


def content_of(article: Article, model_ids: list[int]) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "language": article.language,
        "audience": article.audience,
        "tags": article.tags,
        "fault_codes": article.fault_codes,
        "symptoms": article.symptoms,
        "media": article.media,
        "product_model_ids": model_ids,
    }


async def _locked(session: AsyncSession, article_id: int, expected: int | None) -> Article:
    article = await get_for_update(session, Article, article_id, what="article", field="articleId")
    check_version(article, expected)
    return article


async def _current_version(session: AsyncSession, article: Article) -> ArticleVersion:
    assert article.id is not None
    row = await repository.version(session, article.id, article.revision)
    assert row is not None
    return row


async def _write(
    session: AsyncSession,
    article: Article,
    content: ArticleContent,
    author: str,
    note: str | None,
    reviewer: str | None,
) -> Article:
    """Put `content` into the article: a version never reviewed (a draft) is rewritten in
    place; a version once published is kept and the content becomes the next version."""
    assert article.id is not None
    model_ids = await _models(session, content.product_model_ids)
    current = await _current_version(session, article)
    await _apply(session, article, content)
    await _link_models(session, article.id, model_ids)
    article.touch()
    if current.reviewer is None and reviewer is None:
        fresh = _snapshot(article, model_ids, current.author, note or current.change_note)
        for name in ("title", "body", "body_html", "language", "audience", "tags"):
            setattr(current, name, getattr(fresh, name))
        current.fault_codes, current.symptoms = fresh.fault_codes, fresh.symptoms
        current.media, current.product_model_ids = fresh.media, fresh.product_model_ids
        current.change_note = fresh.change_note
        current.updated_at = utcnow()
        if author != current.author:
            current.change_note = note or f"edited by {author}"
    else:
        article.revision += 1
        version = _snapshot(article, model_ids, author, note)
        if reviewer is not None:
            version.reviewer, version.reviewed_at = reviewer, utcnow()
        session.add(version)
    await session.flush()
    return article


async def update_article(
    session: AsyncSession,
    principal: Principal,
    article_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None,
    note: str | None = None,
) -> Article:
    """Change an article's content. A draft or one under review changes in place; a
    published article gets a new version, live at once, with the editor as its author and
    reviewer (staff publish their own edits; technicians propose theirs)."""
    article = await _locked(session, article_id, expected_version)
    if article.status is ArticleStatus.ARCHIVED:
        raise DomainError(
            "an archived article is read-only: take it up as a draft first",
            ErrorCode.INVALID_TRANSITION,
            ["articleId"],
        )
    model_ids = (await repository.model_ids_of(session, [article_id]))[0]
    content = ArticleContent.model_validate(content_of(article, model_ids) | dict(changes))
    live = article.status is ArticleStatus.PUBLISHED
    return await _write(
        session, article, content, principal.subject, note, principal.subject if live else None
    )


async def move(
    session: AsyncSession,
    principal: Principal,
    article_id: int,
    to: ArticleStatus,
    expected_version: int | None,
) -> Article:
    """Move an article along its lifecycle; publishing records the reviewer on the version
    it makes live."""
    article = await _locked(session, article_id, expected_version)
    if to not in MOVES[article.status]:
        raise DomainError(
            f"a {article.status.value.lower()} article cannot become {to.value.lower()}",
            ErrorCode.INVALID_TRANSITION,
            ["articleId"],
        )
    now = utcnow()
    if to is ArticleStatus.PUBLISHED:
        current = await _current_version(session, article)
        current.reviewer, current.reviewed_at = principal.subject, now
        article.published_at = article.published_at or now
    article.archived_at = now if to is ArticleStatus.ARCHIVED else None
    article.status = to
    article.touch()
    await session.flush()
    return article


# --- votes --------------------------------------------------------------------------------


async def _job(
    session: AsyncSession, principal: Principal, task_id: int | None, request_id: int | None
) -> None:
    if (task_id is None) == (request_id is None):
        raise DomainError(
            "give exactly one of taskId and serviceRequestId", ErrorCode.INVALID, ["taskId"]
        )
    if task_id is not None:
        if await tasks.get_readable(session, principal, task_id) is None:
            raise NotFound("task", ["taskId"])
    elif await service_requests.get_readable(session, principal, request_id or 0) is None:
        raise NotFound("service request", ["serviceRequestId"])


async def vote(
    session: AsyncSession,
    principal: Principal,
    article_id: int,
    *,
    task_id: int | None,
    service_request_id: int | None,
    helpful: bool,
) -> ArticleVote:
    """Say whether a published article helped on a task or a request the caller may read:
    one vote per caller, article and job; voting again changes it, the same vote again
    changes nothing."""
    article = await repository.get_readable(session, principal, article_id)
    if article is None:
        raise NotFound("article", ["articleId"])
    if article.status is not ArticleStatus.PUBLISHED:
        raise DomainError("only published articles take votes", ErrorCode.INVALID_TRANSITION)
    await _job(session, principal, task_id, service_request_id)
    table: Any = ArticleVote.__table__  # type: ignore[attr-defined]
    now = utcnow()
    statement = (
        insert(table)
        .values(
            article_id=article_id,
            voter=principal.subject,
            voter_role=principal.role.value,
            task_id=task_id,
            service_request_id=service_request_id,
            helpful=helpful,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[
                table.c.article_id,
                table.c.voter,
                sa.text("coalesce(task_id, 0)"),
                sa.text("coalesce(service_request_id, 0)"),
            ],
            set_={
                "helpful": helpful,
                "updated_at": sa.case((table.c.helpful == helpful, table.c.updated_at), else_=now),
            },
        )
        .returning(table.c.id)
    )
    vote_id = await session.scalar(statement)
    row = await session.get(ArticleVote, vote_id, populate_existing=True)
    assert row is not None
    return row


# --- proposals ----------------------------------------------------------------------------


async def propose(
    session: AsyncSession, principal: Principal, data: ProposalCreate
) -> ArticleProposal:
    """A proposed new title and body for a published article the caller reads."""
    article = await repository.get_readable(session, principal, data.article_id)
    if article is None:
        raise NotFound("article", ["articleId"])
    if article.status is not ArticleStatus.PUBLISHED:
        raise DomainError(
            "updates are proposed for published articles", ErrorCode.INVALID_TRANSITION
        )
    proposal = ArticleProposal(
        article_id=data.article_id,
        base_revision=article.revision,
        title=" ".join((data.title or article.title).split()),
        body=data.body,
        note=data.note,
        proposed_by=principal.subject,
        proposed_by_role=principal.role.value,
    )
    session.add(proposal)
    await session.flush()
    return proposal


async def _pending(
    session: AsyncSession, proposal_id: int, expected_version: int | None
) -> ArticleProposal:
    proposal = await get_for_update(
        session, ArticleProposal, proposal_id, what="proposal", field="proposalId"
    )
    check_version(proposal, expected_version)
    if proposal.status is not ProposalStatus.PENDING:
        raise DomainError(
            f"the proposal is already {proposal.status.value.lower()}",
            ErrorCode.INVALID_TRANSITION,
            ["proposalId"],
        )
    return proposal


async def accept(
    session: AsyncSession,
    principal: Principal,
    proposal_id: int,
    expected_version: int | None,
    note: str | None = None,
) -> tuple[ArticleProposal, Article]:
    """Take a proposal into a new version of its article, written by the proposer and
    reviewed by the caller. Refused when the article moved on since it was proposed."""
    proposal = await _pending(session, proposal_id, expected_version)
    article = await _locked(session, proposal.article_id, None)
    if article.status is not ArticleStatus.PUBLISHED:
        raise DomainError("the article is no longer published", ErrorCode.INVALID_TRANSITION)
    if article.revision != proposal.base_revision:
        raise DomainError(
            f"the article is at version {article.revision} since this was proposed against "
            f"version {proposal.base_revision}: reject it and propose again",
            ErrorCode.CONFLICT,
            ["proposalId"],
        )
    assert article.id is not None
    model_ids = (await repository.model_ids_of(session, [article.id]))[0]
    content = ArticleContent.model_validate(
        content_of(article, model_ids) | {"title": proposal.title, "body": proposal.body}
    )
    await _write(
        session,
        article,
        content,
        proposal.proposed_by,
        # a version's change note holds 500 characters; a proposal's note up to 1,000
        (note or proposal.note or "proposed update")[:500],
        principal.subject,
    )
    _decide(proposal, principal, ProposalStatus.ACCEPTED, note)
    proposal.resulting_revision = article.revision
    await session.flush()
    return proposal, article


async def reject(
    session: AsyncSession,
    principal: Principal,
    proposal_id: int,
    reason: str,
    expected_version: int | None,
) -> ArticleProposal:
    proposal = await _pending(session, proposal_id, expected_version)
    _decide(proposal, principal, ProposalStatus.REJECTED, reason)
    await session.flush()
    return proposal


def _decide(
    proposal: ArticleProposal, principal: Principal, status: ProposalStatus, note: str | None
) -> None:
    proposal.status = status
    proposal.decided_by = principal.subject
    proposal.decided_at = utcnow()
    proposal.decision_note = note
    proposal.touch()


# --- suggestions --------------------------------------------------------------------------


async def suggestions(
    session: AsyncSession,
    principal: Principal,
    *,
    task_id: int | None,
    service_request_id: int | None,
    limit: int,
) -> list[repository.Suggestion]:
    """Articles for the job of a task or a service request the caller may read."""
    if principal.role is Role.PARTNER:
        raise Forbidden("suggestions are for the job's technician, customer and staff")
    await _job(session, principal, task_id, service_request_id)
    texts: list[str] = []
    asset_id: int | None = None
    if task_id is not None:
        task = await tasks.get_readable(session, principal, task_id)
        assert task is not None
        texts.append(task.description or "")
        asset_id = task.asset_id
        service_request_id = task.service_request_id
    if service_request_id is not None:
        request = await session.get(ServiceRequest, service_request_id)
        if request is not None:
            texts.append(request.description)
            asset_id = asset_id or request.asset_id
    asset = await session.get(Asset, asset_id) if asset_id is not None else None
    text = " ".join(texts)
    context = repository.Context(
        product_model_id=asset.product_model_id if asset else None,
        text=text,
        fault_codes=repository.fault_codes_in(text),
    )
    return await repository.suggest(session, principal, context, limit)
