"""Downloading an attachment's content: `GET /attachments/{id}` with the caller's bearer token.

Whoever may see the request or task may download its files; anyone else gets 404, so the
route does not reveal which attachments exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.attachments import repository
from app.attachments.storage import current_storage, key_for
from app.core.auth import InvalidToken, principal_from_header


async def download(request: Request) -> Response:
    try:
        principal = principal_from_header(
            request.app.state.settings, request.headers.get("authorization")
        )
    except InvalidToken:
        return JSONResponse({"error": "UNAUTHENTICATED"}, status_code=401)
    if principal is None:
        return JSONResponse({"error": "UNAUTHENTICATED"}, status_code=401)
    raw_id = request.path_params["attachment_id"]
    async with request.app.state.sessions() as session:
        attachment = await repository.get_readable(session, principal, raw_id)
    if attachment is None:
        return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
    content = await current_storage().get(key_for(attachment.blob_sha256))
    return Response(
        content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{_safe_name(attachment.filename)}"',
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _safe_name(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._- ")[:120] or "attachment"


ROUTES: list[BaseRoute] = [Route("/attachments/{attachment_id:int}", download, methods=["GET"])]
