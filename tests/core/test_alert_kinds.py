"""Alerts carry a kind from a closed list; every kind the app raises is on it."""

from __future__ import annotations

import ast
from pathlib import Path

from app.billing.channels import UPSELL_STOCK_SHORT
from app.core.alerts import AlertKind
from app.sla.models import EscalationTrigger
from app.tracking.channels import TECHNICIAN_RUNNING_LATE
from subscriptions.alerts import Alert

APP = Path(__file__).resolve().parents[2] / "app"


def test_every_kind_the_app_raises_is_a_known_alert_kind() -> None:
    raised = {UPSELL_STOCK_SHORT, TECHNICIAN_RUNNING_LATE}
    raised |= {f"SLA_{trigger.value}" for trigger in EscalationTrigger}
    raised |= _literal_kinds_queued_on_alerts()
    assert raised - {kind.value for kind in AlertKind} == set()
    assert {"TASK_FLAGGED", "TASK_REJECTED_REPEATEDLY"} <= raised


def test_an_unknown_kind_reads_as_other_with_its_message() -> None:
    alert = Alert.from_event(
        {"kind": "SOMETHING_NEW", "at": "2026-12-04T10:00:00+00:00", "data": {"message": "m"}}
    )
    assert alert.kind is AlertKind.OTHER and alert.message == "m"


def _literal_kinds_queued_on_alerts() -> set[str]:
    """String literals passed as the kind of `queue_event(session, ALERTS, "KIND", ...)`."""
    kinds = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "queue_event"):
                continue
            channel, kind = [*node.args[1:3], None, None][:2]
            on_alerts = isinstance(channel, ast.Name) and channel.id == "ALERTS"
            if on_alerts and isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                kinds.add(kind.value)
    return kinds
