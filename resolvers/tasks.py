"""The technician's and the customer's task mutations: one transition per mutation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from app.core.auth import Principal, Role
from app.core.errors import collect
from app.dispatch.slots import consume_hold
from app.work_orders import customer, field, offers, records
from app.work_orders.field import Completion, Step
from app.work_orders.models import Task, TaskPartLine
from app.work_orders.transitions import Action, roles_for
from resolvers.base import execute
from schema.common import GeoPointInput
from schema.context import Info
from schema.ids import decode_id, split_id
from schema.permissions import allow
from schema.scalars import offset_problems
from schema.tasks import (
    AddTaskNoteInput,
    AddTaskPhotoInput,
    CancelTaskInput,
    CaptureSignatureInput,
    CheckInInput,
    CheckInPayload,
    CompleteTaskInput,
    ConfirmAppointmentInput,
    MarkTaskIncompleteInput,
    MarkTaskIncompletePayload,
    PauseTaskInput,
    RecordPartsUsedInput,
    RejectTaskInput,
    RescheduleTaskInput,
    SubmitFeedbackInput,
    TaskPayload,
    TaskStepInput,
)
from schema.work_orders import TaskType

FIELD = roles_for(Action.ACCEPT)


def _task_id(global_id: strawberry.ID) -> int:
    return decode_id(global_id, "Task", "taskId")


def _step(
    task_id: strawberry.ID,
    expected: int | None,
    location: GeoPointInput | None = None,
    reason: str | None = None,
) -> Step:
    if location is not None:
        collect(location.problems("location"))
    where = location.to_lat_lng() if location is not None else None
    return Step(_task_id(task_id), expected, where, reason)


async def _task_payload(
    info: Info, run: Callable[[], Awaitable[Task]], key: str | None
) -> TaskPayload:
    async def action() -> TaskPayload:
        return TaskPayload(task=TaskType.from_model(await run()))

    return await execute(info, TaskPayload, action, idempotency_key=key)


async def _expire_offer(info: Info, global_id: strawberry.ID) -> None:
    """An offer past its deadline is taken back before the technician's answer is read."""
    parts = split_id(global_id)
    if parts is not None and parts[0] == "Task":
        await offers.expire_offers(info.context.session, task_ids=[parts[1]])


def _principal(info: Info) -> Principal:
    return info.context.require_principal()


@strawberry.type
class FieldTaskMutation:
    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.ACCEPT))],
        description=(
            "Technician accepts a task offered to them (DISPATCHED → ACCEPTED); an offer past its "
            "deadline is taken back first."
        ),
    )
    async def accept_task(self, info: Info, input: TaskStepInput) -> TaskPayload:
        await _expire_offer(info, input.task_id)

        async def run() -> Task:
            step = _step(input.task_id, input.expected_version, input.location)
            return await offers.accept_task(
                info.context.session,
                _principal(info),
                step.task_id,
                expected_version=step.expected_version,
            )

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.REJECT))],
        description=(
            "Technician declines an offered or accepted task; it returns to UNSCHEDULED for "
            "re-dispatch. Technicians only."
        ),
    )
    async def reject_task(self, info: Info, input: RejectTaskInput) -> TaskPayload:
        await _expire_offer(info, input.task_id)

        async def run() -> Task:
            return await offers.reject_task(
                info.context.session,
                _principal(info),
                _task_id(input.task_id),
                input.reason,
                expected_version=input.expected_version,
            )

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.START_TRAVEL))],
        description="Technician leaves for the site (ACCEPTED → EN_ROUTE). Technicians only.",
    )
    async def start_travel(self, info: Info, input: TaskStepInput) -> TaskPayload:
        return await _move(info, Action.START_TRAVEL, input)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.CHECK_IN))],
        description=(
            "Technician arrives on site (→ ON_SITE); outside the geofence radius it is refused or "
            "accepted with warnings, per the work policy."
        ),
    )
    async def check_in(self, info: Info, input: CheckInInput) -> CheckInPayload:
        async def action() -> CheckInPayload:
            step = _step(input.task_id, input.expected_version, input.location, input.reason)
            task, warnings = await field.check_in(info.context.session, _principal(info), step)
            return CheckInPayload(task=TaskType.from_model(task), warnings=warnings)

        return await execute(info, CheckInPayload, action, idempotency_key=input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.START_WORK))],
        description=(
            "Technician starts or resumes work (ON_SITE or ON_HOLD → IN_PROGRESS). Technicians "
            "only."
        ),
    )
    async def start_work(self, info: Info, input: TaskStepInput) -> TaskPayload:
        return await _move(info, Action.START_WORK, input)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.HOLD))],
        description=(
            "Technician puts work on hold with a reason (IN_PROGRESS → ON_HOLD). Technicians only."
        ),
    )
    async def pause_task(self, info: Info, input: PauseTaskInput) -> TaskPayload:
        async def run() -> Task:
            step = _step(input.task_id, input.expected_version, reason=input.reason)
            return await field.move(info.context.session, _principal(info), Action.HOLD, step)

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.COMPLETE))],
        description=(
            "Technician finishes the job with a resolution code and optional signature "
            "(IN_PROGRESS → COMPLETED)."
        ),
    )
    async def complete_task(self, info: Info, input: CompleteTaskInput) -> TaskPayload:
        async def run() -> Task:
            step = _step(input.task_id, input.expected_version, input.location)
            signed = input.signature
            done = Completion(
                input.resolution_code.strip(),
                input.notes,
                signed.image_ref if signed else None,
                signed.signer_name if signed else None,
            )
            return await field.complete(info.context.session, _principal(info), step, done)

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.MARK_INCOMPLETE))],
        description=(
            "Technician closes the visit as INCOMPLETE with a reason; a follow-up task is created "
            "and returned."
        ),
    )
    async def mark_task_incomplete(
        self, info: Info, input: MarkTaskIncompleteInput
    ) -> MarkTaskIncompletePayload:
        async def action() -> MarkTaskIncompletePayload:
            step = _step(input.task_id, input.expected_version, input.location, input.reason)
            task, follow_up = await field.mark_incomplete(
                info.context.session, _principal(info), step
            )
            return MarkTaskIncompletePayload(
                task=TaskType.from_model(task), follow_up_task=TaskType.from_model(follow_up)
            )

        return await execute(
            info, MarkTaskIncompletePayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*FIELD)],
        description="Add a text note to the task's record. Technicians only.",
    )
    async def add_task_note(self, info: Info, input: AddTaskNoteInput) -> TaskPayload:
        async def run() -> Task:
            task, _ = await records.add_note(
                info.context.session, _principal(info), _task_id(input.task_id), input.body, None
            )
            return task

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*FIELD)],
        description=(
            "Attach an uploaded photo (by file reference) to the task's record. Technicians only."
        ),
    )
    async def add_task_photo(self, info: Info, input: AddTaskPhotoInput) -> TaskPayload:
        async def run() -> Task:
            task, _ = await records.add_photo(
                info.context.session,
                _principal(info),
                _task_id(input.task_id),
                input.reference,
                input.caption,
                None,
            )
            return task

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*FIELD)],
        description="Record the parts used on the task. Technicians only.",
    )
    async def record_parts_used(self, info: Info, input: RecordPartsUsedInput) -> TaskPayload:
        async def run() -> Task:
            lines = [TaskPartLine.model_validate(vars(p)) for p in input.parts]
            task, _ = await records.record_parts(
                info.context.session, _principal(info), _task_id(input.task_id), lines, None
            )
            return task

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*FIELD)],
        description=(
            "Store the customer's signature (uploaded image reference and signer name) on the "
            "task. Technicians only."
        ),
    )
    async def capture_signature(self, info: Info, input: CaptureSignatureInput) -> TaskPayload:
        async def run() -> Task:
            return await records.capture_signature(
                info.context.session,
                _principal(info),
                _task_id(input.task_id),
                input.image_ref,
                input.signer_name,
                None,
            )

        return await _task_payload(info, run, input.idempotency_key)


async def _move(info: Info, action: Action, input: TaskStepInput) -> TaskPayload:
    async def run() -> Task:
        step = _step(input.task_id, input.expected_version, input.location, input.reason)
        return await field.move(info.context.session, _principal(info), action, step)

    return await _task_payload(info, run, input.idempotency_key)


@strawberry.type
class CustomerTaskMutation:
    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.CONFIRM))],
        description=(
            "Customer confirms the booked visit window; allowed before work starts. Customers only."
        ),
    )
    async def confirm_appointment(self, info: Info, input: ConfirmAppointmentInput) -> TaskPayload:
        async def run() -> Task:
            return await customer.confirm_appointment(
                info.context.session,
                _principal(info),
                _task_id(input.task_id),
                input.expected_version,
            )

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.RESCHEDULE))],
        description=(
            "Ask for a new visit window before work starts; the task goes back to UNSCHEDULED (or "
            "takes a held slot). Desk staff and the customer."
        ),
    )
    async def reschedule_task(self, info: Info, input: RescheduleTaskInput) -> TaskPayload:
        async def run() -> Task:
            collect(
                offset_problems(input.window_start, "windowStart")
                + offset_problems(input.window_end, "windowEnd")
            )
            task = await customer.reschedule_task(
                info.context.session,
                _principal(info),
                _task_id(input.task_id),
                (input.window_start, input.window_end),
                reason=input.reason,
                expected_version=input.expected_version,
            )
            if input.hold_id is not None:
                hold_id = decode_id(input.hold_id, "SlotHold", "holdId")
                await consume_hold(
                    info.context.session, _principal(info), hold_id, task, window_given=True
                )
            return task

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(*roles_for(Action.CANCEL))],
        description=(
            "Cancel an open task with a reason. Desk staff (admin, dispatcher, agent, manager) and "
            "the customer."
        ),
    )
    async def cancel_task(self, info: Info, input: CancelTaskInput) -> TaskPayload:
        async def run() -> Task:
            return await customer.cancel_task(
                info.context.session,
                _principal(info),
                _task_id(input.task_id),
                input.reason,
                input.expected_version,
            )

        return await _task_payload(info, run, input.idempotency_key)

    @strawberry.mutation(
        extensions=[allow(Role.CUSTOMER)],
        description="Customer rates a task and may leave a comment. Customers only.",
    )
    async def submit_feedback(self, info: Info, input: SubmitFeedbackInput) -> TaskPayload:
        async def run() -> Task:
            return await customer.submit_feedback(
                info.context.session,
                _principal(info),
                _task_id(input.task_id),
                input.rating,
                input.comment,
            )

        return await _task_payload(info, run, input.idempotency_key)
