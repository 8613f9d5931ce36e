"""Price lists (policy data) and pricing a line: labour by category, parts, fees, tax slabs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.billing.models import (
    LabourRate,
    LineIn,
    LineKind,
    PartPrice,
    PriceList,
    PriceListCreate,
    TaxRate,
    money,
)
from app.core.errors import DomainError, ErrorCode, FieldProblem, collect
from app.inventory.models import Part

MINUTES_PER_HOUR = Decimal(60)


@dataclass(frozen=True, slots=True)
class PriceBook:
    """The price list in force on a day, with its rates by key."""

    price_list: PriceList
    labour: dict[str, LabourRate]
    parts: dict[int, PartPrice]
    taxes: dict[str, Decimal]

    @property
    def currency(self) -> str:
        return self.price_list.currency

    def tax_rate(self, category: str, field: Sequence[str]) -> Decimal:
        if category not in self.taxes:
            raise DomainError(
                f"the price list has no tax rate for category {category}",
                ErrorCode.INVALID,
                list(field),
            )
        return self.taxes[category]


@dataclass(slots=True)
class PricedLine:
    """A line with its price before coverage and tax."""

    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_category: str
    tax_rate: Decimal
    part_id: int | None = None
    part_category: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


async def create_price_list(session: AsyncSession, data: PriceListCreate) -> PriceList:
    problems = _duplicates(data)
    collect(problems)
    row = PriceList.model_validate(
        data.model_dump(exclude={"labour_rates", "part_prices", "tax_rates"})
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    await _check_parts(session, [p.part_id for p in data.part_prices])
    session.add_all(LabourRate(price_list_id=row.id, **r.model_dump()) for r in data.labour_rates)
    session.add_all(PartPrice(price_list_id=row.id, **p.model_dump()) for p in data.part_prices)
    session.add_all(TaxRate(price_list_id=row.id, **t.model_dump()) for t in data.tax_rates)
    await session.flush()
    return row


def _duplicates(data: PriceListCreate) -> list[FieldProblem]:
    problems = []
    for name, keys in (
        ("labourRates", [r.category for r in data.labour_rates]),
        ("partPrices", [p.part_id for p in data.part_prices]),
        ("taxRates", [t.category for t in data.tax_rates]),
    ):
        seen: set[object] = set()
        for i, key in enumerate(keys):
            if key in seen:
                problems.append(FieldProblem("listed twice", ErrorCode.DUPLICATE, [name, str(i)]))
            seen.add(key)
    return problems


async def _check_parts(session: AsyncSession, part_ids: Sequence[int]) -> None:
    if not part_ids:
        return
    found = set((await session.scalars(select(Part.id).where(col(Part.id).in_(part_ids)))).all())
    collect(
        [
            FieldProblem("part not found", ErrorCode.NOT_FOUND, ["partPrices", str(i), "partId"])
            for i, part_id in enumerate(part_ids)
            if part_id not in found
        ]
    )


def in_force(on: date) -> SelectOfScalar[PriceList]:
    return (
        select(PriceList)
        .where(col(PriceList.archived_at).is_(None), col(PriceList.effective_from) <= on)
        .where(or_(col(PriceList.effective_to).is_(None), col(PriceList.effective_to) >= on))
        .order_by(col(PriceList.effective_from).desc(), col(PriceList.id).desc())
        .limit(1)
    )


async def price_book(session: AsyncSession, on: date) -> PriceBook:
    price_list = await session.scalar(in_force(on))
    if price_list is None:
        raise DomainError(f"no price list is in force on {on}", ErrorCode.INVALID)
    key = price_list.id
    labour = (
        await session.scalars(select(LabourRate).where(col(LabourRate.price_list_id) == key))
    ).all()
    parts = (
        await session.scalars(select(PartPrice).where(col(PartPrice.price_list_id) == key))
    ).all()
    taxes = (await session.scalars(select(TaxRate).where(col(TaxRate.price_list_id) == key))).all()
    return PriceBook(
        price_list,
        {r.category: r for r in labour},
        {p.part_id: p for p in parts},
        {t.category: t.rate_percent for t in taxes},
    )


LABOUR_FALLBACK = {"PREVENTIVE": "MAINTENANCE"}
"""A category a price list may not name yet, priced at its nearest kin's rate."""


def labour_line(
    book: PriceBook, category: str, minutes: Decimal, field: Sequence[str]
) -> PricedLine:
    """Time at the category's hourly rate, never below its minimum charge."""
    rate = book.labour.get(category) or book.labour.get(LABOUR_FALLBACK.get(category, ""))
    if rate is None:
        raise DomainError(
            f"the price list has no labour rate for {category}", ErrorCode.INVALID, list(field)
        )
    hours = (minutes / MINUTES_PER_HOUR).quantize(Decimal("0.01"))
    amount = max(money(rate.hourly_rate * minutes / MINUTES_PER_HOUR), rate.minimum_charge)
    tax_category = rate.tax_category or book.price_list.default_labour_tax_category
    return PricedLine(
        kind=LineKind.LABOUR,
        description=f"Labour, {category.lower()} ({hours} h)",
        quantity=max(hours, Decimal("0.01")),
        unit_price=rate.hourly_rate,
        amount=amount,
        tax_category=tax_category,
        tax_rate=book.tax_rate(tax_category, field),
        extra={"category": category},
    )


def part_line(
    book: PriceBook,
    part: Part,
    quantity: Decimal,
    field: Sequence[str],
    unit_price: Decimal | None = None,
) -> PricedLine:
    listed = book.parts.get(part.id or 0)
    price = (
        unit_price if unit_price is not None else (listed.unit_price if listed else part.unit_price)
    )
    tax_category = (
        listed.tax_category if listed else None
    ) or book.price_list.default_part_tax_category
    return PricedLine(
        kind=LineKind.PART,
        description=f"{part.name} ({part.sku})",
        quantity=quantity,
        unit_price=price,
        amount=money(price * quantity),
        tax_category=tax_category,
        tax_rate=book.tax_rate(tax_category, field),
        part_id=part.id,
        part_category=part.category or (listed.part_category if listed else None),
    )


def fee_line(
    book: PriceBook,
    description: str,
    unit_price: Decimal,
    quantity: Decimal,
    tax_category: str | None,
    field: Sequence[str],
) -> PricedLine:
    category = tax_category or book.price_list.call_out_tax_category
    return PricedLine(
        kind=LineKind.FEE,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        amount=money(unit_price * quantity),
        tax_category=category,
        tax_rate=book.tax_rate(category, field),
    )


def call_out_line(book: PriceBook) -> PricedLine | None:
    fee = book.price_list.call_out_fee
    if fee <= 0:
        return None
    return fee_line(book, "Call-out and travel fee", fee, Decimal(1), None, ["callOutFee"])


async def parts_by_id(session: AsyncSession, part_ids: Sequence[int]) -> dict[int, Part]:
    if not part_ids:
        return {}
    rows = (await session.scalars(select(Part).where(col(Part.id).in_(set(part_ids))))).all()
    return {p.id: p for p in rows if p.id is not None}


async def price_lines(
    session: AsyncSession, book: PriceBook, lines: Sequence[LineIn], default_category: str
) -> list[PricedLine]:
    """Price what a person entered; every unknown part or missing rate is reported at once."""
    parts = await parts_by_id(session, [line.part_id for line in lines if line.part_id is not None])
    priced: list[PricedLine] = []
    problems: list[FieldProblem] = []
    for i, line in enumerate(lines):
        field = ["lines", str(i)]
        try:
            priced.append(_price_one(book, line, parts, default_category, field))
        except DomainError as error:
            problems.extend(error.problems)
    collect(problems)
    return priced


def _price_one(
    book: PriceBook, line: LineIn, parts: dict[int, Part], default_category: str, field: list[str]
) -> PricedLine:
    if line.kind is LineKind.LABOUR:
        category = line.category or default_category
        priced = labour_line(book, category, line.quantity * MINUTES_PER_HOUR, field)
        if line.unit_price is not None:
            priced.unit_price = line.unit_price
            priced.amount = money(line.unit_price * line.quantity)
        priced.quantity = line.quantity
    elif line.kind is LineKind.PART:
        part = parts.get(line.part_id or 0)
        if part is None:
            raise DomainError("part not found", ErrorCode.NOT_FOUND, [*field, "partId"])
        priced = part_line(book, part, line.quantity, field, line.unit_price)
    else:
        assert line.unit_price is not None and line.description
        priced = fee_line(
            book, line.description, line.unit_price, line.quantity, line.tax_category, field
        )
    if line.description:
        priced.description = line.description
    return priced
