"""Signed offer links: `<offer id>.<expiry, unix seconds>.<nonce>.<signature>`.

The signature is an HMAC-SHA256 of the first three parts with RENEWALS_OFFER_LINK_SECRET;
a forged or altered token fails it, an old one its expiry. The nonce is the offer's own, so a
link names one version of an offer only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from app.core.errors import DomainError, ErrorCode
from app.renewals.models import Offer
from app.renewals.settings import get_renewal_settings


def _mac(message: str) -> str:
    secret = get_renewal_settings().offer_link_secret
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def expiry_of(offer: Offer) -> datetime:
    """The link opens until the end of the offer's last day plus the grace days."""
    last = offer.valid_until or (offer.created_at.date() + timedelta(days=30))
    grace = get_renewal_settings().link_grace_days
    return datetime.combine(last + timedelta(days=grace + 1), time(), UTC)


def sign(offer: Offer) -> str:
    body = f"{offer.id}.{int(expiry_of(offer).timestamp())}.{offer.nonce}"
    return f"{body}.{_mac(body)}"


def url(offer: Offer) -> str:
    from app.notifications.settings import get_notification_settings

    return f"{get_notification_settings().public_url.rstrip('/')}/offers/{sign(offer)}"


@dataclass(frozen=True, slots=True)
class OfferClaims:
    offer_id: int
    nonce: str


def verify(token: str, now: datetime) -> OfferClaims:
    """The offer a token names; INVALID when forged or altered, CONFLICT when expired."""
    parts = token.split(".")
    if not token.isascii() or len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        raise DomainError("not an offer link", ErrorCode.INVALID, ["token"])
    offer_id, expiry, nonce, signature = parts
    if not hmac.compare_digest(signature, _mac(f"{offer_id}.{expiry}.{nonce}")):
        raise DomainError("the offer link's signature is not valid", ErrorCode.INVALID, ["token"])
    if now >= datetime.fromtimestamp(int(expiry), UTC):
        raise DomainError("the offer link has expired", ErrorCode.CONFLICT, ["token"])
    return OfferClaims(int(offer_id), nonce)
