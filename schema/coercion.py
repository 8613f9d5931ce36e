"""Variable coercion compiled once per input type, for the inputs that carry bulk data.

graphql-core coerces a variable by walking its value and, at every node, asking again what
kind of type it is (non-null? list? input object? leaf?), and first walks it once more to
check that it is not nested too deeply. For `reportLocations` that is ~550 dispatches per batch
of 50 pings, most of the call's CPU time. `compile_coercer` resolves those questions once for
a type and returns a function that does exactly what `coerce_input_value` does (the same
values, `Undefined` wherever it would give `Undefined`), and `install` routes graphql-core's
variable coercion for the registered types through it. On `Undefined` graphql-core goes on to
`validate_input_value` as before, so the errors a client sees are the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLFloat,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLSchema,
    Undefined,
    assert_leaf_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
    is_non_null_type,
    is_required_input_field,
)
from graphql.execution import values as graphql_values
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.pyutils import is_iterable
from graphql.utilities import coerce_input_value
from graphql.utilities.coerce_input_value import coerce_default_value

Coercer = Callable[[Any], Any]

_generic_coerce = coerce_input_value
_generic_too_deep = graphql_values.input_is_nested_too_deeply
_COERCER = "fieldgraph.coercer"
"""The key, in a registered input object type's `extensions`, of its compiled coercer (kept on
the type itself, so nothing outside a schema keeps the schema alive)."""


def compile_coercer(type_: GraphQLInputType) -> tuple[Coercer, int] | None:
    """The coercer of `type_` and the nesting depth its values can reach, or None for a type
    this does not compile (a recursive or oneOf input object: left to graphql-core)."""
    try:
        return _compile(type_, frozenset())
    except _NotCompiled:
        return None


class _NotCompiled(Exception):
    pass


def _compile(type_: GraphQLInputType, within: frozenset[Any]) -> tuple[Coercer, int]:
    if is_non_null_type(type_):
        inner, depth = _compile_nullable(type_.of_type, within)

        def non_null(value: Any) -> Any:
            if value is None or value is Undefined:
                return Undefined
            return inner(value)

        return non_null, depth
    inner, depth = _compile_nullable(type_, within)

    def nullable(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        return inner(value)

    return nullable, depth


def _compile_nullable(type_: Any, within: frozenset[Any]) -> tuple[Coercer, int]:
    """The coercer of a value already known not to be null or undefined."""
    if is_list_type(type_):
        item, depth = _compile(type_.of_type, within)

        def list_(value: Any) -> Any:
            if not (isinstance(value, list) or is_iterable(value)):
                one = item(value)  # a non-list value is a list of one
                return Undefined if one is Undefined else [one]
            coerced: list[Any] = []
            append = coerced.append
            for element in value:
                one = item(element)
                if one is Undefined:
                    return Undefined
                append(one)
            return coerced

        return list_, depth + 1
    if is_input_object_type(type_):
        if type_ in within or type_.is_one_of:
            raise _NotCompiled
        fields = []
        deepest = 0
        for name, field in type_.fields.items():
            coerce, depth = _compile(field.type, within | {type_})
            deepest = max(deepest, depth)
            fields.append(
                (name, field.out_name or name, coerce, is_required_input_field(field), field)
            )
        names = frozenset(type_.fields)
        out_type = type_.out_type

        def input_object(value: Any) -> Any:
            if not isinstance(value, dict):
                return Undefined
            for name, item in value.items():
                if name not in names and item is not Undefined:
                    return Undefined
            coerced: dict[str, Any] = {}
            for name, out_name, coerce, required, field in fields:
                item = value.get(name, Undefined)
                if item is Undefined:
                    if required:
                        return Undefined
                    default = coerce_default_value(field)
                    if default is not Undefined:
                        coerced[out_name] = default
                else:
                    one = coerce(item)
                    if one is Undefined:
                        return Undefined
                    coerced[out_name] = one
            return out_type(coerced)

        return input_object, deepest + 1
    leaf = assert_leaf_type(type_)
    leaf_coerce = leaf.coerce_input_value
    if leaf is GraphQLFloat:

        def float_(value: Any) -> Any:
            if type(value) is float and math.isfinite(value):
                return value  # what GraphQLFloat gives for a finite float
            try:
                return leaf_coerce(value)
            except Exception:
                return Undefined

        return float_, 0

    def scalar(value: Any) -> Any:
        try:
            return leaf_coerce(value)
        except Exception:
            return Undefined

    return scalar, 0


def register(schema: GraphQLSchema, type_name: str) -> None:
    """Coerce variables of the input object `type_name` (nullable or not) with its compiled
    coercer from now on."""
    type_ = schema.get_type(type_name)
    if not isinstance(type_, GraphQLInputObjectType):
        raise TypeError(f"{type_name} is not an input object type")
    compiled = compile_coercer(type_)
    if compiled is None:
        return
    coerce, depth = compiled
    if depth > MAX_NESTING_DEPTH:
        return
    type_.extensions = {**(type_.extensions or {}), _COERCER: coerce}
    install()


def _compiled(type_: GraphQLInputType) -> Coercer | None:
    """The compiled coercer of `type_`'s nullable form, if it was registered."""
    nullable = get_nullable_type(type_)
    if not isinstance(nullable, GraphQLInputObjectType) or not nullable.extensions:
        return None
    coercer: Coercer | None = nullable.extensions.get(_COERCER)
    return coercer


def _coerce_input_value(input_value: Any, type_: GraphQLInputType) -> Any:
    coerce = _compiled(type_)
    if coerce is None:
        return _generic_coerce(input_value, type_)
    if is_non_null_type(type_) and (input_value is None or input_value is Undefined):
        return Undefined
    return coerce(input_value)


def _input_is_nested_too_deeply(value: Any, type_: GraphQLInputType) -> bool:
    if _compiled(type_) is not None:
        return False  # its depth was bounded when it was compiled
    return _generic_too_deep(value, type_)


def install() -> None:
    graphql_values.coerce_input_value = _coerce_input_value
    graphql_values.input_is_nested_too_deeply = _input_is_nested_too_deeply
