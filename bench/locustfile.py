"""The users of bench/load.py (which prepares their data and runs this file; see its docstring).

Technician apps report positions, read their day and pause or resume the visit they work on;
customer apps list their requests, look at their visit and follow it live (taskTracking);
dispatcher consoles read the queue, look for technicians near a site, assign a task by hand and
take it back, with the live map (technicianLocations) open. Each user paces itself, so the rate
is fixed by the fixture (LOAD_FIXTURE), not by how fast the server answers; users are spread
over the instances in turn. A GraphQL error or a userError counts as a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import gevent
import websocket
from locust import FastHttpUser, constant_pacing, events, task

FIXTURE: dict[str, Any] = json.loads(open(os.environ["LOAD_FIXTURE"]).read())  # noqa: SIM115
_hosts = itertools.cycle(FIXTURE["hosts"])
_lock = threading.Lock()
subscription_messages = {"taskTracking": 0, "technicianLocations": 0}

REPORT = """mutation ReportLocations($input: ReportLocationsInput!) {
  reportLocations(input: $input) { accepted rejected userErrors { code message } } }"""
MY_TASKS = """query MyTasks { myTasks { id status scheduledStart site { name addressLine } } }"""
PAUSE = """mutation PauseTask($input: PauseTaskInput!) {
  pauseTask(input: $input) { task { status } userErrors { code message } } }"""
RESUME = """mutation StartWork($input: TaskStepInput!) {
  startWork(input: $input) { task { status } userErrors { code message } } }"""
MY_REQUESTS = """query MyRequests { myServiceRequests(first: 5) { edges { node {
  id status category createdAt tasks { id status windowStart technician { name } } } } } }"""
MY_VISIT = """query MyVisit($id: ID!) { task(id: $id) { id status scheduledStart
  technician { name } } }"""
TRACKING = """subscription Tracking($taskId: ID!) {
  taskTracking(taskId: $taskId) { status location { lat lng } etaMinutes } }"""
QUEUE = """query Queue {
  queue: tasks(first: 10, filter: {unassigned: true}) {
    totalCount edges { node { id status priority windowStart windowEnd customer { name } } } }
  underWay: tasks(first: 10, filter: {status: [EN_ROUTE, ON_SITE, IN_PROGRESS]}) {
    totalCount edges { node { id status technician { name } } } } }"""
NEAR = """query Near($point: GeoPointInput!) {
  techniciansNear(point: $point, radiusMeters: 8000, first: 5) {
    distanceMeters technician { id name } } }"""
ASSIGN = """mutation AssignTask($input: AssignTaskInput!) {
  assignTask(input: $input) { task { status } userErrors { code message } } }"""
UNASSIGN = """mutation UnassignTask($input: UnassignTaskInput!) {
  unassignTask(input: $input) { task { status } userErrors { code message } } }"""
LOCATIONS = """subscription Map {
  technicianLocations { technicianId location { lat lng } recordedAt } }"""


def actors(kind: str) -> Iterator[dict[str, Any]]:
    return itertools.cycle(FIXTURE[kind])


_technicians, _customers, _dispatchers = (
    actors("technicians"),
    actors("customers"),
    actors("dispatchers"),
)


class GraphQLUser(FastHttpUser):
    abstract = True
    host = FIXTURE["hosts"][0]

    def __init__(self, environment: Any) -> None:
        with _lock:
            self.host = next(_hosts)
        super().__init__(environment)
        self.socket: websocket.WebSocket | None = None

    def graphql(self, name: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        """Runs one operation; a GraphQL error or a userError marks the request failed."""
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.actor['token']}"},
            name=name,
            catch_response=True,
        ) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}, not JSON")
                return None
            if body.get("errors"):
                response.failure(body["errors"][0].get("message"))
                return None
            data = body["data"]
            payload = next(iter(data.values())) if len(data) == 1 else data
            if isinstance(payload, dict) and payload.get("userErrors"):
                response.failure(str(payload["userErrors"][0]))
                return None
            return payload

    def subscribe(self, name: str, query: str, variables: dict[str, Any]) -> None:
        """Opens a graphql-transport-ws subscription (timed as `name`) and counts its
        messages in a greenlet of its own."""
        url = self.host.replace("http://", "ws://") + "/graphql"
        started = datetime.now(UTC)
        try:
            ws = websocket.create_connection(url, subprotocols=["graphql-transport-ws"], timeout=10)
            auth = {"Authorization": f"Bearer {self.actor['token']}"}
            ws.send(json.dumps({"type": "connection_init", "payload": auth}))
            ack = json.loads(ws.recv())
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no ack: {ack}")
            payload = {"query": query, "variables": variables}
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        except Exception as error:
            self._fire(name, started, error)
            return
        self._fire(name, started, None)
        self.socket = ws
        gevent.spawn(self._count, ws, name.rsplit(" ", 1)[-1])

    def _fire(self, name: str, started: datetime, error: Exception | None) -> None:
        elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=elapsed,
            response_length=0,
            exception=error,
            context={},
        )

    @staticmethod
    def _count(ws: websocket.WebSocket, stream: str) -> None:
        ws.settimeout(None)
        try:
            while True:
                message = json.loads(ws.recv())
                if message.get("type") == "next":
                    subscription_messages[stream] += 1
                elif message.get("type") == "ping":
                    ws.send(json.dumps({"type": "pong"}))
                elif message.get("type") in ("error", "complete"):
                    return
        except Exception:  # the socket closed at the end of the run
            return

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()


def key() -> str:
    return uuid.uuid4().hex


class TechnicianApp(GraphQLUser):
    fixed_count = FIXTURE["counts"]["technicians"]
    wait_time = constant_pacing(FIXTURE["pacing"]["technicians"])

    def on_start(self) -> None:
        with _lock:
            self.actor = next(_technicians)
        self.lat, self.lng = self.actor["lat"], self.actor["lng"]
        self.status = self.actor.get("status")

    @task(6)
    def report_locations(self) -> None:
        pings = []
        now = datetime.now(UTC)
        for back in (2, 1, 0)[-random.randint(1, 3) :]:
            self.lat += random.uniform(-0.0003, 0.0003)
            self.lng += random.uniform(-0.0003, 0.0003)
            recorded = (now - timedelta(seconds=back)).isoformat().replace("+00:00", "Z")
            point = {"lat": round(self.lat, 6), "lng": round(self.lng, 6)}
            pings.append({"point": point, "recordedAt": recorded, "accuracyMeters": 8.0})
        variables = {"input": {"pings": pings, "idempotencyKey": key()}}
        self.graphql("technician: reportLocations", REPORT, variables)

    @task(2)
    def my_day(self) -> None:
        self.graphql("technician: myTasks", MY_TASKS)

    @task(1)
    def pause_or_resume(self) -> None:
        if self.status not in ("IN_PROGRESS", "ON_HOLD"):
            return self.report_locations()
        task_input = {"taskId": self.actor["taskId"], "idempotencyKey": key()}
        if self.status == "IN_PROGRESS":
            task_input["reason"] = "Waiting for a part from the van"
            payload = self.graphql("technician: pauseTask", PAUSE, {"input": task_input})
        else:
            payload = self.graphql("technician: startWork", RESUME, {"input": task_input})
        if payload is not None:
            self.status = payload["task"]["status"]
        return None


class CustomerApp(GraphQLUser):
    fixed_count = FIXTURE["counts"]["customers"]
    wait_time = constant_pacing(FIXTURE["pacing"]["customers"])

    def on_start(self) -> None:
        with _lock:
            self.actor = next(_customers)
        self.subscribe(
            "customer: subscribe taskTracking", TRACKING, {"taskId": self.actor["taskId"]}
        )

    @task(3)
    def my_requests(self) -> None:
        self.graphql("customer: myServiceRequests", MY_REQUESTS)

    @task(2)
    def my_visit(self) -> None:
        self.graphql("customer: task", MY_VISIT, {"id": self.actor["taskId"]})


class DispatcherConsole(GraphQLUser):
    fixed_count = FIXTURE["counts"]["dispatchers"]
    wait_time = constant_pacing(FIXTURE["pacing"]["dispatchers"])

    def on_start(self) -> None:
        with _lock:
            self.actor = next(_dispatchers)
        self.work = itertools.cycle(self.actor["tasks"])
        self.assigned: dict[str, Any] | None = None
        self.subscribe("dispatcher: subscribe technicianLocations", LOCATIONS, {})

    @task(3)
    def queue(self) -> None:
        self.graphql("dispatcher: tasks (queue, under way)", QUEUE)

    @task(1)
    def near(self) -> None:
        point = random.choice(self.actor["tasks"])["point"]
        self.graphql("dispatcher: techniciansNear", NEAR, {"point": point})

    @task(2)
    def assign_or_take_back(self) -> None:
        if self.assigned is None:
            work = next(self.work)
            start = (datetime.now(UTC) + timedelta(days=1)).replace(
                hour=4, minute=30, second=0, microsecond=0
            )
            task_input = {
                "taskId": work["id"],
                "technicianId": random.choice(work["technicianIds"]),
                "start": start.isoformat().replace("+00:00", "Z"),
                "reason": "Planned by hand: the customer asked for this technician",
                "idempotencyKey": key(),
            }
            if self.graphql("dispatcher: assignTask", ASSIGN, {"input": task_input}):
                self.assigned = work
        else:
            task_input = {"taskId": self.assigned["id"], "reason": "Customer postponed"}
            self.graphql("dispatcher: unassignTask", UNASSIGN, {"input": task_input})
            self.assigned = None


@events.quitting.add_listener
def _report_messages(environment: Any, **kwargs: Any) -> None:
    print("subscription messages received: " + json.dumps(subscription_messages), flush=True)
