"""The exported schema is the contract: a change must come with an updated snapshot."""

from __future__ import annotations

from app.cli import SCHEMA_FILE
from app.core.config import Settings
from app.main import build_schema


def test_the_committed_schema_snapshot_is_current(settings: Settings) -> None:
    current = build_schema(settings).as_str() + "\n"
    assert SCHEMA_FILE.read_text() == current, (
        "run `fieldgraph export-schema` and commit the result"
    )


def test_the_contract_names_of_api_md_are_present(settings: Settings) -> None:
    sdl = build_schema(settings).as_str()
    for name in (
        "interface Node",
        "type PageInfo",
        "type UserError",
        "enum ErrorCode",
        "me: Viewer!",
    ):
        assert name in sdl
