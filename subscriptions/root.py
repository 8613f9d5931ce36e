"""The root Subscription type, composed from one class per domain."""

from __future__ import annotations

import strawberry

from subscriptions.alerts import AlertSubscription
from subscriptions.conversations import ConversationsSubscription
from subscriptions.depot_repair import DepotRepairSubscription
from subscriptions.dispatch_board import DispatchBoardSubscription
from subscriptions.inventory import InventorySubscription
from subscriptions.kpis import KpisSubscription
from subscriptions.notifications import NotificationsSubscription
from subscriptions.remote_service import RemoteServiceSubscription
from subscriptions.tasks import TaskSubscription
from subscriptions.tracking import TrackingSubscription


@strawberry.type(description="Live streams, served over GraphQL WebSocket connections.")
class Subscription(
    AlertSubscription,
    TrackingSubscription,
    InventorySubscription,
    TaskSubscription,
    NotificationsSubscription,
    DepotRepairSubscription,
    KpisSubscription,
    DispatchBoardSubscription,
    RemoteServiceSubscription,
    ConversationsSubscription,
):
    pass
