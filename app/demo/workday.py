"""The demo city's work: service requests, work orders and tasks from the past weeks to the next
days, each in the state a live organisation would show at the moment of seeding. Plain rows from
seeded RNGs, no database (the intake rules it applies are read by the caller, see `load_rules`).

Everything is relative to `now`. Each technician's day is a route built from their shift, their
time off and their home base: visits to sites of their territory with travel at the dispatch
model's speed. A visit's state is where `now` falls on its timeline (created, offered, accepted,
left, arrived, started work, finished), so no event lies in the future, a technician is on at
most one visit at a time and an en-route technician's last position lies on their way. Work not
yet planned waits UNSCHEDULED with the skills of the technician it would suit, so every task can
be done by someone in its territory. Past days are complete, with feedback, parts and the draft
invoice that completion opens; the next days thin out as bookings do.

The app's rules decide what they decide elsewhere: coverage (`contracts.service.decide`),
priority (the stored rules), SLA due times and states (`sla.clock`), the escalations the SLA
sweeper raised by now (`escalations`) and a request's status from its tasks. Visits of one
technician and day draw from their own RNG, so another `now` on the same day gives the same
routes in other states.

Durations carry structure a model can learn: the time at work depends on the task type, the
product model, the reported fault and the technician's level in the skill, with noise (see
`app.demo.durations`), while each task keeps the static duration the desk typed in. The seed
ends by training the duration model on that history.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.assets.models import Asset
from app.contracts.models import Contract, ContractKind
from app.contracts.service import decide
from app.core.geo import LatLng
from app.demo import city, escalations
from app.demo import faults as fx
from app.demo.durations import worked_minutes
from app.demo.generator import LOCAL, SEED, CustomerBatch, DemoCity, Row, local_time, point
from app.service_requests.eligibility import Eligibility, eligibility_of
from app.service_requests.models import PriorityRule, SlaPolicy, SlaState
from app.service_requests.priority import Facts, active_rules, choose
from app.service_requests.service import status_from
from app.service_requests.sla import due_from
from app.sla.clock import SlaClock, assess
from app.sla.models import EscalationPolicy
from app.tracking.eta import estimate
from app.tracking.models import TrackingPolicy
from app.tracking.policies import distance_m
from app.work_orders.models import TaskStatus as S
from app.work_orders.policies import load_policies

DEMO_TECHNICIAN = 1
"""The technician the demo login stands for."""
HISTORY_DAYS = 14
"""Days of past work by default; `fieldgraph seed --history-days` asks for more (a year makes
the management dashboards meaningful, at the price of a longer seed)."""
MAX_HISTORY_DAYS = 400
AHEAD_DAYS = 3
BOOKED_AHEAD = {1: 0.6, 2: 0.35, 3: 0.2}
"""The share of a future day's route already booked, by days ahead."""
SPEED_KMH = 30.0
DETOUR = 1.35
"""The dispatch travel model's defaults, so seeded routes are ones the planner could make."""
PING_EVERY = timedelta(minutes=2)
VISITS_PER_DAY = (3, 4, 4, 5, 5, 6)
DURATIONS = {
    "REPAIR": (45, 60, 60, 75, 90, 120),
    "MAINTENANCE": (45, 60, 60),
    "INSTALLATION": (90, 120, 150, 180),
    "INSPECTION": (30, 45),
    "REPLACEMENT": (60, 90),
}
OPEN_WORK = (S.UNSCHEDULED, S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS)
RESPONDED = (S.ON_SITE, S.IN_PROGRESS, S.COMPLETED, S.INCOMPLETE)

TABLES = (
    "service_requests",
    "work_orders",
    "tasks",
    "task_skills",
    "task_offers",
    "task_events",
    "task_parts",
    "invoices",
    "task_tracking_states",
    "location_pings",
    "sla_escalations",
)
"""The tables the work fills, parents first."""


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The intake and lifecycle policy data the work is classified with (stored as data)."""

    priority: tuple[PriorityRule, ...]
    sla: Mapping[int, SlaPolicy]
    offer_minutes: int = 30
    escalations: tuple[EscalationPolicy, ...] = ()
    """The active escalation policies, whose past alerts the work carries."""


async def load_rules(session: AsyncSession) -> Rules:
    """The rules as stored (four queries): what the app itself would apply."""
    sla = {p.priority: p for p in (await session.scalars(select(SlaPolicy))).all()}
    policies = await load_policies(session)
    escalating = await session.scalars(
        select(EscalationPolicy).where(col(EscalationPolicy.active).is_(True))
    )
    return Rules(
        tuple(await active_rules(session)),
        sla,
        policies.offer_response_minutes,
        tuple(escalating.all()),
    )


def lat_lng(ewkt: str) -> LatLng:
    lng, lat = ewkt[ewkt.index("(") + 1 : -1].split()
    return LatLng(float(lat), float(lng))


@dataclass(slots=True)
class SiteFacts:
    id: int
    customer: Row
    at: LatLng
    territory: str
    assets: list[Row] = field(default_factory=list)


class Register:
    """What the work needs of the customers: sites by territory with their assets and the
    contracts naming each asset or site. Filled batch by batch as the customers are written."""

    def __init__(self, geography: city.Geography | None = None) -> None:
        self.geography = geography or city.Geography()
        self.sites: dict[int, SiteFacts] = {}
        self.by_territory: dict[str, list[SiteFacts]] = defaultdict(list)
        self.contracts: dict[int, Row] = {}
        self.naming: dict[tuple[str, int], list[int]] = defaultdict(list)

    @classmethod
    def of(cls, batches: Iterable[CustomerBatch]) -> Register:
        register = cls()
        for batch in batches:
            register.add(batch)
        return register

    def add(self, batch: CustomerBatch) -> None:
        customers = {row["id"]: row for row in batch.customers}
        for row in batch.sites:
            at = lat_lng(row["point"])
            territory = self.geography.territory_of(at.lat, at.lng)
            assert territory is not None
            site = SiteFacts(row["id"], customers[row["customer_id"]], at, territory)
            self.sites[site.id] = site
            self.by_territory[territory].append(site)
        for row in batch.assets:
            self.sites[row["site_id"]].assets.append(row)
        for row in batch.contracts:
            self.contracts[row["id"]] = row
        for row in batch.coverages:
            key = ("asset", row["asset_id"]) if row["asset_id"] else ("site", row["site_id"])
            self.naming[key].append(row["contract_id"])


# --- output --------------------------------------------------------------------------------


@dataclass
class Workload:
    """The work's rows per table, the technicians' last known positions and the UTC days the
    location pings fall on (their partitions must exist)."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in TABLES})
    positions: list[Row] = field(default_factory=list)
    """{"technician_id", "last_location", "last_seen_at"} of the technicians seen today."""
    ping_days: set[date] = field(default_factory=set)

    def tables(self) -> list[tuple[str, list[Row]]]:
        return [(name, self.rows[name]) for name in TABLES]

    def statuses(self) -> Counter[str]:
        return Counter(row["status"] for row in self.rows["tasks"])


# --- the workforce as routes need it ---------------------------------------------------------


@dataclass(slots=True)
class _Tech:
    id: int
    name: str
    subject: str
    active: bool
    home: LatLng
    skills: dict[str, int]
    hours: dict[int, tuple[time, time]]
    time_off: list[tuple[datetime, datetime]]
    memberships: list[Row]

    def territory_on(self, day: date) -> int | None:
        for m in self.memberships:
            if m["is_primary"] and m["valid_from"] <= day and (m["valid_to"] or day) >= day:
                return int(m["territory_id"])
        return None

    def shift(self, day: date, holidays: set[date]) -> tuple[datetime, datetime] | None:
        """The longest stretch of the day's shift outside time off (None: not working)."""
        hours = self.hours.get(day.weekday())
        if not self.active or hours is None or day in holidays:
            return None
        pieces = [(local_time(day, hours[0]), local_time(day, hours[1]))]
        for off_start, off_end in self.time_off:
            pieces = [
                part
                for a, b in pieces
                for part in ((a, min(b, off_start)), (max(a, off_end), b))
                if part[1] - part[0] > timedelta(0)
            ]
        best = max(pieces, key=lambda p: p[1] - p[0], default=None)
        if best is None or best[1] - best[0] < timedelta(hours=2):
            return None
        return best


def _workforce(demo: DemoCity, skill_codes: dict[int, str]) -> list[_Tech]:
    users = {u["technician_id"]: u["id"] for u in demo.users if u["technician_id"]}
    techs = {
        t["id"]: _Tech(
            id=t["id"],
            name=t["name"],
            subject=f"user:{users[t['id']]}" if t["id"] in users else f"technician:{t['id']}",
            active=t["status"] == "ACTIVE",
            home=lat_lng(t["home_base"]),
            skills={},
            hours={},
            time_off=[],
            memberships=[],
        )
        for t in demo.technicians
    }
    for s in demo.technician_skills:
        techs[s["technician_id"]].skills[skill_codes[s["skill_id"]]] = s["level"]
    for h in demo.working_hours:
        techs[h["technician_id"]].hours[h["weekday"]] = (h["starts_at"], h["ends_at"])
    for o in demo.time_off:
        techs[o["technician_id"]].time_off.append((o["starts_at"], o["ends_at"]))
    for m in demo.territory_memberships:
        techs[m["technician_id"]].memberships.append(m)
    return list(techs.values())


# --- one visit -------------------------------------------------------------------------------


@dataclass
class Visit:
    """A job and its timeline; times left None never happen."""

    site: SiteFacts
    asset: Row | None
    type: str
    description: str
    skills: list[tuple[str, int]]
    duration: int
    """Minutes at work (START_WORK to COMPLETE): structured, see `app.demo.durations`."""
    fault: fx.Fault | None
    territory_id: int
    tech: _Tech
    """The technician whose route holds the visit (assigned once it is offered)."""
    start_from: LatLng
    leave: datetime
    arrive: datetime
    window: tuple[datetime, datetime] | None = None
    priority: int = 3
    priority_reason: str = ""
    eligibility: Eligibility | None = None
    channel: str = "PHONE"
    created: datetime | None = None
    offered: datetime | None = None
    accepted: datetime | None = None
    confirmed: datetime | None = None
    cancelled: datetime | None = None
    cancel_reason: str | None = None
    incomplete_reason: str | None = None
    request_only: bool = False
    task_id: int | None = None
    keep: bool = False
    """Customer 1's visits: always there, never cancelled nor rated (for the demo login)."""
    pending: bool = False
    """Offered minutes ago, not yet answered (the demo technician's last visit of the day)."""
    planned: int = 60
    """The static duration the desk typed in (the task's `duration_minutes`)."""

    @property
    def started(self) -> datetime:
        return self.arrive + timedelta(minutes=3 + self.planned % 7)

    @property
    def finished(self) -> datetime:
        return self.started + timedelta(minutes=self.duration)


def _travel(a: LatLng, b: LatLng) -> timedelta:
    minutes = distance_m(a, b) * DETOUR / (SPEED_KMH * 1000 / 60)
    return timedelta(minutes=max(5, math.ceil(minutes)))


def _jitter(rng: random.Random, at: LatLng, metres: float) -> LatLng:
    north, east = rng.gauss(0, metres), rng.gauss(0, metres)
    return LatLng(
        round(at.lat + north / 111_320.0, 6),
        round(at.lng + east / (111_320.0 * math.cos(math.radians(at.lat))), 6),
    )


def _ewkt(at: LatLng) -> str:
    return point(at.lat, at.lng)


class _Actors:
    """Who does what, as (subject, role, name) the audit trail records."""

    def __init__(self, users: list[Row]) -> None:
        by_role = {u["role"]: u for u in users}
        self.agent = self._of(by_role["AGENT"])
        self.dispatcher = self._of(by_role["DISPATCHER"])
        self.customer_user = by_role.get("CUSTOMER")

    @staticmethod
    def _of(user: Row) -> tuple[str, str, str]:
        return f"user:{user['id']}", user["role"], user["name"]

    def customer(self, row: Row) -> tuple[str, str, str]:
        user = self.customer_user
        if user is not None and user["customer_id"] == row["id"]:
            return self._of(user)
        return f"customer:{row['id']}", "CUSTOMER", row["name"]

    @staticmethod
    def technician(tech: _Tech) -> tuple[str, str, str]:
        return tech.subject, "TECHNICIAN", tech.name


# --- the generator -----------------------------------------------------------------------------


def generate_work(
    demo: DemoCity,
    register: Register,
    rules: Rules,
    now: datetime,
    history_days: int = HISTORY_DAYS,
) -> Workload:
    """The work of the city as it stands at `now` (an aware datetime on `demo.today`), with
    `history_days` of past work before today."""
    if now.astimezone(LOCAL).date() != demo.today:
        raise ValueError("now must fall on the city's today (Asia/Kolkata)")
    if not 1 <= history_days <= MAX_HISTORY_DAYS:
        raise ValueError(f"history_days must be 1 to {MAX_HISTORY_DAYS}")
    return _Builder(demo, register, rules, now.astimezone(UTC)).build(history_days)


class _Builder:
    def __init__(self, demo: DemoCity, register: Register, rules: Rules, now: datetime) -> None:
        self.demo, self.register, self.rules, self.now = demo, register, rules, now
        self.today = demo.today
        skill_codes = {s["id"]: s["code"] for s in demo.skills}
        self.skill_ids = {code: i for i, code in skill_codes.items()}
        self.techs = _workforce(demo, skill_codes)
        self.territory_codes = {t["id"]: t["code"] for t in demo.territories}
        self.holidays = {h["day"] for h in demo.territory_holidays}
        self.models = {m["id"]: m for m in demo.product_models}
        self.model_skills = {m["id"]: fx.skills_of(m["name"]) for m in demo.product_models}
        self.actors = _Actors(demo.users)
        self.parts = {p.sku: p for p in fx.PARTS}
        self.out = Workload()
        self.ids: Counter[str] = Counter()
        self.busy_assets: set[int] = set()
        self.kept = self._customer_one()
        self.assets: dict[int, Asset] = {}
        self.contracts: dict[int, Contract] = {}
        self.shifts: dict[int, tuple[datetime, datetime]] = {}
        self.today_visits: dict[int, list[Visit]] = {}
        self.request_territories: dict[int, int] = {}

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _customer_one(self) -> dict[int, SiteFacts]:
        """Customer 1 (the demo login) gets a visit tomorrow and one six days ago."""
        sites = [s for s in self.register.sites.values() if s.customer["id"] == 1 and s.assets]
        return {1: sites[0], -6: sites[0]} if sites else {}

    def build(self, history_days: int) -> Workload:
        for offset in range(-history_days, AHEAD_DAYS + 1):
            day = self.today + timedelta(days=offset)
            for tech in self.techs:
                rng = random.Random(f"{SEED}:work:{offset}:{tech.id}")
                origin = tech.home
                for n, visit in enumerate(self._route(rng, tech, day, offset)):
                    own = random.Random(f"{SEED}:visit:{offset}:{tech.id}:{n}")
                    self._plan(own, visit, offset)
                    visit.start_from = origin
                    self._write(own, visit)
                    if _went(visit, self.now):
                        origin = visit.site.at
        for tech_id, visits in self.today_visits.items():
            self._pings(tech_id, visits)
        self._escalations()
        return self.out

    def _escalations(self) -> None:
        """What the SLA sweeper raised until now, so its first run after the seed is quiet."""
        rows = self.out.rows
        subjects = escalations.tasks(rows["tasks"], rows["task_events"])
        subjects += escalations.requests(
            rows["service_requests"], rows["tasks"], self.request_territories
        )
        rows["sla_escalations"] = escalations.raised(subjects, self.rules.escalations, self.now)

    # --- routes ------------------------------------------------------------------------------

    def _route(self, rng: random.Random, tech: _Tech, day: date, offset: int) -> list[Visit]:
        shift = tech.shift(day, self.holidays)
        territory = tech.territory_on(day)
        if shift is None or territory is None:
            return []
        if offset == 0:
            self.shifts[tech.id] = shift
        sites = self.register.by_territory.get(self.territory_codes[territory], [])
        leave, at = shift[0] + timedelta(minutes=rng.randint(10, 30)), tech.home
        visits: list[Visit] = []
        for n in range(rng.choice(VISITS_PER_DAY)):
            kept = self.kept.get(offset) if n == 0 else None
            if kept is not None and kept.territory != self.territory_codes[territory]:
                kept = None
            site = kept or self._next_site(rng, tech, sites, at, day)
            if site is None:
                break
            arrive = leave + _travel(at, site.at)
            visit = self._job(rng, tech, site, territory, at, leave, arrive, day)
            if visit is None or visit.finished > shift[1]:
                break
            if kept is not None:
                visit.keep = True
                self.kept.pop(offset)
            visits.append(visit)
            at, leave = site.at, visit.finished + timedelta(minutes=rng.randint(5, 20))
        if visits and tech.id == DEMO_TECHNICIAN and offset in (0, 1):
            visits[-1].pending = True
        return visits

    def _next_site(
        self, rng: random.Random, tech: _Tech, sites: list[SiteFacts], at: LatLng, day: date
    ) -> SiteFacts | None:
        """The nearer of two sites with something the technician can serve (of a few drawn);
        any site, for an installation, when none has."""
        if not sites:
            return None
        drawn = rng.sample(sites, min(12, len(sites)))
        fitting = [s for s in drawn if self._serviceable(tech, s, day)][:2]
        return min(fitting or drawn[:2], key=lambda s: distance_m(at, s.at))

    def _serviceable(self, tech: _Tech, site: SiteFacts, day: date) -> list[Row]:
        open_work = day >= self.today - timedelta(days=1)
        return [
            a
            for a in site.assets
            if self.model_skills[a["product_model_id"]][0] in tech.skills
            and not (open_work and a["id"] in self.busy_assets)
        ]

    def _job(
        self,
        rng: random.Random,
        tech: _Tech,
        site: SiteFacts,
        territory: int,
        start_from: LatLng,
        leave: datetime,
        arrive: datetime,
        day: date,
    ) -> Visit | None:
        """What the visit is for: an asset the technician can serve, or a new installation."""
        open_work = day >= self.today - timedelta(days=1)
        assets = self._serviceable(tech, site, day)
        installable = [
            m for m in self.models.values() if self.model_skills[m["id"]][1] in tech.skills
        ]
        planned_day = day > self.today
        roll = rng.random()
        if assets and roll < (0.75 if planned_day else 0.9):
            asset = rng.choice(assets)
            model = self.models[asset["product_model_id"]]
            kind = rng.choices(
                ("REPAIR", "MAINTENANCE", "REPLACEMENT", "INSPECTION"),
                (35, 55, 3, 7) if planned_day else (72, 20, 3, 5),
            )[0]
            skill = self.model_skills[model["id"]][0]
        elif installable:
            asset, model, kind = None, rng.choice(installable), "INSTALLATION"
            skill = self.model_skills[model["id"]][1]
        else:
            return None
        fault = rng.choice(fx.FAULTS[skill]) if kind == "REPAIR" and skill in fx.FAULTS else None
        if kind == "REPAIR" and fault is None:
            kind = "MAINTENANCE"
        if open_work and asset is not None:
            self.busy_assets.add(asset["id"])
        skills = [(skill, min(tech.skills[skill], rng.choice((1, 1, 1, 2, 2, 3))))]
        wiring = skill != "electrical" and "electrical" in tech.skills
        if kind == "INSTALLATION" and wiring and rng.random() < 0.3:
            skills.append(("electrical", 1))
        planned = rng.choice(DURATIONS[kind])
        noise = random.Random(f"duration:{tech.id}:{arrive.isoformat()}")
        return Visit(
            site=site,
            asset=asset,
            type=kind,
            description=self._describe(rng, kind, model["name"], skill, fault),
            skills=skills,
            duration=worked_minutes(kind, model["name"], fault, tech.skills[skill], noise),
            planned=planned,
            fault=fault,
            territory_id=territory,
            tech=tech,
            start_from=start_from,
            leave=leave,
            arrive=arrive,
        )

    @staticmethod
    def _describe(
        rng: random.Random, kind: str, model: str, skill: str, fault: fx.Fault | None
    ) -> str:
        if fault is not None:
            return f"{model}: {fault.description}"
        if kind == "MAINTENANCE":
            return f"{model}: {fx.MAINTENANCE[skill]}"
        if kind == "INSTALLATION":
            return f"Install the new {model} delivered this week."
        if kind == "REPLACEMENT":
            return f"{model}: third failure within warranty; replace the unit."
        return f"{model}: {rng.choice(fx.INSPECTIONS)}"

    # --- the timeline --------------------------------------------------------------------------

    def _plan(self, rng: random.Random, visit: Visit, offset: int) -> None:
        """Intake (channel, coverage, priority) and the times the visit's steps happen.

        What is decided by chance (cancelled, incomplete) is drawn first, so that another `now`
        moves the same visits along instead of drawing other ones."""
        visit.channel = rng.choices(*zip(*fx.CHANNELS, strict=True))[0]
        ws = visit.arrive.astimezone(LOCAL).replace(minute=0, second=0, microsecond=0)
        ws -= timedelta(hours=rng.choice((0, 1)))
        visit.window = (ws.astimezone(UTC), (ws + timedelta(hours=2)).astimezone(UTC))
        cancelled, cancel_share = rng.random() < 0.04, rng.uniform(0.3, 1.0)
        cancel_reason = rng.choice(fx.CANCEL_REASONS)
        incomplete, incomplete_reason = rng.random() < 0.06, rng.choice(fx.INCOMPLETE_REASONS)
        if offset > 0:
            self._booked(rng, visit, offset)
        else:
            self._reported(rng, visit, offset)
        if visit.created is None or visit.created > self.now:
            return
        if cancelled and not visit.keep:
            self._cancel(visit, cancel_share, cancel_reason)
        if incomplete and offset >= -1 and visit.fault is not None:
            visit.incomplete_reason = incomplete_reason

    def _classify(self, visit: Visit, created: datetime) -> tuple[datetime, datetime]:
        """Coverage on the day, priority by the rules; the SLA due times from `created`."""
        on = created.astimezone(LOCAL).date()
        visit.eligibility = self._eligibility(visit.site, visit.asset, on)
        customer_type = visit.site.customer["type"]
        facts = Facts(
            visit.description, visit.type, customer_type, visit.eligibility.sla_response_hours
        )
        visit.priority, visit.priority_reason = choose(self.rules.priority, facts)
        if visit.priority <= 2:
            visit.window = None
        return due_from(
            self.rules.sla.get(visit.priority),
            visit.priority,
            created,
            visit.eligibility.sla_response_hours,
            visit.eligibility.sla_resolution_hours,
        )

    def _reported(self, rng: random.Random, visit: Visit, offset: int) -> None:
        """Past and today's visits: reported within their response time (a few late)."""
        guess = visit.arrive - timedelta(hours=4)
        response = self._classify(visit, guess)[0] - guess
        late, share = rng.random() < 0.06, rng.uniform(0.25, 0.9)
        if late:
            share = 1.05 + share * 0.6
        quiet = timedelta(minutes=rng.randint(5, 40))
        after, evening, answer = (timedelta(minutes=rng.randint(*r)) for r in _OFFER_DRAWS)
        roll, minutes = rng.random(), rng.randint(1, 20)
        lead = max(response * share, visit.arrive - visit.leave + timedelta(minutes=20))
        created = visit.arrive - lead
        if offset == 0:
            created = min(created, self.now - quiet)
            if visit.arrive - created > response * 1.6:
                return  # urgent work is not booked for hours later: not this visit
        self._classify(visit, created)
        visit.created = created
        planning = local_time(visit.arrive.astimezone(LOCAL).date() - timedelta(days=1), time(17))
        offered = planning + evening if planning > created else created + after
        latest = visit.leave - timedelta(minutes=10)
        visit.offered = max(created, min(offered, latest))
        visit.accepted = max(min(visit.offered + answer, latest), visit.offered)
        if offset == 0 and visit.leave > self.now + timedelta(minutes=30) and not visit.keep:
            self._unplanned(visit, 0.25 if visit.pending else roll, minutes)

    def _booked(self, rng: random.Random, visit: Visit, offset: int) -> None:
        """The next days: only the share already booked exists; some planned, some not yet."""
        sure = visit.keep or visit.pending
        if not sure and rng.random() > BOOKED_AHEAD[offset]:
            return
        response = self._classify(visit, self.now)[0] - self.now
        if visit.priority <= 2 and not sure:
            return  # urgent work is not booked days ahead
        created = self.now - max(response * rng.uniform(0.05, 0.7), timedelta(minutes=10))
        self._classify(visit, created)
        visit.created = created
        planned, confirmed = rng.random(), rng.random()
        after, answer = rng.randint(10, 120), rng.randint(2, 25)
        roll, minutes = rng.random(), rng.randint(1, 20)
        if visit.pending:
            self._unplanned(visit, 0.8, minutes, unplanned=0.75)
        elif visit.keep or planned < (0.5 if offset == 1 else 0.25):
            visit.offered = min(created + timedelta(minutes=after), self.now)
            visit.accepted = min(visit.offered + timedelta(minutes=answer), self.now)
            if visit.keep or confirmed < 0.4:
                visit.confirmed = min(visit.accepted + timedelta(hours=2), self.now)
        elif offset == 1:
            self._unplanned(visit, roll, minutes, unplanned=0.75)

    def _unplanned(self, visit: Visit, roll: float, minutes: int, unplanned: float = 0.2) -> None:
        """Work the dispatcher has not planned yet, or offered minutes ago (not yet answered);
        now and then a request so fresh that the desk has not made its task yet."""
        assert visit.created is not None
        if roll < unplanned:
            visit.offered = visit.accepted = None
            visit.request_only = roll < 0.03 and visit.created > self.now - timedelta(hours=1)
        elif roll < unplanned + 0.15:
            # offered up to four fifths of the answer time ago: they fall due one by one
            ago = timedelta(minutes=self.rules.offer_minutes * 0.8 * minutes / 20)
            visit.offered = max(self.now - ago, visit.created)
            visit.accepted = None

    def _cancel(self, visit: Visit, share: float, reason: str) -> None:
        """Cancelled by now, at least half an hour before the technician would have left."""
        assert visit.created is not None
        latest = min(self.now, visit.leave - timedelta(minutes=30))
        if latest > visit.created:
            visit.cancelled = visit.created + (latest - visit.created) * share
            visit.cancel_reason = reason

    # --- rows ----------------------------------------------------------------------------------

    def _eligibility(self, site: SiteFacts, asset_row: Row | None, on: date) -> Eligibility:
        asset = self._asset(asset_row) if asset_row else None
        named = self.register.naming.get(("site", site.id), [])
        if asset_row is not None:
            named = named + self.register.naming.get(("asset", asset_row["id"]), [])
        contracts = [self._contract(i) for i in dict.fromkeys(named)]
        coverage = decide(asset, on, contracts)
        chosen = self._contract(coverage.contract_id) if coverage.contract_id else None
        return eligibility_of(coverage, asset, chosen)

    def _asset(self, row: Row) -> Asset:
        if row["id"] not in self.assets:
            self.assets[row["id"]] = cast(Asset, _AssetView(**{k: row[k] for k in _ASSET_KEYS}))
        return self.assets[row["id"]]

    def _contract(self, contract_id: int) -> Contract:
        if contract_id not in self.contracts:
            row = self.register.contracts[contract_id]
            view = _ContractView(**{k: row[k] for k in _CONTRACT_KEYS})
            view.kind = ContractKind(row["kind"])
            self.contracts[contract_id] = cast(Contract, view)
        return self.contracts[contract_id]

    def _write(self, rng: random.Random, visit: Visit) -> None:
        if visit.created is None or visit.created > self.now:
            return
        task = _TaskStory(self, rng, visit)
        request = self._request(visit, task)
        if visit.request_only:
            request["sla_state"] = task.sla_state(request_wide=True).value
            return
        order_id = self.next_id("work_orders")
        self.out.rows["work_orders"].append(
            {
                "id": order_id,
                "service_request_id": request["id"],
                "customer_id": request["customer_id"],
                "site_id": request["site_id"],
                "asset_id": request["asset_id"],
                "status": "OPEN",
                "created_at": task.created,
                "updated_at": task.created,
                "version": 1,
            }
        )
        tasks = task.rows(order_id, request)
        self.out.rows["tasks"] += tasks
        statuses = [S(t["status"]) for t in tasks]
        request["status"] = status_from(statuses).value
        if request["status"] == "RESOLVED":
            request["resolved_at"] = task.finished_at
        request["updated_at"] = max(t["updated_at"] for t in tasks)
        request["version"] = 2 if request["status"] == "IN_PROGRESS" else 3
        request["sla_state"] = task.sla_state(request_wide=True).value
        if visit.arrive.astimezone(LOCAL).date() == self.today and visit.tech.id in self.shifts:
            self.today_visits.setdefault(visit.tech.id, []).append(visit)

    def _request(self, visit: Visit, task: _TaskStory) -> Row:
        assert visit.created is not None and visit.eligibility is not None
        response_due, resolution_due = task.due
        customer = visit.site.customer
        reporter = self.actors.agent
        if visit.channel in ("WEB", "CHATBOT"):
            reporter = self.actors.customer(customer)
        e = visit.eligibility
        row = {
            "id": self.next_id("service_requests"),
            "channel": visit.channel,
            "category": visit.type,
            "description": visit.description,
            "contact_name": customer["name"],
            "contact_phone": customer["phone"],
            "external_ref": None,
            "customer_id": customer["id"],
            "site_id": visit.site.id,
            "asset_id": visit.asset["id"] if visit.asset else None,
            "status": "OPEN",
            "priority": visit.priority,
            "priority_reason": visit.priority_reason,
            "priority_overridden": False,
            "eligibility_status": e.status.value,
            "coverage_kind": e.coverage.value,
            "covers_labour": e.labour,
            "covers_parts": e.parts,
            "contract_id": e.contract_id,
            "coverage_valid_until": e.valid_until,
            "duplicate_of_id": None,
            "reported_by": reporter[0],
            "response_due_at": response_due,
            "resolution_due_at": resolution_due,
            "sla_state": "ON_TRACK",
            "resolved_at": None,
            "cancelled_reason": None,
            "created_at": visit.created,
            "updated_at": visit.created,
            "version": 1,
        }
        self.out.rows["service_requests"].append(row)
        self.request_territories[row["id"]] = visit.territory_id
        return row

    # --- positions -----------------------------------------------------------------------------

    def _pings(self, tech_id: int, visits: list[Visit]) -> None:
        """The technician's pings from the start of today's shift until now (or its end)."""
        shift_start, shift_end = self.shifts[tech_id]
        until = min(self.now, shift_end)
        if until <= shift_start:
            return
        travelled = sorted((v for v in visits if _went(v, self.now)), key=lambda v: v.arrive)
        rng = random.Random(f"{SEED}:pings:{tech_id}")
        home = visits[0].tech.home
        at, moment, last = home, shift_start, None
        rows = self.out.rows["location_pings"]
        while moment <= until:
            at, speed, heading = _position(travelled, home, moment)
            seen = _jitter(rng, at, 6.0)
            rows.append(
                {
                    "technician_id": tech_id,
                    "recorded_at": moment,
                    "received_at": moment + timedelta(seconds=rng.randint(1, 20)),
                    "location": _ewkt(seen),
                    "accuracy_m": round(rng.uniform(4.0, 25.0), 1),
                    "speed_mps": speed,
                    "heading": heading,
                }
            )
            self.out.ping_days.add(moment.date())
            last = (seen, moment)
            moment += PING_EVERY
        if last is None:
            return
        self.out.positions.append(
            {"technician_id": tech_id, "last_location": _ewkt(last[0]), "last_seen_at": last[1]}
        )
        for visit in travelled:
            if visit.leave <= last[1] < visit.arrive:
                self._eta(visit, last[0], last[1])

    def _eta(self, visit: Visit, where: LatLng, at: datetime) -> None:
        found = estimate(where, visit.site.at, TrackingPolicy())
        assert visit.task_id is not None
        self.out.rows["task_tracking_states"].append(
            {
                "task_id": visit.task_id,
                "technician_id": visit.tech.id,
                "eta_at": at + timedelta(minutes=found.minutes),
                "eta_minutes": found.minutes,
                "distance_meters": round(found.distance_meters, 1),
                "computed_at": at,
                "late_notified_at": None,
                "vicinity_notified_at": None,
            }
        )


def _went(visit: Visit, now: datetime) -> bool:
    """Whether the technician has set off for the visit by `now`."""
    return (
        visit.accepted is not None
        and visit.accepted <= now
        and visit.leave <= now
        and (visit.cancelled is None or visit.cancelled > now)
    )


def _position(
    visits: list[Visit], home: LatLng, moment: datetime
) -> tuple[LatLng, float | None, float | None]:
    """Where the technician is at `moment`: at home, on the way (with speed and heading) or on
    the last site reached."""
    at = home
    for visit in visits:
        if moment < visit.leave:
            break
        if moment < visit.arrive:
            share = (moment - visit.leave) / (visit.arrive - visit.leave)
            a, b = at, visit.site.at
            here = LatLng(a.lat + (b.lat - a.lat) * share, a.lng + (b.lng - a.lng) * share)
            seconds = (visit.arrive - visit.leave).total_seconds()
            speed = round(distance_m(a, b) * DETOUR / seconds, 1)
            heading = math.degrees(math.atan2(b.lng - a.lng, b.lat - a.lat)) % 360
            return here, speed, round(heading, 0)
        at = visit.site.at
    return at, 0.0, None


# --- one task's story ------------------------------------------------------------------------


@dataclass(slots=True)
class _Event:
    at: datetime
    action: str
    source: S | None
    target: S
    actor: tuple[str, str, str]
    reason: str | None = None
    location: str | None = None


class _TaskStory:
    """The task's audit trail up to now, and the columns that trail leaves on the task."""

    def __init__(self, builder: _Builder, rng: random.Random, visit: Visit) -> None:
        assert visit.created is not None
        self.b, self.rng, self.v = builder, rng, visit
        now = builder.now
        typed = visit.created + timedelta(minutes=rng.randint(2, 20))
        self.created = min(t for t in (typed, now, visit.offered, visit.cancelled) if t)
        self.due = _due(builder.rules, visit)
        self.events: list[_Event] = []
        self.finished_at: datetime | None = None
        self.responded_at: datetime | None = None
        self.check_in: tuple[LatLng, float] | None = None
        self._tell(now)

    def _step(
        self, at: datetime | None, action: str, target: S, actor: tuple[str, str, str], **kw: Any
    ) -> bool:
        if at is None or at > self.b.now:
            return False
        source = self.events[-1].target if self.events else None
        self.events.append(_Event(at, action, source, target, actor, **kw))
        return True

    def _tell(self, now: datetime) -> None:
        v, actors = self.v, self.b.actors
        tech = actors.technician(v.tech)
        desk = actors.agent if v.channel != "API" else actors.dispatcher
        self._step(self.created, "CREATE", S.UNSCHEDULED, desk)
        if v.cancelled is not None and v.cancelled <= now:
            self._until_cancel(tech)
            return
        if not self._step(v.offered, "ASSIGN", S.DISPATCHED, actors.dispatcher):
            return
        if not self._step(v.accepted, "ACCEPT", S.ACCEPTED, tech):
            return
        if v.confirmed is not None and v.confirmed < v.leave:
            self._step(v.confirmed, "CONFIRM", S.ACCEPTED, actors.customer(v.site.customer))
        start = _ewkt(_jitter(self.rng, v.start_from, 15))
        if not self._step(v.leave, "START_TRAVEL", S.EN_ROUTE, tech, location=start):
            return
        where = _jitter(self.rng, v.site.at, 25)
        self.check_in = (where, round(distance_m(where, v.site.at), 1))
        if not self._step(v.arrive, "CHECK_IN", S.ON_SITE, tech, location=_ewkt(where)):
            return
        self.responded_at = v.arrive
        if not self._step(v.started, "START_WORK", S.IN_PROGRESS, tech):
            return
        if v.incomplete_reason:
            done = self._step(
                v.finished, "MARK_INCOMPLETE", S.INCOMPLETE, tech, reason=v.incomplete_reason
            )
        else:
            done = self._step(v.finished, "COMPLETE", S.COMPLETED, tech, location=_ewkt(where))
        if done:
            self.finished_at = v.finished

    def _until_cancel(self, tech: tuple[str, str, str]) -> None:
        v = self.v
        assert v.cancelled is not None
        if v.offered is not None and v.offered < v.cancelled:
            self._step(v.offered, "ASSIGN", S.DISPATCHED, self.b.actors.dispatcher)
            if v.accepted is not None and v.accepted < v.cancelled:
                self._step(v.accepted, "ACCEPT", S.ACCEPTED, tech)
        by_customer = self.rng.random() < 0.6
        who = self.b.actors.customer(v.site.customer) if by_customer else self.b.actors.agent
        self._step(v.cancelled, "CANCEL", S.CANCELLED, who, reason=v.cancel_reason)

    @property
    def status(self) -> S:
        return self.events[-1].target

    def _reached(self, action: str) -> _Event | None:
        return next((e for e in self.events if e.action == action), None)

    def sla_state(self, *, request_wide: bool = False) -> SlaState:
        """Where the work stands against its due times now, or stood when it closed, as the
        sweeper leaves it: a task's clock runs from the task's creation, a request's from its
        own (`request_wide`; a follow-up keeps the request open)."""
        assert self.v.created is not None
        start = self.v.created if request_wide else self.created
        response_due, resolution_due = self.due
        if self.responded_at is not None and self.responded_at > response_due:
            return SlaState.BREACHED
        if self.status is S.CANCELLED:
            assert self.v.cancelled is not None
            return self._assess(start, self.v.cancelled, responded=False)
        still_open = self.finished_at is None or (request_wide and self.status is S.INCOMPLETE)
        if still_open:
            return self._assess(start, self.b.now, responded=self.responded_at is not None)
        assert self.finished_at is not None
        return SlaState.BREACHED if self.finished_at > resolution_due else SlaState.MET

    def _assess(self, start: datetime, at: datetime, *, responded: bool) -> SlaState:
        policy = self.b.rules.sla.get(self.v.priority)
        percent = policy.at_risk_percent if policy else 80
        return assess(SlaClock(start, *self.due, responded, percent), at)

    def rows(self, order_id: int, request: Row) -> list[Row]:
        """The task (and a follow-up when the visit ended incomplete), with what hangs on it."""
        task_id = self.v.task_id = self.b.next_id("tasks")
        task = self._task(task_id, order_id, request)
        rows = [task]
        self._children(task_id, request["id"])
        if self.status is S.INCOMPLETE:
            rows.append(self._follow_up(task, order_id, request))
        return rows

    def _task(self, task_id: int, order_id: int, request: Row) -> Row:
        v, status = self.v, self.status
        assigned = self._reached("ASSIGN") is not None
        cancelled = status is S.CANCELLED
        window = v.window
        row = _blank_task(task_id, order_id, request, v, self.created)
        row.update(
            {
                "window_start": window[0] if window else None,
                "window_end": window[1] if window else None,
                "status": status.value,
                "technician_id": v.tech.id if assigned else None,
                "scheduled_start": v.arrive if assigned else None,
                "scheduled_end": v.finished if assigned else None,
                "offer_expires_at": (
                    v.offered + timedelta(minutes=self.b.rules.offer_minutes)
                    if status is S.DISPATCHED and v.offered
                    else None
                ),
                "confirmed_at": e.at if (e := self._reached("CONFIRM")) else None,
                "started_at": e.at if (e := self._reached("START_WORK")) else None,
                "finished_at": self.finished_at,
                "check_in_distance_meters": self.check_in[1] if self.check_in else None,
                "incomplete_reason": v.incomplete_reason if status is S.INCOMPLETE else None,
                "cancel_reason": v.cancel_reason if cancelled else None,
                "sla_state": self.sla_state().value,
                "updated_at": self.events[-1].at,
                "version": len(self.events),
            }
        )
        if status is S.COMPLETED:
            self._completed(row)
        return row

    def _completed(self, row: Row) -> None:
        v, rng = self.v, self.rng
        assert self.finished_at is not None
        fault = v.fault
        row["resolution_code"] = fault.resolution if fault else _RESOLUTION[v.type]
        row["resolution_notes"] = fault.notes if fault else self._note()
        row["signature_ref"] = f"signature:task-{row['id']}"
        row["signer_name"] = v.site.customer["name"]
        row["signed_at"] = self.finished_at - timedelta(minutes=2)
        rated = 0.55 if v.arrive.astimezone(LOCAL).date() < self.b.today else 0.2
        if v.keep or rng.random() >= rated:
            return
        hours = rng.uniform(1, 30) if rated > 0.5 else rng.uniform(0.2, 2)
        feedback_at = self.finished_at + timedelta(hours=hours)
        if feedback_at > self.b.now:
            return
        rating = rng.choices(*zip(*fx.RATINGS, strict=True))[0]
        row["rating"] = rating
        row["feedback_comment"] = rng.choice(fx.COMMENTS[rating]) if rng.random() < 0.6 else None
        row["feedback_at"] = feedback_at
        row["updated_at"] = feedback_at
        row["version"] += 1

    def _note(self) -> str:
        if self.v.type == "INSTALLATION":
            return self.rng.choice(fx.INSTALL_NOTES)
        return "Done as requested; customer shown the result."

    def _children(self, task_id: int, request_id: int) -> None:
        out, v = self.b.out.rows, self.v
        out["task_skills"] += [
            {"task_id": task_id, "skill_id": self.b.skill_ids[code], "min_level": level}
            for code, level in v.skills
        ]
        for e in self.events:
            out["task_events"].append(
                {
                    "id": self.b.next_id("task_events"),
                    "task_id": task_id,
                    "service_request_id": request_id,
                    "action": e.action,
                    "from_status": e.source.value if e.source else None,
                    "to_status": e.target.value,
                    "at": e.at,
                    "actor": e.actor[0],
                    "actor_role": e.actor[1],
                    "actor_name": e.actor[2],
                    "reason": e.reason,
                    "technician_id": v.tech.id if e.action != "CREATE" else None,
                    "location": e.location,
                }
            )
        self._offer(task_id)
        if self.status is S.COMPLETED:
            self._parts(task_id)
            assert self.finished_at is not None
            out["invoices"].append(_draft_invoice(self.b.next_id("invoices"), task_id, self))

    def _offer(self, task_id: int) -> None:
        v = self.v
        assign, accept = self._reached("ASSIGN"), self._reached("ACCEPT")
        if assign is None:
            return
        cancel = self._reached("CANCEL")
        status, responded, reason = "PENDING", None, None
        if accept is not None:
            status, responded = "ACCEPTED", accept.at
        elif cancel is not None:
            status, responded, reason = "WITHDRAWN", cancel.at, "cancelled"
        self.b.out.rows["task_offers"].append(
            {
                "id": self.b.next_id("task_offers"),
                "task_id": task_id,
                "technician_id": v.tech.id,
                "offered_by": self.b.actors.dispatcher[0],
                "offered_at": assign.at,
                "expires_at": assign.at + timedelta(minutes=self.b.rules.offer_minutes),
                "status": status,
                "responded_at": responded,
                "reason": reason,
            }
        )

    def _parts(self, task_id: int) -> None:
        v, rng = self.v, self.rng
        skus: tuple[str, ...] = v.fault.parts if v.fault else ()
        if v.type == "INSTALLATION":
            skus = tuple(p.sku for p in fx.PARTS if p.skill == v.skills[0][0] and p.accessory)
            if v.skills[0][0] == "ac_install":
                skus = ("AC-KIT-INSTALL",)
        if not skus or rng.random() > 0.8:
            return
        assert self.finished_at is not None
        for sku in skus:
            part = self.b.parts[sku]
            self.b.out.rows["task_parts"].append(
                {
                    "id": self.b.next_id("task_parts"),
                    "task_id": task_id,
                    "part_code": sku,
                    "quantity": 2 if part.category == "consumables" and rng.random() < 0.3 else 1,
                    "description": part.name,
                    "author": v.tech.subject,
                    "created_at": self.finished_at - timedelta(minutes=10),
                }
            )

    def _follow_up(self, task: Row, order_id: int, request: Row) -> Row:
        """What `mark_incomplete` opens: an UNSCHEDULED copy without window or technician,
        which owes no response (the visit met it) and runs on to the resolution due time."""
        assert self.finished_at is not None
        follow_id = self.b.next_id("tasks")
        row = _blank_task(follow_id, order_id, request, self.v, self.finished_at)
        state = self._assess(self.finished_at, self.b.now, responded=True)
        row.update(
            {"follow_up_of_id": task["id"], "response_due_at": None, "sla_state": state.value}
        )
        self.b.out.rows["task_skills"] += [
            {"task_id": follow_id, "skill_id": self.b.skill_ids[code], "min_level": level}
            for code, level in self.v.skills
        ]
        self.b.out.rows["task_events"].append(
            {
                "id": self.b.next_id("task_events"),
                "task_id": follow_id,
                "service_request_id": request["id"],
                "action": "CREATE",
                "from_status": None,
                "to_status": "UNSCHEDULED",
                "at": self.finished_at,
                "actor": self.v.tech.subject,
                "actor_role": "TECHNICIAN",
                "actor_name": self.v.tech.name,
                "reason": f"follow-up of task {task['id']}: {self.v.incomplete_reason}",
                "technician_id": None,
                "location": None,
            }
        )
        return row


_OFFER_DRAWS = ((5, 45), (0, 90), (2, 25))
"""Minutes: offered after intake (same day), after the evening planning, answered after."""
_ASSET_KEYS = ("id", "site_id", "sold_on", "installed_on", "warranty_expires_on")
_CONTRACT_KEYS = (
    "id", "kind", "starts_on", "ends_on", "covers_labour", "covers_parts",
    "sla_response_hours", "sla_resolution_hours",
)  # fmt: skip


@dataclass(slots=True)
class _AssetView:
    """The columns the coverage rules read, with the model's own rule (a table object costs a
    few hundred microseconds to build; thousands of them would slow the seed down)."""

    id: int
    site_id: int
    sold_on: date | None
    installed_on: date | None
    warranty_expires_on: date | None

    def under_warranty(self, on: date) -> bool:
        return Asset.under_warranty(cast(Asset, self), on)


@dataclass(slots=True)
class _ContractView:
    id: int
    kind: ContractKind
    starts_on: date
    ends_on: date
    covers_labour: bool
    covers_parts: bool
    sla_response_hours: int | None
    sla_resolution_hours: int | None
    archived_at: datetime | None = None

    def is_active(self, on: date) -> bool:
        return Contract.is_active(cast(Contract, self), on)


_RESOLUTION = {
    "MAINTENANCE": "CLEANED_SERVICED",
    "INSTALLATION": "INSTALLED",
    "INSPECTION": "INSPECTED",
    "REPLACEMENT": "UNIT_REPLACED",
    "REPAIR": "REPAIRED",
}


def _due(rules: Rules, visit: Visit) -> tuple[datetime, datetime]:
    assert visit.created is not None and visit.eligibility is not None
    return due_from(
        rules.sla.get(visit.priority),
        visit.priority,
        visit.created,
        visit.eligibility.sla_response_hours,
        visit.eligibility.sla_resolution_hours,
    )


def _blank_task(task_id: int, order_id: int, request: Row, visit: Visit, at: datetime) -> Row:
    """Every column of a task as `create_task` leaves it (UNSCHEDULED, no window)."""
    prerequisites = []
    if visit.type == "INSTALLATION":
        prerequisites = [{"text": text, "done": False} for text in fx.PREREQUISITES[:2]]
    return {
        "id": task_id,
        "type": visit.type,
        "description": visit.description,
        "priority": visit.priority,
        "duration_minutes": visit.planned,
        "crew_size": 1,
        "earliest_start": None,
        "latest_start": None,
        "window_start": None,
        "window_end": None,
        "deadline": None,
        "work_order_id": order_id,
        "service_request_id": request["id"],
        "customer_id": request["customer_id"],
        "site_id": request["site_id"],
        "asset_id": request["asset_id"],
        "territory_id": visit.territory_id,
        "location": _ewkt(visit.site.at),
        "status": "UNSCHEDULED",
        "preferred_technician_ids": [],
        "excluded_technician_ids": [],
        "prerequisites": prerequisites,
        "technician_id": None,
        "scheduled_start": None,
        "scheduled_end": None,
        "offer_expires_at": None,
        "rejection_count": 0,
        "confirmed_at": None,
        "started_at": None,
        "finished_at": None,
        "check_in_distance_meters": None,
        "outside_geofence": False,
        "resolution_code": None,
        "resolution_notes": None,
        "incomplete_reason": None,
        "cancel_reason": None,
        "follow_up_of_id": None,
        "signature_ref": None,
        "signer_name": None,
        "signed_at": None,
        "rating": None,
        "feedback_comment": None,
        "feedback_at": None,
        "response_due_at": request["response_due_at"],
        "resolution_due_at": request["resolution_due_at"],
        "sla_state": "ON_TRACK",
        "created_at": at,
        "updated_at": at,
        "archived_at": None,
        "version": 1,
    }


def _draft_invoice(invoice_id: int, task_id: int, story: _TaskStory) -> Row:
    """The draft the completion listener opens (priced by billing when first shown)."""
    assert story.finished_at is not None
    zero = 0
    return {
        "id": invoice_id,
        "kind": "INVOICE",
        "number": None,
        "status": "DRAFT",
        "customer_id": story.v.site.customer["id"],
        "task_id": task_id,
        "upsell_id": None,
        "credited_invoice_id": None,
        "currency": city.CURRENCY,
        "priced": False,
        "subtotal": zero,
        "covered_amount": zero,
        "net_amount": zero,
        "tax_amount": zero,
        "total": zero,
        "amount_paid": zero,
        "amount_credited": zero,
        "issued_at": None,
        "due_on": None,
        "reason": None,
        "created_at": story.finished_at,
        "updated_at": story.finished_at,
        "version": 1,
    }


def summary(workload: Workload) -> list[tuple[str, int]]:
    """(state, count) of the tasks, in lifecycle order, for the seed's printout."""
    counts = workload.statuses()
    return [(status.value.lower(), counts[status.value]) for status in S if counts[status.value]]
