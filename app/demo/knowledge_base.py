"""The demo city's knowledge base: a troubleshooting article for every fault the demo's
technicians meet (internal, linked to the product models of that trade, with the fault codes
the customers quote), self-help articles customers read, one draft under review, one draft
and one archived article; technicians' votes on completed jobs the articles helped with, and
a technician's proposed update waiting for review. So `suggestedArticles` on a demo task
ranks the article for its fault first.

Deterministic: articles follow the fault table's order, votes the tasks' ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset, ProductModel
from app.core.auth import Principal, Role
from app.demo import faults as fx
from app.knowledge_base import service
from app.knowledge_base.models import (
    Article,
    ArticleContent,
    ArticleStatus,
    Audience,
    Medium,
    ProposalCreate,
)
from app.work_orders.models import Task, TaskStatus

AUTHOR = Principal("user:3", Role.AGENT, "Kavya Nair (knowledge editor)")
REVIEWER = Principal("user:4", Role.MANAGER, "Mahesh Kulkarni (service manager)")
CODE = re.compile(r"\b(E\d{1,3}|OE|IE|F\d{1,3})\b")
PARTS = {p.sku: p for p in fx.PARTS}
VOTES_PER_FAULT = 3


@dataclass(frozen=True, slots=True)
class SelfHelp:
    """A customer article: what the customer can check before booking a visit."""

    title: str
    trade: str
    body: str
    symptoms: tuple[str, ...]
    codes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


SELF_HELP: tuple[SelfHelp, ...] = (
    SelfHelp(
        "Your split AC is not cooling: clean the air filters",
        "ac_repair",
        "Dusty filters are the most common reason a split AC blows warm air.\n\n"
        "1. Switch the AC off at the wall.\n2. Lift the front panel and slide out both filters."
        "\n3. Wash them in lukewarm water, dry them in the shade and slide them back.\n\n"
        "Still warm after 30 minutes? Book a visit: the gas may need topping up.",
        ("AC not cooling", "weak airflow"),
        tags=("ac", "filter", "self-help"),
    ),
    SelfHelp(
        "AC display shows E5: reset the unit",
        "ac_repair",
        "**E5** means the indoor unit lost contact with a sensor or the outdoor unit.\n\n"
        "Switch the AC off at the MCB for five minutes, then on again. If E5 returns within "
        "the hour, book a visit and quote the code.",
        ("display blinks E5", "remote does nothing"),
        codes=("E5",),
        tags=("ac", "error-code", "self-help"),
    ),
    SelfHelp(
        "Washing machine shows OE: clean the drain filter",
        "washing_machine",
        "**OE** means the water did not drain. Coins and hair clips often block the pump.\n\n"
        "1. Unplug the machine and put a tray under the small flap at the front bottom.\n"
        "2. Unscrew the drain filter slowly and let the water run out.\n"
        "3. Clear what you find, screw the filter back and run a rinse.",
        ("machine does not drain", "water stays in the drum"),
        codes=("OE",),
        tags=("washing-machine", "drain", "self-help"),
    ),
    SelfHelp(
        "Refrigerator not cooling enough: three checks",
        "refrigeration",
        "- Keep 10 cm between the back of the fridge and the wall.\n"
        "- Set the thermostat knob to the middle position.\n"
        "- Close the door on a sheet of paper: if it slides out easily, the gasket is worn.",
        ("fridge not cooling", "food spoiling"),
        tags=("refrigerator", "self-help"),
    ),
    SelfHelp(
        "Smart TV apps do not load: reset the network",
        "tv_electronics",
        "Open *Settings > Network > Reset network*, reconnect to your Wi-Fi and sign in to the "
        "apps again. Restart the router if other devices are also offline.",
        ("Wi-Fi does not connect", "apps do not load"),
        tags=("tv", "wifi", "self-help"),
    ),
    SelfHelp(
        "When to change your RO purifier's filters",
        "plumbing",
        "Change the pre-filters every 6 months and the membrane every 12 to 18 months. "
        "Salty or bitter water means the membrane is exhausted: book a service visit.",
        ("water tastes salty",),
        tags=("water-purifier", "maintenance", "self-help"),
    ),
    SelfHelp(
        "Smell of gas in the kitchen: what to do now",
        "gas_safety",
        "1. Do **not** switch any light or appliance on or off.\n"
        "2. Close the cylinder valve and open every window.\n"
        "3. Leave the kitchen and call us, or your gas distributor's emergency number.",
        ("smell of gas", "gas leak"),
        tags=("gas", "safety", "self-help"),
    ),
    SelfHelp(
        "Inverter battery: top up the distilled water",
        "solar_inverter",
        "Check the float indicators every month. Top up with distilled water only, never tap "
        "water, up to the upper mark. A battery that needs water every week needs a check.",
        ("short backup time",),
        tags=("inverter", "battery", "maintenance", "self-help"),
    ),
    SelfHelp(
        "Fibre internet down: restart the ONT the right way",
        "telecom_fibre",
        "Switch the ONT off for 30 seconds and on again; wait for the PON light to turn steady "
        "green. A red LOS light means the fibre is cut or bent: book a visit.",
        ("internet down", "LOS light red"),
        tags=("fibre", "ont", "self-help"),
    ),
    SelfHelp(
        "Geyser trips the MCB: stop using it",
        "plumbing",
        "A geyser that trips the MCB may leak current. Leave it switched off at the MCB and "
        "book a visit: a technician will test the thermostat and the element.",
        ("geyser trips the MCB",),
        tags=("geyser", "safety", "self-help"),
    ),
)


def _title(fault: fx.Fault) -> str:
    return "Diagnose and fix: " + fault.description.rstrip(".")


def _body(fault: fx.Fault) -> str:
    lines = [
        "## What the customer reports",
        fault.description,
        "",
        "## Likely cause and fix",
        fault.notes,
        "",
        f"Close the job with resolution code `{fault.resolution}`.",
    ]
    if fault.parts:
        lines += ["", "## Parts to carry", ""]
        lines += [f"- `{sku}` {PARTS[sku].name}" for sku in fault.parts if sku in PARTS]
    lines += ["", "> Test under load for 15 minutes before closing the job."]
    return "\n".join(lines)


async def _models_by_trade(session: AsyncSession) -> dict[str, list[int]]:
    rows = (await session.execute(select(ProductModel.id, ProductModel.name))).all()
    by_trade: dict[str, list[int]] = {}
    for model_id, name in rows:
        for trade in dict.fromkeys(fx.skills_of(name)):
            by_trade.setdefault(trade, []).append(model_id)
    return by_trade


async def _publish(session: AsyncSession, article: Article) -> Article:
    assert article.id is not None
    await service.move(session, AUTHOR, article.id, ArticleStatus.REVIEW, None)
    return await service.move(session, REVIEWER, article.id, ArticleStatus.PUBLISHED, None)


async def seed_knowledge_base(session: AsyncSession, now: datetime) -> dict[str, int]:
    del now  # articles carry the seeding time; the demo's clock does not move them
    trades = await _models_by_trade(session)
    by_fault: dict[str, int] = {}
    for trade, faults in fx.FAULTS.items():
        for fault in faults:
            content = ArticleContent(
                title=_title(fault),
                body=_body(fault),
                audience=Audience.INTERNAL,
                tags=[trade.replace("_", "-"), fault.resolution.lower().replace("_", "-")],
                fault_codes=CODE.findall(fault.description),
                symptoms=[fault.description.rstrip(".")],
                product_model_ids=trades.get(trade, [])[:50],
            )
            article = await service.create_article(session, AUTHOR, content)
            await _publish(session, article)
            assert article.id is not None
            by_fault[fault.description] = article.id
    for help in SELF_HELP:
        content = ArticleContent(
            title=help.title,
            body=help.body,
            audience=Audience.CUSTOMER,
            tags=list(help.tags),
            fault_codes=list(help.codes),
            symptoms=list(help.symptoms),
            product_model_ids=trades.get(help.trade, [])[:50],
            media=[Medium(url="https://help.fieldgraph.example/img/" + help.tags[0] + ".jpg")],
        )
        await _publish(session, await service.create_article(session, AUTHOR, content))
    await _drafts(session, trades)
    votes = await _votes(session, by_fault)
    await _proposal(session, by_fault)
    return {"kb_articles": len(by_fault) + len(SELF_HELP) + 3, "kb_votes": votes}


async def _drafts(session: AsyncSession, trades: dict[str, list[int]]) -> None:
    """One article under review, one draft, one archived."""
    review = await service.create_article(
        session,
        AUTHOR,
        ArticleContent(
            title="Inverter AC outdoor unit: reading the LED blink codes",
            body="Count the red LED blinks on the outdoor board:\n\n| Blinks | Meaning |\n"
            "|---|---|\n| 2 | Discharge temperature high |\n| 5 | Compressor overcurrent |\n"
            "| 7 | Outdoor fan motor fault |",
            tags=["ac", "blink-codes"],
            product_model_ids=trades.get("ac_repair", [])[:50],
        ),
    )
    assert review.id is not None
    await service.move(session, AUTHOR, review.id, ArticleStatus.REVIEW, None)
    await service.create_article(
        session,
        AUTHOR,
        ArticleContent(
            title="Deep freezer: checking the door heater",
            body="Draft: steps to follow.",
            tags=["refrigeration"],
        ),
    )
    old = await service.create_article(
        session,
        AUTHOR,
        ArticleContent(
            title="R22 gas top-up procedure (withdrawn)",
            body="R22 is no longer used in our installed base; see the R32 article.",
            tags=["ac", "refrigerant"],
        ),
    )
    assert old.id is not None
    await _publish(session, old)
    await service.move(session, REVIEWER, old.id, ArticleStatus.ARCHIVED, None)


async def _votes(session: AsyncSession, by_fault: dict[str, int]) -> int:
    """The technicians of the first completed jobs of each fault say the article helped
    (one in five did not find it useful)."""
    rows = (
        await session.execute(
            select(Task.id, Task.technician_id, Task.description)
            .join(Asset, col(Asset.id) == col(Task.asset_id))
            .where(
                col(Task.status) == TaskStatus.COMPLETED,
                col(Task.technician_id).is_not(None),
                col(Task.description).is_not(None),
            )
            .order_by(col(Task.id))
        )
    ).all()
    counted: dict[int, int] = {}
    votes = 0
    for task_id, technician_id, description in rows:
        fault = (description or "").partition(": ")[2]
        article_id = by_fault.get(fault)
        if article_id is None or counted.get(article_id, 0) >= VOTES_PER_FAULT:
            continue
        voter = Principal(
            f"technician:{technician_id}", Role.TECHNICIAN, technician_id=technician_id
        )
        helpful = (task_id % 5) != 0
        await service.vote(
            session, voter, article_id, task_id=task_id, service_request_id=None, helpful=helpful
        )
        counted[article_id] = counted.get(article_id, 0) + 1
        votes += 1
    return votes


async def _proposal(session: AsyncSession, by_fault: dict[str, int]) -> None:
    """A technician proposes a better first step for the drain pump article."""
    article_id = next((a for d, a in by_fault.items() if "OE" in d), None)
    if article_id is None:
        return
    technician_id = await session.scalar(
        sa.select(sa.func.min(Task.technician_id)).where(col(Task.technician_id).is_not(None))
    )
    if technician_id is None:
        return
    article = await session.get(Article, article_id)
    assert article is not None
    await service.propose(
        session,
        Principal(f"technician:{technician_id}", Role.TECHNICIAN, technician_id=technician_id),
        ProposalCreate(
            article_id=article_id,
            body=article.body.replace(
                "## Likely cause and fix",
                "## Likely cause and fix\n\nFirst open the drain filter flap: most OE calls "
                "are a coin in the filter, no part needed.\n",
            ),
            note="Half of my OE jobs needed no pump.",
        ),
    )
