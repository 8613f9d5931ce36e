"""Knowledge base articles written and published through the API, as staff do."""

from __future__ import annotations

from typing import Any

from app.core.auth import Role
from tests.support import GraphQLClient

CREATE = """
mutation($input: CreateArticleInput!) { createArticle(input: $input) {
  article { id status version revision title bodyHtml audience language tags faultCodes
    symptoms media { url kind caption } productModels { id } }
  userErrors { field message code } } }
"""
UPDATE = """
mutation($input: UpdateArticleInput!) { updateArticle(input: $input) {
  article { id status version revision title bodyMarkdown bodyHtml tags }
  userErrors { field message code } } }
"""
MOVES = {
    "REVIEW": "submitArticleForReview",
    "PUBLISHED": "publishArticle",
    "DRAFT": "returnArticleToDraft",
    "ARCHIVED": "archiveArticle",
}


def move_document(to: str) -> str:
    return (
        f"mutation($input: ArticleStatusInput!) {{ {MOVES[to]}(input: $input) {{"
        " article { id title status version revision publishedAt }"
        " userErrors { field message code } } }"
    )


async def create(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = {"title": "Untitled article", "body": "Some text."} | fields
    payload = await gql.as_role(Role.ADMIN).mutate(CREATE, data)
    assert payload["userErrors"] == [], payload["userErrors"]
    article: dict[str, Any] = payload["article"]
    return article


async def move(gql: GraphQLClient, article: dict[str, Any], to: str) -> dict[str, Any]:
    payload = await gql.as_role(Role.MANAGER).mutate(
        move_document(to), {"articleId": article["id"], "expectedVersion": article["version"]}
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    moved: dict[str, Any] = payload["article"]
    return moved


async def published(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    article = await create(gql, **fields)
    article = await move(gql, article, "REVIEW")
    return await move(gql, article, "PUBLISHED")
