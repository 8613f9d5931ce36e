"""An inspection's report: the same content as JSON (the API) and as a printable HTML page."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.models import Asset
from app.customers.models import Customer, Site
from app.inspections import repository
from app.inspections.models import ChecklistTemplate, ChecklistTemplateVersion, Inspection
from app.work_orders.models import Task


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return f"signed by {value.get('signerName', '')}"
    return str(value)


async def build(session: AsyncSession, inspection: Inspection) -> dict[str, Any]:
    assert inspection.id is not None
    version = await session.get(ChecklistTemplateVersion, inspection.template_version_id)
    assert version is not None
    template = await session.get(ChecklistTemplate, version.template_id)
    task = await session.get(Task, inspection.task_id)
    customer = await session.get(Customer, inspection.customer_id)
    site = await session.get(Site, task.site_id) if task is not None else None
    asset = await session.get(Asset, inspection.asset_id) if inspection.asset_id else None
    answers = {a.item_key: a for a in await repository.answers_of(session, [inspection.id])}
    follow_ups = {f.item_key: f for f in await repository.follow_ups_of(session, [inspection.id])}
    sections = []
    for section in version.sections:
        rows = []
        for raw in section["items"]:
            answer = answers.get(raw["key"])
            follow_up = follow_ups.get(raw["key"])
            rows.append(
                {
                    "key": raw["key"],
                    "label": raw["label"],
                    "kind": raw["kind"],
                    "unit": raw.get("unit"),
                    "answer": None if answer is None else _shown(answer.value),
                    "failed": bool(answer and answer.failed),
                    "followUpTaskId": follow_up.task_id if follow_up else None,
                }
            )
        sections.append({"title": section["title"], "items": rows})
    return {
        "inspectionId": inspection.id,
        "status": inspection.status.value,
        "template": template.name if template else "",
        "templateVersion": version.number,
        "customer": customer.name if customer else "",
        "site": site.name if site else "",
        "asset": asset.serial_number if asset else None,
        "taskId": inspection.task_id,
        "startedAt": inspection.started_at.isoformat(),
        "submittedAt": inspection.submitted_at.isoformat() if inspection.submitted_at else None,
        "sections": sections,
    }


def html(report: dict[str, Any]) -> str:
    """A self-contained printable page; every value is escaped."""
    e = escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Inspection {report['inspectionId']}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #999;padding:4px;text-align:left}.failed{color:#b00;"
        "font-weight:bold}@media print{a{display:none}}</style></head><body>",
        f"<h1>Inspection report #{report['inspectionId']}</h1>",
        f"<p>{e(report['template'])} (version {report['templateVersion']}) &middot; "
        f"{e(report['status'])}</p>",
        f"<p>Customer: {e(report['customer'])} &middot; Site: {e(str(report['site']))}"
        f" &middot; Asset: {e(str(report['asset'] or '-'))}</p>",
        f"<p>Started {e(report['startedAt'])}; "
        f"submitted {e(str(report['submittedAt'] or '-'))}</p>",
    ]
    for section in report["sections"]:
        parts.append(
            f"<h2>{e(section['title'])}</h2><table><tr><th>Item</th><th>Answer</th>"
            "<th>Result</th></tr>"
        )
        for item in section["items"]:
            answer = "-" if item["answer"] is None else f"{item['answer']} {item['unit'] or ''}"
            result = "Failed" if item["failed"] else ("OK" if item["answer"] is not None else "")
            if item["followUpTaskId"]:
                result += f" (follow-up task {item['followUpTaskId']})"
            css = " class='failed'" if item["failed"] else ""
            parts.append(
                f"<tr><td>{e(item['label'])}</td><td>{e(answer.strip())}</td>"
                f"<td{css}>{e(result)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)
