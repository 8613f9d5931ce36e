"""A solver plan read back into the database's terms: recorded on its run, published as offers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import DomainError
from app.core.events import discard_events_after, pending_events
from app.dispatch.models import DispatchRun
from app.dispatch.part_needs import Pickup, hold_pickups
from app.dispatch.problem_builder import Built
from app.dispatch.solver.problem import Plan
from app.work_orders.offers import PlannedOffer, offer_planned

log = structlog.get_logger("fieldgraph.dispatch")


@dataclass(frozen=True)
class PlannedStop:
    task_id: int
    technician_id: int
    arrival: datetime
    start: datetime
    end: datetime
    pinned: bool
    lead: bool = False
    """This technician leads the task's crew (a crew task has one stop per member)."""


def planned_stops(built: Built, plan: Plan) -> list[PlannedStop]:
    stops = []
    for route in plan.routes:
        technician = built.vehicles[route.technician]
        for stop in route.stops:
            if stop.kind == PICKUP:
                continue
            fact = built.tasks[stop.task]
            stops.append(
                PlannedStop(
                    task_id=fact.id,
                    technician_id=technician,
                    arrival=built.at(stop.arrival),
                    start=built.at(stop.start),
                    end=built.at(stop.end),
                    pinned=fact.id in built.pinned,
                    lead=stop.lead,
                )
            )
    return stops


PICKUP = "pickup"


@dataclass(frozen=True)
class PlannedPickup:
    """Parts collected at a warehouse (stock location) on the way to a task."""

    task_id: int
    technician_id: int
    location_id: int
    parts: tuple[tuple[int, int], ...]
    arrival: datetime
    start: datetime
    end: datetime


def planned_pickups(built: Built, plan: Plan) -> list[PlannedPickup]:
    return [
        PlannedPickup(
            task_id=built.tasks[stop.task].id,
            technician_id=built.vehicles[route.technician],
            location_id=int(stop.depot or 0),
            parts=tuple((int(part), units) for part, units in stop.parts),
            arrival=built.at(stop.arrival),
            start=built.at(stop.start),
            end=built.at(stop.end),
        )
        for route in plan.routes
        for stop in route.stops
        if stop.kind == PICKUP and stop.depot is not None
    ]


def _pickup_json(pickup: PlannedPickup) -> dict[str, Any]:
    return {
        "task_id": pickup.task_id,
        "location_id": pickup.location_id,
        "parts": [{"part_id": p, "quantity": q} for p, q in pickup.parts],
        "arrival": pickup.arrival.isoformat(),
        "start": pickup.start.isoformat(),
        "end": pickup.end.isoformat(),
    }


def moved(built: Built, stops: list[PlannedStop], tolerance: timedelta) -> set[int]:
    """Assignments the plan changes: another technician, a start further than `tolerance`,
    or no place at all."""
    placed = {stop.task_id: stop for stop in stops}
    changed = set()
    for task_id, current in built.current.items():
        stop = placed.get(task_id)
        if (
            stop is None
            or stop.technician_id != current.technician_id
            or abs(stop.start - current.start) > tolerance
        ):
            changed.add(task_id)
    return changed


def record(run: DispatchRun, built: Built, plan: Plan, stops: list[PlannedStop]) -> None:
    by_technician: dict[int, list[PlannedStop]] = defaultdict(list)
    for stop in stops:
        by_technician[stop.technician_id].append(stop)
    pickups: dict[int, list[PlannedPickup]] = defaultdict(list)
    for pickup in planned_pickups(built, plan):
        pickups[pickup.technician_id].append(pickup)
    run.routes = [
        {
            "technician_id": technician,
            "stops": [_stop_json(s) for s in sorted(route, key=lambda s: s.start)],
        }
        | (
            {"pickups": [_pickup_json(p) for p in sorted(pickups[technician], key=_at)]}
            if pickups.get(technician)
            else {}
        )
        for technician, route in sorted(by_technician.items())
    ]
    run.unassigned = [
        {"task_id": built.tasks[item.task].id, "reason": str(item.reason)}
        for item in plan.unassigned
    ]
    run.task_count = len(built.problem.tasks)
    run.pinned_count = len(built.pinned)
    run.technician_count = len(set(built.vehicles.values()))
    run.assigned_count = sum(1 for s in stops if not s.pinned)
    run.unassigned_count = len(plan.unassigned)
    run.travel_minutes = round(plan.stats.travel_time, 2)
    run.distance_km = round(plan.stats.distance, 3)
    run.solve_seconds = round(plan.stats.solve_seconds, 3)


def _at(pickup: PlannedPickup) -> datetime:
    return pickup.start


def _stop_json(stop: PlannedStop) -> dict[str, Any]:
    return {
        "task_id": stop.task_id,
        "arrival": stop.arrival.isoformat(),
        "start": stop.start.isoformat(),
        "end": stop.end.isoformat(),
        "pinned": stop.pinned,
    }


def run_principal(run: DispatchRun) -> Principal:
    role = Role(run.requested_role)
    return Principal(subject=run.requested_by, role=role, name=f"dispatch run {run.id}")


async def publish(
    session: AsyncSession,
    run: DispatchRun,
    built: Built,
    stops: list[PlannedStop],
    tolerance: timedelta,
) -> int:
    """Offer each newly placed or moved task to its technician through the lifecycle's
    offers, all in one batch (crews one by one). A task changed since the plan was built
    (another version) is left alone."""
    principal = run_principal(run)
    reason = f"planned by dispatch run {run.id}"
    offered = 0
    crews: dict[int, list[PlannedStop]] = defaultdict(list)
    for stop in stops:
        if built.tasks[str(stop.task_id)].crew_size > 1 and not stop.pinned:
            crews[stop.task_id].append(stop)
    for task_id, members in crews.items():
        offered += await _offer_crew(session, run, built, task_id, members)
    placed: set[int] = set()
    offers = []
    for stop in sorted(stops, key=lambda s: (s.technician_id, s.start)):
        if stop.task_id in crews:
            continue
        fact = built.tasks[str(stop.task_id)]
        current = built.current.get(stop.task_id)
        unchanged = current is not None and current.technician_id == stop.technician_id
        if stop.pinned or (unchanged and abs(stop.start - current.start) <= tolerance):  # type: ignore[union-attr]
            placed.add(stop.task_id)
            continue
        offers.append(PlannedOffer(stop.task_id, stop.technician_id, stop.start, fact.version))
    refused = await offer_planned(session, principal, offers, reason)
    for task_id, error in refused.items():
        log.info("plan step skipped", task=task_id, run=run.id, code=error.code.value)
    placed.update(offer.task_id for offer in offers if offer.task_id not in refused)
    await _hold_pickups(session, run, built, placed)
    return offered + len(offers) - len(refused)


async def _hold_pickups(
    session: AsyncSession, run: DispatchRun, built: Built, placed: set[int]
) -> None:
    """Reserve the units of the plan's pickups of tasks now with their planned technician;
    release what earlier plans reserved and this one no longer plans."""
    assert run.id is not None
    pickups = [
        Pickup(p.task_id, p.technician_id, p.location_id, part_id, units)
        for p in run_pickups(run)
        if p.task_id in placed
        for part_id, units in p.parts
    ]
    planned = [fact.id for fact in built.tasks.values() if fact.id not in built.pinned]
    await hold_pickups(session, run.territory_id, run.id, run.requested_by, planned, pickups)


def run_pickups(run: DispatchRun) -> list[PlannedPickup]:
    """The pickups `record` wrote on the run."""
    return [
        PlannedPickup(
            task_id=int(p["task_id"]),
            technician_id=int(route["technician_id"]),
            location_id=int(p["location_id"]),
            parts=tuple((int(x["part_id"]), int(x["quantity"])) for x in p["parts"]),
            arrival=datetime.fromisoformat(p["arrival"]),
            start=datetime.fromisoformat(p["start"]),
            end=datetime.fromisoformat(p["end"]),
        )
        for route in run.routes
        for p in route.get("pickups", ())
    ]


async def _offer_crew(
    session: AsyncSession, run: DispatchRun, built: Built, task_id: int, stops: list[PlannedStop]
) -> int:
    """Offer a crew task to the crew the plan chose, its lead first."""
    # Imported here: crews build on the lifecycle this module publishes through.
    from app.crews.service import assign_crew

    if len(stops) < built.tasks[str(task_id)].crew_size:
        return 0  # planned for its lead alone (an offered crew keeps its members)
    lead = next((s for s in stops if s.lead), stops[0])
    members = [s.technician_id for s in stops if s is not lead]
    mark = len(pending_events(session))
    try:
        async with session.begin_nested():
            await assign_crew(
                session,
                run_principal(run),
                task_id,
                lead.technician_id,
                members,
                lead.start,
                reason=f"planned by dispatch run {run.id}",
                expected_version=built.tasks[str(task_id)].version,
            )
        return 1
    except DomainError as error:
        discard_events_after(session, mark)
        log.info("plan step skipped", task=task_id, run=run.id, code=error.code.value)
        return 0
