"""Attachments through real multipart HTTP requests: storage by hash, checks and scoping."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.attachments.models import Blob
from app.attachments.settings import get_attachment_settings
from app.attachments.storage import LocalStorage, use_storage
from app.core.auth import Principal, Role
from app.service_requests.models import RequestCategory, RequestChannel, ServiceRequestCreate
from app.service_requests.service import create_service_request
from app.work_orders.models import Task, TaskCreate, TaskStatus
from app.work_orders.service import create_task
from app.work_orders.transitions import Actor
from schema.ids import encode_id, split_id
from tests.support import GraphQLClient, StatementCounter, error_codes
from tests.work_orders import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

FIELDS = """id kind filename contentType sizeBytes sha256 url contentBase64 caption
  uploadedByRole serviceRequest { id } task { id }"""
ATTACH_REQUEST = f"""
mutation($input: AttachToServiceRequestInput!) {{ attachToServiceRequest(input: $input) {{
  attachment {{ {FIELDS} }} userErrors {{ field message code }} }} }}
"""
ATTACH_TASK = f"""
mutation($input: AttachToTaskInput!) {{ attachToTask(input: $input) {{
  attachment {{ {FIELDS} }} userErrors {{ field message code }} }} }}
"""
REMOVE = """
mutation($input: RemoveAttachmentInput!) { removeAttachment(input: $input) {
  removedId userErrors { field code } } }
"""
LIST = """
query($serviceRequestId: ID, $taskId: ID, $first: Int) {
  attachments(serviceRequestId: $serviceRequestId, taskId: $taskId, first: $first) {
    totalCount edges { node { id filename kind serviceRequest { id status } task { id status } } }
} }
"""


@pytest.fixture(autouse=True)
def storage(tmp_path: Path) -> Iterator[LocalStorage]:
    local = LocalStorage(tmp_path / "attachments")
    use_storage(local)
    get_attachment_settings.cache_clear()
    yield local
    use_storage(None)
    get_attachment_settings.cache_clear()


async def upload(
    gql: GraphQLClient,
    document: str,
    variables: dict[str, Any],
    content: bytes,
    filename: str = "photo.png",
    content_type: str = "image/png",
) -> dict[str, Any]:
    """POST a GraphQL multipart request (the spec's operations + map + file parts)."""
    operations = {"query": document, "variables": {"input": {**variables, "file": None}}}
    response = await gql.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (filename, content, content_type)},
        headers=gql.headers(),
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    result: dict[str, Any] = payload
    return result


async def request_with_task(session: AsyncSession) -> tuple[factories.World, int, Task]:
    w = await factories.world(session)
    agent = Principal(subject="test:agent", role=Role.AGENT, name="Agent")
    request = await create_service_request(
        session,
        agent,
        ServiceRequestCreate(
            customer_id=w.customer.id or 0,
            site_id=w.site.id or 0,
            channel=RequestChannel.WHATSAPP,
            category=RequestCategory.REPAIR,
            description="Water leaks from the indoor unit",
        ),
    )
    task = await create_task(session, Actor.of(agent), TaskCreate(service_request_id=request.id))
    task.technician_id, task.status = w.technician.id, TaskStatus.ACCEPTED
    await session.flush()
    assert request.id is not None
    return w, request.id, task


def rid(request_id: int) -> str:
    return encode_id("ServiceRequest", request_id)


def tid(task: Task) -> str:
    return encode_id("Task", task.id or 0)


async def test_a_customer_uploads_a_photo_to_a_request_through_multipart(
    gql: GraphQLClient, session: AsyncSession, storage: LocalStorage
) -> None:
    # given a customer's request
    w, request_id, _ = await request_with_task(session)
    customer = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)

    # when the customer uploads a photo with the multipart request spec
    payload = await upload(customer, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PNG)

    # then it is stored under its SHA-256 and described by what its bytes are
    sha = hashlib.sha256(PNG).hexdigest()
    attachment = payload["attachment"]
    assert payload["userErrors"] == []
    assert attachment["kind"] == "PHOTO"
    assert attachment["filename"] == "photo.png"
    assert attachment["contentType"] == "image/png"
    assert attachment["sizeBytes"] == len(PNG)
    assert attachment["sha256"] == sha
    assert attachment["url"] is None
    assert base64.b64decode(attachment["contentBase64"]) == PNG
    assert attachment["uploadedByRole"] == "CUSTOMER"
    assert attachment["serviceRequest"] == {"id": rid(request_id)}
    assert (storage.root / f"sha256/{sha[:2]}/{sha[2:4]}/{sha}").read_bytes() == PNG
    # and where it is kept is for staff only
    key = "query($id: ID!) { node(id: $id) { ... on Attachment { storageKey } } }"
    hidden = await customer.raw(key, {"id": attachment["id"]})
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    shown = await gql.as_role(Role.DISPATCHER)(key, {"id": attachment["id"]})
    assert shown["node"]["storageKey"] == f"sha256/{sha[:2]}/{sha[2:4]}/{sha}"


async def test_the_same_file_is_stored_once(
    gql: GraphQLClient, session: AsyncSession, storage: LocalStorage
) -> None:
    # given a request and its task
    _, request_id, task = await request_with_task(session)

    # when the same PDF is uploaded to the request, again to it, and to the task
    first = await upload(
        gql, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PDF, "a.pdf", "application/pdf"
    )
    again = await upload(
        gql, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PDF, "b.pdf", "application/pdf"
    )
    on_task = await upload(gql, ATTACH_TASK, {"taskId": tid(task)}, PDF, "c.pdf", "application/pdf")

    # then the request has it once, the task has its own attachment, and one blob holds both
    sha = hashlib.sha256(PDF).hexdigest()
    assert again["attachment"]["id"] == first["attachment"]["id"]
    assert on_task["attachment"]["id"] != first["attachment"]["id"]
    assert on_task["attachment"]["task"] == {"id": tid(task)}
    assert {first["attachment"]["sha256"], on_task["attachment"]["sha256"]} == {sha}
    blobs = await session.scalar(select(func.count()).where(col(Blob.sha256) == sha))
    assert blobs == 1
    assert len(list(storage.root.rglob(sha))) == 1


@pytest.mark.parametrize(
    ("content", "filename", "declared", "message"),
    [
        (EXE, "setup.png", "image/png", "only photos"),
        (SVG, "logo.svg", "image/svg+xml", "only photos"),
        (b"", "empty.png", "image/png", "empty"),
        (PDF, "photo.jpg", "image/jpeg", "application/pdf, not image/jpeg"),
    ],
)
async def test_files_are_checked_by_their_bytes(
    gql: GraphQLClient,
    session: AsyncSession,
    content: bytes,
    filename: str,
    declared: str,
    message: str,
) -> None:
    # given a request
    _, request_id, _ = await request_with_task(session)

    # when a file that is not on the allow-list (or lies about its type) is uploaded
    payload = await upload(
        gql, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, content, filename, declared
    )

    # then it is refused on the file field and nothing is stored
    assert payload["attachment"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["file"], "INVALID")]
    assert message in payload["userErrors"][0]["message"]
    assert await session.scalar(select(func.count()).select_from(Blob)) == 0


async def test_each_kind_has_its_size_limit(
    gql: GraphQLClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given photos limited to 100 bytes and documents to 1000
    monkeypatch.setenv("ATTACHMENTS_MAX_PHOTO_BYTES", "100")
    monkeypatch.setenv("ATTACHMENTS_MAX_DOCUMENT_BYTES", "1000")
    get_attachment_settings.cache_clear()
    _, request_id, _ = await request_with_task(session)

    # when a 218-byte photo and a small PDF are uploaded
    photo = await upload(gql, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PNG)
    document = await upload(
        gql, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PDF, "r.pdf", "application/pdf"
    )

    # then the photo is too big and the document is fine
    assert error_codes(photo) == ["INVALID"]
    assert "a photo may be at most" in photo["userErrors"][0]["message"]
    assert document["userErrors"] == [] and document["attachment"]["kind"] == "DOCUMENT"


async def test_videos_and_office_documents_are_recognised(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a task and a real (tiny) Word document
    _, _, task = await request_with_task(session)
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")

    # when a video and the document are attached, the video as base64
    video = await gql.mutate(
        ATTACH_TASK,
        {"taskId": tid(task), "contentBase64": base64.b64encode(MP4).decode(), "filename": "v.mp4"},
    )
    word = await upload(
        gql,
        ATTACH_TASK,
        {"taskId": tid(task)},
        docx.getvalue(),
        "report.docx",
        "application/octet-stream",
    )

    # then each is typed by its content
    assert (video["attachment"]["kind"], video["attachment"]["contentType"]) == (
        "VIDEO",
        "video/mp4",
    )
    assert word["attachment"]["kind"] == "DOCUMENT"
    assert word["attachment"]["contentType"].endswith("wordprocessingml.document")


async def test_who_sees_attachments(gql: GraphQLClient, session: AsyncSession) -> None:
    # given a photo on a request (by its customer) and a document on its task (by the technician)
    w, request_id, task = await request_with_task(session)
    other = await factories.customer(session)
    stranger = await factories.technician(session)
    customer = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
    technician = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)
    await upload(customer, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PNG)
    await upload(technician, ATTACH_TASK, {"taskId": tid(task)}, PDF, "job.pdf", "application/pdf")

    # when each party lists the request's attachments, and the technician the task's
    def names(data: dict[str, Any]) -> list[str]:
        return sorted(e["node"]["filename"] for e in data["attachments"]["edges"])

    by_request = {"serviceRequestId": rid(request_id)}
    seen = {
        "customer": names(await customer(LIST, by_request)),
        "technician": names(await technician(LIST, {"taskId": tid(task)})),
        "dispatcher": names(await gql.as_role(Role.DISPATCHER)(LIST, by_request)),
        "other customer": names(
            await gql.as_role(Role.CUSTOMER, customer_id=other.id)(LIST, by_request)
        ),
        "other technician": names(
            await gql.as_role(Role.TECHNICIAN, technician_id=stranger.id)(LIST, by_request)
        ),
    }

    # then the parties to the job see both; strangers see nothing
    assert seen == {
        "customer": ["job.pdf", "photo.png"],
        "technician": ["job.pdf", "photo.png"],
        "dispatcher": ["job.pdf", "photo.png"],
        "other customer": [],
        "other technician": [],
    }


async def test_strangers_cannot_attach(gql: GraphQLClient, session: AsyncSession) -> None:
    # given a request of one customer and a technician with no part in it
    _, request_id, task = await request_with_task(session)
    other = await factories.customer(session)
    stranger = await factories.technician(session)

    # when another customer and another technician try to attach files
    by_customer = await upload(
        gql.as_role(Role.CUSTOMER, customer_id=other.id),
        ATTACH_REQUEST,
        {"serviceRequestId": rid(request_id)},
        PNG,
    )
    by_technician = await upload(
        gql.as_role(Role.TECHNICIAN, technician_id=stranger.id),
        ATTACH_TASK,
        {"taskId": tid(task)},
        PNG,
    )
    anonymous = await gql.as_role(None).mutate(
        ATTACH_TASK, {"taskId": tid(task), "contentBase64": base64.b64encode(PNG).decode()}
    )

    # then the request and the task are not found for them
    assert by_customer["userErrors"] == [
        {"field": ["serviceRequestId"], "message": "service request not found", "code": "NOT_FOUND"}
    ]
    assert error_codes(by_technician) == ["NOT_FOUND"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_removal_by_the_uploader_or_the_office(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a photo the customer uploaded and a document the technician uploaded
    w, request_id, task = await request_with_task(session)
    customer = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
    technician = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)
    photo = await upload(customer, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PNG)
    report = await upload(
        technician, ATTACH_TASK, {"taskId": tid(task)}, PDF, "r.pdf", "application/pdf"
    )
    photo_id, report_id = photo["attachment"]["id"], report["attachment"]["id"]

    # when the customer removes the technician's document, then its own photo; then a
    # dispatcher removes the document
    refused = await customer.mutate(REMOVE, {"id": report_id})
    own = await customer.mutate(REMOVE, {"id": photo_id})
    office = await gql.as_role(Role.DISPATCHER).mutate(REMOVE, {"id": report_id})
    gone = await gql.mutate(REMOVE, {"id": report_id})

    # then only the uploader and the office may remove; a removed attachment is gone
    assert error_codes(refused) == ["FORBIDDEN"]
    assert own == {"removedId": photo_id, "userErrors": []}
    assert office == {"removedId": report_id, "userErrors": []}
    assert error_codes(gone) == ["NOT_FOUND"]
    listed = await gql(LIST, {"serviceRequestId": rid(request_id)})
    assert listed["attachments"]["totalCount"] == 0


async def test_an_upload_replayed_with_its_key_returns_the_first_result(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a task
    _, _, task = await request_with_task(session)
    variables = {"taskId": tid(task), "idempotencyKey": "photo-1"}

    # when the phone sends the same upload twice with one key, the second time another file
    first = await upload(gql, ATTACH_TASK, variables, PNG)
    replay = await upload(gql, ATTACH_TASK, variables, PDF, "x.pdf", "application/pdf")

    # then the replay returns the first attachment and stores nothing new
    assert replay["attachment"]["id"] == first["attachment"]["id"]
    assert replay["attachment"]["kind"] == "PHOTO"
    assert await session.scalar(select(func.count()).select_from(Blob)) == 1


async def test_listing_does_not_grow_its_queries_with_its_rows(
    gql: GraphQLClient, session: AsyncSession, statements: StatementCounter
) -> None:
    # given a request with 2 attachments, then with 20
    _, request_id, task = await request_with_task(session)
    counts = []
    for upto in (2, 20):
        while (await gql(LIST, {"serviceRequestId": rid(request_id), "first": 50}))["attachments"][
            "totalCount"
        ] < upto:
            unique = PNG + upto.to_bytes(2, "big") + str(len(counts)).encode() + bytes(8)
            n = await session.scalar(select(func.count()).select_from(Blob))
            await gql.mutate(
                ATTACH_TASK,
                {
                    "taskId": tid(task),
                    "contentBase64": base64.b64encode(unique + str(n).encode()).decode(),
                },
            )
        statements.reset()
        data = await gql(LIST, {"serviceRequestId": rid(request_id), "first": 50})
        counts.append((data["attachments"]["totalCount"], statements.total))

    # then both listings take the same number of statements
    assert [n for n, _ in counts] == [2, 20]
    assert counts[0][1] == counts[1][1]


async def test_both_or_neither_content_field_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a task
    _, _, task = await request_with_task(session)

    # when neither content is sent, or the base64 is broken
    neither = await gql.mutate(ATTACH_TASK, {"taskId": tid(task)})
    broken = await gql.mutate(ATTACH_TASK, {"taskId": tid(task), "contentBase64": "%%%"})

    # then each is refused on its field
    assert [e["field"] for e in neither["userErrors"]] == [["file"]]
    assert [e["field"] for e in broken["userErrors"]] == [["contentBase64"]]


async def test_whoever_sees_the_request_downloads_the_file_and_nobody_else(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a photo on a customer's request
    w, request_id, _ = await request_with_task(session)
    customer = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
    payload = await upload(customer, ATTACH_REQUEST, {"serviceRequestId": rid(request_id)}, PNG)
    path = f"/attachments/{split_id(payload['attachment']['id'])[1]}"  # type: ignore[index]

    # when its customer, another customer and an anonymous caller download it
    own = await gql.http.get(path, headers=customer.headers())
    other = await gql.http.get(path, headers=gql.as_role(Role.CUSTOMER, customer_id=-1).headers())
    anonymous = await gql.http.get(path)

    # then only the customer gets the bytes; the stranger cannot tell it exists
    assert own.status_code == 200 and own.content == PNG
    assert own.headers["content-type"] == "image/png"
    assert 'filename="photo.png"' in own.headers["content-disposition"]
    assert other.status_code == 404
    assert anonymous.status_code == 401
