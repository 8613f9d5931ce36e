"""Invoices: drafts on completion, coverage on lines, gapless numbers, immutability, credits."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.billing import invoices
from app.billing.invoices import ManualInvoice
from app.billing.models import (
    BillingLine,
    ContractBillingTerms,
    CoverageSource,
    CreditNoteCreate,
    CreditNoteLineIn,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LineIn,
    LineKind,
)
from app.contracts.models import ContractKind
from app.core.auth import Principal, Role
from app.core.db import SessionFactory
from app.core.errors import DomainError, ErrorCode
from app.core.events import pending_events
from app.customers.models import Customer
from app.work_orders.field import Completion, Step, complete
from app.work_orders.models import TaskPart
from tests.billing import factories
from tests.work_orders import factories as wf

ADMIN = Principal(subject="test:admin", role=Role.ADMIN, name="Admin")
D = Decimal


async def _completed(session: AsyncSession, world: wf.World, **kw: object) -> Invoice:
    """Complete a task through the lifecycle; return the draft the listener opened."""
    task = await factories.task(session, world, **kw)  # type: ignore[arg-type]
    tech = Principal(subject="test:tech", role=Role.TECHNICIAN, technician_id=world.technician.id)
    await complete(
        session,
        tech,
        Step(task.id),
        Completion(resolution_code="FIXED", signature_ref="sig", signer_name="Asha"),
    )  # type: ignore[arg-type]
    draft = await session.scalar(select(Invoice).where(col(Invoice.task_id) == task.id))
    assert draft is not None
    return draft


async def test_completing_a_task_opens_one_draft_invoice_in_the_same_transaction(
    session: AsyncSession,
) -> None:
    # given a priced world and a task in progress
    await factories.price_list(session)
    world = await wf.world(session)
    # when the technician completes it
    draft = await _completed(session, world)
    # then one draft, unnumbered, for the task's customer (the event went to 3 channels)
    assert (draft.status, draft.number, draft.customer_id) == (
        InvoiceStatus.DRAFT,
        None,
        world.customer.id,
    )
    drafts = (
        await session.scalars(select(Invoice).where(col(Invoice.task_id) == draft.task_id))
    ).all()
    assert len(drafts) == 1


async def test_issuing_prices_the_visit_with_coverage_and_numbers_it(
    session: AsyncSession,
) -> None:
    # given an AMC on the asset (labour covered, parts not) and a part used on the visit
    compressor = await factories.part(session, price="150.00")
    await factories.price_list(session, parts=[(compressor, "1000.00", "COMPRESSOR")])
    world = await wf.world(session)
    world.asset.warranty_expires_on = date(2001, 1, 1)
    amc = await wf.contract(session, world.customer, ContractKind.AMC, asset=world.asset)
    task = await factories.task(session, world, minutes=90)
    session.add(TaskPart(task_id=task.id, part_code=compressor.sku, quantity=2, author="t"))
    tech = Principal(subject="t", role=Role.TECHNICIAN, technician_id=world.technician.id)
    await complete(
        session,
        tech,
        Step(task.id),
        Completion(resolution_code="FIXED", signature_ref="sig", signer_name="Asha"),
    )  # type: ignore[arg-type]
    draft = await session.scalar(select(Invoice).where(col(Invoice.task_id) == task.id))
    assert draft is not None and draft.id is not None
    # when
    issued = await invoices.issue_invoice(
        session, ADMIN, draft.id, now=datetime(2031, 3, 1, tzinfo=UTC)
    )
    # then labour 1.5 h x 600 and the call-out are covered by the AMC; the parts are charged
    lines = (
        await session.scalars(
            select(BillingLine)
            .where(col(BillingLine.invoice_id) == draft.id)
            .order_by(col(BillingLine.position))
        )
    ).all()
    assert [(line.kind, line.amount, line.covered_amount) for line in lines] == [
        (LineKind.LABOUR, D("900.00"), D("900.00")),
        (LineKind.FEE, D("200.00"), D("200.00")),
        (LineKind.PART, D("2000.00"), D("0.00")),
    ]
    assert lines[0].coverage_source is CoverageSource.CONTRACT
    assert lines[0].contract_number == amc.number
    assert "parts are not covered by AMC" in lines[2].coverage_note
    assert (issued.subtotal, issued.covered_amount, issued.net_amount) == (
        D("3100.00"),
        D("1100.00"),
        D("2000.00"),
    )
    assert (issued.tax_amount, issued.total) == (D("560.00"), D("2560.00"))
    assert issued.number is not None and issued.number.startswith("INV-2031-")
    assert issued.status is InvoiceStatus.ISSUED
    kinds = {e.kind for e in pending_events(session)}
    assert "INVOICE_ISSUED" in kinds


async def test_a_yearly_cap_counts_what_issued_invoices_already_covered(
    session: AsyncSession,
) -> None:
    # given a CMC capped at 1000 a year, and a first visit that used 900 + 200 of it
    await factories.price_list(session)
    world = await wf.world(session)
    world.asset.warranty_expires_on = date(2001, 1, 1)
    cmc = await wf.contract(session, world.customer, ContractKind.CMC, asset=world.asset)
    session.add(ContractBillingTerms(contract_id=cmc.id, cap_per_year=D("1000.00")))
    first = await _completed(session, world)
    assert first.id is not None
    first = await invoices.issue_invoice(session, ADMIN, first.id)
    # when a second visit is invoiced the same year
    second = await _completed(session, world)
    assert second.id is not None
    second = await invoices.issue_invoice(session, ADMIN, second.id)
    # then the first was capped at 1000 and the second has nothing left
    assert (first.covered_amount, second.covered_amount) == (D("1000.00"), D("0.00"))
    assert second.net_amount == D("1100.00")


async def test_without_a_price_list_in_force_issuing_is_refused(session: AsyncSession) -> None:
    await factories.price_list(session, effective_from=date(2999, 1, 1))
    world = await wf.world(session)
    draft = await _completed(session, world)
    assert draft.id is not None
    with pytest.raises(DomainError) as refused:
        await invoices.issue_invoice(session, ADMIN, draft.id)
    assert refused.value.code is ErrorCode.INVALID


async def test_an_issued_invoice_cannot_be_issued_again(session: AsyncSession) -> None:
    await factories.price_list(session)
    world = await wf.world(session)
    draft = await _completed(session, world)
    assert draft.id is not None
    await invoices.issue_invoice(session, ADMIN, draft.id)
    with pytest.raises(DomainError) as refused:
        await invoices.issue_invoice(session, ADMIN, draft.id)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE invoices SET total = total + 1 WHERE id = :id",
        "UPDATE invoices SET number = 'INV-X' WHERE id = :id",
        "UPDATE invoices SET status = 'DRAFT', number = NULL WHERE id = :id",
        "DELETE FROM invoices WHERE id = :id",
        "UPDATE billing_lines SET amount = 1 WHERE invoice_id = :id",
        "DELETE FROM billing_lines WHERE invoice_id = :id",
        "INSERT INTO billing_lines (invoice_id, position, kind, description, quantity, unit_price,"
        " amount, covered_amount, chargeable_amount, tax_category, tax_rate, tax_amount, total,"
        " coverage_source, cap_applied, coverage_note) VALUES (:id, 9, 'FEE', 'x', 1, 1, 1, 0, 1,"
        " 'SAC', 0, 0, 1, 'NONE', false, '')",
    ],
)
async def test_the_database_refuses_to_change_an_issued_invoice(
    session: AsyncSession, statement: str
) -> None:
    # given an issued invoice
    await factories.price_list(session)
    world = await wf.world(session)
    draft = await _completed(session, world)
    assert draft.id is not None
    await invoices.issue_invoice(session, ADMIN, draft.id)
    # when any of its money or lines is changed behind the service's back: refused
    with pytest.raises(DBAPIError, match="issued"):
        async with session.begin_nested():
            await session.execute(text(statement), {"id": draft.id})


async def test_payments_may_still_move_an_issued_invoice_s_paid_amount_and_status(
    session: AsyncSession,
) -> None:
    await factories.price_list(session)
    world = await wf.world(session)
    draft = await _completed(session, world)
    assert draft.id is not None
    await invoices.issue_invoice(session, ADMIN, draft.id)
    await session.execute(
        update(Invoice)
        .where(col(Invoice.id) == draft.id)
        .values(amount_paid=D("10.00"), status=InvoiceStatus.PARTIALLY_PAID)
    )
    assert await session.scalar(
        select(Invoice.amount_paid).where(col(Invoice.id) == draft.id)
    ) == D("10.00")


async def test_a_credit_note_refers_to_the_invoice_and_lowers_its_balance(
    session: AsyncSession,
) -> None:
    # given an issued, chargeable invoice (no warranty, no contract)
    await factories.price_list(session)
    world = await wf.world(session)
    world.asset.warranty_expires_on = date(2001, 1, 1)
    draft = await _completed(session, world)
    assert draft.id is not None
    invoice = await invoices.issue_invoice(session, ADMIN, draft.id)
    labour = (
        await session.scalars(
            select(BillingLine).where(
                col(BillingLine.invoice_id) == draft.id, col(BillingLine.kind) == LineKind.LABOUR
            )
        )
    ).one()
    # when 100.00 of the labour is credited
    credit = await invoices.create_credit_note(
        session,
        ADMIN,
        CreditNoteCreate(
            invoice_id=draft.id,
            reason="goodwill",
            lines=[CreditNoteLineIn(position=labour.position, amount=D("100.00"))],  # type: ignore[arg-type]
        ),
    )
    # then the credit note carries tax at the line's rate and its own number series
    assert credit.kind is InvoiceKind.CREDIT_NOTE and credit.credited_invoice_id == draft.id
    assert (credit.net_amount, credit.tax_amount, credit.total) == (
        D("100.00"),
        D("18.00"),
        D("118.00"),
    )
    assert credit.number is not None and credit.number.startswith("CN-")
    assert invoice.amount_credited == D("118.00")
    assert invoice.balance == invoice.total - D("118.00")


async def test_a_credit_note_cannot_credit_more_than_the_line_charged(
    session: AsyncSession,
) -> None:
    await factories.price_list(session)
    world = await wf.world(session)
    world.asset.warranty_expires_on = date(2001, 1, 1)
    draft = await _completed(session, world)
    assert draft.id is not None
    await invoices.issue_invoice(session, ADMIN, draft.id)
    labour = (
        await session.scalars(
            select(BillingLine).where(
                col(BillingLine.invoice_id) == draft.id, col(BillingLine.kind) == LineKind.LABOUR
            )
        )
    ).one()
    with pytest.raises(DomainError) as refused:
        await invoices.create_credit_note(
            session,
            ADMIN,
            CreditNoteCreate(
                invoice_id=draft.id,
                reason="x",
                lines=[CreditNoteLineIn(position=labour.position, amount=D("99999.00"))],  # type: ignore[arg-type]
            ),
        )
    assert refused.value.problems[0].field == ["lines", "0", "amount"]


async def test_a_whole_credit_note_settles_the_invoice_as_credited(session: AsyncSession) -> None:
    await factories.price_list(session)
    world = await wf.world(session)
    world.asset.warranty_expires_on = date(2001, 1, 1)
    draft = await _completed(session, world)
    assert draft.id is not None
    invoice = await invoices.issue_invoice(session, ADMIN, draft.id)
    await invoices.create_credit_note(
        session, ADMIN, CreditNoteCreate(invoice_id=draft.id, reason="cancelled job")
    )
    assert (invoice.status, invoice.balance) == (InvoiceStatus.CREDITED, D("0.00"))


# --- numbering under concurrency ----------------------------------------------------------

YEAR = 2090


async def _issue_in_own_transaction(
    sessions: SessionFactory, customer_id: int, fail: bool, start: asyncio.Event
) -> str | None:
    async with sessions() as session:
        draft = await invoices.create_invoice(
            session,
            ManualInvoice(
                customer_id,
                [LineIn(kind=LineKind.FEE, description="Visit", quantity=D(1), unit_price=D("10"))],
            ),
        )
        await session.commit()
        await start.wait()
        assert draft.id is not None
        issued = await invoices.issue_invoice(
            session, ADMIN, draft.id, now=datetime(YEAR, 6, 1, tzinfo=UTC)
        )
        number = issued.number
        if fail:
            await session.rollback()
            return None
        await session.commit()
        return number


async def test_parallel_issues_get_consecutive_numbers_without_gaps_or_duplicates(
    committed_sessions: SessionFactory,
) -> None:
    # given a price list and a customer, committed
    async with committed_sessions() as session:
        await factories.price_list(session)
        customer = Customer(name="Parallel customer")
        session.add(customer)
        await session.commit()
    assert customer.id is not None
    # when 12 transactions issue at once and every third one rolls back after numbering
    start = asyncio.Event()
    runs = [
        asyncio.create_task(
            _issue_in_own_transaction(committed_sessions, customer.id, i % 3 == 0, start)
        )
        for i in range(12)
    ]
    await asyncio.sleep(0.2)
    start.set()
    results = await asyncio.gather(*runs)
    # then the 8 that committed hold 1..8 of the year's series: no gap, no duplicate
    committed = sorted(n for n in results if n is not None)
    assert committed == [f"INV-{YEAR}-{i:06d}" for i in range(1, 9)]
    async with committed_sessions() as session:
        stored = (
            await session.scalars(
                select(Invoice.number).where(col(Invoice.number).like(f"INV-{YEAR}-%"))
            )
        ).all()
    assert sorted(n for n in stored if n) == committed
