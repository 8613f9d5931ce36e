"""Hypothesis strategies for GraphQL operations, drawn from the schema itself: any root query
or mutation field (one or two per document), arguments of the right shape with values chosen
to hurt (NUL and lone surrogates, integers at and past column ranges, NaN and infinities,
impossible dates, broken geometries, IDs out of range or of the wrong type), passed as
variables or inlined as literals, and a small selection of each result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_required_argument,
)
from hypothesis import strategies as st

from schema.ids import encode_id

MAX_ID = 40
"""IDs mostly name rows that exist in the seeded city (small numbers)."""


class EnumValue(str):
    """An enum value: printed bare in a literal."""


@dataclass(frozen=True)
class Operation:
    document: str
    variables: dict[str, Any]

    def body(self) -> str:
        # Python's encoder writes NaN and Infinity, which the server's decoder accepts.
        return json.dumps({"query": self.document, "variables": self.variables})


NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\x07\x1b[31m",
    "\u202e\ufeff",
    "%_\\",
    "'; SELECT 1; --",
    "x" * 5000,
    "🛠️" * 50,
]
HUGE_INTS = [2**31 - 1, -(2**31), 32767, 32768, -32769, 65535, 65536, 10**6, 10**9]
NASTY_FLOATS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0]
ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-12))]
NASTY_DATE_TIMES = [
    "2026-02-30T10:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-12-04T10:00:00",
    "2026-12-04",
    "yesterday",
    "",
]
NASTY_DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "2026-1-1", "", "tomorrow"]
NASTY_TIMES = ["24:00", "23:59:60", "00:00", "9:5", "", "noon"]
NASTY_DECIMALS = ["NaN", "Infinity", "-0", "1e1000000", "99999999999999999999.99", "0.001", "x"]


def _ring(*points: tuple[float, float]) -> list[list[float]]:
    return [list(p) for p in points]


SQUARE = _ring((77.5, 12.9), (77.6, 12.9), (77.6, 13.0), (77.5, 13.0), (77.5, 12.9))
GEOMETRIES: list[Any] = [
    {"type": "Polygon", "coordinates": [SQUARE]},
    {"type": "MultiPolygon", "coordinates": [[SQUARE]]},
    {"type": "Point", "coordinates": [77.59, 12.97]},
    {"type": "Polygon", "coordinates": [_ring((0, 0), (1, 1), (1, 0), (0, 1), (0, 0))]},
    {"type": "Polygon", "coordinates": [_ring((0, 0), (1, 0), (1, 1))]},
    {"type": "Polygon", "coordinates": []},
    {"type": "Polygon", "coordinates": [[[math.nan, 0], [1, 0], [1, 1], [math.nan, 0]]]},
    {"type": "Polygon", "coordinates": [_ring((500, 95), (501, 95), (501, 96), (500, 95))]},
    {"type": "Polygon", "coordinates": "nope"},
    {"type": "Circle", "radius": 3},
    {"coordinates": [1, 2]},
    {"type": "Point", "coordinates": [1e308, -1e308]},
    {"type": "Point", "coordinates": ["a", None]},
    {"type": "GeometryCollection", "geometries": []},
    "not json",
    '{"type": "Point", "coordinates": [77.59, 12.97]}',
    [1, 2],
    5,
]


class OperationStrategies:
    """Strategies over one schema; `node_types` are the names IDs may carry."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        node = schema.get_type("Node")
        self.node_types = sorted(
            name
            for name, kind in schema.type_map.items()
            if isinstance(kind, GraphQLObjectType) and node in kind.interfaces
        )
        self._lower = {name.lower(): name for name in self.node_types}

    def operations(self, kinds: tuple[str, ...] = ("query", "mutation")) -> st.SearchStrategy:
        return st.sampled_from(kinds).flatmap(self._operation)

    def _operation(self, kind: str) -> st.SearchStrategy:
        root = self.schema.mutation_type if kind == "mutation" else self.schema.query_type
        assert root is not None
        names = sorted(root.fields)
        return st.composite(lambda draw: self._build(draw, kind, root, names))()

    def _build(self, draw: Any, kind: str, root: GraphQLObjectType, names: list[str]) -> Operation:
        inline = draw(st.integers(0, 4)) == 0
        variables: dict[str, Any] = {}
        definitions: list[str] = []
        selections: list[str] = []
        for index in range(draw(st.integers(1, 2))):
            name = draw(st.sampled_from(names))
            field = root.fields[name]
            arguments: list[str] = []
            for arg_name, arg in field.args.items():
                if not is_required_argument(arg) and draw(st.integers(0, 2)) == 0:
                    continue
                value = draw(self.values(arg.type, hint=arg_name, owner=name))
                if inline:
                    arguments.append(f"{arg_name}: {literal(value)}")
                else:
                    variable = f"v{len(definitions)}"
                    definitions.append(f"${variable}: {arg.type}")
                    variables[variable] = value
                    arguments.append(f"{arg_name}: ${variable}")
            args = f"({', '.join(arguments)})" if arguments else ""
            selections.append(f"f{index}: {name}{args}{self.selection(field.type, 0)}")
        header = f"{kind}({', '.join(definitions)})" if definitions else kind
        return Operation(f"{header} {{ {' '.join(selections)} }}", variables)

    # values

    def values(
        self, kind: GraphQLInputType, hint: str, owner: str, depth: int = 0
    ) -> st.SearchStrategy:
        if isinstance(kind, GraphQLNonNull):
            return self._value(kind.of_type, hint, owner, depth)
        return (
            st.one_of(st.none(), self._value(kind, hint, owner, depth))
            if depth < 3
            else (st.none())
        )

    def _value(self, kind: Any, hint: str, owner: str, depth: int) -> st.SearchStrategy:
        if isinstance(kind, GraphQLList):
            size = 3 if depth < 2 else 1
            return st.lists(self.values(kind.of_type, hint, owner, depth + 1), max_size=size)
        if isinstance(kind, GraphQLInputObjectType):
            return self._input_object(kind, owner, depth)
        if isinstance(kind, GraphQLEnumType):
            return st.one_of(
                st.sampled_from(sorted(kind.values)).map(EnumValue),
                st.just(EnumValue("NOT_A_VALUE")) if depth == 0 else st.nothing(),
            )
        assert isinstance(kind, GraphQLScalarType)
        return self._scalar(kind.name, hint, owner)

    def _input_object(
        self, kind: GraphQLInputObjectType, owner: str, depth: int
    ) -> st.SearchStrategy:
        fields: dict[str, st.SearchStrategy] = {}
        optional: dict[str, st.SearchStrategy] = {}
        for name, field in kind.fields.items():
            strategy = self.values(field.type, name, owner, depth + 1)
            required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
            (fields if required else optional)[name] = strategy
        if depth >= 3:
            optional = {}
        return st.fixed_dictionaries(fields, optional=optional)

    def _scalar(self, name: str, hint: str, owner: str) -> st.SearchStrategy:
        if name == "ID":
            return self.ids(hint, owner)
        if name == "String":
            return strings(hint)
        if name == "Int":
            return st.one_of(st.integers(-3, 60), st.sampled_from(HUGE_INTS))
        if name == "Float":
            return st.one_of(
                st.floats(-200, 200), st.sampled_from(NASTY_FLOATS), st.floats(allow_nan=True)
            )
        if name == "Boolean":
            return st.booleans()
        if name == "DateTime":
            return date_times()
        if name == "Date":
            return st.one_of(
                st.dates(date(2026, 11, 1), date(2027, 1, 31)).map(date.isoformat),
                st.sampled_from(NASTY_DATES),
            )
        if name == "Time":
            return st.one_of(st.times().map(time.isoformat), st.sampled_from(NASTY_TIMES))
        if name == "Decimal":
            return st.one_of(
                st.decimals(-(10**6), 10**6, places=2).map(str),
                st.sampled_from(NASTY_DECIMALS),
                st.sampled_from([1, 2.5, math.nan]),
            )
        if name == "GeoJSON":
            return st.sampled_from(GEOMETRIES)
        if name == "JSON":
            return st.one_of(st.dictionaries(strings(""), st.integers() | strings("")), strings(""))
        return st.none()  # Upload: only multipart requests carry files

    def ids(self, hint: str, owner: str) -> st.SearchStrategy:
        expected = self._node_type(hint) or self._node_type(owner)
        kinds = st.sampled_from([expected] if expected else self.node_types) | st.sampled_from(
            self.node_types
        )
        numbers = st.one_of(
            st.integers(1, MAX_ID),
            st.sampled_from([0, 2**63 - 1, 2**63, 10**20, 2**31]),
        )
        return st.one_of(
            st.builds(encode_id, kinds, numbers),
            st.builds(encode_id, kinds, numbers),
            st.sampled_from([*NASTY_STRINGS, "VGFzazo", "Task:1", "VGFzazotMQ", "VGFzazox_MA"]),
        )

    def _node_type(self, name: str) -> str | None:
        """The node type an argument or field is about: `taskId` and `updateTask` name Task."""
        key = name.lower().removesuffix("ids").removesuffix("id")
        if key in self._lower:
            return self._lower[key]
        matches = [n for low, n in self._lower.items() if key.endswith(low)]
        return max(matches, key=len) if matches else None

    # selections

    def selection(self, kind: GraphQLOutputType, depth: int) -> str:
        named = get_named_type(kind)
        if is_leaf_type(named):
            return ""
        if isinstance(named, GraphQLUnionType):
            return " { __typename }"
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        parts = ["__typename"]
        for name, field in named.fields.items():
            if _needs_arguments(field):
                continue
            inner = get_named_type(field.type)
            if is_leaf_type(inner):
                parts.append(name)
            elif depth < 2 and (name in ("userErrors", "edges", "node") or len(parts) < 12):
                parts.append(name + self.selection(field.type, depth + 1))
        return " { " + " ".join(parts[:16]) + " }"


def _needs_arguments(field: GraphQLField) -> bool:
    return any(is_required_argument(arg) for arg in field.args.values())


def strings(hint: str) -> st.SearchStrategy:
    nasty = st.sampled_from(NASTY_STRINGS)
    characters = st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udc00", "\x01"]))
    plain = st.text(characters, max_size=24)
    if "email" in hint.lower():
        return st.one_of(st.emails(), nasty, plain)
    return st.one_of(plain, nasty, st.from_regex(r"[A-Z0-9-]{1,12}", fullmatch=True))


def date_times() -> st.SearchStrategy:
    near = st.datetimes(
        datetime(2026, 11, 20), datetime(2026, 12, 31), timezones=st.sampled_from(ZONES)
    )
    anywhere = st.datetimes(
        datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.sampled_from(ZONES)
    )
    return st.one_of(
        near.map(datetime.isoformat),
        anywhere.map(datetime.isoformat),
        st.sampled_from(NASTY_DATE_TIMES),
    )


def literal(value: Any) -> str:
    """A value as a GraphQL literal (NaN and infinities have none: they come out invalid)."""
    if value is None:
        return "null"
    if isinstance(value, EnumValue):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)
