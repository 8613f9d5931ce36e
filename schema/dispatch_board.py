"""GraphQL types of the dispatch board: rows per technician for a Gantt view, moves with their
knock-on effects, pins for the optimizer and the board's live updates."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from app.dispatch_board import service
from app.dispatch_board.repository import CrewSeat, Placed
from app.work_orders.models import Task
from schema.attendance import AttendanceDayType
from schema.errors import Payload
from schema.ids import encode_id
from schema.tasks import AssignmentWarning
from schema.technicians import TechnicianType
from schema.territories import TerritoryType
from schema.work_orders import TaskStatus, TaskType


@strawberry.type(description="A span of time on the board.")
class BoardSpan:
    start: datetime = strawberry.field(description="When it begins.")
    end: datetime = strawberry.field(description="When it ends.")

    @classmethod
    def of(cls, window: tuple[datetime, datetime]) -> BoardSpan:
        return cls(start=window[0], end=window[1])


@strawberry.type(description="Time off a technician booked, as far as the board's range shows.")
class BoardTimeOff:
    start: datetime = strawberry.field(description="When it begins.")
    end: datetime = strawberry.field(description="When it ends.")
    reason: str | None = strawberry.field(description="Why, when given.")


@strawberry.enum(description="A technician's part in a crew task.")
class BoardCrewRole(Enum):
    LEAD = strawberry.enum_value("LEAD", description="Leads the crew: the task is theirs.")
    MEMBER = strawberry.enum_value("MEMBER", description="Works in the lead's crew.")


@strawberry.type(description="One technician of a crew task.")
class BoardCrewSeat:
    technician_id: strawberry.ID = strawberry.field(description="The technician's ID.")
    name: str = strawberry.field(description="The technician's name.")
    role: BoardCrewRole = strawberry.field(description="Lead or member.")

    @classmethod
    def of(cls, seat: CrewSeat) -> BoardCrewSeat:
        return cls(
            technician_id=strawberry.ID(encode_id("Technician", seat.technician_id)),
            name=seat.name,
            role=BoardCrewRole.LEAD if seat.lead else BoardCrewRole.MEMBER,
        )


@strawberry.type(description="A task on a technician's row.")
class BoardAssignment:
    task_id: strawberry.ID = strawberry.field(
        description="The task's ID: enough to draw the bar (`task` reads the rest)."
    )
    start: datetime = strawberry.field(description="Its scheduled start.")
    end: datetime = strawberry.field(description="Its scheduled end.")
    status: TaskStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the task stands."
    )
    pinned: bool = strawberry.field(
        description="Pinned on the board: the optimizer keeps it with this technician and time."
    )
    crew_role: BoardCrewRole | None = strawberry.field(
        description="This row's technician's part when it is a crew task (a member's row shows "
        "the task too, so they are not seen idle); null for one-technician work."
    )
    crew: list[BoardCrewSeat] = strawberry.field(
        description="The whole crew of a crew task, lead first (at most 10); empty otherwise."
    )
    segments: list[BoardSpan] = strawberry.field(
        description="A multi-day task's daily parts (at most 14), the times it holds the "
        "technician; empty for a single visit, which holds start to end."
    )
    row: strawberry.Private[Task]

    @strawberry.field(description="The task.")
    def task(self) -> TaskType:
        return TaskType.from_model(self.row)

    @classmethod
    def of(cls, placed: Placed) -> BoardAssignment:
        task = placed.task
        assert task.id and task.scheduled_start is not None and task.scheduled_end is not None
        return cls(
            task_id=strawberry.ID(encode_id("Task", task.id)),
            row=task,
            start=task.scheduled_start,
            end=task.scheduled_end,
            status=task.status,
            pinned=placed.pinned,
            crew_role=_role(placed),
            crew=[BoardCrewSeat.of(seat) for seat in placed.crew],
            segments=[BoardSpan.of(w) for w in placed.segments],
        )


def _role(placed: Placed) -> BoardCrewRole | None:
    if placed.member:
        return BoardCrewRole.MEMBER
    return BoardCrewRole.LEAD if placed.crew else None


@strawberry.type(description="The drive between two consecutive assignments of a technician.")
class BoardTravelLeg:
    from_task_id: strawberry.ID = strawberry.field(description="The task it leaves from.")
    to_task_id: strawberry.ID = strawberry.field(description="The task it drives to.")
    depart: datetime = strawberry.field(description="The end of the task it leaves from.")
    arrive: datetime = strawberry.field(description="When the technician gets there.")
    minutes: float = strawberry.field(description="Driving minutes, from the travel model.")
    distance_km: float = strawberry.field(description="Road kilometres, from the travel model.")
    slack_minutes: float = strawberry.field(
        description="Minutes between arriving and the next start; negative when it is late."
    )
    fits: bool = strawberry.field(description="Whether the drive fits before the next start.")

    @classmethod
    def of(cls, leg: service.TravelLeg) -> BoardTravelLeg:
        return cls(
            from_task_id=strawberry.ID(encode_id("Task", leg.from_task_id)),
            to_task_id=strawberry.ID(encode_id("Task", leg.to_task_id)),
            depart=leg.depart,
            arrive=leg.arrive,
            minutes=leg.minutes,
            distance_km=leg.distance_km,
            slack_minutes=leg.slack_minutes,
            fits=leg.fits,
        )


@strawberry.type(description="One technician's row of the board.")
class BoardRow:
    technician: TechnicianType = strawberry.field(description="The technician.")
    shifts: list[BoardSpan] = strawberry.field(
        description="Working time in the range: weekly hours less holidays and time off."
    )
    breaks: list[BoardSpan] = strawberry.field(
        description="Gaps between two shifts of the same day that time off does not explain."
    )
    time_off: list[BoardTimeOff] = strawberry.field(description="Time off meeting the range.")
    assignments: list[BoardAssignment] = strawberry.field(
        description="Tasks scheduled for the technician in the range (cancelled ones left out), "
        "in order of start."
    )
    travel: list[BoardTravelLeg] = strawberry.field(
        description="The drive between each pair of consecutive assignments."
    )
    idle: list[BoardSpan] = strawberry.field(
        description="Shift time with neither an assignment (a crew member's too) nor a drive."
    )
    attendance: list[AttendanceDayType] = strawberry.field(
        description="The technician's attendance on each local day of the range (at most 8): "
        "clock-in and clock-out, breaks, and whether they are present, late or absent."
    )

    @classmethod
    def of(cls, row: service.BoardRow) -> BoardRow:
        return cls(
            technician=TechnicianType.from_model(row.technician),
            shifts=[BoardSpan.of(w) for w in row.shifts],
            breaks=[BoardSpan.of(w) for w in row.breaks],
            time_off=[
                BoardTimeOff(start=t.start, end=t.end, reason=t.reason) for t in row.time_off
            ],
            assignments=[BoardAssignment.of(p) for p in row.assignments],
            travel=[BoardTravelLeg.of(leg) for leg in row.travel],
            idle=[BoardSpan.of(w) for w in row.idle],
            attendance=[AttendanceDayType.from_sheet(sheet) for sheet in row.attendance],
        )


@strawberry.type(description="A task waiting for a technician, with how many could take it.")
class BoardUnassignedTask:
    task_id: strawberry.ID = strawberry.field(description="The task's ID.")
    candidate_count: int = strawberry.field(
        description="Technicians on the board who hold its skills, are not excluded from it "
        "and have a shift in which it fits its times; travel and other work are not counted."
    )
    row: strawberry.Private[Task]

    @strawberry.field(description="The task (UNSCHEDULED).")
    def task(self) -> TaskType:
        return TaskType.from_model(self.row)

    @classmethod
    def of(cls, waiting: service.Waiting) -> BoardUnassignedTask:
        assert waiting.task.id is not None
        return cls(
            task_id=strawberry.ID(encode_id("Task", waiting.task.id)),
            candidate_count=waiting.candidates,
            row=waiting.task,
        )


@strawberry.type(description="A territory's technicians and waiting work over a range.")
class DispatchBoard:
    territory: TerritoryType = strawberry.field(description="The territory.")
    start: datetime = strawberry.field(name="from", description="Start of the range.")
    end: datetime = strawberry.field(name="to", description="End of the range.")
    rows: list[BoardRow] = strawberry.field(
        description="One row per technician of the territory, by name."
    )
    unassigned: list[BoardUnassignedTask] = strawberry.field(
        description="UNSCHEDULED tasks whose times meet the range, most urgent first "
        f"(at most {service.MOST_UNASSIGNED})."
    )

    @classmethod
    def of(cls, board: service.Board) -> DispatchBoard:
        return cls(
            territory=TerritoryType.from_model(board.territory),
            start=board.start,
            end=board.end,
            rows=[BoardRow.of(row) for row in board.rows],
            unassigned=[BoardUnassignedTask.of(w) for w in board.unassigned],
        )


@strawberry.input(description="Drag a task to a technician's row at a start time.")
class MoveAssignmentInput:
    task_id: strawberry.ID = strawberry.field(description="The task to move (or first place).")
    technician_id: strawberry.ID = strawberry.field(description="The technician's row.")
    start: datetime = strawberry.field(
        description="The new start, with a UTC offset; it ends durationMinutes later."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description="The task's version the board showed; a newer one is STALE_VERSION.",
    )
    dry_run: bool = strawberry.field(
        default=False, description="Only preview: warnings and knock-on effects, nothing written."
    )
    reason: str | None = strawberry.field(
        default=None,
        description="Move despite the warnings (as assignTask); without it they refuse the move.",
    )
    idempotency_key: str | None = None


@strawberry.type(description="A later assignment of the technician that a move pushes back.")
class KnockOnEffect:
    task: TaskType = strawberry.field(description="The assignment pushed back.")
    start: datetime = strawberry.field(description="Its start now.")
    new_start: datetime = strawberry.field(
        description="When it could start after the move (previous end plus the drive)."
    )
    new_end: datetime = strawberry.field(description="When it would then end.")
    shift_minutes: int = strawberry.field(description="How many minutes later it starts.")
    late: bool = strawberry.field(
        description="The new times break its appointment window, latest start or deadline."
    )

    @classmethod
    def of(cls, effect: service.KnockOn) -> KnockOnEffect:
        assert effect.task.scheduled_start is not None
        return cls(
            task=TaskType.from_model(effect.task),
            start=effect.task.scheduled_start,
            new_start=effect.new_start,
            new_end=effect.new_end,
            shift_minutes=effect.shift_minutes,
            late=effect.late,
        )


@strawberry.type(description="The result of moveAssignment.")
class MoveAssignmentPayload(Payload):
    task: TaskType | None = strawberry.field(
        default=None, description="The task (as it is after the move, or unchanged on a dry run)."
    )
    applied: bool = strawberry.field(
        default=False, description="Whether the move was written (false on a dry run or error)."
    )
    warnings: list[AssignmentWarning] = strawberry.field(
        default_factory=list,
        description="Feasibility warnings of the move (skills, windows, overlaps, travel, hours).",
    )
    knock_on: list[KnockOnEffect] = strawberry.field(
        default_factory=list,
        description="The technician's later assignments the move pushes back; the board "
        "reports them, it does not move them.",
    )

    @classmethod
    def of(cls, moved: service.Move) -> MoveAssignmentPayload:
        return cls(
            task=TaskType.from_model(moved.task),
            applied=moved.applied,
            warnings=[AssignmentWarning(code=w.code, message=w.message) for w in moved.warnings],
            knock_on=[KnockOnEffect.of(e) for e in moved.knock_on],
        )


@strawberry.input(description="Pin or unpin assignments for the optimizer, all or none.")
class PinAssignmentsInput:
    task_ids: list[strawberry.ID] = strawberry.field(
        description=f"1 to {service.MOST_PINS} tasks; to pin, each must be assigned "
        "(SCHEDULED, DISPATCHED or ACCEPTED)."
    )
    pinned: bool = strawberry.field(description="True pins, false unpins.")
    expected_versions: list[PinExpectedVersion] | None = strawberry.field(
        default=None,
        description=f"The versions the board showed (at most {service.MOST_PINS}, each for a "
        "task of taskIds): a task changed since is STALE_VERSION and nothing is pinned.",
    )


@strawberry.input(description="The version of a task the board showed when pinning it.")
class PinExpectedVersion:
    task_id: strawberry.ID = strawberry.field(description="A task of taskIds.")
    expected_version: int = strawberry.field(description="Its version the board showed.")


@strawberry.type(description="A task and whether it is pinned.")
class PinnedTask:
    task: TaskType = strawberry.field(description="The task.")
    pinned: bool = strawberry.field(description="Whether the optimizer keeps it as it is.")


@strawberry.type(description="The result of pinAssignments.")
class PinAssignmentsPayload(Payload):
    tasks: list[PinnedTask] = strawberry.field(
        default_factory=list, description="The tasks in the order given; empty on userErrors."
    )

    @classmethod
    def of(cls, rows: list[tuple[Task, bool]]) -> PinAssignmentsPayload:
        return cls(tasks=[PinnedTask(task=TaskType.from_model(t), pinned=p) for t, p in rows])


@strawberry.type(description="A change on a territory's board, as it commits.")
class DispatchBoardUpdate:
    action: str = strawberry.field(
        description="What happened: a task step (ASSIGN for a move, ACCEPT, CHECK_IN, "
        "UNASSIGN...) or PIN / UNPIN."
    )
    task: TaskType = strawberry.field(description="The task as it is now.")
    pinned: bool = strawberry.field(description="Whether the task is pinned now.")
    at: datetime = strawberry.field(description="When it happened.")
    actor_role: str | None = strawberry.field(description="The role of who did it.")
    actor_name: str | None = strawberry.field(description="Who did it, when known.")
