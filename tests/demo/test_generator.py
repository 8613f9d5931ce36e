"""The generator alone: determinism, counts, geography and the shape of every row family."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest
from shapely import wkt

from app.core.auth import Role
from app.demo import city
from app.demo.generator import DemoCity, Row, add_months, generate

TODAY = date(2026, 11, 24)


def geometry(ewkt: str):  # type: ignore[no-untyped-def]
    return wkt.loads(ewkt.split(";", 1)[1])


def customer_rows(demo: DemoCity) -> dict[str, list[Row]]:
    tables: dict[str, list[Row]] = {}
    for batch in demo.customers(batch_size=250):
        for name, rows in batch.tables():
            tables.setdefault(name, []).extend(rows)
    return tables


@pytest.fixture(scope="module")
def demo() -> DemoCity:
    return generate(1, today=TODAY, password_hash="hash")


@pytest.fixture(scope="module")
def customers(demo: DemoCity) -> dict[str, list[Row]]:
    return customer_rows(demo)


def test_the_same_scale_gives_the_same_rows() -> None:
    # given two generations with the same inputs
    first = generate(1, today=TODAY, customers=300)
    second = generate(1, today=TODAY, customers=300)

    # then every row is equal, including the streamed customers (replayable, too)
    assert first.organisation() == second.organisation()
    assert first.users == second.users
    assert customer_rows(first) == customer_rows(second)
    assert customer_rows(first) == customer_rows(first)


DIGEST = """
import hashlib
from datetime import date
from app.demo.generator import generate
city = generate(1, today=date(2026, 11, 24), customers=200, password_hash="h")
digest = hashlib.sha256(repr((city.organisation(), city.users)).encode())
for batch in city.customers():
    digest.update(repr(batch.tables()).encode())
print(digest.hexdigest())
"""


def test_another_process_with_another_hash_seed_gives_the_same_rows() -> None:
    city = generate(1, today=TODAY, customers=200, password_hash="h")
    digest = hashlib.sha256(repr((city.organisation(), city.users)).encode())
    for batch in city.customers():
        digest.update(repr(batch.tables()).encode())

    result = subprocess.run(
        [sys.executable, "-c", DIGEST],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == digest.hexdigest()


def test_a_larger_scale_extends_a_smaller_one() -> None:
    small = generate(1, today=TODAY, customers=100, technicians=20)
    large = generate(2, today=TODAY, customers=200, technicians=40)

    assert large.technicians[:20] == small.technicians
    assert customer_rows(large)["customers"][:100] == customer_rows(small)["customers"]


def test_another_day_shifts_dates_but_keeps_everything_else() -> None:
    today = generate(1, today=TODAY, customers=50)
    tomorrow = generate(1, today=TODAY + timedelta(days=1), customers=50)

    assert [c["name"] for c in customer_rows(today)["customers"]] == [
        c["name"] for c in customer_rows(tomorrow)["customers"]
    ]
    assert [a["sold_on"] + timedelta(days=1) for a in customer_rows(today)["assets"]] == [
        a["sold_on"] for a in customer_rows(tomorrow)["assets"]
    ]


@pytest.mark.parametrize(("scale", "technicians", "customers"), [(1, 60, 2_000), (3, 180, 6_000)])
def test_counts_follow_the_scale(scale: int, technicians: int, customers: int) -> None:
    demo = generate(scale, today=TODAY)

    assert len(demo.technicians) == technicians
    assert sum(len(b.customers) for b in demo.customers()) == customers
    assert len(demo.territories) == 3
    assert len(demo.partners) == 3
    assert len(demo.skills) == 10
    assert 40 <= len(demo.product_models) <= 50


def test_counts_can_be_overridden_to_keep_tests_small() -> None:
    demo = generate(10, today=TODAY, customers=5, technicians=10)

    assert len(demo.technicians) == 10
    assert sum(len(b.customers) for b in demo.customers()) == 5


def test_scale_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(0, today=TODAY)


def test_territories_tile_the_city_without_overlapping(demo: DemoCity) -> None:
    shapes = [geometry(t["area"]) for t in demo.territories]

    assert city.Geography().problems() == []
    assert all(s.is_valid and s.geom_type == "MultiPolygon" for s in shapes)
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            assert a.intersection(b).area == pytest.approx(0.0, abs=1e-12)
    assert sum(s.area for s in shapes) == pytest.approx(city.CITY_AREA.area)
    assert {t["time_zone"] for t in demo.territories} == {"Asia/Kolkata"}


def test_every_site_and_home_base_lies_in_exactly_one_territory_on_land(
    demo: DemoCity, customers: dict[str, list[Row]]
) -> None:
    shapes = [geometry(t["area"]) for t in demo.territories]
    points = [geometry(s["point"]) for s in customers["sites"]]
    points += [geometry(t["home_base"]) for t in demo.technicians]

    assert all(sum(shape.contains(p) for shape in shapes) == 1 for p in points)
    assert not any(lake.contains(p.y, p.x) for lake in city.LAKES for p in points)
    homes = Counter(city.Geography().territory_of(p.y, p.x) for p in points[-60:])
    assert set(homes) == {"BLR-N", "BLR-SE", "BLR-W"}
    assert min(homes.values()) >= 15


def test_a_fifth_of_the_technicians_work_for_the_three_partners(demo: DemoCity) -> None:
    partnered = [t for t in demo.technicians if t["employment"] == "PARTNER"]

    assert len(partnered) == len(demo.technicians) // 5
    assert {t["partner_id"] for t in partnered} == {1, 2, 3}
    assert all(t["partner_id"] is None for t in demo.technicians if t["employment"] == "EMPLOYEE")
    assert all(t["currency"] == "INR" and t["cost_per_hour"] > 0 for t in demo.technicians)


def test_every_technician_has_skills_a_primary_territory_and_hours(demo: DemoCity) -> None:
    skills = Counter(s["technician_id"] for s in demo.technician_skills)
    primary_now = Counter(
        m["technician_id"]
        for m in demo.territory_memberships
        if m["is_primary"] and m["valid_to"] is None
    )
    shifts = Counter(h["technician_id"] for h in demo.working_hours)
    ids = [t["id"] for t in demo.technicians]

    assert all(2 <= skills[i] <= 4 for i in ids)
    assert {s["level"] for s in demo.technician_skills} <= {1, 2, 3, 4, 5}
    assert all(primary_now[i] == 1 for i in ids)
    assert all(m["valid_to"] is None or m["valid_to"] >= m["valid_from"] for m in
               demo.territory_memberships)  # fmt: skip
    assert all(3 <= shifts[i] <= 7 for i in ids)
    assert all(0 <= h["weekday"] <= 6 and h["ends_at"] > h["starts_at"] for h in demo.working_hours)
    assert any(shifts[i] == 3 for i in ids), "some technicians work part-time"
    assert demo.time_off and all(o["ends_at"] > o["starts_at"] for o in demo.time_off)


def test_customers_mix_consumers_businesses_and_vips(customers: dict[str, list[Row]]) -> None:
    kinds = Counter(c["type"] for c in customers["customers"])
    languages = Counter(c["language"] for c in customers["customers"])

    assert kinds["CONSUMER"] / 2_000 == pytest.approx(0.85, abs=0.03)
    assert kinds["BUSINESS"] / 2_000 == pytest.approx(0.12, abs=0.02)
    assert kinds["VIP"] / 2_000 == pytest.approx(0.03, abs=0.01)
    assert set(languages) == {"en", "hi", "kn"}
    assert all(c["phone"].startswith("+91") and c["preferred_channels"] for c in
               customers["customers"])  # fmt: skip


def test_sites_and_assets_belong_to_their_customer(customers: dict[str, list[Row]]) -> None:
    sites_per_customer = Counter(s["customer_id"] for s in customers["sites"])
    assets_per_customer = Counter(a["customer_id"] for a in customers["assets"])
    site_owner = {s["id"]: s["customer_id"] for s in customers["sites"]}

    assert set(sites_per_customer.values()) == {1, 2}
    assert set(assets_per_customer.values()) == {1, 2, 3, 4}
    assert all(site_owner[a["site_id"]] == a["customer_id"] for a in customers["assets"])
    assert any(s["access_notes"] for s in customers["sites"])
    assert {s["postal_code"][:3] for s in customers["sites"]} == {"560"}


def test_warranties_follow_the_model_and_some_are_still_running(
    demo: DemoCity, customers: dict[str, list[Row]]
) -> None:
    months = {m["id"]: m["warranty_months"] for m in demo.product_models}
    assets = customers["assets"]
    running = sum(a["warranty_expires_on"] >= TODAY for a in assets) / len(assets)
    certificates = [a["ewarranty_certificate"] for a in assets if a["ewarranty_certificate"]]
    serials = [(a["product_model_id"], a["serial_number"]) for a in assets]

    assert all(
        a["warranty_expires_on"]
        == add_months(a["installed_on"], months[a["product_model_id"]]) - timedelta(days=1)
        for a in assets
    )
    assert all(TODAY - timedelta(days=6 * 365) <= a["sold_on"] <= a["installed_on"] <= TODAY
               for a in assets)  # fmt: skip
    assert 0.15 <= running <= 0.5
    assert certificates and len(set(certificates)) == len(certificates)
    assert len(set(serials)) == len(serials)


def test_about_fifteen_percent_hold_contracts_some_expired(
    customers: dict[str, list[Row]],
) -> None:
    contracts = customers["contracts"]
    holders = {c["customer_id"] for c in contracts}
    asset_owner = {a["id"]: a["customer_id"] for a in customers["assets"]}
    site_owner = {s["id"]: s["customer_id"] for s in customers["sites"]}
    contract_owner = {c["id"]: c["customer_id"] for c in contracts}

    assert len(holders) / 2_000 == pytest.approx(0.15, abs=0.03)
    assert {c["kind"] for c in contracts} == {"AMC", "CMC", "EXTENDED_WARRANTY"}
    assert any(c["ends_on"] < TODAY for c in contracts)
    assert any(c["starts_on"] <= TODAY <= c["ends_on"] for c in contracts)
    assert all(c["ends_on"] >= c["starts_on"] for c in contracts)
    assert len({c["number"] for c in contracts}) == len(contracts)
    for coverage in customers["contract_coverages"]:
        assert (coverage["asset_id"] is None) != (coverage["site_id"] is None)
        owner = (
            asset_owner[coverage["asset_id"]]
            if coverage["asset_id"]
            else site_owner[coverage["site_id"]]
        )
        assert owner == contract_owner[coverage["contract_id"]]
    assert {c["contract_id"] for c in customers["contract_coverages"]} == set(contract_owner)


def test_there_is_a_login_for_every_role_linked_to_real_rows(
    demo: DemoCity, customers: dict[str, list[Row]]
) -> None:
    users = {u["role"]: u for u in demo.users}

    assert set(users) == {role.value for role in Role}
    assert all(u["email"] == f"{u['role'].lower()}@demo.fieldgraph.dev" for u in demo.users)
    assert all(u["password_hash"] == "hash" for u in demo.users)
    assert users["TECHNICIAN"]["technician_id"] == demo.technicians[0]["id"]
    assert demo.technicians[0]["employment"] == "EMPLOYEE"
    assert users["CUSTOMER"]["customer_id"] == customers["customers"][0]["id"]
    assert users["CUSTOMER"]["name"] == customers["customers"][0]["name"]
    assert 1 in {c["customer_id"] for c in customers["contracts"]}
    assert users["PARTNER"]["partner_id"] == demo.partners[0]["id"]
    assert users["ADMIN"]["technician_id"] is None and users["ADMIN"]["customer_id"] is None


def test_holidays_cover_this_year_and_next_in_every_territory(demo: DemoCity) -> None:
    days = {(h["territory_id"], h["day"]): h["name"] for h in demo.territory_holidays}

    for territory in (1, 2, 3):
        assert days[(territory, date(2026, 11, 1))] == "Kannada Rajyotsava"
        assert days[(territory, date(2027, 1, 26))] == "Republic Day"
        assert days[(territory, date(2027, 3, 26))] == "Good Friday"
    assert city.easter(2026) == date(2026, 4, 5)
