"""Checklist versioning, answer validation per kind, the check-in rule and follow-ups."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.attachments.models import Attachment, AttachmentKind, Blob
from app.core.errors import DomainError, ErrorCode
from app.inspections import repository, service, templates
from app.inspections.models import InspectionFollowUp, InspectionStatus, VersionStatus
from app.inspections.service import AnswerIn
from app.work_orders.models import Task, TaskStatus, TaskType
from tests.inspections import helpers
from tests.work_orders import factories

PHOTO = AttachmentKind.PHOTO


async def test_a_published_version_stays_and_an_edit_makes_the_next_draft(
    session: AsyncSession,
) -> None:
    template = await helpers.published(session)
    assert template.id is not None
    first = await templates.latest(session, template.id, published=True)
    assert first is not None and first.number == 1 and first.status is VersionStatus.PUBLISHED

    shorter = helpers.sections([helpers.SECTIONS[0]])
    draft = await templates.revise_template(session, template.id, shorter, None)
    again = await templates.revise_template(session, template.id, shorter, None)

    assert (draft.number, draft.status, again.id) == (2, VersionStatus.DRAFT, draft.id)
    assert len(first.items()) == 7  # the published version is unchanged
    assert (await templates.publish_template(session, template.id, None)).number == 2
    with pytest.raises(DomainError) as refused:
        await templates.publish_template(session, template.id, None)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION


async def test_a_template_with_repeated_keys_or_a_bad_range_is_refused(
    session: AsyncSession,
) -> None:
    bad = [
        {
            "title": "S",
            "items": [
                {"key": "a", "label": "A", "kind": "NUMBER", "min_value": 5, "max_value": 1},
                {"key": "a", "label": "A again", "kind": "TEXT", "follow_up": {}},
                {"key": "c", "label": "C", "kind": "SINGLE_CHOICE", "options": ["x"]},
            ],
        }
    ]
    with pytest.raises(DomainError) as refused:
        await templates.create_template(
            session, templates.TemplateCreate(name="Bad", sections=helpers.sections(bad))
        )
    fields = [p.field[-1] for p in refused.value.problems if p.field]
    assert fields == ["minValue", "key", "followUp", "options"]


async def test_a_maintenance_checklist_waits_for_the_check_in(session: AsyncSession) -> None:
    w = await factories.world(session)
    template = await helpers.published(session)
    task = await helpers.assigned(session, w)

    with pytest.raises(DomainError) as refused:
        await service.start_inspection(session, helpers.technician(w), task.id or 0, template.id)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION

    await service.set_check_in_rule(session, TaskType.MAINTENANCE, False)
    started = await service.start_inspection(
        session, helpers.technician(w), task.id or 0, template.id
    )
    assert started.status is InspectionStatus.IN_PROGRESS


async def test_a_repair_checklist_needs_no_check_in_by_default(session: AsyncSession) -> None:
    w = await factories.world(session)
    template = await helpers.published(session)
    task = await helpers.assigned(session, w, TaskType.REPAIR)

    started = await service.start_inspection(
        session, helpers.technician(w), task.id or 0, template.id
    )

    assert started.task_id == task.id


async def test_the_default_template_of_the_task_type_is_used(session: AsyncSession) -> None:
    w = await factories.world(session)
    template = await helpers.published(session, default_for=TaskType.MAINTENANCE)
    task = await helpers.on_site(session, w)

    started = await service.start_inspection(session, helpers.technician(w), task.id or 0)

    version = await templates.latest(session, template.id or 0, published=True)
    assert version is not None and started.template_version_id == version.id


async def test_a_preventive_visit_takes_the_maintenance_default_unless_it_has_its_own(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    upkeep = await helpers.published(session, default_for=TaskType.MAINTENANCE)
    first = await helpers.on_site(session, w, TaskType.PREVENTIVE)

    borrowed = await service.start_inspection(session, helpers.technician(w), first.id or 0)
    own = await helpers.published(session, default_for=TaskType.PREVENTIVE)
    second = await helpers.on_site(session, w, TaskType.PREVENTIVE)
    owned = await service.start_inspection(session, helpers.technician(w), second.id or 0)

    for started, template in ((borrowed, upkeep), (owned, own)):
        version = await templates.latest(session, template.id or 0, published=True)
        assert version is not None and started.template_version_id == version.id


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (AnswerIn("filter_clean"), "filter_clean"),
        (AnswerIn("suction_pressure", text="high"), "suction_pressure"),
        (AnswerIn("suction_pressure", number=Decimal("NaN")), "suction_pressure"),
        (AnswerIn("noise", choices=("LOW", "HIGH")), "noise"),
        (AnswerIn("noise", choices=("LOUD",)), "noise"),
        (AnswerIn("defects", choices=()), "defects"),
        (AnswerIn("remarks", text="  "), "remarks"),
        (AnswerIn("unit_photo", attachment_ids=(999_999,)), "unit_photo"),
        (AnswerIn("customer_sign", attachment_ids=(999_999,), signer_name="A"), "customer_sign"),
        (AnswerIn("nope", yes=True), "itemKey"),
    ],
)
async def test_each_kind_refuses_an_answer_that_does_not_fit(
    session: AsyncSession, answer: AnswerIn, field: str
) -> None:
    w = await factories.world(session)
    template = await helpers.published(session)
    task = await helpers.on_site(session, w)
    started = await service.start_inspection(
        session, helpers.technician(w), task.id or 0, template.id
    )

    with pytest.raises(DomainError) as refused:
        await service.record_answers(session, helpers.technician(w), started.id or 0, [answer])

    assert [p.field[-1] for p in refused.value.problems if p.field] == [field]
    assert await repository.answers_of(session, [started.id or 0]) == []


async def test_submitting_needs_the_required_items_then_opens_follow_ups(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    template = await helpers.published(session)
    task = await helpers.on_site(session, w)
    me = helpers.technician(w)
    started = await service.start_inspection(session, me, task.id or 0, template.id)
    await service.record_answers(
        session, me, started.id or 0, [AnswerIn("suction_pressure", number=Decimal("70"))]
    )

    with pytest.raises(DomainError) as refused:
        await service.submit_inspection(session, me, started.id or 0)
    assert [p.field for p in refused.value.problems] == [["answers", "filter_clean"]]

    done, created = await service.submit_inspection(
        session,
        me,
        started.id or 0,
        [
            AnswerIn("suction_pressure", number=Decimal("52.5")),
            AnswerIn("filter_clean", yes=False),
            AnswerIn("noise", choices=("LOW",)),
            AnswerIn("defects", choices=("RUST", "LEAK")),
        ],
    )

    assert done.status is InspectionStatus.SUBMITTED
    assert [(t.type, t.priority, t.status, t.follow_up_of_id, t.asset_id) for t in created] == [
        (TaskType.REPAIR, 1, TaskStatus.UNSCHEDULED, task.id, w.asset.id),
        (TaskType.MAINTENANCE, 3, TaskStatus.UNSCHEDULED, task.id, w.asset.id),
    ]
    links = (
        await session.scalars(select(InspectionFollowUp).order_by(col(InspectionFollowUp.id)))
    ).all()
    assert [(f.item_key, f.task_id) for f in links] == [
        ("suction_pressure", created[0].id),
        ("filter_clean", created[1].id),
    ]
    assert "52.5 psi" in (await session.get(Task, created[0].id)).description  # type: ignore[union-attr, operator]
    with pytest.raises(DomainError) as closed:
        await service.record_answers(
            session, me, started.id or 0, [AnswerIn("filter_clean", yes=True)]
        )
    assert closed.value.code is ErrorCode.INVALID_TRANSITION


async def test_another_technician_cannot_fill_the_checklist(session: AsyncSession) -> None:
    w = await factories.world(session)
    template = await helpers.published(session)
    task = await helpers.on_site(session, w)
    other = helpers.technician(w).__class__(
        subject="test:other",
        role=helpers.technician(w).role,
        technician_id=(w.technician.id or 0) + 1000,
    )

    with pytest.raises(DomainError) as refused:
        await service.start_inspection(session, other, task.id or 0, template.id)
    assert refused.value.code is ErrorCode.NOT_FOUND


async def test_an_archived_template_starts_nothing_and_a_stale_edit_is_refused(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    template = await helpers.published(session)
    task = await helpers.on_site(session, w)

    with pytest.raises(DomainError) as stale:
        await templates.revise_template(session, template.id or 0, helpers.sections(), 1)
    assert stale.value.code is ErrorCode.STALE_VERSION
    await templates.archive_template(session, template.id or 0, template.version)

    with pytest.raises(DomainError) as refused:
        await service.start_inspection(session, helpers.technician(w), task.id or 0, template.id)
    assert refused.value.code is ErrorCode.NOT_FOUND


async def test_a_planned_visit_uses_the_checklist_its_service_plan_names(
    session: AsyncSession,
) -> None:
    # given the service plans' two columns (temporary tables shadowing the real ones)
    await session.execute(
        sa.text("CREATE TEMP TABLE service_plans (id bigint, checklist_template_id bigint)")
    )
    await session.execute(
        sa.text("CREATE TEMP TABLE planned_visits (plan_id bigint, task_id bigint)")
    )
    w = await factories.world(session)
    await helpers.published(session, default_for=TaskType.MAINTENANCE)
    named = await helpers.published(session)
    task = await helpers.on_site(session, w)
    await session.execute(sa.text("INSERT INTO service_plans VALUES (1, :t)"), {"t": named.id})
    await session.execute(sa.text("INSERT INTO planned_visits VALUES (1, :k)"), {"k": task.id})

    started = await service.start_inspection(session, helpers.technician(w), task.id or 0)

    version = await templates.latest(session, named.id or 0, published=True)
    assert version is not None and started.template_version_id == version.id


async def test_photo_and_signature_answers_take_the_tasks_own_images(
    session: AsyncSession,
) -> None:
    w = await factories.world(session)
    template = await helpers.published(session)
    task = await helpers.on_site(session, w)
    me = helpers.technician(w)
    session.add(
        Blob(sha256="a" * 64, size_bytes=3, content_type="image/png", kind=PHOTO, storage_key="k")
    )
    await session.flush()
    photo, sign = (
        Attachment(
            filename=name, blob_sha256="a" * 64, task_id=task.id, kind=PHOTO,
            content_type="image/png", size_bytes=3, uploaded_by=me.subject,
            uploaded_by_role="TECHNICIAN",
        )
        for name in ("unit.png", "sign.png")
    )  # fmt: skip
    session.add_all([photo, sign])
    await session.flush()
    started = await service.start_inspection(session, me, task.id or 0, template.id)

    await service.record_answers(
        session,
        me,
        started.id or 0,
        [
            AnswerIn("unit_photo", attachment_ids=(photo.id or 0,)),
            AnswerIn("customer_sign", attachment_ids=(sign.id or 0,), signer_name="Asha Rao"),
        ],
    )

    saved = {a.item_key: a.value for a in await repository.answers_of(session, [started.id or 0])}
    assert saved == {
        "unit_photo": [photo.id],
        "customer_sign": {"attachmentId": sign.id, "signerName": "Asha Rao"},
    }
