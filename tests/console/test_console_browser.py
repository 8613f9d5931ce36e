"""The console in a real browser (Debian's chromium driven by Playwright) against the real
server on the seeded demo city, with every request off this machine blocked: a dispatcher logs
in, sees the technicians, watches one move, drags a task onto a technician and gets an alert;
no console errors and no serious accessibility violations on the way."""

from __future__ import annotations

import asyncio
import io
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from playwright.async_api import Page

from app.console.routes import DIST, console_built
from app.core import bootstrap
from app.core.auth import Role
from app.core.config import Settings
from app.core.db import create_engine, create_session_factory
from app.core.events import Broker
from app.core.jobs import DISPATCH_QUEUE
from app.core.worker import Worker
from app.demo.command import seed_database
from app.demo.generator import DEMO_CLOCK, DEMO_DOMAIN, DEMO_PASSWORD, LOCAL
from app.main import create_app
from schema.ids import decode_id, encode_id
from tests.conftest import _recreate_database
from tests.support import serving, token

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
AXE = DIST.parent / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Debian's chromium package (`make test` installs it)"
    ),
    pytest.mark.skipif(
        not console_built() or not AXE.is_file(),
        reason="needs the built console and its node_modules (`make console`)",
    ),
]

BOARD = """
query($territoryId: ID!) {
  technicians(territoryId: $territoryId, first: 100) {
    edges { node { id lastKnownLocation { lat lng } homeBase { lat lng } } }
  }
  territories(first: 1) { id }
}
"""
TERRITORY = "query { territories(first: 1) { id } }"
SEEN = """
query($territoryId: ID!) {
  technicians(territoryId: $territoryId, first: 100) { edges { node { id partner { id } } } }
  tasks(first: 1, filter: { territoryId: $territoryId }) { totalCount }
}
"""
OWNER = 'task{n}: task(id: "{id}") {{ technician {{ partner {{ id }} }} }}'
TASK = "query($id: ID!) { task(id: $id) { status version technician { id } } }"
REPORT = """
mutation($input: ReportLocationsInput!) {
  reportLocations(input: $input) {
    accepted rejected rejections { reason count } userErrors { code message }
  }
}
"""
STEP = """
mutation($input: TaskStepInput!) {{
  {name}(input: $input) {{ task {{ status version }} userErrors {{ code message }} }}
}}
"""
GANTT = """
query($territoryId: ID!, $from: DateTime!) {
  dispatchBoard(territoryId: $territoryId, from: $from) {
    rows {
      technician { id }
      assignments { taskId start status pinned task { site { name } territory { id } } }
    }
  }
}
"""
MOVE = """
mutation($input: MoveAssignmentInput!) {
  moveAssignment(input: $input) { applied userErrors { code message } }
}
"""
TASK_AT = "query($id: ID!) { task(id: $id) { version scheduledStart technician { id } } }"
MOVABLE = {"SCHEDULED", "DISPATCHED", "ACCEPTED"}
TRACK_ALWAYS = """
mutation($input: SetTrackingPolicyInput!) {
  setTrackingPolicy(input: $input) { userErrors { code message } }
}
"""
FLAG_FAR_CHECK_INS = """
mutation {
  updateWorkPolicy(input: {geofenceMode: FLAG}) { userErrors { code message } }
}
"""
CHECK_IN = """
mutation($input: CheckInInput!) {
  checkIn(input: $input) { task { status } userErrors { code message } }
}
"""


@pytest.fixture(scope="module")
def console_database(settings: Settings) -> Iterator[str]:
    url = make_url(settings.database_url)
    demo = url.set(database=f"{url.database}_console").render_as_string(hide_password=False)
    asyncio.run(_recreate_database(demo))
    bootstrap.upgrade(demo)
    yield demo


@pytest.fixture
async def address(settings: Settings, console_database: str) -> AsyncIterator[str]:
    demo_settings = settings.model_copy(update={"database_url": console_database})
    engine = create_engine(demo_settings)
    sessions = create_session_factory(engine)
    broker = Broker(None)
    await broker.connect()
    try:
        today = datetime.now(LOCAL).date()
        await seed_database(
            sessions,
            out=io.StringIO(),
            if_empty=True,
            today=today,
            now=demo_moment(),
            customers=150,
            technicians=20,
        )
        app = create_app(demo_settings, sessions=sessions, broker=broker)
        # a job worker solves the optimizer's runs as soon as runDispatch commits; the periodic
        # jobs stay off so the demo day holds still under the test
        worker = Worker(demo_settings, sessions, broker, queues=[DISPATCH_QUEUE])
        await worker.start()
        try:
            async with serving(app) as address:
                yield address
        finally:
            await worker.stop()
    finally:
        await broker.disconnect()
        await engine.dispose()


class Api:
    """The API as the test's other actors (technicians) and its checks call it."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings

    async def __call__(
        self, query: str, variables: dict[str, Any], role: Role = Role.ADMIN, **links: int
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token(self.settings, role, **links)}"}
        body = (
            await self.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        ).json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def step(self, name: str, task_id: str, technician: int, **extra: Any) -> dict[str, Any]:
        query = CHECK_IN if name == "checkIn" else STEP.format(name=name)
        data = await self(
            query,
            {"input": {"taskId": task_id, **extra}},
            Role.TECHNICIAN,
            technician_id=technician,
        )
        payload: dict[str, Any] = data[name]
        assert payload["userErrors"] == [], (name, payload["userErrors"])
        return payload


@dataclass
class Browser:
    """A console tab with what it tried to fetch off this machine and the errors it logged."""

    page: Page
    base: str
    blocked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    async def log_in(self, user: str) -> None:
        await self.page.goto(f"{self.base}/console/")
        await self.page.get_by_label("Email").fill(f"{user}@{DEMO_DOMAIN}")
        await self.page.get_by_label("Password").fill(DEMO_PASSWORD)
        await self.page.get_by_role("button", name="Log in").click()

    async def markers(self, count: int) -> list[str]:
        """The technicians on the map, once `count` of them are."""
        markers = self.page.locator(".tech-marker")
        if count:  # (before the day starts nobody may have a position yet)
            await markers.nth(count - 1).wait_for()
        shown: list[str] = await markers.evaluate_all("els => els.map(e => e.dataset.technicianId)")
        return shown


@asynccontextmanager
async def chromium(address: str) -> AsyncIterator[Browser]:
    """Debian's chromium driven by Playwright, every request off loopback refused."""
    from playwright.async_api import Request, Route, async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        context = await browser.new_context(viewport={"width": 1440, "height": 1000})
        tab = Browser(await context.new_page(), f"http://{address}")

        async def only_loopback(route: Route, request: Request) -> None:
            if urlsplit(request.url).hostname in ("127.0.0.1", "localhost"):
                await route.continue_()
            else:
                tab.blocked.append(request.url)
                await route.abort()

        await context.route("**/*", only_loopback)
        tab.page.on(
            "console",
            lambda message: tab.problems.append(message.text) if message.type == "error" else None,
        )
        tab.page.on("pageerror", lambda error: tab.problems.append(str(error)))
        try:
            yield tab
        finally:
            await browser.close()


def next_quarter_hour() -> str:
    """HH:MM of the next quarter hour on the demo's clocks."""
    now = datetime.now(LOCAL)
    return (now + timedelta(minutes=15 - now.minute % 15)).strftime("%H:%M")


def demo_moment() -> datetime:
    """The demo as it stands at 11:00 today, or now when that is still ahead (before 11:00 the
    demo would hold positions recorded later than any ping the test sends)."""
    now = datetime.now(UTC)
    eleven = datetime.combine(now.astimezone(LOCAL).date(), DEMO_CLOCK, LOCAL)
    return min(eleven.astimezone(UTC), now)


async def first_positions(api: Any, board: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Before the day starts nobody is out yet: three technicians report from their home base."""
    for edge in board["technicians"]["edges"][:3]:
        node = edge["node"]
        # ten minutes ago, so that the move the test makes next is a plausible one
        at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        pings = [{"point": node["homeBase"], "recordedAt": at}]
        technician = decode_id(node["id"], "Technician")
        await api(REPORT, {"input": {"pings": pings}}, Role.TECHNICIAN, technician_id=technician)
    return placed(await api(BOARD, {"territoryId": board["territories"][0]["id"]}))


def placed(board: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The technicians the API gives a position, by global id."""
    return {
        edge["node"]["id"]: edge["node"]["lastKnownLocation"]
        for edge in board["technicians"]["edges"]
        if edge["node"]["lastKnownLocation"]
    }


async def test_a_dispatcher_runs_the_day_from_the_console(
    address: str, settings: Settings, tmp_path: Path
) -> None:
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http,
        chromium(address) as tab,
    ):
        api = Api(http, settings)
        page = tab.page
        # given a dispatcher logged in with the demo password
        await tab.log_in("dispatcher")

        # then the first territory's technicians are on the map where the API places them
        territory_id = (await api(TERRITORY, {}))["territories"][0]["id"]
        # (technicians are tracked at any hour, as the test runs at any hour)
        for scope in (None, territory_id):
            policy = {"mode": "ALWAYS", "territoryId": scope}
            tracked = await api(TRACK_ALWAYS, {"input": policy})
            assert tracked["setTrackingPolicy"]["userErrors"] == []
        board = await api(BOARD, {"territoryId": territory_id})
        positions = placed(board)
        # (first positions sent once the page follows them live)
        await page.locator(".live[data-state='live']").wait_for()
        if len(positions) < 3:
            positions = await first_positions(api, board)
        assert len(positions) >= 3
        assert sorted(await tab.markers(len(positions))) == sorted(positions)

        # when a technician reports a position, their marker moves there within a second
        mover = sorted(positions)[0]
        start = positions[mover]
        target = {"lat": round(start["lat"] + 0.002, 6), "lng": round(start["lng"] + 0.002, 6)}
        ping = {
            "point": target,
            "recordedAt": datetime.now(UTC).isoformat(),
            "accuracyMeters": 8,
        }
        report = await api(
            REPORT,
            {"input": {"pings": [ping]}},
            Role.TECHNICIAN,
            technician_id=decode_id(mover, "Technician"),
        )
        reported = time.monotonic()
        assert report["reportLocations"]["accepted"] == 1, report
        await page.wait_for_function(
            "([id, lat]) => document.querySelector(`.tech-marker[data-technician-id='${id}']`)"
            "?.dataset.lat === String(lat)",
            arg=[mover, target["lat"]],
            timeout=1000,
            polling="raf",
        )
        moved_after = time.monotonic() - reported
        print(f"marker moved {moved_after * 1000:.0f} ms after reportLocations returned")

        # and clicking the marker draws the technician's trail of the day, through that point
        summary = await show_trail(page, mover)
        assert summary.startswith("Trail of"), summary
        assert "from 0 positions" not in summary

        # when an unassigned task is dragged onto a technician's row, previewed and confirmed
        task = page.locator(".queue-task").first
        task_id = await task.get_attribute("data-task-id")
        assert task_id
        assert (await task.get_attribute("data-candidates") or "").isdigit()
        row = page.locator(f".gantt-row[data-technician-id='{mover}'] .gantt-track")
        await task.drag_to(row)
        dialog = page.locator("dialog.assign")
        dropped_at = await page.get_by_label("Start").input_value()
        assert dropped_at.endswith((":00", ":15", ":30", ":45")), dropped_at
        # (moved to the next quarter hour, so that the technician may set off for it now)
        await page.get_by_label("Start").fill(next_quarter_hour())
        await confirm_move(page, "customer asked for today")

        # then the API has it DISPATCHED to that technician, and the board shows it
        dispatched = (await api(TASK, {"id": task_id}))["task"]
        assert dispatched["status"] == "DISPATCHED"
        assert dispatched["technician"]["id"] == mover
        await page.locator(
            f".gantt-row[data-technician-id='{mover}'] .bar[data-task-id='{task_id}']"
        ).wait_for()

        # when the technician checks in far from the site (flagged, not refused, by the
        # work policy), the alert reaches the panel
        flagging = await api(FLAG_FAR_CHECK_INS, {})
        assert flagging["updateWorkPolicy"]["userErrors"] == []
        technician = decode_id(mover, "Technician")
        await api.step("acceptTask", task_id, technician)
        await api.step("startTravel", task_id, technician)
        far = {"lat": target["lat"] + 0.05, "lng": target["lng"]}
        await api.step("checkIn", task_id, technician, location=far)
        await page.locator(".alert[data-kind='TASK_FLAGGED']").wait_for(timeout=3000)

        # and the keyboard alone assigns from the queue: open a task, pick a technician in its
        # drawer, confirm; Escape closes the drawer
        queued = page.locator(".queue-task").first
        keyboard_task = await queued.get_attribute("data-task-id")
        await queued.get_by_role("button").focus()
        await page.keyboard.press("Enter")
        drawer = page.locator("aside.drawer")
        await drawer.get_by_role("heading", name="Timeline").wait_for()
        await drawer.get_by_label("Technician").focus()
        await drawer.get_by_label("Technician").select_option(mover)
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await previewed(page)
        await page.get_by_label("Reason").fill("customer asked for today")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await dialog.wait_for(state="detached")
        assert (await api(TASK, {"id": keyboard_task}))["task"]["status"] == "DISPATCHED"
        await drawer.get_by_role("button", name="Close").focus()
        await page.keyboard.press("Escape")
        await drawer.wait_for(state="detached")

        # when the optimizer runs, the console follows the run to its end and reloads
        await page.get_by_role("button", name="Run optimizer").click()
        started = time.monotonic()
        await page.get_by_text("Optimizer finished").wait_for(timeout=60_000)
        print(f"optimizer run followed to its end in {time.monotonic() - started:.1f} s")

        # and axe finds no serious or critical accessibility violation
        await page.add_script_tag(path=str(AXE))
        violations = await page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']}))"
            ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => `${v.id}: ${v.help} (${v.nodes.length})`)"
        )
        screenshot = tmp_path / "console.png"
        await page.screenshot(path=str(screenshot))
        print(f"console screenshot: {screenshot}")

    assert violations == []
    assert tab.blocked == []
    assert tab.problems == []


async def test_a_dispatcher_moves_and_pins_on_the_board(
    address: str, settings: Settings, tmp_path: Path
) -> None:
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http,
        chromium(address) as tab,
    ):
        api = Api(http, settings)
        page = tab.page
        territory_id = (await api(TERRITORY, {}))["territories"][0]["id"]
        day = datetime.now(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)
        board = await api(GANTT, {"territoryId": territory_id, "from": day.isoformat()})
        # given two technicians with assignments of the territory that may still move today
        # (a technician of two territories shows all their work on both boards)
        movable = [
            (row["technician"]["id"], a)
            for row in board["dispatchBoard"]["rows"]
            for a in row["assignments"]
            if a["status"] in MOVABLE and (a["task"]["territory"] or {}).get("id") == territory_id
        ]
        (owner, moved), (target, there) = next(
            (first, second) for first in movable for second in movable if first[0] != second[0]
        )
        await tab.log_in("dispatcher")
        await page.locator(".live[data-state='live']").wait_for()
        bar = page.locator(f".bar[data-task-id='{moved['taskId']}']")
        await page.locator(f".gantt-row[data-technician-id='{owner}']").locator(bar).wait_for()

        # when the keyboard moves one onto the other's row at the start of their task
        await bar.focus()
        await page.keyboard.press("m")
        dialog = page.locator("dialog.assign")
        await dialog.get_by_label("Technician").select_option(target)
        await dialog.get_by_label("Start").fill(local_clock(there["start"]))

        # then the dry run shows the overlap and the task it pushes back, and asks for a reason
        preview = await previewed(page)
        assert "OVERLAPPING_TASK" in preview, preview
        assert there["task"]["site"]["name"] in await dialog.locator(".knock-on").inner_text()
        confirm = dialog.get_by_role("button", name="Confirm move")
        assert await confirm.is_disabled()
        print("move preview:", preview.replace("\n", " | "))
        await page.screenshot(path=str(tmp_path / "move.png"))
        print(f"move dialog screenshot: {tmp_path / 'move.png'}")

        # and confirmed with a reason, the API has it there and the board shows it on that row
        await confirm_move(page, "the customer is waiting")
        await page.locator(
            f".gantt-row[data-technician-id='{target}'] .bar[data-task-id='{moved['taskId']}']"
        ).wait_for()
        placed_task = (await api(TASK_AT, {"id": moved["taskId"]}))["task"]
        assert placed_task["technician"]["id"] == target
        assert datetime.fromisoformat(placed_task["scheduledStart"]) == datetime.fromisoformat(
            there["start"]
        )

        # when P is pressed on the moved bar, it is pinned
        await bar.focus()
        await page.keyboard.press("p")
        await page.locator(f".bar[data-task-id='{moved['taskId']}'][data-pinned='true']").wait_for()
        # and two bars selected (S, Ctrl-click) are unpinned together
        await bar.focus()
        await page.keyboard.press("s")
        await page.locator(f".bar[data-task-id='{there['taskId']}']").click(modifiers=["Control"])
        selection = page.get_by_role("group", name="Selected assignments")
        assert "2 selected" in await selection.inner_text()
        await selection.get_by_role("button", name="Unpin").click()
        await page.get_by_text("2 assignments are unpinned").wait_for()
        after = await api(GANTT, {"territoryId": territory_id, "from": day.isoformat()})
        pins = {
            a["taskId"]: a["pinned"]
            for row in after["dispatchBoard"]["rows"]
            for a in row["assignments"]
        }
        assert pins[moved["taskId"]] is False and pins[there["taskId"]] is False

        # when another dispatcher moves a task the dialog is open on, the page says so, and
        # confirming it is refused as stale and reloads
        other = page.locator(f".bar[data-task-id='{there['taskId']}']")
        await other.focus()
        await page.keyboard.press("m")
        await previewed(page)
        later = datetime.fromisoformat(there["start"]) + timedelta(minutes=30)
        elsewhere = {
            "taskId": there["taskId"],
            "technicianId": target,
            "start": later.isoformat(),
            "reason": "moved from another desk",
        }
        answer = (await api(MOVE, {"input": elsewhere}))["moveAssignment"]
        assert answer["userErrors"] == [] and answer["applied"], answer
        await page.get_by_text("Test Admin moved").wait_for()
        await page.get_by_label("Reason").fill("the customer is waiting")
        await dialog.get_by_role("button", name="Confirm move").click()
        await page.get_by_text("Someone else changed").wait_for()
        await dialog.wait_for(state="detached")
        assert (await api(TASK_AT, {"id": there["taskId"]}))["task"]["scheduledStart"] == (
            later.astimezone(UTC).isoformat()
        )

        # and axe finds no serious or critical accessibility violation
        await page.add_script_tag(path=str(AXE))
        violations = await page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']}))"
            ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => `${v.id}: ${v.help} (${v.nodes.length})`)"
        )

    assert violations == []
    assert tab.blocked == []
    assert tab.problems == []


def local_clock(at: str) -> str:
    """HH:MM of an instant on the demo's clocks."""
    return datetime.fromisoformat(at).astimezone(LOCAL).strftime("%H:%M")


@pytest.mark.parametrize(
    ("user", "role", "links"),
    [("manager", Role.MANAGER, {}), ("partner", Role.PARTNER, {"partner_id": 1})],
)
async def test_managers_watch_and_partners_see_their_own_technicians(
    address: str, settings: Settings, user: str, role: Role, links: dict[str, int]
) -> None:
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http,
        chromium(address) as tab,
    ):
        api = Api(http, settings)
        territory_id = (await api(TERRITORY, {}, role, **links))["territories"][0]["id"]
        board = await api(BOARD, {"territoryId": territory_id}, role, **links)
        every = await api(BOARD, {"territoryId": territory_id})

        # given the demo user of the role logged in
        await tab.log_in(user)

        # then the plan has a row for each technician the API lets them see, and the map a
        # marker for each of those with a position
        rows = tab.page.locator(".gantt-row[data-technician-id]")
        await rows.nth(len(board["technicians"]["edges"]) - 1).wait_for()
        shown = await tab.markers(len(placed(board)))
        assert sorted(shown) == sorted(placed(board))
        assert await rows.count() == len(board["technicians"]["edges"])
        if role is Role.PARTNER:
            await only_the_partners_own(api, tab.page, territory_id, encode_id("Partner", 1))
        # and neither may assign, move, pin or optimize; a manager sees alerts, a partner does not
        assert await tab.page.get_by_role("button", name="Run optimizer").count() == 0
        assert await tab.page.locator("[draggable=true]").count() == 0
        assert await tab.page.get_by_text("P pins or unpins it").count() == 0
        alerts = await tab.page.get_by_role("heading", name="Alerts").count()
        assert alerts == (1 if role is Role.MANAGER else 0)
        print(
            f"{user}: {len(shown)} technicians on the map of {len(placed(every))} in the territory"
        )

    assert tab.blocked == []
    assert tab.problems == []


async def test_an_optimizer_run_that_fails_to_start_is_shown_not_thrown(address: str) -> None:
    from playwright.async_api import Request, Route

    async with chromium(address) as tab:
        # given a dispatcher whose runDispatch the API answers with an error
        async def refuse_runs(route: Route, request: Request) -> None:
            if "ConsoleRunDispatch" in (request.post_data or ""):
                errors = [{"message": "the optimizer is unavailable"}]
                await route.fulfill(status=200, json={"errors": errors})
            else:
                await route.fallback()

        await tab.page.route("**/graphql", refuse_runs)
        await tab.log_in("dispatcher")

        # when the optimizer is asked to run
        await tab.page.get_by_role("button", name="Run optimizer").click()

        # then the page says it failed, and nothing is left unhandled
        await tab.page.get_by_text("Optimizer failed: the optimizer is unavailable").wait_for()

    assert tab.problems == []


async def only_the_partners_own(api: Api, page: Page, territory_id: str, partner: str) -> None:
    """A partner sees fewer technicians and tasks than a dispatcher, and every technician row
    and task on the page is the partner's (as the admin's unscoped answer says)."""
    everything = await api(SEEN, {"territoryId": territory_id})
    dispatcher = await api(SEEN, {"territoryId": territory_id}, Role.DISPATCHER)
    own = await api(SEEN, {"territoryId": territory_id}, Role.PARTNER, partner_id=1)
    partner_of = {
        e["node"]["id"]: (e["node"]["partner"] or {}).get("id")
        for e in everything["technicians"]["edges"]
    }
    rows = await page.locator(".gantt-row[data-technician-id]").evaluate_all(
        "els => els.map(e => e.dataset.technicianId)"
    )
    tasks = await page.locator(".bar[data-task-id], .queue-task[data-task-id]").evaluate_all(
        "els => els.map(e => e.dataset.taskId)"
    )

    owners = {}
    if tasks:
        lookup = " ".join(OWNER.format(n=n, id=task) for n, task in enumerate(tasks))
        owners = await api(f"query {{ {lookup} }}", {})

    assert 0 < len(rows) < len(dispatcher["technicians"]["edges"])
    assert own["tasks"]["totalCount"] < dispatcher["tasks"]["totalCount"]
    assert {partner_of[row] for row in rows} == {partner}
    assert [o["technician"]["partner"]["id"] for o in owners.values()] == [partner] * len(tasks)
    print(f"partner: {len(rows)} technicians and {len(tasks)} tasks on the page")


async def show_trail(page: Page, technician_id: str) -> str:
    """Click the technician's marker until the trail summary says something (a marker that the
    map is still moving may take the first click elsewhere on a loaded machine); its text."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    marker = page.locator(f".tech-marker[data-technician-id='{technician_id}']")
    summary = page.locator(".trail-summary")
    for _ in range(3):
        await marker.click()
        try:
            await page.wait_for_function(
                "() => document.querySelector('.trail-summary')?.textContent.trim()",
                timeout=10_000,
            )
        except PlaywrightTimeout:
            continue
        text: str = await summary.inner_text()
        return text
    raise AssertionError("clicking the marker three times showed no trail summary")


async def previewed(page: Page) -> str:
    """Once the move dialog shows the API's dry run: its text (a refusal fails the test)."""
    preview = page.locator("dialog.assign .preview[aria-busy='false']")
    await preview.wait_for()
    refused = page.locator("dialog.assign [role=alert]")
    assert not await refused.count(), await refused.inner_text()
    text: str = await preview.inner_text()
    return text


async def confirm_move(page: Page, reason: str) -> str:
    """Confirm the previewed move (with a reason, which warnings need); the preview's text."""
    preview = await previewed(page)
    await page.get_by_label("Reason").fill(reason)
    dialog = page.locator("dialog.assign")
    await dialog.get_by_role("button", name="Confirm move").click()
    await dialog.wait_for(state="detached")
    return preview
