"""GraphiQL works without the internet: its page and libraries are served by the API itself."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import shutil
import tempfile
from collections.abc import AsyncIterator

import pytest

from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.events import Broker
from app.main import create_app
from app.static import GRAPHIQL_DIR, GRAPHIQL_URL, graphiql_html
from tests.support import GraphQLClient, serving

ASSET = re.compile(r'(?:src|href)="([^"]+)"\s+integrity="(sha\d+)-([^"]+)"')
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)


def test_the_page_loads_nothing_from_another_host() -> None:
    page = graphiql_html()
    external = re.findall(r'(?:src|href)="(https?:)?//', page)

    assert external == []
    assert len(ASSET.findall(page)) == 7


def test_every_vendored_file_matches_the_hash_the_page_pins() -> None:
    for url, algorithm, digest in ASSET.findall(graphiql_html()):
        assert url.startswith(GRAPHIQL_URL + "/")
        content = (GRAPHIQL_DIR / url.removeprefix(GRAPHIQL_URL + "/")).read_bytes()
        assert base64.b64encode(hashlib.new(algorithm, content).digest()).decode() == digest


async def test_the_page_and_its_libraries_are_served(gql: GraphQLClient) -> None:
    page = await gql.http.get("/graphql", headers={"Accept": "text/html"})
    urls = [url for url, _, _ in ASSET.findall(page.text)]
    assets = [await gql.http.get(url) for url in urls]

    assert page.status_code == 200
    assert [asset.status_code for asset in assets] == [200] * 7
    assert assets[0].headers["content-type"].startswith("text/javascript")


@pytest.fixture
async def address(
    settings: Settings, sessions: SessionFactory, broker: Broker
) -> AsyncIterator[str]:
    async with serving(create_app(settings, sessions=sessions, broker=broker)) as address:
        yield address


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (`make test` installs it)"
)
async def test_graphiql_shows_its_editor_in_a_browser_with_no_network(address: str) -> None:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        browser = await asyncio.create_subprocess_exec(
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            # No other host resolves and every connection but loopback goes to a closed port.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9",
            "--virtual-time-budget=20000",
            "--dump-dom",
            f"http://{address}/graphql",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(browser.communicate(), timeout=90)
        finally:
            if browser.returncode is None:
                browser.kill()
                await browser.wait()
    dom = out.decode()

    assert "graphiql-editor" in dom, dom[-2000:]
    assert "Welcome to GraphiQL" in dom
    assert ">Loading...<" not in dom
