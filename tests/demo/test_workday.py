"""The work generator alone: a day in progress at a fixed moment, checked against the app's own
rules (the task state machine, coverage, SLA, the request status). The intake rules are read
from the migrated test database, as the seed reads them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.demo import workday
from app.demo.generator import LOCAL, DemoCity, Row, generate, local_time
from app.demo.workday import Register, Rules, Workload, generate_work, lat_lng
from app.service_requests.service import status_from
from app.sla.models import EscalationTrigger
from app.tracking.policies import distance_m
from app.work_orders.models import TaskStatus
from app.work_orders.transitions import RULES, Action

TODAY = date(2026, 11, 24)
NOW = local_time(TODAY, time(11, 0))
HERE = (TaskStatus.EN_ROUTE, TaskStatus.ON_SITE, TaskStatus.IN_PROGRESS)
CLOSED = ("COMPLETED", "INCOMPLETE", "CANCELLED")


@pytest.fixture(scope="module")
async def rules(engine: AsyncEngine) -> Rules:
    async with AsyncSession(engine) as session:
        return await workday.load_rules(session)


def work_of(demo: DemoCity, rules: Rules) -> Workload:
    return generate_work(demo, Register.of(demo.customers()), rules, demo.now)


@pytest.fixture(scope="module")
def demo() -> DemoCity:
    return generate(1, today=TODAY, now=NOW, password_hash="hash")


@pytest.fixture(scope="module")
def work(demo: DemoCity, rules: Rules) -> Workload:
    return work_of(demo, rules)


def by_task(rows: list[Row]) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["task_id"]].append(row)
    return grouped


def current(work: Workload) -> list[Row]:
    """Today's and the next days' tasks, and whatever is still open."""
    start = local_time(TODAY, time(0))
    return [
        t
        for t in work.rows["tasks"]
        if t["status"] not in CLOSED or (t["scheduled_start"] or t["created_at"]) >= start
    ]


def test_the_same_inputs_give_the_same_work(demo: DemoCity, rules: Rules, work: Workload) -> None:
    again = work_of(demo, rules)

    assert again.tables() == work.tables()
    assert again.positions == work.positions


def test_a_day_in_progress_holds_every_state_at_a_realistic_size(work: Workload) -> None:
    states = Counter(t["status"] for t in current(work))

    assert set(states) >= {
        "UNSCHEDULED", "DISPATCHED", "ACCEPTED", "EN_ROUTE", "ON_SITE", "IN_PROGRESS",
        "COMPLETED", "INCOMPLETE", "CANCELLED",
    }  # fmt: skip
    assert 250 <= sum(states.values()) <= 700, states
    assert states["UNSCHEDULED"] >= 60 and states["ACCEPTED"] >= 60
    recent = {t["id"] for t in current(work)}
    history = [t for t in work.rows["tasks"] if t["id"] not in recent]
    assert len(history) >= 1_000
    assert {t["status"] for t in history} <= set(CLOSED)
    rated = [t for t in history if t["rating"] is not None]
    assert 0.3 * len(history) <= len(rated) <= 0.7 * len(history)


def test_each_audit_trail_is_a_walk_the_state_machine_allows_and_ends_at_the_status(
    work: Workload,
) -> None:
    events = by_task(work.rows["task_events"])

    for task in work.rows["tasks"]:
        trail = events[task["id"]]
        assert trail[0]["action"] == "CREATE" and trail[0]["from_status"] is None
        assert trail[0]["at"] == task["created_at"]
        for before, after in pairwise(trail):
            rule = RULES[Action(after["action"])]
            assert after["from_status"] == before["to_status"]
            assert TaskStatus(after["from_status"]) in rule.sources, (task["id"], after)
            assert after["to_status"] == (rule.target or before["to_status"])
            assert after["actor_role"] in rule.roles
            assert before["at"] <= after["at"] <= NOW
        assert trail[-1]["to_status"] == task["status"]
        assert task["version"] >= len(trail)


def test_the_task_columns_follow_its_state(work: Workload) -> None:
    offers = by_task(work.rows["task_offers"])
    invoices = Counter(i["task_id"] for i in work.rows["invoices"])
    parts = by_task(work.rows["task_parts"])

    for task in work.rows["tasks"]:
        status, tid = task["status"], task["id"]
        offered = [o["status"] for o in offers[tid]]
        if status == "UNSCHEDULED":
            assert task["technician_id"] is None and offered == []
        if status == "DISPATCHED":
            assert offered == ["PENDING"] and task["offer_expires_at"] > NOW
        if status in ("ACCEPTED", "EN_ROUTE", "ON_SITE", "IN_PROGRESS", "COMPLETED"):
            assert offered == ["ACCEPTED"] and task["offer_expires_at"] is None
            assert task["scheduled_start"] < task["scheduled_end"]
        if task["window_start"] and task["scheduled_start"]:
            assert task["window_start"] <= task["scheduled_start"] < task["window_end"]
        if status == "COMPLETED":
            assert task["finished_at"] and task["started_at"] and task["signature_ref"]
            assert task["resolution_code"] and invoices[tid] == 1
        else:
            assert invoices[tid] == 0 and parts[tid] == []
        if status == "CANCELLED":
            assert task["cancel_reason"]
        if status == "INCOMPLETE":
            follow_ups = [t for t in work.rows["tasks"] if t["follow_up_of_id"] == tid]
            assert [f["status"] for f in follow_ups] == ["UNSCHEDULED"]


def test_a_technician_is_on_one_visit_at_a_time_where_the_last_position_says(
    work: Workload,
) -> None:
    busy = [t for t in work.rows["tasks"] if t["status"] in HERE]
    seen = {p["technician_id"]: p for p in work.positions}
    tracked = {s["task_id"]: s for s in work.rows["task_tracking_states"]}

    assert len({t["technician_id"] for t in busy}) == len(busy)
    for task in busy:
        position = seen[task["technician_id"]]
        assert NOW - timedelta(minutes=3) <= position["last_seen_at"] <= NOW
        away = distance_m(lat_lng(position["last_location"]), lat_lng(task["location"]))
        if task["status"] == "EN_ROUTE":
            state = tracked[task["id"]]
            assert state["technician_id"] == task["technician_id"] and state["eta_minutes"] >= 1
        else:
            assert away < 100
    assert set(tracked) == {t["id"] for t in busy if t["status"] == "EN_ROUTE"}
    pings = work.rows["location_pings"]
    assert pings and max(p["recorded_at"] for p in pings) <= NOW


def test_open_work_asks_for_skills_a_technician_of_its_territory_has(
    demo: DemoCity, work: Workload
) -> None:
    codes = {s["id"]: s["code"] for s in demo.skills}
    levels: dict[int, dict[str, int]] = defaultdict(dict)
    for row in demo.technician_skills:
        levels[row["technician_id"]][codes[row["skill_id"]]] = row["level"]
    members = defaultdict(set)
    for m in demo.territory_memberships:
        if m["valid_from"] <= TODAY and (m["valid_to"] or TODAY) >= TODAY:
            members[m["territory_id"]].add(m["technician_id"])
    active = {t["id"] for t in demo.technicians if t["status"] == "ACTIVE"}
    needs = by_task(work.rows["task_skills"])

    open_tasks = [t for t in work.rows["tasks"] if t["status"] not in CLOSED]
    for task in open_tasks:
        wanted = {codes[n["skill_id"]]: n["min_level"] for n in needs[task["id"]]}
        able = [
            tech
            for tech in members[task["territory_id"]] & active
            if all(levels[tech].get(code, 0) >= level for code, level in wanted.items())
        ]
        assert wanted and able, task["id"]


def test_requests_follow_their_tasks_and_their_due_times(work: Workload, rules: Rules) -> None:
    tasks: dict[int, list[Row]] = defaultdict(list)
    for task in work.rows["tasks"]:
        tasks[task["service_request_id"]].append(task)

    for request in work.rows["service_requests"]:
        own = tasks[request["id"]]
        statuses = [TaskStatus(t["status"]) for t in own]
        assert request["status"] == status_from(statuses).value
        assert (request["resolved_at"] is not None) == (request["status"] == "RESOLVED")
        policy = rules.sla[request["priority"]]
        response = request["response_due_at"] - request["created_at"]
        assert timedelta(0) < response <= timedelta(minutes=policy.response_minutes)
        for task in own:
            # a follow-up owes no response (the visit it follows met it)
            response_due = None if task["follow_up_of_id"] else request["response_due_at"]
            assert task["response_due_at"] == response_due
            assert task["resolution_due_at"] == request["resolution_due_at"]
    assert any(not tasks[r["id"]] for r in work.rows["service_requests"]), "fresh intake"


def test_the_escalations_the_sweeper_raised_so_far_come_with_the_work(
    work: Workload, rules: Rules
) -> None:
    raised = work.rows["sla_escalations"]
    tasks = {t["id"]: t for t in work.rows["tasks"]}
    unassigned = {
        p.level: timedelta(minutes=p.threshold_minutes)
        for p in rules.escalations
        if p.trigger is EscalationTrigger.UNASSIGNED
    }
    levels: dict[int, set[int]] = defaultdict(set)
    for row in raised:
        if (row["subject_kind"], row["trigger"]) == ("TASK", "UNASSIGNED"):
            levels[row["subject_id"]].add(row["level"])

    # each level once, raised by now, for a task or request of the work
    keys = [(r["subject_kind"], r["subject_id"], r["trigger"], r["level"]) for r in raised]
    assert len(keys) == len(set(keys)) and len(keys) > 100
    assert all(r["raised_at"] <= NOW for r in raised)
    assert {r["subject_id"] for r in raised if r["subject_kind"] == "TASK"} <= tasks.keys()
    # an unscheduled task has every "no technician" level due by now, and no other
    waiting = [t for t in tasks.values() if t["status"] == "UNSCHEDULED"]
    assert len(waiting) >= 60 and len(unassigned) == 3
    for task in waiting:
        due = {level for level, after in unassigned.items() if task["created_at"] + after <= NOW}
        assert levels[task["id"]] == due, task["id"]
    # a follow-up owes no response, so it is never escalated for one
    follow_ups = {t["id"] for t in tasks.values() if t["follow_up_of_id"]}
    assert follow_ups
    assert not [
        r
        for r in raised
        if r["subject_kind"] == "TASK"
        and r["subject_id"] in follow_ups
        and r["trigger"] == "RESPONSE_OVERDUE"
    ]


def test_the_work_grows_with_the_scale(work: Workload, rules: Rules) -> None:
    double = work_of(generate(2, today=TODAY, now=NOW), rules)

    assert 1.5 <= len(current(double)) / len(current(work)) <= 2.5


def test_another_moment_of_the_day_moves_the_same_routes_on(
    demo: DemoCity, rules: Rules, work: Workload
) -> None:
    evening = work_of(generate(1, today=TODAY, now=local_time(TODAY, time(22))), rules)

    def today_routes(w: Workload) -> set[tuple[int, datetime]]:
        start = local_time(TODAY, time(0))
        return {
            (t["technician_id"], t["scheduled_start"])
            for t in w.rows["tasks"]
            if t["technician_id"] and start <= t["scheduled_start"] < NOW
        }

    assert today_routes(work) <= today_routes(evening)
    assert not [t for t in evening.rows["tasks"] if t["status"] in HERE]


def test_now_must_be_a_moment_of_today(demo: DemoCity, rules: Rules) -> None:
    tomorrow = datetime(2026, 11, 25, 12, 0, tzinfo=LOCAL)

    with pytest.raises(ValueError, match="today"):
        generate_work(demo, Register(), rules, tomorrow)


def test_a_longer_history_reaches_back_as_far_as_asked(demo: DemoCity, rules: Rules) -> None:
    def first_day(history: Workload) -> date:
        starts = [t["scheduled_start"] for t in history.rows["tasks"] if t["scheduled_start"]]
        return min(starts).astimezone(LOCAL).date()

    longer = generate_work(demo, Register.of(demo.customers()), rules, demo.now, 40)
    assert TODAY - timedelta(days=40) <= first_day(longer) < TODAY - timedelta(days=35)
    assert first_day(work_of(demo, rules)) >= TODAY - timedelta(days=workday.HISTORY_DAYS)
    with pytest.raises(ValueError, match="history_days"):
        generate_work(demo, Register(), rules, demo.now, workday.MAX_HISTORY_DAYS + 1)
