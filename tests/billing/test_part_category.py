"""A part's own catalogue category decides what contracts exclude; a price list's category
for the part still applies to parts without one (rows priced before parts had categories)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.coverage import CoverageTerms, apply_coverage
from app.billing.models import CoverageSource
from app.billing.pricing import part_line, price_book
from tests.billing import factories

CMC = CoverageTerms(
    CoverageSource.CONTRACT,
    labour=True,
    parts=True,
    contract_id=42,
    contract_number="CMC-1",
    excluded_part_categories=frozenset({"REFRIGERANT"}),
)


@pytest.mark.parametrize(
    ("own", "listed", "category", "covered"),
    [
        ("REFRIGERANT", None, "REFRIGERANT", "0.00"),  # the part's own category excludes it
        ("REFRIGERANT", "SPARES", "REFRIGERANT", "0.00"),  # and wins over the price list's
        (None, "REFRIGERANT", "REFRIGERANT", "0.00"),  # without one, the price list's applies
        ("SPARES", "REFRIGERANT", "SPARES", "500.00"),
        (None, None, None, "500.00"),
    ],
)
async def test_the_part_category_decides_contract_exclusions(
    session: AsyncSession, own: str | None, listed: str | None, category: str | None, covered: str
) -> None:
    # given a part (with or without its own category) priced by a list (with or without one)
    gas = await factories.part(session, price="500.00")
    gas.category = own
    await factories.price_list(session, parts=[(gas, "500.00", listed)])
    # when it is priced and a CMC excluding refrigerant is applied
    book = await price_book(session, date.today())
    line = part_line(book, gas, Decimal(1), ["lines", "0"])
    [result] = apply_coverage(CMC, [line])
    # then the line carries the category that decides, and coverage follows it
    assert line.part_category == category
    assert result.covered == Decimal(covered)


async def test_billing_rows_name_real_parts(session: AsyncSession) -> None:
    # the database refuses a price for a part that does not exist
    price_list = await factories.price_list(session)
    with pytest.raises(DBAPIError, match="part_prices_part_id_fkey"):
        async with session.begin_nested():
            await session.execute(
                text(
                    "INSERT INTO part_prices (price_list_id, part_id, unit_price)"
                    " VALUES (:list, 987654321, 1)"
                ),
                {"list": price_list.id},
            )
