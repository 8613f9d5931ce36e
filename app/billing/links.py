"""Payment links: a signed, expiring token the customer opens to pay online.

The token is `<link id>.<expiry, unix seconds>.<nonce>.<signature>`, the signature an
HMAC-SHA256 of the first three parts with PAYMENT_LINK_SECRET. A forged or altered token
fails the signature; an old one its expiry; a paid one is shown as paid and pays nothing
twice (the link's status and the provider's unique transaction id).

An open link always asks for the invoice's balance due now: `sync` runs with every change of
the balance (payments, credit notes) and closes the links when nothing is left to pay.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.models import Invoice, InvoiceKind, InvoiceStatus, LinkStatus, PaymentLink
from app.billing.settings import BillingSettings, get_billing_settings
from app.core.errors import DomainError, ErrorCode, NotFound


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(link: PaymentLink, settings: BillingSettings | None = None) -> str:
    settings = settings or get_billing_settings()
    body = f"{link.id}.{int(link.expires_at.timestamp())}.{link.nonce}"
    return f"{body}.{_mac(settings.payment_link_secret, body)}"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    link_id: int
    expires_at: datetime
    nonce: str


def verify(
    token: str,
    now: datetime,
    settings: BillingSettings | None = None,
    *,
    allow_expired: bool = False,
) -> LinkClaims:
    """The link a token names; INVALID when forged or altered, CONFLICT when expired (unless
    `allow_expired`: the provider's notice of money already taken)."""
    settings = settings or get_billing_settings()
    parts = token.split(".")
    if len(parts) != 4:
        raise DomainError("not a payment link", ErrorCode.INVALID, ["token"])
    link_id, expiry, nonce, signature = parts
    body = f"{link_id}.{expiry}.{nonce}"
    if not hmac.compare_digest(signature, _mac(settings.payment_link_secret, body)):
        raise DomainError("the payment link's signature is not valid", ErrorCode.INVALID, ["token"])
    expires_at = datetime.fromtimestamp(int(expiry), UTC)
    if now >= expires_at and not allow_expired:
        raise DomainError("the payment link has expired", ErrorCode.CONFLICT, ["token"])
    return LinkClaims(int(link_id), expires_at, nonce)


def new_link(
    invoice_id: int, amount: Decimal, currency: str, actor: str, now: datetime
) -> PaymentLink:
    settings = get_billing_settings()
    return PaymentLink(
        invoice_id=invoice_id,
        amount=amount,
        currency=currency,
        nonce=secrets.token_urlsafe(16),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.payment_link_ttl_minutes),
        created_by=actor,
    )


async def find_link(
    session: AsyncSession, token: str, now: datetime, *, lock: bool = False
) -> PaymentLink:
    """The link a valid token names, whatever its status and expiry (the provider's notice
    of money taken on it is recorded even when the link closed or expired meanwhile)."""
    claims = verify(token, now, allow_expired=True)
    statement = select(PaymentLink).where(
        col(PaymentLink.id) == claims.link_id, col(PaymentLink.nonce) == claims.nonce
    )
    link = await session.scalar(statement.with_for_update() if lock else statement)
    if link is None:
        raise NotFound("payment link", ["token"])
    return link


async def open_link(
    session: AsyncSession, token: str, now: datetime, *, lock: bool = False
) -> PaymentLink:
    """The link a customer opens: unexpired and not replaced by a newer one."""
    verify(token, now)
    link = await find_link(session, token, now, lock=lock)
    if link.status is LinkStatus.CANCELLED:
        raise DomainError("the payment link was cancelled", ErrorCode.CONFLICT, ["token"])
    return link


PAYABLE = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def due_now(invoice: Invoice) -> Decimal:
    """What a link of the invoice may take now: its balance while it is payable, else 0."""
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status not in PAYABLE:
        return Decimal("0.00")
    return max(invoice.balance, Decimal("0.00"))


def current(link: PaymentLink, invoice: Invoice) -> tuple[LinkStatus, Decimal]:
    """What an open link shows: the balance due now, or CLOSED when nothing is (read from
    the invoice, so a link never shows a stale amount even before `sync` ran)."""
    if link.status is not LinkStatus.OPEN:
        return link.status, link.amount
    due = due_now(invoice)
    return (LinkStatus.OPEN, due) if due > 0 else (LinkStatus.CLOSED, Decimal("0.00"))


async def sync(session: AsyncSession, invoice: Invoice) -> None:
    """After the invoice's balance changed: its open links ask for the new balance, or
    close when nothing is left to pay."""
    for link in (
        await session.scalars(
            select(PaymentLink).where(
                col(PaymentLink.invoice_id) == invoice.id,
                col(PaymentLink.status) == LinkStatus.OPEN,
            )
        )
    ).all():
        link.status, link.amount = current(link, invoice)


def provider_signature(body: bytes, settings: BillingSettings | None = None) -> str:
    """What a provider's callback must carry in X-Provider-Signature (hex HMAC-SHA256)."""
    settings = settings or get_billing_settings()
    return hmac.new(settings.payment_provider_secret.encode(), body, hashlib.sha256).hexdigest()


def provider_signature_ok(body: bytes, signature: str | None) -> bool:
    return signature is not None and hmac.compare_digest(provider_signature(body), signature)
