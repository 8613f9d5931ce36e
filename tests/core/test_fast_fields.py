"""Plain computed fields (Node.id and the like) resolve through a direct call; fields with
role checks, arguments or async resolvers keep strawberry's resolver."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType

from app.core.config import Settings
from app.main import build_schema
from schema.technicians import TechnicianType
from tests.support import GraphQLClient


def _direct(field: Any) -> bool:
    return getattr(field.resolve, "__qualname__", "").startswith("_direct")


def test_only_plain_methods_are_shortcut() -> None:
    schema = build_schema(Settings(jwt_secret="test-only"))._schema
    technician = schema.get_type("Technician")
    assert isinstance(technician, GraphQLObjectType)
    assert _direct(technician.fields["id"])
    assert not _direct(technician.fields["skills"])  # async, role-checked, takes first
    assert not _direct(technician.fields["email"])  # role-checked
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            if _direct(field):
                definition = field.extensions["strawberry-definition"]
                assert not definition.extensions and not definition.permission_classes
                assert not field.args


async def test_ids_read_the_same(gql: GraphQLClient, session: Any) -> None:
    from tests.technicians import factories as make

    technician = await make.technician(session, "Shortcut Tech")
    data = await gql("{ technicians(first: 100) { edges { node { id name } } } }")
    ids = {edge["node"]["id"] for edge in data["technicians"]["edges"]}
    assert TechnicianType.from_model(technician).global_id() in ids
    node = await gql(
        "query($id: ID!) { node(id: $id) { id ... on Technician { name } } }",
        {"id": TechnicianType.from_model(technician).global_id()},
    )
    assert node["node"]["name"] == technician.name
