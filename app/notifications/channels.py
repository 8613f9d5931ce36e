"""Channel adapters: one interface, in-app, SMTP email, and a generic HTTP provider (SMS,
WhatsApp, voice, push) configured as data (URL, auth header, JSON payload template)."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import httpx

from app.notifications.models import Channel
from app.notifications.templates import render_json


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    idempotency_key: str
    channel: Channel
    address: str
    subject: str | None
    body: str
    language: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_message_id: str | None = None
    delivered: bool = False
    """True when the channel itself is the final destination (in-app)."""


class DeliveryError(Exception):
    """A failed send; `permanent` ones (a refused address, a bad request) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChannelAdapter(Protocol):
    async def send(self, message: OutgoingMessage) -> SendResult: ...


class InAppAdapter:
    """The notification row is the inbox entry; delivery is publishing it to the recipient."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        return SendResult(provider_message_id=message.idempotency_key, delivered=True)


class SmtpAdapter:
    """Email through an SMTP relay (`smtplib` in a worker thread). The Message-ID is derived
    from the idempotency key, so relays and inboxes that deduplicate on it show one copy."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host = str(config.get("host", "127.0.0.1"))
        self.port = int(config.get("port", 25))
        self.sender = str(config.get("sender", "noreply@fieldgraph.local"))
        self.username = config.get("username")
        self.password = config.get("password")
        self.starttls = bool(config.get("starttls", False))
        self.timeout = float(config.get("timeout_seconds", 10))

    def _build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        email["Subject"] = message.subject or ""
        email["Message-ID"] = make_msgid(idstring=message.idempotency_key, domain="fieldgraph")
        email["X-Idempotency-Key"] = message.idempotency_key
        email["Content-Language"] = message.language
        email.set_content(message.body)
        return email

    def _send_blocking(self, email: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls()
            if self.username:
                client.login(str(self.username), str(self.password or ""))
            client.send_message(email)

    async def send(self, message: OutgoingMessage) -> SendResult:
        email = self._build(message)
        try:
            await asyncio.to_thread(self._send_blocking, email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp: {exc}") from exc
        return SendResult(provider_message_id=str(email["Message-ID"]))


DEFAULT_PAYLOAD = {
    "to": "${address}",
    "subject": "${subject}",
    "text": "${body}",
    "language": "${language}",
    "reference": "${idempotency_key}",
    "event": "${event}",
}


class HttpProviderAdapter:
    """A provider API reached by one JSON POST: `url`, optional `auth_header` and `auth_value`,
    and a `payload` template whose strings take `${address}`, `${body}`, `${subject}`,
    `${language}`, `${idempotency_key}`, `${event}` and the event's data. The idempotency key
    also goes in the `Idempotency-Key` header."""

    def __init__(self, config: dict[str, Any], client: httpx.AsyncClient | None = None) -> None:
        self.url = str(config.get("url", ""))
        self.auth_header = config.get("auth_header")
        self.auth_value = config.get("auth_value")
        self.payload = config.get("payload") or DEFAULT_PAYLOAD
        self.timeout = float(config.get("timeout_seconds", 10))
        self.client = client

    def _values(self, message: OutgoingMessage) -> dict[str, Any]:
        return {
            **{k: v for k, v in message.data.items() if not isinstance(v, dict | list)},
            "address": message.address,
            "subject": message.subject or "",
            "body": message.body,
            "language": message.language,
            "idempotency_key": message.idempotency_key,
            "event": message.event,
            "channel": message.channel.value,
        }

    async def send(self, message: OutgoingMessage) -> SendResult:
        if not self.url:
            raise DeliveryError(f"no provider URL configured for {message.channel}", permanent=True)
        headers = {"Idempotency-Key": message.idempotency_key}
        if self.auth_header and self.auth_value:
            headers[str(self.auth_header)] = str(self.auth_value)
        body = render_json(self.payload, self._values(message))
        try:
            if self.client is not None:
                response = await self.client.post(self.url, json=body, headers=headers)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"http: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 400:
            permanent = response.status_code < 500 and response.status_code not in (408, 409, 429)
            raise DeliveryError(f"provider answered {response.status_code}", permanent=permanent)
        return SendResult(provider_message_id=_message_id(response))


def _message_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("id", "message_id", "messageId", "sid"):
            if body.get(key) is not None:
                return str(body[key])[:200]
    return None


def adapter_for(channel: Channel, config: dict[str, Any] | None) -> ChannelAdapter | None:
    """The adapter of a channel, or None when it has no provider configured."""
    if channel is Channel.IN_APP:
        return InAppAdapter()
    if config is None:
        return None
    if channel is Channel.EMAIL:
        return SmtpAdapter(config)
    return HttpProviderAdapter(config)
