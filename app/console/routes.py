"""The console's pages: the built app (console/dist) at /console/ and the little
configuration it reads at start (/console/config.json). `make console` builds the app; until
it is built /console says so instead of a blank page."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from app.console.settings import get_console_settings

DIST = Path(__file__).resolve().parents[2] / "console" / "dist"
NOT_BUILT = (
    "The console is not built. Run `make console` (it needs node 20 and npm), "
    "then reload this page.\n"
)


def console_built(dist: Path = DIST) -> bool:
    return (dist / "index.html").is_file()


class ConsoleFiles:
    """console/dist as static files, index.html at /console/; a plain 503 while unbuilt."""

    def __init__(self, dist: Path | None = None) -> None:
        self.dist = dist or get_console_settings().dist or DIST
        self.files = StaticFiles(directory=self.dist, html=True, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response: Response | StaticFiles = self.files
        if not console_built(self.dist):
            response = PlainTextResponse(NOT_BUILT, status_code=503)
        await response(scope, receive, send)


async def config(request: Request) -> JSONResponse:
    return JSONResponse(
        {"tileUrl": get_console_settings().tile_url}, headers={"Cache-Control": "no-store"}
    )


async def to_index(request: Request) -> RedirectResponse:
    return RedirectResponse("/console/", status_code=308)


ROUTES: list[BaseRoute] = [
    Route("/console/config.json", config),
    Route("/console", to_index),
    Mount("/console", app=ConsoleFiles(), name="console"),
]
