"""The printable inspection report at a signed URL: `GET /inspections/report/{token}`.

The token (see `links`) is the only credential, so the customer can open it from an email; a
forged, altered or expired token gets 404 and reveals nothing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from app.core.models import utcnow
from app.inspections import links, report
from app.inspections.models import Inspection


async def show_report(request: Request) -> Response:
    inspection_id = links.verify(request.app.state.settings, request.path_params["token"], utcnow())
    if inspection_id is None:
        return HTMLResponse("<h1>Not found</h1>", status_code=404)
    async with request.app.state.sessions() as session:
        inspection = await session.get(Inspection, inspection_id)
        if inspection is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        page = report.html(await report.build(session, inspection))
    return HTMLResponse(
        page,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


ROUTES: list[BaseRoute] = [Route("/inspections/report/{token}", show_report, methods=["GET"])]
