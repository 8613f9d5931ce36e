"""Coverage rules as a table of cases: who pays for each line, and why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.billing.coverage import CHARGEABLE, CoverageTerms, apply_coverage
from app.billing.models import CoverageSource, LineKind
from app.billing.pricing import PricedLine
from app.contracts.models import ContractKind

D = Decimal


def labour(amount: str = "900.00") -> PricedLine:
    return PricedLine(LineKind.LABOUR, "Labour", D("1.5"), D("600"), D(amount), "SAC", D(18))


def fee(amount: str = "200.00") -> PricedLine:
    return PricedLine(LineKind.FEE, "Call-out", D(1), D(amount), D(amount), "SAC", D(18))


def part(amount: str = "500.00", category: str | None = None) -> PricedLine:
    return PricedLine(
        LineKind.PART, "Compressor", D(1), D(amount), D(amount), "HSN", D(28), 7, category
    )


WARRANTY = CoverageTerms(CoverageSource.WARRANTY, labour=True, parts=True)


def contract(kind: ContractKind, labour: bool, parts: bool, **terms: object) -> CoverageTerms:
    return CoverageTerms(
        CoverageSource.CONTRACT,
        labour=labour,
        parts=parts,
        contract_id=42,
        contract_number=f"{kind}-1",
        contract_kind=kind,
        **terms,  # type: ignore[arg-type]
    )


AMC = contract(ContractKind.AMC, True, False)
CMC = contract(ContractKind.CMC, True, True)
CMC_NO_GAS = contract(ContractKind.CMC, True, True, excluded_part_categories=frozenset({"GAS"}))
CMC_CAP_1000 = contract(ContractKind.CMC, True, True, cap_per_visit=D("1000.00"))
CMC_YEAR_LEFT_300 = contract(
    ContractKind.CMC, True, True, cap_per_visit=D("5000"), cap_left_this_year=D("300.00")
)
CMC_YEAR_SPENT = contract(ContractKind.CMC, True, True, cap_left_this_year=D("-50.00"))

# (case, terms, lines, covered per line, cap applied per line, sources, note fragments)
CASES = [
    (
        "warranty covers labour, call-out and parts",
        WARRANTY,
        [labour(), fee(), part()],
        ["900.00", "200.00", "500.00"],
        [False, False, False],
        ["WARRANTY", "WARRANTY", "WARRANTY"],
        ["warranty", "warranty", "warranty"],
    ),
    (
        "AMC covers labour and call-out, not parts",
        AMC,
        [labour(), fee(), part()],
        ["900.00", "200.00", "0"],
        [False, False, False],
        ["CONTRACT", "CONTRACT", "NONE"],
        ["labour covered by AMC AMC-1", "call-out covered", "parts are not covered by AMC"],
    ),
    (
        "CMC covers labour and parts",
        CMC,
        [labour(), part()],
        ["900.00", "500.00"],
        [False, False],
        ["CONTRACT", "CONTRACT"],
        ["labour covered by CMC CMC-1", "parts covered by CMC CMC-1"],
    ),
    (
        "out of coverage everything is chargeable",
        CHARGEABLE,
        [labour(), fee(), part()],
        ["0", "0", "0"],
        [False, False, False],
        ["NONE", "NONE", "NONE"],
        ["no warranty or contract", "no warranty", "no warranty"],
    ),
    (
        "a CMC may exclude a part category",
        CMC_NO_GAS,
        [labour(), part(category="GAS"), part(category="PCB")],
        ["900.00", "0", "500.00"],
        [False, False, False],
        ["CONTRACT", "NONE", "CONTRACT"],
        ["labour", "GAS parts are excluded by CMC CMC-1", "parts covered"],
    ),
    (
        "a per-visit cap is used in line order; the rest is chargeable",
        CMC_CAP_1000,
        [labour(), part(), fee()],
        ["900.00", "100.00", "0"],
        [False, True, True],
        ["CONTRACT", "CONTRACT", "NONE"],
        ["labour", "up to its cap (100.00 left)", "up to its cap (0.00 left)"],
    ),
    (
        "the yearly cap left is lower than the per-visit cap",
        CMC_YEAR_LEFT_300,
        [labour(), part()],
        ["300.00", "0"],
        [True, True],
        ["CONTRACT", "NONE"],
        ["up to its cap (300.00 left)", "up to its cap (0.00 left)"],
    ),
    (
        "a yearly cap already spent covers nothing",
        CMC_YEAR_SPENT,
        [labour()],
        ["0"],
        [True],
        ["NONE"],
        ["up to its cap"],
    ),
]


@pytest.mark.parametrize(
    ("terms", "lines", "covered", "capped", "sources", "notes"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_coverage_rules(
    terms: CoverageTerms,
    lines: list[PricedLine],
    covered: list[str],
    capped: list[bool],
    sources: list[str],
    notes: list[str],
) -> None:
    # when
    result = apply_coverage(terms, lines)
    # then
    assert [c.covered for c in result] == [D(x) for x in covered]
    assert [c.cap_applied for c in result] == capped
    assert [c.source.value for c in result] == sources
    for line, fragment in zip(result, notes, strict=True):
        assert fragment in line.note
    for line in result:
        assert line.covered + line.chargeable == line.line.amount


def test_tax_is_charged_per_line_on_the_chargeable_part_rounded_half_up() -> None:
    # given a labour line of 100.05 at 18% and a part of 0.25 at 28% (out of coverage)
    lines = [
        PricedLine(LineKind.LABOUR, "Labour", D(1), D("100.05"), D("100.05"), "SAC", D(18)),
        PricedLine(LineKind.PART, "Washer", D(1), D("0.25"), D("0.25"), "HSN", D(28)),
    ]
    # when
    result = apply_coverage(CHARGEABLE, lines)
    # then 18.009 -> 18.01 and 0.07 exactly; per line, not on the sum
    assert [c.tax for c in result] == [D("18.01"), D("0.07")]
    assert [c.total for c in result] == [D("118.06"), D("0.32")]


def test_a_contract_line_names_its_contract_and_a_chargeable_one_does_not() -> None:
    result = apply_coverage(AMC, [labour(), part()])
    assert (result[0].contract_id, result[0].contract_number) == (42, "AMC-1")
    assert (result[1].contract_id, result[1].contract_number) == (None, None)
