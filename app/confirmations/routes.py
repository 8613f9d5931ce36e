"""Inbound replies to confirmation requests, from a messaging or voice provider (signed)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.confirmations.ladder import confirmation_for_reply, parse_reply, record_answer
from app.conversations.inbound import receive_reply
from app.core.db import unit_of_work
from app.core.errors import DomainError, ErrorCode, NotFound
from app.core.models import utcnow
from app.notifications.http import error_response, services
from app.notifications.routes import signed_json
from app.notifications.service import remember_receipt
from app.work_orders.models import Task


async def inbound_reply(request: Request) -> Response:
    """`{"reference": <confirmation request key>, "from": <phone>, "button": CONFIRM|REJECT|
    RESCHEDULE, "text": "yes", "channel": "WHATSAPP"}`; an unclear text is kept, not guessed,
    and posted into the customer's conversation, as is any message from a known customer
    that answers no open confirmation."""
    sessions, broker = services(request)
    try:
        payload = await signed_json(request, "confirmation-reply")
        answer = parse_reply(payload.get("button"), payload.get("text"))
        async with unit_of_work(sessions, broker) as session:
            await remember_receipt(session, *request.state.receipt)
            reference = payload.get("reference")
            try:
                confirmation = await confirmation_for_reply(
                    session,
                    str(reference).removesuffix(":voice") if reference else None,
                    payload.get("from"),
                )
            except NotFound:
                # Not an answer to a confirmation: a message for the customer's thread.
                message = await receive_reply(
                    session, payload.get("from"), payload.get("text"), payload.get("channel")
                )
                if message is None:
                    raise
                return JSONResponse({"understood": False, "conversation": message.conversation_id})
            if answer is None:
                confirmation.reply_text = str(payload.get("text") or "")[:1000]
                task = await session.get(Task, confirmation.task_id)
                await receive_reply(
                    session,
                    payload.get("from"),
                    payload.get("text"),
                    payload.get("channel"),
                    customer_id=task.customer_id if task else None,
                )
                return JSONResponse({"understood": False, "status": confirmation.status.value})
            await record_answer(
                session,
                confirmation,
                answer,
                via=str(payload.get("channel") or "MESSAGE")[:40],
                now=utcnow(),
                text=payload.get("text"),
                reason=payload.get("reason"),
            )
    except DomainError as exc:
        return error_response(exc)
    except (TypeError, KeyError) as exc:
        return error_response(DomainError(f"bad reply: {exc}", ErrorCode.INVALID))
    return JSONResponse({"understood": True, "status": confirmation.status.value})


ROUTES: list[BaseRoute] = [Route("/hooks/confirmations/replies", inbound_reply, methods=["POST"])]
