"""A preventive visit is billable with a price list that names only maintenance labour."""

from datetime import date
from decimal import Decimal

from app.billing.models import LabourRate, PriceList
from app.billing.pricing import PriceBook, labour_line


def test_preventive_labour_is_priced_at_the_maintenance_rate_when_not_listed() -> None:
    book = PriceBook(
        price_list=PriceList(name="Standard", effective_from=date(2026, 1, 1), call_out_fee=0),
        labour={
            "MAINTENANCE": LabourRate(
                price_list_id=1,
                category="MAINTENANCE",
                hourly_rate=Decimal(400),
                minimum_charge=Decimal(400),
            )
        },
        parts={},
        taxes={"SAC-9987": Decimal(18)},
    )

    line = labour_line(book, "PREVENTIVE", Decimal(90), ["task"])

    assert (line.amount, line.unit_price) == (Decimal("600.00"), Decimal(400))
