"""Plain computed fields resolved without strawberry's per-field machinery.

For a field with a resolver strawberry builds an Info object, converts the (absent)
arguments and threads the call through its extension chain on every resolution: for a
`Node.id` on a page of 20 technicians that was a fifth of the request's execution. A field
whose resolver is a plain synchronous method of the type taking only `self` (no arguments,
no info, no field extensions or permission classes, no directives) gets a resolver that
calls it directly; what it returns, and any error it raises, are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType


def shortcut_plain_resolvers(schema: strawberry.Schema) -> int:
    """Install the direct resolvers; returns how many fields got one."""
    if getattr(schema.schema_converter, "_exception_handler_specs", None):
        return 0  # exception handlers run in strawberry's wrapper: leave every field to it
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get("strawberry-definition")
            resolver = getattr(field, "base_resolver", None)
            if field is None or resolver is None or graphql_field.args:
                continue
            if field.extensions or field.permission_classes or field.directives:
                continue
            if resolver.is_async or resolver.arguments:
                continue
            reserved = resolver.reserved_parameters
            if resolver.self_parameter is None or any(
                parameter is not None and parameter is not resolver.self_parameter
                for parameter in reserved.values()
            ):
                continue
            graphql_field.resolve = _direct(resolver.wrapped_func)
            count += 1
    return count


def _direct(method: Callable[[Any], Any]) -> Callable[..., Any]:
    def resolve(source: Any, info: Any) -> Any:
        return method(source)

    return resolve
