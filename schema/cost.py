"""Query cost: an estimate of what an operation will make the server do, refused over budget.

The design follows graphql-armor's cost limit (a scalar costs 1, an object 2 plus what it
selects), with what it leaves out for a paginated API: a list multiplies what it holds by its
page size. The page size is the field's `first` or `last` argument (a literal, a variable, or the
argument's default), capped at `page_size_max`; a connection's size applies to its `edges`; a
list without a size argument counts the ids it was given, else `page_size_default` rows. Named
and inline fragments count where they are spread. `@skip`/`@include` are ignored (the estimate
is an upper bound), introspection costs nothing, and so does a field the caller's role may not
read (`allow(...)`): it is refused before anything under it runs. Armor's depth factor is left
out: the list sizes measure what grows with depth, and depth has a limit of its own.

It is an extension rather than a validation rule because the budget depends on the caller's
role (settings `cost_limit_<role>`) and the cost on the variables, while strawberry's validation
cache keys on the document and the rules only. Estimates have their own cache instead, by query
text, operation name and the variables that can change a size, so a repeated document costs a
dictionary lookup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.type.definition import GraphQLNamedType, GraphQLOutputType
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.core.auth import Role
from app.core.config import Environment, Settings
from schema.permissions import Allow

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
SCALAR_COST = 1
OBJECT_COST = 2
SIZE_ARGUMENTS = ("first", "last")


def budget_for(settings: Settings, role: Role | None) -> int:
    """The cost an operation of this role may reach; anonymous callers get the lowest."""
    name = role.value.lower() if role is not None else "anonymous"
    return int(getattr(settings, f"cost_limit_{name}"))


class CostEstimator:
    """Estimates operations against one schema; the results are cached, bounded."""

    def __init__(self, schema: GraphQLSchema, settings: Settings, cache_size: int = 1024) -> None:
        self.schema = schema
        self.default_size = settings.page_size_default
        self.max_size = settings.page_size_max
        self.cache_size = cache_size
        self._cache: dict[
            tuple[str, str | None, tuple[tuple[str, str, int], ...], Role | None], int
        ] = {}

    def estimate(
        self,
        query: str,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        role: Role | None = None,
    ) -> int:
        """The cost of the operation, cached by query text, operation and what of the variables
        can change a size: integers (`first`) and the lengths of lists (ids); the others need
        not split the cache; and by the caller's role, which decides what is refused."""
        key = (query, operation_name, _sizes(variables or {}), role)
        cost = self._cache.get(key)
        if cost is None:
            cost = self.cost(document, operation_name, variables, role)
            if len(self._cache) >= self.cache_size:
                del self._cache[next(iter(self._cache))]
            self._cache[key] = cost
        return cost

    def cost(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        role: Role | None = None,
    ) -> int:
        """The estimated cost of one operation of `document` (uncached) for a caller of `role`
        (None: anonymous). A field the caller may not read costs nothing: it is refused before
        anything under it runs."""
        return _Walk(self, document, variables or {}, role).operation(operation_name)


class _Walk:
    def __init__(
        self,
        estimator: CostEstimator,
        document: DocumentNode,
        variables: Mapping[str, Any],
        role: Role | None,
    ) -> None:
        self.estimator = estimator
        self.role = role
        self.schema = estimator.schema
        self.variables = dict(variables)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]

    def operation(self, name: str | None) -> int:
        chosen = [o for o in self.operations if name is None or (o.name and o.name.value == name)]
        if not chosen:
            return 0
        operation = chosen[0]
        for definition in operation.variable_definitions or ():
            variable = definition.variable.name.value
            if variable not in self.variables and definition.default_value is not None:
                self.variables[variable] = _literal(definition.default_value, {})
        root = self.schema.get_root_type(operation.operation)
        return self.selections(operation.selection_set, root, None) if root else 0

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, inherited: int | None
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, inherited)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, target or parent, inherited)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(fragment.selection_set, target or parent, inherited)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType, inherited: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(name)
        if definition is None or self.refused(definition):
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named) or node.selection_set is None:
            return SCALAR_COST
        size = self.size_argument(node, definition.args)
        if _is_list(definition.type):
            rows = size if size is not None else self.unsized_rows(node, inherited)
            return rows * (OBJECT_COST + self.selections(node.selection_set, named, None))
        # A connection: its page size applies to the list it holds (edges).
        return OBJECT_COST + self.selections(node.selection_set, named, size)

    def refused(self, definition: GraphQLField) -> bool:
        field = definition.extensions.get("strawberry-definition")
        for extension in getattr(field, "extensions", None) or ():
            if isinstance(extension, Allow) and self.role not in extension.roles:
                return True
        return False

    def size_argument(self, node: FieldNode, arguments: Mapping[str, Any]) -> int | None:
        for name in SIZE_ARGUMENTS:
            if name not in arguments:
                continue
            given = next((a for a in node.arguments or () if a.name.value == name), None)
            value = _literal(given.value, self.variables) if given is not None else Undefined
            if value is Undefined or value is None:
                value = arguments[name].default_value
            if isinstance(value, int):
                return max(0, min(value, self.estimator.max_size))
            return self.estimator.default_size
        return None

    def unsized_rows(self, node: FieldNode, inherited: int | None) -> int:
        if inherited is not None:
            return inherited
        for argument in node.arguments or ():
            value = _literal(argument.value, self.variables)
            if isinstance(value, list):  # one row per id given, however many were given
                return len(value) or 1
        return self.estimator.default_size


def _sizes(variables: Mapping[str, Any]) -> tuple[tuple[str, str, int], ...]:
    sizes = []
    for name, value in variables.items():
        if type(value) is int:
            sizes.append((name, "int", value))
        elif isinstance(value, list):
            sizes.append((name, "len", len(value)))
    return tuple(sorted(sizes))


def _literal(node: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value, Undefined)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return [_literal(v, variables) for v in node.values]
    return Undefined


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def too_costly(cost: int, budget: int) -> GraphQLError:
    return GraphQLError(
        f"Query cost {cost} exceeds the budget of {budget} for this caller; ask for smaller "
        "pages (first/last) or fewer nested lists.",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "budget": budget},
    )


class QueryCostLimit(SchemaExtension):
    """Refuses an operation whose estimated cost exceeds the caller's budget, before it runs.

    It must come after the validation cache in the extension list: it reads the validation
    result and only estimates documents that passed. In dev and test the response's
    `extensions.cost` tells the estimate and the budget.
    """

    def __init__(self, estimator: CostEstimator, settings: Settings) -> None:
        self.estimator = estimator
        self.settings = settings
        self.report: dict[str, int] | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            # No validation cache ran ahead of this extension: validate here, once.
            from strawberry.schema.schema import validate_document

            context.pre_execution_errors = validate_document(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
        if not context.pre_execution_errors and context.graphql_document is not None:
            principal = getattr(context.context, "principal", None)
            role = principal.role if principal is not None else None
            cost = self.estimator.estimate(
                context.query or "",
                context.graphql_document,
                context.operation_name,
                context.variables,
                role,
            )
            budget = budget_for(self.settings, role)
            self.report = {"requested": cost, "budget": budget}
            request = getattr(context.context, "request", None)
            if request is not None and hasattr(request, "state"):
                request.state.query_cost = cost  # the HTTP view encodes costly results apart
            if cost > budget:
                context.pre_execution_errors = [too_costly(cost, budget)]
        yield

    def get_results(self) -> dict[str, Any]:
        # Not on subscription events: each event is a result of its own and the report would
        # repeat on every one of them.
        if self.report is None or self.settings.env is not Environment.DEV:
            return {}
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            return {}
        return {"cost": self.report}


RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"


def response_too_large(size: int | None, limit: int) -> dict[str, Any]:
    """The body sent instead of a response over `max_response_bytes` (`size` None: encoding
    stopped at the limit)."""
    would_be = f"{size} bytes" if size is not None else "larger"
    return {
        "data": None,
        "errors": [
            {
                "message": f"The response would be {would_be}, over the limit of {limit} bytes; "
                "ask for smaller pages (first/last) or fewer fields.",
                "extensions": {"code": RESPONSE_TOO_LARGE, "bytes": size, "limit": limit},
            }
        ],
    }


# A result estimated above this cost is encoded off the event loop (see `encode_capped`).
OFFLOAD_COST = 2_000
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def encode_capped(data: object, limit: int) -> str | None:
    """`data` as compact JSON (as `json.dumps` gives it), or None once it passes `limit`.

    For large results, run in a worker thread: the C encoder holds the interpreter lock for
    the whole body (an 8 MB body took over a second on a busy host), while this one works in
    small pieces that let the event loop run between them, and it stops at the limit instead
    of encoding all of an oversized result first."""
    chunks: list[str] = []
    size = 0
    for chunk in _ENCODER.iterencode(data):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return "".join(chunks)
