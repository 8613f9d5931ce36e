"""Knowledge base reads scoped to the caller: who sees which articles, ranked search with
highlights, and the suggestions for a task or a service request."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, false, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.auth import Principal, Role
from app.knowledge_base.models import (
    Article,
    ArticleModel,
    ArticleProposal,
    ArticleStatus,
    ArticleVersion,
    ArticleVote,
    Audience,
)

_OPEN, _CLOSE = "\u27e6", "\u27e7"
"""Highlight marks PostgreSQL puts around matches; swapped for <mark> after escaping."""
HEADLINE = f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxFragments=2, MaxWords=30, MinWords=10"
TITLE_HEADLINE = f"StartSel={_OPEN}, StopSel={_CLOSE}, HighlightAll=true"
WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
CODE = re.compile(r"\b(?:[A-Za-z]{0,3}-?\d{1,4}[A-Za-z]?|[A-Z]{2,4})\b")
MOST_WORDS = 16
TEXT_POOL = 300
SEARCH_POOL = 1000
BODY_POOL = 300
TYPO_POOL = 300
"""A search ranks at most SEARCH_POOL articles with the query's words in their title,
symptoms, fault codes or tags (on that small `keywords` vector), ahead of at most BODY_POOL
with them in the body only, and at most TYPO_POOL titles close to it by trigrams: it bounds
the work of a query whose words (or their near misses) are everywhere."""
"""At most this many articles enter a job's suggestions on its words alone (any word of the
description): the model's, the fault codes' and what helped before always do."""
TYPO_THRESHOLD = sa.text("SELECT set_config('pg_trgm.word_similarity_threshold', '0.45', true)")
"""How close a query must come to words of a title for `<%` (and its index) to take it, for
this transaction: 0.45 forgives a letter or two in a short word ("gyser" for "geyser")."""


def audiences(principal: Principal | None) -> list[Audience] | None:
    """The published audiences a caller reads; None: staff, who read every article."""
    if principal is None:
        return []
    if principal.is_staff:
        return None
    if principal.role is Role.TECHNICIAN:
        return [Audience.INTERNAL, Audience.CUSTOMER]
    if principal.role in (Role.CUSTOMER, Role.PARTNER):
        return [Audience.CUSTOMER]
    return []


def _visible(principal: Principal | None) -> Any:
    """The condition on kb_articles for what the caller may read."""
    allowed = audiences(principal)
    if allowed is None:
        return sa.true()
    if not allowed:
        return false()
    return sa.and_(
        col(Article.status) == ArticleStatus.PUBLISHED, col(Article.audience).in_(allowed)
    )


def readable(principal: Principal | None) -> SelectOfScalar[Article]:
    """Staff read every article, drafts and archived ones too; technicians published INTERNAL
    and CUSTOMER articles; customers and partners published CUSTOMER articles only."""
    return select(Article).where(_visible(principal))


def listed(
    principal: Principal | None,
    *,
    statuses: Sequence[ArticleStatus] | None = None,
    audience: Audience | None = None,
    product_model_id: int | None = None,
    tag: str | None = None,
    language: str | None = None,
) -> SelectOfScalar[Article]:
    statement = readable(principal)
    if statuses:
        statement = statement.where(col(Article.status).in_(statuses))
    if audience is not None:
        statement = statement.where(col(Article.audience) == audience)
    if product_model_id is not None:
        statement = statement.where(_about_model(product_model_id))
    if tag:
        statement = statement.where(col(Article.tags).contains([tag.strip().lower()]))
    if language:
        statement = statement.where(col(Article.language) == language)
    return statement


def _about_model(product_model_id: int) -> Any:
    return sa.exists().where(
        col(ArticleModel.article_id) == col(Article.id),
        col(ArticleModel.product_model_id) == product_model_id,
    )


async def get_readable(
    session: AsyncSession, principal: Principal | None, article_id: int
) -> Article | None:
    return await session.scalar(readable(principal).where(col(Article.id) == article_id))


async def model_ids_of(session: AsyncSession, article_ids: list[int]) -> list[list[int]]:
    rows = await session.execute(
        select(ArticleModel.article_id, ArticleModel.product_model_id)
        .where(col(ArticleModel.article_id).in_(article_ids))
        .order_by(col(ArticleModel.product_model_id))
    )
    found: dict[int, list[int]] = {i: [] for i in article_ids}
    for article_id, model_id in rows.all():
        found[article_id].append(model_id)
    return [found[i] for i in article_ids]


async def versions_of(session: AsyncSession, article_id: int) -> list[ArticleVersion]:
    rows = await session.scalars(
        select(ArticleVersion)
        .where(col(ArticleVersion.article_id) == article_id)
        .order_by(col(ArticleVersion.number).desc())
    )
    return list(rows.all())


async def version(session: AsyncSession, article_id: int, number: int) -> ArticleVersion | None:
    return await session.scalar(
        select(ArticleVersion).where(
            col(ArticleVersion.article_id) == article_id, col(ArticleVersion.number) == number
        )
    )


async def vote_counts(session: AsyncSession, article_ids: list[int]) -> list[tuple[int, int]]:
    """(helped, did not help) per article."""
    rows = await session.execute(
        sa.select(
            col(ArticleVote.article_id),
            sa.func.count().filter(col(ArticleVote.helpful)),
            sa.func.count().filter(sa.not_(col(ArticleVote.helpful))),
        )
        .where(col(ArticleVote.article_id).in_(article_ids))
        .group_by(col(ArticleVote.article_id))
    )
    found = {a: (int(y), int(n)) for a, y, n in rows.all()}
    return [found.get(i, (0, 0)) for i in article_ids]


def proposals(
    principal: Principal | None, article_id: int | None, statuses: Sequence[Any] | None
) -> SelectOfScalar[ArticleProposal]:
    """Staff read every proposal; a technician their own."""
    statement = select(ArticleProposal)
    if principal is None:
        return statement.where(false())
    if not principal.is_staff:
        statement = statement.where(col(ArticleProposal.proposed_by) == principal.subject)
    if article_id is not None:
        statement = statement.where(col(ArticleProposal.article_id) == article_id)
    if statuses:
        statement = statement.where(col(ArticleProposal.status).in_(statuses))
    return statement


async def get_proposal(
    session: AsyncSession, principal: Principal | None, proposal_id: int
) -> ArticleProposal | None:
    statement = proposals(principal, None, None).where(col(ArticleProposal.id) == proposal_id)
    return await session.scalar(statement)


# --- search -------------------------------------------------------------------------------


@dataclass(slots=True)
class Hit:
    article: Article
    rank: float
    title_highlight: str
    highlight: str


def _marked(text: str) -> str:
    """A headline escaped for HTML, its matches in <mark>."""
    return html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


async def search(
    session: AsyncSession,
    principal: Principal | None,
    query: str,
    *,
    limit: int,
    offset: int = 0,
    language: str | None = None,
    config: str = "english",
    audience: Audience | None = None,
    product_model_id: int | None = None,
    statuses: Sequence[ArticleStatus] | None = None,
) -> list[Hit]:
    """Articles matching `query`, best first: full text in the language's configuration (and
    `simple`, for words no stemmer knows) weighted title > symptoms, codes, tags > body, with
    the title's trigram word similarity added to the rank. When the words find less than a
    page, titles close to the query by trigram word similarity follow, which forgives typos
    ("compresor"). Highlights come from the article's text, HTML-escaped, matches in <mark>."""
    q: Any = sa.bindparam("q", query)
    stemmed = sa.func.websearch_to_tsquery(sa.literal_column(f"'{config}'::regconfig"), q)
    plain = sa.func.websearch_to_tsquery(sa.literal_column("'simple'::regconfig"), q)
    tsquery = stemmed.op("||")(plain)
    search_col = col(Article.search)
    similarity = sa.func.word_similarity(q, col(Article.title))
    words = sa.or_(search_col.op("@@")(stemmed), search_col.op("@@")(plain))
    keywords_col = col(Article.keywords)
    keywords = sa.or_(keywords_col.op("@@")(stemmed), keywords_col.op("@@")(plain))
    scoped = listed(
        principal,
        statuses=statuses,
        audience=audience,
        product_model_id=product_model_id,
        language=language,
    )
    in_keywords = (
        scoped.where(keywords)
        .with_only_columns(col(Article.id).label("id"))
        .limit(SEARCH_POOL)
        .subquery("in_keywords")
    )
    in_body = (
        scoped.where(words, sa.not_(keywords))
        .with_only_columns(col(Article.id).label("id"))
        .limit(BODY_POOL)
        .subquery("in_body")
    )
    pool = sa.union(sa.select(in_keywords.c.id), sa.select(in_body.c.id)).subquery("pool")
    weights: Any = sa.literal_column("'{0.1, 0.2, 0.5, 1.0}'::float4[]")
    rank = (
        sa.case(
            (keywords, 1.0 + sa.func.ts_rank(weights, keywords_col, tsquery)),
            else_=sa.func.ts_rank(weights, search_col, tsquery),
        )
        + similarity * 0.6
    )
    pooled = select(Article).join(pool, pool.c.id == col(Article.id))
    found = await _page(session, pooled, rank, tsquery, limit, offset)
    if len(found) < limit:
        counted = await session.scalar(pooled.with_only_columns(sa.func.count()).order_by(None))
        await session.execute(TYPO_THRESHOLD)
        near = (
            scoped.where(q.op("<%")(col(Article.title)), sa.not_(words))
            .with_only_columns(col(Article.id).label("id"))
            .limit(TYPO_POOL)
            .subquery("near")
        )
        found += await _page(
            session,
            select(Article).join(near, near.c.id == col(Article.id)),
            similarity * 0.6,
            tsquery,
            limit - len(found),
            max(0, offset - (counted or 0)),
        )
    return found


async def _page(
    session: AsyncSession,
    statement: SelectOfScalar[Article],
    rank: Any,
    tsquery: Any,
    limit: int,
    offset: int,
) -> list[Hit]:
    """One page of `statement` by `rank`, highlighted (only the page's rows)."""
    ranked = (
        statement.with_only_columns(col(Article.id), rank.label("rank"))
        .order_by(sa.desc("rank"), col(Article.id).desc())
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    config: Any = sa.literal_column("kb_articles.search_config::regconfig")
    page = (
        sa.select(
            Article,
            ranked.c.rank,
            sa.func.ts_headline(config, col(Article.title), tsquery, TITLE_HEADLINE),
            sa.func.ts_headline(config, col(Article.body_text), tsquery, HEADLINE),
        )
        .join(ranked, ranked.c.id == col(Article.id))
        .order_by(ranked.c.rank.desc(), col(Article.id).desc())
    )
    rows = (await session.execute(page)).all()
    return [Hit(row[0], float(row[1]), _marked(row[2]), _marked(row[3])) for row in rows]


# --- suggestions --------------------------------------------------------------------------


@dataclass(slots=True)
class Context:
    """What a job tells about its problem."""

    product_model_id: int | None
    text: str
    fault_codes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Suggestion:
    article: Article
    score: float
    reasons: list[str]


def fault_codes_in(text: str) -> list[str]:
    """Words that look like fault codes (E5, F21, E-05, OE, IE): candidates to match against
    articles' codes."""
    return list(dict.fromkeys(m.upper() for m in CODE.findall(text)))[:MOST_WORDS]


def _or_query(text: str) -> str:
    words = list(dict.fromkeys(w.lower() for w in WORD.findall(text)))[:MOST_WORDS]
    return " | ".join(words)


async def suggest(
    session: AsyncSession, principal: Principal | None, context: Context, limit: int
) -> list[Suggestion]:
    """Published articles the caller may read, ranked for a job: about the asset's product
    model (3), sharing a fault code the job mentions (3), matching its symptoms (up to 2, by
    full-text rank), and what helped on completed tasks of the same model (up to 2, helped
    minus did not help)."""
    codes = sa.bindparam("codes", context.fault_codes, type_=sa.ARRAY(sa.Text))
    model = sa.bindparam("model", context.product_model_id, type_=sa.BigInteger)
    words = _or_query(context.text)
    tsquery = (
        sa.func.to_tsquery(sa.literal_column("'english'::regconfig"), sa.bindparam("w", words)).op(
            "||"
        )(sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), sa.bindparam("w", words)))
        if words
        else None
    )
    tasks = sa.table("tasks", sa.column("id"), sa.column("asset_id"), sa.column("status"))
    assets = sa.table("assets", sa.column("id"), sa.column("product_model_id"))
    history = (
        sa.select(
            col(ArticleVote.article_id).label("article_id"),
            sa.func.sum(sa.case((col(ArticleVote.helpful), 1), else_=-1)).label("net"),
        )
        .join(tasks, tasks.c.id == col(ArticleVote.task_id))
        .join(assets, assets.c.id == tasks.c.asset_id)
        .where(tasks.c.status == "COMPLETED", assets.c.product_model_id == model)
        .group_by(col(ArticleVote.article_id))
        .cte("history")
    )
    about_model: Any = sa.select(col(ArticleModel.article_id).label("id")).where(
        col(ArticleModel.product_model_id) == model
    )
    candidates: list[Any] = [
        about_model,
        sa.select(col(Article.id).label("id")).where(
            col(Article.fault_codes).op("&&", return_type=sa.Boolean)(codes)
        ),
        sa.select(history.c.article_id.label("id")).where(history.c.net > 0),
    ]
    if tsquery is not None:
        text_matches = (
            sa.select(col(Article.id).label("id"))
            .where(
                col(Article.search).op("@@")(tsquery),
                _visible(principal),
                col(Article.status) == ArticleStatus.PUBLISHED,
            )
            .limit(TEXT_POOL)
            .subquery("text_matches")
        )
        candidates.append(sa.select(text_matches.c.id))
    pool = sa.union(*candidates).subquery("pool")
    on_model = col(Article.id).in_(about_model)
    on_code = col(Article.fault_codes).op("&&", return_type=sa.Boolean)(codes)
    text_rank = sa.func.ts_rank(col(Article.search), tsquery) if tsquery is not None else 0.0
    helped = sa.func.coalesce(history.c.net, 0)
    scored = (
        sa.select(
            col(Article.id).label("id"),
            on_model.label("on_model"),
            on_code.label("on_code"),
            sa.func.coalesce(text_rank, 0.0).label("text_rank"),
            helped.label("helped"),
        )
        .join(pool, pool.c.id == col(Article.id))
        .outerjoin(history, history.c.article_id == col(Article.id))
        .where(_visible(principal), col(Article.status) == ArticleStatus.PUBLISHED)
        .subquery("scored")
    )
    score = (
        sa.case((scored.c.on_model, 3.0), else_=0.0)
        + sa.case((scored.c.on_code, 3.0), else_=0.0)
        + 10 * scored.c.text_rank
        + sa.func.least(sa.func.greatest(scored.c.helped, -2), 4) * 0.5
    )
    best = (
        sa.select(scored, score.label("score"))
        .order_by(sa.desc("score"), scored.c.id.desc())
        .limit(limit)
        .subquery("best")
    )
    statement = (
        sa.select(
            Article, best.c.score, best.c.on_model, best.c.on_code, best.c.text_rank, best.c.helped
        )
        .join(best, best.c.id == col(Article.id))
        .order_by(best.c.score.desc(), col(Article.id).desc())
    )
    rows = (await session.execute(statement)).all()
    found: list[Suggestion] = []
    for article, total, by_model, by_code, by_text, net in rows:
        reasons = [
            name
            for name, yes in (
                ("PRODUCT_MODEL", by_model),
                ("FAULT_CODE", by_code),
                ("SYMPTOMS", (by_text or 0) > 0),
                ("HELPED_BEFORE", net > 0),
            )
            if yes
        ]
        found.append(Suggestion(article, round(float(total), 4), reasons))
    return found
