"""An app with its own engine reads queries from a read pool (autocommit, read-only) and
writes mutations through its transactional pool; the read pool refuses writes."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.auth import Role
from app.core.config import Settings
from app.core.db import create_read_engine
from app.main import create_app
from tests.support import GraphQLClient

CREATE_SKILL = """
mutation($input: CreateSkillInput!) {
  createSkill(input: $input) { skill { code } userErrors { code } }
}
"""


async def test_queries_read_what_mutations_committed(
    settings: Settings, committed_database: str
) -> None:
    own = settings.model_copy(update={"database_url": committed_database})
    app = create_app(own)
    code = f"read_pool_{uuid.uuid4().hex[:8]}"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            gql = GraphQLClient(http, own, Role.ADMIN)
            created = await gql.mutate(CREATE_SKILL, {"code": code, "name": "Read pool"})
            assert created["userErrors"] == []
            skills = await gql("{ skills(includeArchived: true, first: 100) { code } }")
            assert code in {skill["code"] for skill in skills["skills"]}
            page = await gql("{ technicians(first: 1) { totalCount edges { node { id } } } }")
            assert page["technicians"]["totalCount"] >= len(page["technicians"]["edges"])


async def test_the_read_pool_refuses_writes(settings: Settings, committed_database: str) -> None:
    engine = create_read_engine(settings.model_copy(update={"database_url": committed_database}))
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
            with pytest.raises(DBAPIError, match="read-only transaction"):
                await connection.execute(text("UPDATE skills SET name = name WHERE false"))
    finally:
        await engine.dispose()
