"""Messages arriving from outside the API: a customer's WhatsApp or SMS reply on the inbound
webhook lands in the thread of their open service request (their newest), or else in their
direct thread with the desk."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.conversations.models import Message, MessageVia
from app.conversations.service import Subject, post_as_customer
from app.customers.models import Customer
from app.service_requests.models import OPEN_REQUEST_STATUSES, ServiceRequest

VIA = {"WHATSAPP": MessageVia.WHATSAPP, "SMS": MessageVia.SMS}


def _digits(column: object) -> object:
    return func.regexp_replace(column, r"\D", "", "g")


async def customer_by_phone(session: AsyncSession, sender: str | None) -> Customer | None:
    """The customer whose WhatsApp or phone number is the sender's (digits compared)."""
    digits = re.sub(r"\D", "", sender or "")
    if len(digits) < 6:
        return None
    return await session.scalar(
        select(Customer)
        .where((_digits(Customer.whatsapp) == digits) | (_digits(Customer.phone) == digits))
        .order_by(col(Customer.id))
        .limit(1)
    )


async def open_request_of(session: AsyncSession, customer_id: int) -> ServiceRequest | None:
    return await session.scalar(
        select(ServiceRequest)
        .where(
            col(ServiceRequest.customer_id) == customer_id,
            col(ServiceRequest.status).in_(OPEN_REQUEST_STATUSES),
        )
        .order_by(col(ServiceRequest.id).desc())
        .limit(1)
    )


async def receive_reply(
    session: AsyncSession,
    sender: str | None,
    text: str | None,
    channel: str | None,
    customer_id: int | None = None,
) -> Message | None:
    """The reply as a message in the customer's thread; None when the sender is no customer
    (`customer_id`, when the reply is known to answer one of theirs, wins over the number)."""
    customer = (
        await session.get(Customer, customer_id)
        if customer_id is not None
        else await customer_by_phone(session, sender)
    )
    if customer is None or customer.id is None or not (text or "").strip():
        return None
    request = await open_request_of(session, customer.id)
    subject = Subject.service_request(request.id or 0) if request else Subject.direct(customer.id)
    via = VIA.get(str(channel or "").upper(), MessageVia.WHATSAPP)
    return await post_as_customer(session, subject, customer.id, customer.name, text or "", via)
