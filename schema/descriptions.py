"""Descriptions the API gives by convention, so every type reads the same where it means the
same: node IDs, versions, audit times, idempotency keys, pagination, payloads and user errors;
enum values take the docstring of their domain enum's member.

`describe` fills only what a type, field, argument or value does not describe itself (a field's
own description always wins). Everything else is described where it is declared.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import textwrap
from collections.abc import Iterator
from enum import Enum
from functools import cache
from typing import Any

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.enum import StrawberryEnumDefinition

FIELDS = {
    "id": "The object's global ID: opaque, stable, and accepted by `node(id:)`.",
    "version": ("Bumped by every change; send it as `expectedVersion` to refuse a stale update."),
    "createdAt": "When it was created.",
    "updatedAt": "When it last changed.",
    "archivedAt": "When it was archived (it then leaves lists but keeps its history); null if not.",
    "userErrors": (
        "Why the mutation was refused, one entry per problem (field path, message, code); "
        "empty when it succeeded. A refused mutation writes nothing."
    ),
    "idempotencyKey": (
        "A key the client makes up per intended change: a retry with the same key returns the "
        "first call's answer instead of acting twice."
    ),
    "expectedVersion": (
        "The version the client last read: the change is refused with STALE_VERSION if the "
        "object changed since. Omit to skip the check."
    ),
}

PAGINATION = {
    "totalCount": "How many items the whole list holds, across all pages.",
    "pageInfo": "Where this page ends and whether another follows.",
    "edges": "The items of this page, each with its cursor.",
    "cursor": "Pass as `after` to get the items that follow this one.",
    "node": "The item.",
    "hasNextPage": "Whether more items follow this page.",
    "endCursor": "The last item's cursor: pass as `after` for the next page; null if empty.",
}
"""Fields of connections, edges and PageInfo."""

ARGUMENTS = {
    "first": "How many items to return: 20 by default, at most 100.",
    "after": "A cursor from the previous page: the items after it.",
    "input": "The mutation's input.",
    "includeArchived": "Whether to include archived items.",
    "id": "A global ID.",
}

_ID_SUFFIX = re.compile(r"^(?P<what>[a-z][A-Za-z0-9]*?)(?P<many>Ids?)$")


def describe(schema: strawberry.Schema) -> None:
    """Fill the conventional descriptions into `schema` in place."""
    graphql_schema: GraphQLSchema = schema._schema
    for name, named in graphql_schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLEnumType):
            _describe_enum(named)
        elif isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            _describe_fields(named)
            named.description = named.description or _type_description(name)


def undescribed(schema: strawberry.Schema) -> Iterator[str]:
    """Every type, field, argument and enum value of `schema` that has no description."""
    for name, named in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not named.description:
            yield name
        if isinstance(named, GraphQLEnumType):
            yield from (f"{name}.{v}" for v, value in named.values.items() if not value.description)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                if not field.description:
                    yield f"{name}.{field_name}"
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        yield f"{name}.{field_name}({arg_name})"


def _describe_fields(
    named: GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType,
) -> None:
    paging = named.name == "PageInfo" or named.name.endswith(("Connection", "Edge"))
    for field_name, field in named.fields.items():
        by_convention = (PAGINATION.get(field_name) if paging else None) or _field_description(
            field_name, field
        )
        field.description = field.description or by_convention
        for arg_name, arg in getattr(field, "args", {}).items():
            arg.description = arg.description or _argument_description(arg_name, arg)


def _field_description(name: str, field: GraphQLField | GraphQLInputField) -> str | None:
    return FIELDS.get(name) or _id_reference(name)


def _argument_description(name: str, arg: GraphQLArgument) -> str | None:
    return ARGUMENTS.get(name) or FIELDS.get(name) or _id_reference(name)


def _id_reference(name: str) -> str | None:
    """`technicianId` is a technician's global ID, `partIds` several parts' global IDs."""
    found = _ID_SUFFIX.match(name)
    if found is None:
        return None
    what = re.sub(r"(?<!^)(?=[A-Z])", " ", found.group("what")).lower()
    if found.group("many") == "Ids":
        return f"Global IDs of the {what}s."
    return f"The {what}'s global ID."


def _type_description(name: str) -> str | None:
    for suffix, text in (
        ("Connection", "A page of {what}s, with the total count (Relay connection)."),
        ("Edge", "One {what} of a page, with its cursor."),
        ("Payload", "What the mutation returns: {what} as it now stands, or userErrors."),
    ):
        if name.endswith(suffix) and name != suffix:
            what = re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix(suffix)).lower()
            return text.format(what=what)
    return None


def _describe_enum(named: GraphQLEnumType) -> None:
    # (not schema.get_type_by_name: its cache is module-wide and would keep every schema alive)
    definition = (named.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryEnumDefinition):
        return
    documented = member_docstrings(definition.wrapped_cls)
    named.description = named.description or _class_docstring(definition.wrapped_cls)
    for value_name, value in named.values.items():
        value.description = value.description or documented.get(value_name)


def _class_docstring(cls: type) -> str | None:
    own = cls.__dict__.get("__doc__")
    return inspect.cleandoc(own) if isinstance(own, str) and own.strip() else None


@cache
def member_docstrings(cls: type[Enum]) -> dict[str, str]:
    """The string written under each member of an enum's class body."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str] = {}
    statements: list[Any] = body.body
    for statement, following in itertools.pairwise(statements):
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        is_doc = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
        if isinstance(target, ast.Name) and is_doc and isinstance(following.value.value, str):
            found[target.id] = inspect.cleandoc(following.value.value)
    return found
