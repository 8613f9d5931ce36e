"""The chatbot platform's side of a conversation: create and qualify a service request from a
bot dialogue (customer by phone or email, asset serial, symptoms, photos), read its status,
and hand the customer over to a live agent with the bot's transcript.

Calls arrive signed (see routes.py); they act as the `chatbot` integration, an agent-like
caller that may only reach the customer the dialogue names.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.assets.models import Asset
from app.attachments.models import AttachmentCreate, Parent
from app.attachments.service import attach
from app.attachments.settings import get_attachment_settings
from app.attachments.storage import current_storage
from app.conversations.inbound import customer_by_phone
from app.conversations.models import Conversation, MessageVia
from app.conversations.service import Subject, open_thread, post_as_customer, post_system_event
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, NotFound
from app.customers.models import Customer, Site
from app.service_requests.models import (
    RequestCategory,
    RequestChannel,
    ServiceRequest,
    ServiceRequestCreate,
)
from app.service_requests.service import create_service_request
from app.work_orders.models import Task

BOT = Principal(subject="integration:chatbot", role=Role.AGENT, name="Chatbot")
MAX_PHOTO_BYTES = 5 * 1024 * 1024
"""Largest photo sent inline (decoded), per photo."""
MAX_PHOTOS = 5
MAX_TRANSCRIPT = 100

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Photo(BaseModel):
    """A photo by URL (kept as a link in the request) or inline as base64 (stored as an
    attachment of the request)."""

    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=1000)] | None = None
    base64: str | None = Field(default=None, max_length=(MAX_PHOTO_BYTES * 4) // 3 + 8)
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)] = "photo.jpg"

    @model_validator(mode="after")
    def _one_source(self) -> Photo:
        if (self.url is None) == (self.base64 is None):
            raise ValueError("give url or base64")
        return self


class CustomerRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None


class RequestIn(BaseModel):
    """A request qualified by the bot."""

    model_config = ConfigDict(extra="forbid")
    customer: CustomerRef
    asset_serial: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None
    ) = Field(default=None, alias="assetSerial")
    symptoms: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    ] = Field(min_length=1, max_length=20)
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    category: RequestCategory = RequestCategory.REPAIR
    photos: list[Photo] = Field(default_factory=list, max_length=MAX_PHOTOS)
    external_ref: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, alias="externalRef"
    )


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sender: Annotated[str, StringConstraints(pattern=r"^(bot|customer)$")] = Field(alias="from")
    text: Text


class StatusIn(BaseModel):
    """A request the bot asks about, for the customer in its dialogue."""

    model_config = ConfigDict(extra="forbid")
    customer: CustomerRef
    service_request_id: int = Field(alias="serviceRequestId", gt=0, le=2**63 - 1)


class HandoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: CustomerRef
    service_request_id: int = Field(alias="serviceRequestId", gt=0, le=2**63 - 1)
    transcript: list[Line] = Field(default_factory=list, max_length=MAX_TRANSCRIPT)


async def _customer(session: AsyncSession, ref: CustomerRef) -> Customer:
    found: Customer | None = None
    if ref.phone:
        found = await customer_by_phone(session, ref.phone)
    if found is None and ref.email:
        found = await session.scalar(
            select(Customer).where(func.lower(col(Customer.email)) == ref.email.strip().lower())
        )
    if found is None:
        raise NotFound("customer", ["customer"])
    return found


async def _asset_and_site(
    session: AsyncSession, customer: Customer, serial: str | None
) -> tuple[int | None, int]:
    if serial:
        asset = await session.scalar(
            select(Asset).where(
                col(Asset.customer_id) == customer.id,
                func.lower(col(Asset.serial_number)) == serial.lower(),
            )
        )
        if asset is None:
            raise NotFound("asset", ["assetSerial"])
        return asset.id, asset.site_id
    site = await session.scalar(
        select(Site).where(col(Site.customer_id) == customer.id).order_by(col(Site.id)).limit(1)
    )
    if site is None or site.id is None:
        raise DomainError("the customer has no site on record", ErrorCode.INVALID, ["customer"])
    return None, site.id


def _decoded(photo: Photo, index: int) -> bytes:
    try:
        content = base64.b64decode(photo.base64 or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DomainError("not base64", ErrorCode.INVALID, ["photos", str(index)]) from exc
    if len(content) > MAX_PHOTO_BYTES:
        raise DomainError("a photo is at most 5 MB", ErrorCode.INVALID, ["photos", str(index)])
    return content


async def create_request(session: AsyncSession, data: RequestIn) -> ServiceRequest:
    """A CHATBOT request for the named customer's asset, its symptoms and photos (inline ones
    stored as the request's attachments, links listed in the description)."""
    customer = await _customer(session, data.customer)
    asset_id, site_id = await _asset_and_site(session, customer, data.asset_serial)
    links = [p.url for p in data.photos if p.url]
    description = "Symptoms: " + "; ".join(data.symptoms)
    if data.description.strip():
        description += "\n" + data.description.strip()
    if links:
        description += "\nPhotos: " + " ".join(links)
    request = await create_service_request(
        session,
        BOT,
        ServiceRequestCreate(
            channel=RequestChannel.CHATBOT,
            category=data.category,
            description=description[:4000],
            customer_id=customer.id or 0,
            site_id=site_id,
            asset_id=asset_id,
            contact_name=customer.name[:200],
            external_ref=data.external_ref,
        ),
    )
    for index, photo in enumerate(data.photos):
        if photo.base64 is None:
            continue
        await attach(
            session,
            BOT,
            Parent(service_request_id=request.id),
            _decoded(photo, index),
            AttachmentCreate(filename=photo.filename),
            storage=current_storage(),
            settings=get_attachment_settings(),
        )
    return request


async def request_of(session: AsyncSession, ref: CustomerRef, request_id: int) -> ServiceRequest:
    """The request, when it is the customer's in the bot's dialogue: a number typed into a
    chat reaches no other customer's request (NOT_FOUND either way)."""
    customer = await _customer(session, ref)
    request = await session.get(ServiceRequest, request_id)
    if request is None or request.customer_id != customer.id:
        raise NotFound("service request", ["serviceRequestId"])
    return request


async def status_of(session: AsyncSession, request_id: int) -> dict[str, Any]:
    request = await session.get(ServiceRequest, request_id)
    if request is None:
        raise NotFound("service request", ["serviceRequestId"])
    visits = (
        await session.scalars(
            select(Task).where(col(Task.service_request_id) == request_id).order_by(col(Task.id))
        )
    ).all()
    return {
        "serviceRequestId": request.id,
        "reference": f"SR-{request.id}",
        "status": request.status.value,
        "priority": request.priority,
        "visits": [
            {
                "status": task.status.value,
                "scheduledStart": task.scheduled_start.isoformat()
                if task.scheduled_start
                else None,
                "scheduledEnd": task.scheduled_end.isoformat() if task.scheduled_end else None,
            }
            for task in visits
        ],
    }


async def hand_over(session: AsyncSession, data: HandoverIn) -> Conversation:
    """Open the request's thread and post the bot's transcript: the customer's lines as their
    messages, the bot's as system messages, then a hand-over notice for the desk."""
    request = await request_of(session, data.customer, data.service_request_id)
    customer = await session.get(Customer, request.customer_id)
    assert customer is not None
    subject = Subject.service_request(data.service_request_id)
    thread = await open_thread(session, subject=subject)
    for line in data.transcript:
        if line.sender == "customer":
            await post_as_customer(
                session, subject, request.customer_id, customer.name, line.text, MessageVia.CHATBOT
            )
        else:
            await post_system_event(session, subject, f"Chatbot: {line.text}")
    await post_system_event(
        session, subject, "The customer asked for a person: an agent will answer here."
    )
    return thread
