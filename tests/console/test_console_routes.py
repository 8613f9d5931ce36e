"""/console serves the built app and its configuration, and says plainly when it is unbuilt."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.console.routes import NOT_BUILT, ConsoleFiles
from app.console.settings import ConsoleSettings, get_console_settings
from tests.support import GraphQLClient


async def test_the_config_carries_the_tile_url_only_when_one_is_set(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    blank = (await gql.http.get("/console/config.json")).json()
    monkeypatch.setenv("CONSOLE_TILE_URL", "http://tiles.internal/{z}/{x}/{y}.png")
    get_console_settings.cache_clear()
    try:
        tiled = (await gql.http.get("/console/config.json")).json()
    finally:
        monkeypatch.delenv("CONSOLE_TILE_URL")
        get_console_settings.cache_clear()

    assert blank == {"tileUrl": ConsoleSettings().tile_url} == {"tileUrl": None}
    assert tiled == {"tileUrl": "http://tiles.internal/{z}/{x}/{y}.png"}


async def test_console_without_a_slash_goes_to_the_app(gql: GraphQLClient) -> None:
    response = await gql.http.get("/console")

    assert response.status_code == 308
    assert response.headers["location"] == "/console/"


async def test_an_unbuilt_console_says_how_to_build_it(tmp_path: Path) -> None:
    files = ConsoleFiles(tmp_path / "dist")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=files), base_url="http://127.0.0.1"
    ) as http:
        response = await http.get("/")

    assert response.status_code == 503
    assert response.text == NOT_BUILT
    assert "make console" in response.text


async def test_a_built_console_serves_its_page_and_assets(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>console</title>")
    (dist / "assets" / "app.js").write_text("console.log('hi')")
    files = ConsoleFiles(dist)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=files), base_url="http://127.0.0.1"
    ) as http:
        page = await http.get("/")
        script = await http.get("/assets/app.js")

    assert page.status_code == 200 and "<title>console</title>" in page.text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")


async def test_the_built_console_may_live_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the image keeps it beside the migrations, not in the installed package
    (tmp_path / "index.html").write_text("<!doctype html><title>elsewhere</title>")
    monkeypatch.setenv("CONSOLE_DIST", str(tmp_path))
    get_console_settings.cache_clear()
    try:
        files = ConsoleFiles()
    finally:
        monkeypatch.delenv("CONSOLE_DIST")
        get_console_settings.cache_clear()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=files), base_url="http://127.0.0.1"
    ) as http:
        page = await http.get("/")

    assert page.status_code == 200 and "<title>elsewhere</title>" in page.text
