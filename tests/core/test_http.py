"""The HTTP edge: health, readiness, limits, error masking, GET rules and production hardening."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from app.core.config import DEV_JWT_SECRET, Environment, Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from tests.support import GraphQLClient

PARTNERS = "{ partners { totalCount } }"


async def test_health_and_readiness(gql: GraphQLClient) -> None:
    health = await gql.http.get("/healthz")
    ready = await gql.http.get("/readyz")

    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": True, "broker": True}


async def test_every_response_carries_a_request_id(gql: GraphQLClient) -> None:
    given = await gql.http.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made_up = await gql.http.get("/healthz")

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made_up.headers["x-request-id"]) == 32


async def test_a_body_over_the_limit_is_refused(gql: GraphQLClient) -> None:
    padding = "x" * (gql.settings.max_body_bytes + 1)
    response = await gql.http.post(
        "/graphql", json={"query": PARTNERS, "variables": {"p": padding}}
    )

    assert response.status_code == 413


async def test_queries_may_use_get_but_mutations_may_not(gql: GraphQLClient) -> None:
    headers = gql.headers()
    query = await gql.http.get("/graphql", params={"query": PARTNERS}, headers=headers)
    mutation = await gql.http.get(
        "/graphql",
        params={
            "query": 'mutation { createPartner(input: {name: "a", code: "a"}) { partner { id } } }'
        },
        headers=headers,
    )

    assert query.json()["data"] == {"partners": {"totalCount": 0}}
    assert mutation.status_code == 400
    assert "mutations are not allowed" in mutation.text.lower()


async def test_an_invalid_token_is_refused_with_401(gql: GraphQLClient) -> None:
    response = await gql.http.post(
        "/graphql", json={"query": PARTNERS}, headers={"Authorization": "Bearer not-a-jwt"}
    )
    assert response.status_code == 401


async def test_anonymous_callers_get_unauthenticated(gql: GraphQLClient) -> None:
    body = await gql.as_role(None).raw(PARTNERS)
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_unexpected_failures_are_masked_as_internal(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.partners import repository

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection string with secrets")

    monkeypatch.setattr(repository, "listed", broken)
    body = await gql.raw(PARTNERS)

    assert body["errors"][0]["message"] == "Internal error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL"}
    assert "secrets" not in str(body)


async def test_queries_deeper_than_the_limit_are_refused(make_client: ClientFactory) -> None:
    shallow, deep = "{ me { role } }", "{ me { partner { name } } }"
    http = make_client(max_query_depth=1)

    async with http:
        assert "errors" not in (await http.post("/graphql", json={"query": shallow})).json()
        body = (await http.post("/graphql", json={"query": deep})).json()

    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(gql: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: me {{ role }}" for i in range(gql.settings.max_aliases + 1))
    body = await gql.raw("{ " + aliases + " }")
    assert "aliases found" in body["errors"][0]["message"]


async def test_too_many_tokens_are_refused(gql: GraphQLClient) -> None:
    fields = " ".join("__typename" for _ in range(gql.settings.max_tokens))
    body = await gql.raw("{ " + fields + " }")
    assert "more than 1000 tokens" in body["errors"][0]["message"]


ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
def make_client(
    settings: Settings, sessions: SessionFactory, broker: Broker, gql: GraphQLClient
) -> ClientFactory:
    """An HTTP client for an app built with some settings changed, calling as an admin."""

    def make(**overrides: object) -> httpx.AsyncClient:
        changed = Settings(**{**settings.model_dump(), **overrides})
        app = create_app(changed, sessions=sessions, broker=broker)
        transport = httpx.ASGITransport(app=app)
        return httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", headers=gql.headers()
        )

    return make


async def test_production_turns_off_introspection_suggestions_and_graphiql(
    make_client: ClientFactory, settings: Settings
) -> None:
    async with make_client(env=Environment.PROD) as http:
        introspection = await http.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}
        )
        typo = await http.post("/graphql", json={"query": "{ partnerz { totalCount } }"})
        ide = await http.get("/graphql", headers={"Accept": "text/html"})

    assert "introspection" in introspection.json()["errors"][0]["message"].lower()
    assert "Did you mean" not in typo.json()["errors"][0]["message"]
    assert "graphiql" not in ide.text.lower()


async def test_development_serves_graphiql_and_suggests_fields(gql: GraphQLClient) -> None:
    ide = await gql.http.get("/graphql", headers={"Accept": "text/html"})
    typo = await gql.raw("{ partnerz { totalCount } }")

    assert "graphiql" in ide.text.lower()
    assert "Did you mean 'partners'" in typo["errors"][0]["message"]


def test_production_refuses_the_development_jwt_secret(settings: Settings) -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(**{**settings.model_dump(), "env": Environment.PROD, "jwt_secret": DEV_JWT_SECRET})


async def test_sibling_root_fields_share_the_session_safely(gql: GraphQLClient) -> None:
    aliases = " ".join(
        f"p{i}: partners {{ totalCount }} u{i}: users {{ totalCount }}" for i in range(5)
    )
    data = await gql("{ " + aliases + " }")
    assert len(data) == 10
    assert all(value["totalCount"] == 0 for value in data.values())


async def test_a_domain_error_in_a_query_keeps_its_code(gql: GraphQLClient) -> None:
    body = await gql.raw('{ partners(after: "not-a-cursor") { totalCount } }')
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["after"]}
    assert body["errors"][0]["message"] == "not a cursor from this API"


async def test_uploads_have_their_own_larger_limit(make_client: ClientFactory) -> None:
    body = b"x" * 4096
    async with make_client(max_body_bytes=1024, max_upload_bytes=8192) as http:
        upload = await http.post(
            "/graphql",
            content=body,
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
        plain = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )

    assert upload.status_code != 413
    assert plain.status_code == 413


async def test_a_repeated_document_is_validated_once(gql: GraphQLClient) -> None:
    from strawberry.extensions.validation_cache import _get_validate_cache

    cached = _get_validate_cache(1024)
    document = "{ me { role name } partners(first: 3) { totalCount } }"
    await gql(document)
    hits_before = cached.cache_info().hits  # type: ignore[attr-defined]
    await gql(document)
    await gql(document)

    assert cached.cache_info().hits == hits_before + 2  # type: ignore[attr-defined]
