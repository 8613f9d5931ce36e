"""How the schema meets bad requests: every client mistake becomes a GraphQL error with a
stable code, logged as one line; only failures the code did not expect are logged with their
traceback and masked as INTERNAL. In production no error suggests names of the schema."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, StringValueNode, Visitor, visit
from graphql.language.visitor import BREAK
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext

from app.core.errors import DomainError
from app.core.logging import get_logger

log = get_logger("fieldgraph.graphql")

CLIENT_ERRORS = (
    GraphQLError,
    DomainError,
    MissingQueryError,
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
"""Originals of errors that describe the request, not a fault of the server."""

_SUGGESTION = re.compile(r" Did you mean [\w ,'.]*\?")


def is_client_error(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, CLIENT_ERRORS)


def error_code(error: GraphQLError) -> str:
    """The code a client error is reported with (extensions set by the code win)."""
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code.value
    code = (error.extensions or {}).get("code")
    return str(code) if code else "INVALID"


class Schema(strawberry.Schema):
    """Logs client errors as one structured line and unexpected ones with their traceback,
    instead of strawberry's traceback for every error; strips suggestions when asked."""

    def _process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        if self.config.disable_field_suggestions:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)
        self.process_errors(errors, execution_context)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        operation = execution_context.operation_name if execution_context else None
        for error in errors:
            if is_client_error(error):
                log.info(
                    "client error",
                    code=error_code(error),
                    message=error.message[:200],
                    path=error.path,
                    operation=operation,
                )
            else:
                log.error(
                    "unexpected error",
                    path=error.path,
                    operation=operation,
                    exc_info=error.original_error,
                )


class MaskUnexpectedErrors(MaskErrors):
    """Masks failures the code did not expect as INTERNAL, without internals; a DomainError
    raised outside a mutation (bad query arguments) keeps its code and field."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda error: not is_client_error(error),
            error_message="Internal error.",
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        for error in errors:
            original = error.original_error
            if isinstance(original, DomainError):
                problem = original.problems[0]
                error.extensions = {"code": problem.code.value, "field": problem.field}
        return super()._process_errors(errors)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""What PostgreSQL refuses in text and jsonb: NUL, and surrogates (a JSON escape of half a
pair decodes to a lone one)."""


class InputTextCheck(SchemaExtension):
    """Refuses, before execution, an operation whose inputs (variables or literals) hold
    text that PostgreSQL would refuse: one check for every String, ID and JSON input instead
    of a database error mid-operation. The operation gets one INVALID error."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        problem = _variables_problem(context.variables)
        if problem is None and context.query and _SUSPECT_QUERY.search(context.query):
            problem = _literals_problem(context.graphql_document)
        if problem:
            raise GraphQLError(
                f"{problem}: text must not contain NUL characters or unpaired surrogates",
                extensions={"code": "INVALID"},
            )
        yield


_SUSPECT_QUERY = re.compile("[\\x00\\ud800-\\udfff]|\\\\u")
"""A literal can only hold such text through a raw character or a \\u escape."""


def _holds_unstorable(value: Any) -> bool:
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _variables_problem(variables: dict[str, Any] | None) -> str | None:
    """Where in the variables such text is (the path is spelled out only when there is)."""
    if not variables or not _holds_unstorable(variables):
        return None
    stack: list[tuple[str, Any]] = [
        (f"${name}", value) for name, value in (variables or {}).items()
    ]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return f"variable {where}"
        elif isinstance(value, dict):
            for key, item in value.items():
                if _UNSTORABLE.search(key):
                    return f"variable {where}"
                stack.append((f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{index}", item) for index, item in enumerate(value))
    return None


def _literals_problem(document: DocumentNode | None) -> str | None:
    if document is None:
        return None
    found: list[StringValueNode] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
            if _UNSTORABLE.search(node.value):
                found.append(node)
                return BREAK
            return None

    visit(document, Strings())
    if not found:
        return None
    location = found[0].loc
    return f"a string at offset {location.start}" if location else "a string"


class ParserCache(SchemaExtension):
    """Strawberry's parser cache (shared LRU), except that a document that fails to parse
    is left to the regular parse step, which reports its syntax error as a GraphQL error on
    every transport; the stock extension raises it from the hook instead, which over
    WebSocket ended the operation with no error (or none at all on graphql-ws)."""

    def __init__(self, maxsize: int) -> None:
        self.cached_parse_document = _get_parse_cache(maxsize)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            # On a syntax error it is parsed again, uncached, where the error is reported.
            with suppress(GraphQLSyntaxError):
                context.graphql_document = self.cached_parse_document(
                    context.query, **context.parse_options
                )
        yield
