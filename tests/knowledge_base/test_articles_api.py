"""Articles through GraphQL: the lifecycle with versions and who changed what, stale
versions refused, hostile Markdown made harmless, input bounds, and who reads what."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from app.core.auth import Role
from tests.knowledge_base.factories import UPDATE, create, move, move_document, published
from tests.support import GraphQLClient, error_codes

VERSIONS = """
query($id: ID!) { knowledgeArticle(id: $id) { id status revision author
  versions { number title author reviewer reviewedAt changeNote }
  first: versionAt(number: 1) { title bodyMarkdown } } }
"""
LIST = "{ knowledgeArticles(first: 50) { totalCount edges { node { id title status } } } }"
ONE = "query($id: ID!) { knowledgeArticle(id: $id) { id title } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on KnowledgeArticle { title } } }"


async def test_an_article_goes_from_draft_through_review_to_published_with_versions(
    gql: GraphQLClient,
) -> None:
    # given a draft written by an admin
    draft = await create(gql, title="Split AC not cooling", body="Check the *filter* first.")
    assert (draft["status"], draft["revision"]) == ("DRAFT", 1)
    assert draft["bodyHtml"] == "<p>Check the <em>filter</em> first.</p>\n"
    # a draft edit changes version 1 in place
    edited = await gql.mutate(
        UPDATE,
        {
            "articleId": draft["id"],
            "expectedVersion": draft["version"],
            "body": "Clean the filter.",
        },
    )
    assert edited["userErrors"] == []
    assert edited["article"]["revision"] == 1
    # when it is reviewed and published by a manager
    review = await move(gql, edited["article"], "REVIEW")
    live = await move(gql, review, "PUBLISHED")
    assert live["status"] == "PUBLISHED" and live["publishedAt"]
    # then editing the published article makes version 2; version 1 stays readable
    second = await gql.mutate(
        UPDATE,
        {
            "articleId": live["id"],
            "expectedVersion": live["version"],
            "title": "Split AC not cooling: filter and gas",
            "changeNote": "gas check added",
        },
    )
    assert second["userErrors"] == []
    assert (second["article"]["revision"], second["article"]["status"]) == (2, "PUBLISHED")
    data = await gql(VERSIONS, {"id": live["id"]})
    article = data["knowledgeArticle"]
    assert article["revision"] == 2
    assert [
        (v["number"], v["title"], v["author"], v["reviewer"], v["changeNote"])
        for v in article["versions"]
    ] == [
        (2, "Split AC not cooling: filter and gas", "test:admin", "test:admin", "gas check added"),
        (1, "Split AC not cooling", "test:admin", "test:manager", None),
    ]
    assert article["first"] == {
        "title": "Split AC not cooling",
        "bodyMarkdown": "Clean the filter.",
    }
    # and an archived article is read-only until taken up again
    archived = await move(gql, second["article"], "ARCHIVED")
    refused = await gql.mutate(UPDATE, {"articleId": archived["id"], "title": "Another title"})
    assert error_codes(refused) == ["INVALID_TRANSITION"]


async def test_illegal_moves_and_stale_versions_are_refused(gql: GraphQLClient) -> None:
    draft = await create(gql)
    skip = await gql.mutate(
        move_document("PUBLISHED"), {"articleId": draft["id"], "expectedVersion": draft["version"]}
    )
    assert error_codes(skip) == ["INVALID_TRANSITION"]
    first = await gql.mutate(
        UPDATE, {"articleId": draft["id"], "expectedVersion": draft["version"], "title": "One"}
    )
    assert first["userErrors"] == []
    stale = await gql.mutate(
        UPDATE, {"articleId": draft["id"], "expectedVersion": draft["version"], "title": "Two"}
    )
    assert error_codes(stale) == ["STALE_VERSION"]
    assert stale["userErrors"][0]["field"] == ["expectedVersion"]
    data = await gql(ONE, {"id": draft["id"]})
    assert data["knowledgeArticle"]["title"] == "One"


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        '<a href="https://x.example" onclick="steal()">x</a>',
        '<img src="x" onerror="alert(1)">',
        "![pixel](data:image/png;base64,iVBORw0KGgo=)",
        "[pixel](data:text/html;base64,PHNjcmlwdD4=)",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
        "![same-site call](/api/logout)",
        "[elsewhere](//evil.example/x)",
        "![tracker](http://tracker.example/pixel.png)",
    ],
)
async def test_hostile_markdown_is_rendered_harmless(gql: GraphQLClient, markdown: str) -> None:
    article = await create(gql, body=f"Before\n\n{markdown}\n\nAfter [ok](https://ok.example)")
    found = elements(article["bodyHtml"])
    assert {tag for tag, _ in found} <= {"p", "a", "img", "em", "strong"}
    for tag, attrs in found:
        assert not any(name.startswith("on") for name in attrs)
        if tag == "img":
            assert attrs.get("src", "https://").startswith("https://")
        for name in ("href", "src"):
            assert attrs.get(name, "https:").split(":")[0].lower() in {"https", "http", "mailto"}
    assert ("a", {"href": "https://ok.example", "rel": "noopener noreferrer nofollow"}) in found


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "ab"}, ["title"]),
        ({"title": "x" * 201}, ["title"]),
        ({"body": ""}, ["body"]),
        ({"body": "x" * 50_001}, ["body"]),
        ({"tags": [f"t{i}" for i in range(21)]}, ["tags"]),
        ({"tags": ["x" * 41]}, ["tags", "0"]),
        ({"faultCodes": ["E 5"]}, ["faultCodes", "0"]),
        ({"symptoms": ["s"] * 21}, ["symptoms"]),
        ({"media": [{"url": "http://plain.example/a.png"}]}, ["media", "0", "url"]),
        ({"media": [{"url": "javascript:alert(1)"}]}, ["media", "0", "url"]),
        ({"language": "english"}, ["language"]),
    ],
)
async def test_out_of_bounds_input_is_invalid_and_saves_nothing(
    gql: GraphQLClient, changes: dict[str, Any], field: list[str]
) -> None:
    data = {"title": "Fridge hums", "body": "Text"} | changes
    payload = await gql.mutate(
        "mutation($input: CreateArticleInput!) { createArticle(input: $input) {"
        " article { id } userErrors { field code } } }",
        data,
    )
    assert payload["article"] is None
    assert {"field": field, "code": "INVALID"} in payload["userErrors"]
    assert (await gql(LIST))["knowledgeArticles"]["totalCount"] == 0


async def test_media_links_and_lists_are_kept_normalised(gql: GraphQLClient) -> None:
    article = await create(
        gql,
        tags=["Cooling", "cooling", " gas "],
        faultCodes=["e5", "E5"],
        media=[{"url": "https://cdn.example/ac.jpg", "kind": "IMAGE", "caption": "Filter"}],
        language="de",
    )
    assert article["tags"] == ["cooling", "gas"]
    assert article["faultCodes"] == ["E5"]
    assert article["media"] == [
        {"url": "https://cdn.example/ac.jpg", "kind": "IMAGE", "caption": "Filter"}
    ]
    assert article["language"] == "de"


async def test_each_role_reads_only_its_articles(gql: GraphQLClient) -> None:
    # given a draft, a published internal and a published customer article
    draft = await create(gql, title="Draft notes", audience="CUSTOMER")
    internal = await published(gql, title="Internal wiring guide", audience="INTERNAL")
    public = await published(gql, title="Resetting your AC", audience="CUSTOMER")
    expected = {
        Role.ADMIN: {draft["id"], internal["id"], public["id"]},
        Role.AGENT: {draft["id"], internal["id"], public["id"]},
        Role.TECHNICIAN: {internal["id"], public["id"]},
        Role.CUSTOMER: {public["id"]},
        Role.PARTNER: {public["id"]},
    }
    for role, ids in expected.items():
        caller = gql.as_role(role, customer_id=1, technician_id=1, partner_id=1)
        listed = (await caller(LIST))["knowledgeArticles"]["edges"]
        assert {e["node"]["id"] for e in listed} == ids, role
        for article in (draft, internal, public):
            one = (await caller(ONE, {"id": article["id"]}))["knowledgeArticle"]
            node = (await caller(NODE, {"id": article["id"]}))["node"]
            assert (one is not None) == (article["id"] in ids), (role, article["title"])
            assert (node is not None) == (article["id"] in ids), (role, article["title"])
    anonymous = await gql.as_role(None).raw(LIST)
    assert anonymous["data"] is None or anonymous.get("errors")
    # customers do not read who wrote it nor its versions
    hidden = await gql.as_role(Role.CUSTOMER, customer_id=1).raw(
        "query($id: ID!) { knowledgeArticle(id: $id) { author } }", {"id": public["id"]}
    )
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_only_staff_write_articles(gql: GraphQLClient) -> None:
    for role in (Role.TECHNICIAN, Role.CUSTOMER, Role.PARTNER):
        caller = gql.as_role(role, technician_id=1, customer_id=1, partner_id=1)
        payload = await caller.mutate(
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) {"
            " article { id } userErrors { code } } }",
            {"title": "Mine", "body": "x"},
        )
        assert error_codes(payload) == ["FORBIDDEN"], role
