"""Builds the demo city as plain rows (dicts keyed by column name) from seeded RNGs. No database.

Determinism: every draw comes from `random.Random` seeded with a fixed string, so the same scale
gives the same rows. The only outside input is `today`, the reference date that every date is
relative to (sales, warranties, contracts, time off): `fieldgraph seed` passes the current date in
Asia/Kolkata, tests pass a fixed one. On another day the rows are the same, shifted in time.
The work (requests, tasks; see `workday`) is relative to `now`, a moment of that day.

Ids are assigned here, from 1 per table, so that rows can refer to each other without a round
trip; the writer therefore only loads into empty tables. Customers and technicians draw from
their own RNG streams, so a larger scale extends a smaller one: scale 10's first 2,000 customers
are scale 1's customers.

Work durations are learnable, not drawn flat: time at work = task type's base x product model
factor x reported fault factor x technician level factor x log-normal noise (sigma 0.18), the
formula in `app.demo.durations`; the static `duration_minutes` stays the desk's usual figure.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from app.demo import catalogue as cat
from app.demo import city
from app.demo import faults as fx

Row = dict[str, Any]

SEED = "fieldgraph-demo-bengaluru"
TECHNICIANS_PER_SCALE = 60
CUSTOMERS_PER_SCALE = 2_000
PARTNER_SHARE = 5
"""One technician in this many is employed by a partner company."""
DEMO_DOMAIN = "demo.fieldgraph.dev"
STAFF_DOMAIN = f"staff.{DEMO_DOMAIN}"
DEMO_PASSWORD = "fieldgraph"
LOCAL = ZoneInfo(city.TIME_ZONE)
DEMO_CLOCK = time(11, 0)
"""The moment of `today` the work stands at when no `now` is given (tests, reproducible runs)."""


def point(lat: float, lng: float) -> str:
    return f"SRID=4326;POINT({lng} {lat})"


FOUNDED_BEFORE = timedelta(days=6 * 365)
"""The organisation's records start this long before the demo's day."""


def seeded_on(founded: datetime) -> date:
    """The demo's day, from when its organisation's records start (the demo users')."""
    return founded.astimezone(LOCAL).date() + FOUNDED_BEFORE


def local_time(day: date, at: time = time(10, 0)) -> datetime:
    """A moment in Bengaluru, as an aware UTC datetime."""
    return datetime.combine(day, at, LOCAL).astimezone(UTC)


CONTRACT_BASE_PRICE = {"AMC": Decimal("3499.00"), "CMC": Decimal("6999.00")}
CONTRACT_PRICE_FACTOR = {"CONSUMER": 1, "BUSINESS": 2, "VIP": 3}


def contract_price(contract_kind: str, customer_kind: str, covered: int) -> Decimal:
    """A year's price: by kind (an extended warranty is a one-off 2,499), customer and what
    it covers."""
    if contract_kind not in CONTRACT_BASE_PRICE:
        return Decimal("2499.00")
    return (
        CONTRACT_BASE_PRICE[contract_kind] * CONTRACT_PRICE_FACTOR[customer_kind] * max(1, covered)
    )


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, last))


def audited(at: datetime) -> Row:
    return {"created_at": at, "updated_at": at, "version": 1}


@dataclass(frozen=True, slots=True)
class Person:
    first: str
    last: str
    language: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def slug(self) -> str:
        return "".join(c for c in f"{self.first}.{self.last}".lower() if c.isalnum() or c == ".")


def person(rng: random.Random) -> Person:
    group = rng.choices(cat.NAME_GROUPS, [g.weight for g in cat.NAME_GROUPS])[0]
    first = rng.choice(group.male if rng.random() < 0.5 else group.female)
    languages, weights = zip(*group.languages, strict=True)
    return Person(first, rng.choice(group.surnames), rng.choices(languages, weights)[0])


def mobile(rng: random.Random) -> str:
    return f"+91{rng.choice('6789')}{rng.randrange(10**9):09d}"


@dataclass
class CustomerBatch:
    customers: list[Row] = field(default_factory=list)
    sites: list[Row] = field(default_factory=list)
    assets: list[Row] = field(default_factory=list)
    contracts: list[Row] = field(default_factory=list)
    coverages: list[Row] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[Row]]]:
        """The batch's rows in insertion order (parents first)."""
        return [
            ("customers", self.customers),
            ("sites", self.sites),
            ("assets", self.assets),
            ("contracts", self.contracts),
            ("contract_coverages", self.coverages),
        ]


@dataclass
class DemoCity:
    """The organisation's rows, and its customers as a stream of batches (see `customers`)."""

    today: date
    now: datetime
    """The moment (on `today`) the work's states stand at."""
    customer_count: int
    partners: list[Row]
    territories: list[Row]
    territory_holidays: list[Row]
    skills: list[Row]
    product_models: list[Row]
    technicians: list[Row]
    technician_skills: list[Row]
    territory_memberships: list[Row]
    working_hours: list[Row]
    time_off: list[Row]
    users: list[Row]
    logins: list[tuple[str, str, str]]
    """(role, email, what the login stands for) for the printed table."""
    price_book: list[tuple[str, list[Row]]] = field(default_factory=list)
    """The parts catalogue and the price list that prices completed work."""

    def organisation(self) -> list[tuple[str, list[Row]]]:
        """Everything but the customers and users, in insertion order (parents first)."""
        return [
            ("partners", self.partners),
            ("territories", self.territories),
            ("territory_holidays", self.territory_holidays),
            ("skills", self.skills),
            ("product_models", self.product_models),
            ("technicians", self.technicians),
            ("technician_skills", self.technician_skills),
            ("territory_memberships", self.territory_memberships),
            ("working_hours", self.working_hours),
            ("time_off", self.time_off),
            *self.price_book,
        ]

    def customers(self, batch_size: int = 1_000) -> Iterator[CustomerBatch]:
        """The customers with their sites, assets and contracts; replayable, same rows each time."""
        return _CustomerStream(self.today, self.customer_count, self.product_models).batches(
            batch_size
        )


def generate(
    scale: int = 1,
    *,
    today: date,
    now: datetime | None = None,
    password_hash: str = "",
    customers: int | None = None,
    technicians: int | None = None,
) -> DemoCity:
    """The demo city at `scale` (counts may be overridden, e.g. to keep tests small); its work
    stands at `now` (default: `DEMO_CLOCK` on `today`)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    now = now or local_time(today, DEMO_CLOCK)
    if now.tzinfo is None or now.astimezone(LOCAL).date() != today:
        raise ValueError("now must be an aware moment of today in Bengaluru")
    geography = city.Geography()
    n_customers = CUSTOMERS_PER_SCALE * scale if customers is None else customers
    n_technicians = TECHNICIANS_PER_SCALE * scale if technicians is None else technicians
    founded = local_time(today - FOUNDED_BEFORE)
    partners = _partners(founded)
    territories, holidays = _territories(today, founded)
    skills = [
        {"id": i, "code": code, "name": name, "description": text, **audited(founded)}
        for i, (code, name, text) in enumerate(cat.SKILLS, 1)
    ]
    models = [
        {
            "id": i,
            "code": m.code,
            "name": m.name,
            "brand": m.brand,
            "category": m.category,
            "warranty_months": m.warranty_months,
            **audited(founded),
        }
        for i, m in enumerate(cat.MODELS, 1)
    ]
    workforce = _Workforce(today, geography, territories, skills)
    for i in range(1, n_technicians + 1):
        workforce.add(i)
    technician = workforce.technicians[0]["name"] if workforce.technicians else None
    customer = None
    if n_customers:
        first = next(_CustomerStream(today, 1, models).batches(1))
        customer = first.customers[0]["name"]
    users, logins = _users(password_hash, founded, technician, customer)
    return DemoCity(
        today=today,
        now=now,
        customer_count=n_customers,
        partners=partners,
        territories=territories,
        territory_holidays=holidays,
        skills=skills,
        product_models=models,
        technicians=workforce.technicians,
        technician_skills=workforce.skills,
        territory_memberships=workforce.memberships,
        working_hours=workforce.hours,
        time_off=workforce.time_off,
        users=users,
        logins=logins,
        price_book=_price_book(founded),
    )


def _partners(founded: datetime) -> list[Row]:
    return [
        {
            "id": i,
            "code": p.code,
            "name": p.name,
            "contact_email": f"dispatch@{p.domain}",
            "phone": p.phone,
            "notes": p.notes,
            **audited(founded),
        }
        for i, p in enumerate(cat.PARTNERS, 1)
    ]


def _price_book(founded: datetime) -> list[tuple[str, list[Row]]]:
    """The spare parts technicians carry and the one price list in force since the founding."""
    parts = [
        {
            "id": i,
            "sku": p.sku,
            "name": p.name,
            "description": None,
            "unit": "EA",
            "unit_cost": p.cost,
            "unit_price": p.price,
            "currency": city.CURRENCY,
            "is_accessory": p.accessory,
            "reorder_level": 5,
            "category": p.category,
            **audited(founded),
        }
        for i, p in enumerate(fx.PARTS, 1)
    ]
    price_list = {
        "id": 1,
        "name": "Standard service rates",
        "currency": city.CURRENCY,
        "effective_from": founded.date(),
        "effective_to": None,
        "call_out_fee": Decimal(fx.CALL_OUT_FEE),
        "call_out_tax_category": "SAC-9987",
        "default_labour_tax_category": "SAC-9987",
        "default_part_tax_category": "HSN-GOODS",
        **audited(founded),
    }
    labour = [
        {
            "id": i,
            "price_list_id": 1,
            "category": category,
            "hourly_rate": Decimal(rate),
            "minimum_charge": Decimal(minimum),
            "tax_category": None,
        }
        for i, (category, rate, minimum) in enumerate(fx.LABOUR_RATES, 1)
    ]
    taxes = [
        {"id": i, "price_list_id": 1, "category": category, "rate_percent": Decimal(rate)}
        for i, (category, rate) in enumerate(fx.TAX_RATES, 1)
    ]
    return [
        ("parts", parts),
        ("price_lists", [price_list]),
        ("labour_rates", labour),
        ("tax_rates", taxes),
    ]


def _territories(today: date, founded: datetime) -> tuple[list[Row], list[Row]]:
    territories = [
        {
            "id": i,
            "code": t.code,
            "name": t.name,
            "time_zone": city.TIME_ZONE,
            "area": f"SRID=4326;{t.wkt()}",
            **audited(founded),
        }
        for i, t in enumerate(city.TERRITORIES, 1)
    ]
    days = city.holidays(today.year) + city.holidays(today.year + 1)
    holidays = [
        {"territory_id": t["id"], "day": day, "name": name}
        for t in territories
        for day, name in days
    ]
    for i, row in enumerate(holidays, 1):
        row["id"] = i
    return territories, holidays


# --- technicians ---------------------------------------------------------------------------

SHIFTS: tuple[tuple[str, int, tuple[int, ...], time, time], ...] = (
    ("day", 60, (0, 1, 2, 3, 4, 5), time(9), time(18)),
    ("early", 12, (0, 1, 2, 3, 4, 5), time(7), time(16)),
    ("late", 12, (0, 1, 2, 3, 4, 5), time(12), time(21)),
    ("sunday", 8, (1, 2, 3, 4, 5, 6), time(9), time(18)),
    ("part-time", 8, (0, 2, 4), time(9), time(14)),
)


class _Workforce:
    def __init__(
        self, today: date, geography: city.Geography, territories: list[Row], skills: list[Row]
    ) -> None:
        self.rng = random.Random(f"{SEED}:technicians")
        self.today = today
        self.geography = geography
        self.territory_ids = {t["code"]: t["id"] for t in territories}
        self.skill_ids = {s["code"]: s["id"] for s in skills}
        self.by_territory = {
            code: [n for n in city.NEIGHBOURHOODS if geography.territory_of(n.lat, n.lng) == code]
            for code in self.territory_ids
        }
        self.technicians: list[Row] = []
        self.skills: list[Row] = []
        self.memberships: list[Row] = []
        self.hours: list[Row] = []
        self.time_off: list[Row] = []

    def add(self, i: int) -> None:
        rng = self.rng
        partner = cat.PARTNERS[(i // PARTNER_SHARE) % len(cat.PARTNERS)] if i % 5 == 0 else None
        if partner is not None:
            trade = next(t for t in cat.TRADES if t.name == partner.trade)
        else:
            trade = rng.choices(cat.TRADES, [t.weight for t in cat.TRADES])[0]
        who = person(rng)
        codes = list(self.territory_ids)
        hood = rng.choice(self.by_territory[codes[i % len(codes)]])
        lat, lng, territory = city.scatter(rng, self.geography, hood, spread=1.5)
        seniority = rng.choices((1, 2, 3, 4, 5), (15, 25, 30, 20, 10))[0]
        joined = self.today - timedelta(days=rng.randint(30, 6 * 365))
        roll = rng.random()
        status = "ON_LEAVE" if roll < 0.03 else "INACTIVE" if roll < 0.05 else "ACTIVE"
        if i == 1:
            status = "ACTIVE"
        rate = 200 + 45 * seniority + rng.randint(0, 6) * 10
        per_km = rng.choice(("4.50", "5.00", "5.50", "6.00")) if rng.random() < 0.7 else "12.00"
        self.technicians.append(
            {
                "id": i,
                "name": who.name,
                "email": f"{who.slug()}.{i}@{partner.domain if partner else STAFF_DOMAIN}",
                "phone": mobile(rng),
                "employment": "PARTNER" if partner else "EMPLOYEE",
                "partner_id": cat.PARTNERS.index(partner) + 1 if partner else None,
                "status": status,
                "cost_per_hour": Decimal(round(rate * (1.3 if partner else 1.0), -1)),
                "cost_per_km": Decimal(per_km),
                "currency": city.CURRENCY,
                "home_base": point(lat, lng),
                **audited(local_time(joined)),
            }
        )
        self._skills(i, trade, seniority)
        self._memberships(i, territory, joined)
        self._hours(i, partner is not None)
        self._time_off(i, status)

    def _skills(self, i: int, trade: cat.Trade, seniority: int) -> None:
        rng = self.rng
        extra = [s for s in trade.extra if rng.random() < 0.5]
        codes = list(trade.core) + extra
        if len(codes) < 2:
            codes.append(rng.choice([s for s in self.skill_ids if s not in codes]))
        for n, code in enumerate(codes[:4]):
            level = seniority if n == 0 else max(1, seniority - rng.randint(0, 2))
            self.skills.append(
                {"technician_id": i, "skill_id": self.skill_ids[code], "level": level}
            )

    def _memberships(self, i: int, territory: str, joined: date) -> None:
        rng = self.rng
        others = [c for c in self.territory_ids if c != territory]
        rows: list[tuple[str, date, date | None, bool]] = []
        start = joined
        if rng.random() < 0.06 and (self.today - joined).days > 120:
            moved = joined + timedelta(days=rng.randint(30, (self.today - joined).days - 30))
            rows.append((rng.choice(others), joined, moved - timedelta(days=1), True))
            start = moved
        rows.append((territory, start, None, True))
        if rng.random() < 0.2:
            rows.append(
                (rng.choice(others), start + timedelta(days=rng.randint(0, 90)), None, False)
            )
        for code, valid_from, valid_to, primary in rows:
            self.memberships.append(
                {
                    "id": len(self.memberships) + 1,
                    "technician_id": i,
                    "territory_id": self.territory_ids[code],
                    "valid_from": min(valid_from, self.today),
                    "valid_to": valid_to,
                    "is_primary": primary,
                }
            )

    def _hours(self, i: int, partner: bool) -> None:
        rng = self.rng
        kind, _, weekdays, starts, ends = rng.choices(SHIFTS, [s[1] for s in SHIFTS])[0]
        if kind == "part-time" and rng.random() < 0.5:
            weekdays = (1, 3, 5)
        if partner and kind == "day" and rng.random() < 0.3:
            weekdays = (0, 1, 2, 3, 4, 5, 6)
        if i == 1:  # the demo login works the common day shift, so it has a day to show
            _, _, weekdays, starts, ends = SHIFTS[0]
        for weekday in weekdays:
            self.hours.append(
                {
                    "id": len(self.hours) + 1,
                    "technician_id": i,
                    "weekday": weekday,
                    "starts_at": starts,
                    "ends_at": ends,
                }
            )

    def _time_off(self, i: int, status: str) -> None:
        rng = self.rng
        blocks: list[tuple[date, int, str]] = []
        if status == "ON_LEAVE":
            blocks.append((self.today - timedelta(days=rng.randint(1, 5)), 10, "Medical leave"))
        if rng.random() < 0.25:
            blocks.append(
                (self.today + timedelta(days=rng.randint(3, 60)), rng.randint(1, 5),
                 rng.choice(cat.TIME_OFF_REASONS))
            )  # fmt: skip
        if rng.random() < 0.15:
            blocks.append(
                (self.today - timedelta(days=rng.randint(20, 120)), rng.randint(1, 4),
                 rng.choice(cat.TIME_OFF_REASONS))
            )  # fmt: skip
        for first_day, days, reason in blocks:
            self.time_off.append(
                {
                    "id": len(self.time_off) + 1,
                    "technician_id": i,
                    "starts_at": local_time(first_day, time(0)),
                    "ends_at": local_time(first_day + timedelta(days=days), time(0)),
                    "reason": reason,
                }
            )
        if rng.random() < 0.05:
            day = self.today + timedelta(days=rng.randint(1, 30))
            self.time_off.append(
                {
                    "id": len(self.time_off) + 1,
                    "technician_id": i,
                    "starts_at": local_time(day, time(14)),
                    "ends_at": local_time(day, time(18)),
                    "reason": "Doctor's appointment",
                }
            )


# --- users ---------------------------------------------------------------------------------


def _users(
    password_hash: str, founded: datetime, technician: str | None, customer: str | None
) -> tuple[list[Row], list[tuple[str, str, str]]]:
    """One login per role; the linked ones stand for technician 1, customer 1 and partner 1."""
    people: list[tuple[str, str, str, dict[str, int], str]] = [
        ("ADMIN", "admin", "Asha Rao (administrator)", {}, "whole organisation"),
        ("DISPATCHER", "dispatcher", "Dinesh Gowda (dispatcher)", {}, "whole organisation"),
        ("AGENT", "agent", "Ananya Iyer (service desk)", {}, "whole organisation"),
        ("MANAGER", "manager", "Mahesh Kulkarni (service manager)", {}, "whole organisation"),
    ]
    if technician:
        links = {"technician_id": 1}
        people.append(("TECHNICIAN", "technician", technician, links, f"technician {technician}"))
    if customer:
        people.append(
            ("CUSTOMER", "customer", customer, {"customer_id": 1}, f"customer {customer}")
        )
    people.append(
        ("PARTNER", "partner", cat.PARTNERS[0].name, {"partner_id": 1}, cat.PARTNERS[0].name)
    )
    users, logins = [], []
    for i, (role, local, name, links, stands_for) in enumerate(people, 1):
        email = f"{local}@{DEMO_DOMAIN}"
        users.append(
            {
                "id": i,
                "email": email,
                "name": name,
                "role": role,
                "password_hash": password_hash,
                "technician_id": links.get("technician_id"),
                "customer_id": links.get("customer_id"),
                "partner_id": links.get("partner_id"),
                **audited(founded),
            }
        )
        logins.append((role, email, stands_for))
    return users, logins


# --- customers -----------------------------------------------------------------------------


class _CustomerStream:
    def __init__(self, today: date, count: int, models: list[Row]) -> None:
        self.rng = random.Random(f"{SEED}:customers")
        self.today = today
        self.count = count
        self.geography = city.Geography()
        self.hoods = city.NEIGHBOURHOODS
        self.hood_weights = [n.weight for n in self.hoods]
        self.models = [(cat.MODELS[row["id"] - 1], row["id"]) for row in models]
        self.home_weights = [0 if m.business else m.weight for m, _ in self.models]
        self.business_weights = [m.weight * (3 if m.business else 1) for m, _ in self.models]
        self.serials: set[tuple[int, str]] = set()
        self.ids = {"sites": 0, "assets": 0, "contracts": 0, "contract_coverages": 0}

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def batches(self, size: int) -> Iterator[CustomerBatch]:
        batch = CustomerBatch()
        for i in range(1, self.count + 1):
            self.customer(batch, i)
            if len(batch.customers) >= size:
                yield batch
                batch = CustomerBatch()
        if batch.customers:
            yield batch

    def customer(self, batch: CustomerBatch, i: int) -> None:
        rng = self.rng
        roll = rng.random()
        kind = "VIP" if roll < 0.03 else "BUSINESS" if roll < 0.15 else "CONSUMER"
        if i == 1:
            kind = "CONSUMER"
        who = person(rng)
        email: str | None
        if kind == "BUSINESS":
            name, email, language = self.business(rng)
            phone = f"+9180{rng.randrange(2 * 10**7, 9 * 10**7)}"
            whatsapp = mobile(rng) if rng.random() < 0.7 else None
        else:
            name, language = who.name, who.language
            email = f"{who.slug()}{rng.randint(1, 99)}@example.com" if rng.random() < 0.75 else None
            phone = mobile(rng)
            whatsapp = phone if rng.random() < 0.85 else None
        channels = [
            c for c, p in (("WHATSAPP", 0.8), ("PHONE", 0.5), ("SMS", 0.15)) if rng.random() < p
        ]
        if email and rng.random() < 0.4:
            channels.append("EMAIL")
        channels = [c for c in channels if c != "WHATSAPP" or whatsapp] or ["PHONE"]
        sites = self.sites(batch, i, kind)
        assets = self.assets(batch, i, kind, sites)
        since = min((a["sold_on"] for a in assets), default=self.today)
        batch.customers.append(
            {
                "id": i,
                "name": name,
                "type": kind,
                "email": email,
                "phone": phone,
                "whatsapp": whatsapp,
                "language": language,
                "external_ref": f"CRM-{100000 + i}",
                "preferred_channels": channels,
                **audited(local_time(since)),
            }
        )
        for row in sites:
            row.update(audited(local_time(since)))
        chance = {"VIP": 0.6, "BUSINESS": 0.35, "CONSUMER": 0.1}[kind]
        if i == 1 or rng.random() < chance:
            self.contract(batch, i, kind, sites, assets)

    def business(self, rng: random.Random) -> tuple[str, str, str]:
        kinds, weights = zip(*cat.BUSINESS_KINDS, strict=True)
        name = f"{rng.choice(cat.BUSINESS_PREFIXES)} {rng.choices(kinds, weights)[0]}"
        slug = "".join(c for c in name.lower() if c.isalnum())
        language = "kn" if rng.random() < 0.15 else "en"
        return name, f"accounts@{slug}.example", language

    def sites(self, batch: CustomerBatch, i: int, kind: str) -> list[Row]:
        rng = self.rng
        count = 2 if rng.random() < (0.5 if kind == "BUSINESS" else 0.15) else 1
        names = cat.BUSINESS_SITE_NAMES if kind == "BUSINESS" else cat.CONSUMER_SITE_NAMES
        rows = []
        for n in range(count):
            hood = rng.choices(self.hoods, self.hood_weights)[0]
            lat, lng, _ = city.scatter(rng, self.geography, hood)
            note = rng.choice(cat.ACCESS_NOTES) if rng.random() < 0.3 else None
            row = {
                "id": self.next_id("sites"),
                "customer_id": i,
                "name": names[0] if n == 0 else rng.choice(names[1:]),
                "address_line": city.address(rng, hood, kind == "BUSINESS"),
                "city": city.CITY,
                "postal_code": hood.pin,
                "country": city.COUNTRY,
                "access_notes": note.format(code=rng.randint(1000, 9999)) if note else None,
                "point": point(lat, lng),
            }
            rows.append(row)
        batch.sites.extend(rows)
        return rows

    def assets(self, batch: CustomerBatch, i: int, kind: str, sites: list[Row]) -> list[Row]:
        rng = self.rng
        counts = (1, 2, 3, 4)
        count = rng.choices(counts, (40, 30, 20, 10) if kind == "CONSUMER" else (10, 30, 30, 30))[0]
        if i == 1:
            count = max(count, 2)
        weights = self.business_weights if kind == "BUSINESS" else self.home_weights
        rows = []
        for _ in range(count):
            model, model_id = rng.choices(self.models, weights)[0]
            sold = self.today - timedelta(days=int(rng.betavariate(1.2, 1.8) * 6 * 365))
            installed = sold + timedelta(days=rng.randint(0, 7)) if model.installed else sold
            installed = min(installed, self.today)
            asset_id = self.next_id("assets")
            certificate = None
            if (self.today - sold).days < 3 * 365 and rng.random() < 0.45:
                certificate = f"EWC{(asset_id * 7919 + 104729) % 10**9:09d}"
            at = local_time(sold, time(rng.randint(10, 20)))
            row = {
                "id": asset_id,
                "product_model_id": model_id,
                "site_id": rng.choice(sites)["id"],
                "customer_id": i,
                "serial_number": self.serial(rng, model, model_id, sold),
                "sold_on": sold,
                "installed_on": installed,
                "warranty_expires_on": add_months(installed, model.warranty_months)
                - timedelta(days=1),
                "ewarranty_certificate": certificate,
                **audited(at),
            }
            rows.append(row)
        batch.assets.extend(rows)
        return rows

    def serial(self, rng: random.Random, model: cat.Model, model_id: int, sold: date) -> str:
        prefix = "".join(c for c in model.brand.upper() if c.isalpha())[:3]
        while True:
            made = sold - timedelta(days=rng.randint(20, 120))
            letter = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
            serial = f"{prefix}{made:%y%m}{letter}{rng.randrange(10**6):06d}"
            if (model_id, serial) not in self.serials:
                self.serials.add((model_id, serial))
                return serial

    def contract(
        self, batch: CustomerBatch, i: int, kind: str, sites: list[Row], assets: list[Row]
    ) -> None:
        rng = self.rng
        options = (("AMC", 45), ("CMC", 45), ("EXTENDED_WARRANTY", 10))
        if kind != "BUSINESS":
            options = (("AMC", 40), ("CMC", 20), ("EXTENDED_WARRANTY", 40))
        contract_kind = rng.choices([o[0] for o in options], [o[1] for o in options])[0]
        if i == 1:
            contract_kind = "AMC"
        covered_sites: list[Row] = []
        covered_assets: list[Row] = []
        if contract_kind == "EXTENDED_WARRANTY":
            asset = rng.choice(assets)
            covered_assets = [asset]
            starts = asset["warranty_expires_on"] + timedelta(days=1)
            ends = add_months(starts, rng.choice((12, 24, 36))) - timedelta(days=1)
        else:
            starts = self.today - timedelta(days=rng.randint(-30, 540))
            if i == 1:
                starts = self.today - timedelta(days=100)
            ends = add_months(starts, 12) - timedelta(days=1)
            if kind == "BUSINESS" and rng.random() < 0.7:
                covered_sites = rng.sample(sites, rng.randint(1, len(sites)))
            else:
                covered_assets = rng.sample(assets, rng.randint(1, min(2, len(assets))))
        response, resolution = {
            "VIP": (4, 24),
            "BUSINESS": (8, 48) if contract_kind == "CMC" else (12, 72),
            "CONSUMER": (24, 72) if contract_kind != "EXTENDED_WARRANTY" else (48, 120),
        }[kind]
        contract_id = self.next_id("contracts")
        prefix = {"AMC": "AMC", "CMC": "CMC", "EXTENDED_WARRANTY": "EXW"}[contract_kind]
        batch.contracts.append(
            {
                "id": contract_id,
                "customer_id": i,
                "number": f"{prefix}-{starts.year}-{contract_id:06d}",
                "kind": contract_kind,
                "starts_on": starts,
                "ends_on": ends,
                "covers_labour": True,
                "covers_parts": contract_kind != "AMC",
                "sla_response_hours": response,
                "sla_resolution_hours": resolution,
                "price": contract_price(
                    contract_kind, kind, len(covered_sites) + len(covered_assets)
                ),
                **audited(local_time(min(starts, self.today) - timedelta(days=rng.randint(0, 14)))),
            }
        )
        for site in covered_sites:
            batch.coverages.append(self.coverage(contract_id, site_id=site["id"]))
        for asset in covered_assets:
            batch.coverages.append(self.coverage(contract_id, asset_id=asset["id"]))

    def coverage(
        self, contract_id: int, *, asset_id: int | None = None, site_id: int | None = None
    ) -> Row:
        return {
            "id": self.next_id("contract_coverages"),
            "contract_id": contract_id,
            "asset_id": asset_id,
            "site_id": site_id,
        }
