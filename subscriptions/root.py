"""The root Subscription type, composed from one class per domain."""

from __future__ import annotations

import strawberry

from subscriptions.alerts import AlertSubscription


@strawberry.type
class Subscription(AlertSubscription):
    pass
