"""Who pays for each line: the coverage decision applied to priced lines.

- A manufacturer's warranty covers labour, parts and the call-out fee, without a cap.
- A contract covers what its kind and terms say: AMC labour (and the call-out fee), CMC and
  extended warranties labour and parts. Its billing terms may exclude part categories and
  cap what it pays per visit and per contract year; lines are covered in order until the
  cap runs out, and the line where it ran out says so.
- Anything else is chargeable.
Each line records the source, the contract and a note saying why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing.models import (
    BillingLine,
    ContractBillingTerms,
    CoverageSource,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LineKind,
    money,
)
from app.billing.pricing import PricedLine
from app.contracts.models import Contract, ContractKind
from app.contracts.service import Coverage, CoverageKey, CoverageStatus, coverages


@dataclass(frozen=True, slots=True)
class CoverageTerms:
    """The coverage of one visit, as billing needs it."""

    source: CoverageSource
    labour: bool = False
    parts: bool = False
    contract_id: int | None = None
    contract_number: str | None = None
    contract_kind: ContractKind | None = None
    cap_per_visit: Decimal | None = None
    cap_left_this_year: Decimal | None = None
    excluded_part_categories: frozenset[str] = field(default_factory=frozenset)

    @property
    def cap(self) -> Decimal | None:
        caps = [c for c in (self.cap_per_visit, self.cap_left_this_year) if c is not None]
        return max(min(caps), Decimal(0)) if caps else None


CHARGEABLE = CoverageTerms(CoverageSource.NONE)
WARRANTY = CoverageTerms(CoverageSource.WARRANTY, labour=True, parts=True)


@dataclass(slots=True)
class CoveredLine:
    line: PricedLine
    covered: Decimal
    chargeable: Decimal
    tax: Decimal
    total: Decimal
    source: CoverageSource
    contract_id: int | None
    contract_number: str | None
    cap_applied: bool
    note: str


def _eligible(terms: CoverageTerms, line: PricedLine) -> tuple[bool, str]:
    if terms.source is CoverageSource.NONE:
        return False, "not covered: no warranty or contract in force"
    if terms.source is CoverageSource.WARRANTY:
        return True, "covered by the manufacturer's warranty"
    name = f"{terms.contract_kind} {terms.contract_number}"
    if line.kind is LineKind.PART:
        if not terms.parts:
            return False, f"parts are not covered by {name}"
        if line.part_category and line.part_category in terms.excluded_part_categories:
            return False, f"{line.part_category} parts are excluded by {name}"
        return True, f"parts covered by {name}"
    if not terms.labour:
        return False, f"labour is not covered by {name}"
    what = "labour" if line.kind is LineKind.LABOUR else "call-out"
    return True, f"{what} covered by {name}"


def apply_coverage(terms: CoverageTerms, lines: Sequence[PricedLine]) -> list[CoveredLine]:
    """Split every line into covered and chargeable, then tax the chargeable part per line
    (ROUND_HALF_UP to the paisa)."""
    left = terms.cap
    result = []
    for line in lines:
        eligible, note = _eligible(terms, line)
        covered = line.amount if eligible and line.amount > 0 else Decimal(0)
        cap_applied = False
        if eligible and left is not None and terms.source is CoverageSource.CONTRACT:
            if covered > left:
                covered, cap_applied = left, True
                note = f"{note} up to its cap ({money(left)} left)"
            left -= covered
        chargeable = line.amount - covered
        tax = money(chargeable * line.tax_rate / 100)
        result.append(
            CoveredLine(
                line=line,
                covered=covered,
                chargeable=chargeable,
                tax=tax,
                total=chargeable + tax,
                source=terms.source if covered > 0 else CoverageSource.NONE,
                contract_id=terms.contract_id if covered > 0 or cap_applied else None,
                contract_number=terms.contract_number if covered > 0 or cap_applied else None,
                cap_applied=cap_applied,
                note=note,
            )
        )
    return result


def to_rows(covered: Sequence[CoveredLine]) -> list[BillingLine]:
    return [
        BillingLine(
            position=i,
            kind=c.line.kind,
            description=c.line.description[:300],
            part_id=c.line.part_id,
            part_category=c.line.part_category,
            quantity=c.line.quantity,
            unit_price=c.line.unit_price,
            amount=c.line.amount,
            covered_amount=c.covered,
            chargeable_amount=c.chargeable,
            tax_category=c.line.tax_category,
            tax_rate=c.line.tax_rate,
            tax_amount=c.tax,
            total=c.total,
            coverage_source=c.source,
            contract_id=c.contract_id,
            contract_number=c.contract_number,
            cap_applied=c.cap_applied,
            coverage_note=c.note[:300],
        )
        for i, c in enumerate(covered)
    ]


async def terms_for(
    session: AsyncSession, asset_id: int | None, site_id: int | None, on: date
) -> CoverageTerms:
    """The coverage decision of the contracts domain, with the contract's billing terms and
    what it already paid this contract year on issued invoices."""
    (terms,) = await terms_for_visits(session, [(asset_id, site_id, on)])
    return terms


async def terms_for_visits(
    session: AsyncSession, visits: Sequence[CoverageKey]
) -> list[CoverageTerms]:
    """`terms_for` of many (asset, site, day) visits: the decisions in two queries, then the
    terms of each contract that covers one, once per contract and day."""
    decisions = await coverages(session, visits)
    by_contract: dict[tuple[int, date], CoverageTerms] = {}
    found = []
    for (_, _, on), decision in zip(visits, decisions, strict=True):
        if decision.status is CoverageStatus.WARRANTY:
            found.append(WARRANTY)
            continue
        if decision.status is CoverageStatus.CHARGEABLE or decision.contract_id is None:
            found.append(CHARGEABLE)
            continue
        key = (decision.contract_id, on)
        if key not in by_contract:
            by_contract[key] = await _contract_terms(session, decision, on)
        found.append(by_contract[key])
    return found


async def _contract_terms(session: AsyncSession, decision: Coverage, on: date) -> CoverageTerms:
    contract = await session.get(Contract, decision.contract_id)
    assert contract is not None
    extra = await session.get(ContractBillingTerms, decision.contract_id)
    left = None
    if extra is not None and extra.cap_per_year is not None:
        left = extra.cap_per_year - await covered_this_year(session, contract, on)
    return CoverageTerms(
        CoverageSource.CONTRACT,
        labour=decision.labour_covered,
        parts=decision.parts_covered,
        contract_id=contract.id,
        contract_number=contract.number,
        contract_kind=contract.kind,
        cap_per_visit=extra.cap_per_visit if extra else None,
        cap_left_this_year=left,
        excluded_part_categories=frozenset(extra.excluded_part_categories if extra else ()),
    )


def contract_year(contract: Contract, on: date) -> tuple[date, date]:
    """The contract year `on` falls in, counted from the contract's start."""
    start = contract.starts_on
    years = on.year - start.year - (1 if (on.month, on.day) < (start.month, start.day) else 0)
    try:
        begin = start.replace(year=start.year + max(years, 0))
        end = start.replace(year=start.year + max(years, 0) + 1)
    except ValueError:  # 29 February
        begin = date(start.year + max(years, 0), 3, 1)
        end = date(start.year + max(years, 0) + 1, 3, 1)
    return begin, end


async def covered_this_year(session: AsyncSession, contract: Contract, on: date) -> Decimal:
    begin, end = contract_year(contract, on)
    total = await session.scalar(
        select(func.coalesce(func.sum(BillingLine.covered_amount), 0))
        .join(Invoice, col(Invoice.id) == col(BillingLine.invoice_id))
        .where(
            col(BillingLine.contract_id) == contract.id,
            col(Invoice.kind) == InvoiceKind.INVOICE,
            col(Invoice.status).not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
            func.date(Invoice.issued_at) >= begin,
            func.date(Invoice.issued_at) < end,
        )
    )
    return Decimal(total or 0)
