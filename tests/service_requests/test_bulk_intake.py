"""Bulk intake of service requests from CSV and XLSX files: all rows or none, with a report."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, func, select

from app.core.auth import Role
from app.customers.models import Customer
from app.service_requests.models import RequestChannel, ServiceRequest
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories

IMPORT = """
mutation($input: ImportServiceRequestsInput!) { importServiceRequests(input: $input) {
  dryRun rowCount createdCount
  serviceRequests { id channel category priority priorityOverridden isDuplicate externalRef }
  rows { row priority eligibility duplicate serviceRequestId }
  errors { row column code message }
  userErrors { field message code }
} }
"""


def csv_of(*lines: str) -> str:
    return base64.b64encode("\n".join(lines).encode()).decode()


async def a_customer(session: AsyncSession, ref: str) -> factories.World:
    w = await factories.world(session)
    customer = await session.get(Customer, w.customer.id)
    assert customer is not None
    customer.external_ref, customer.email = ref, f"{ref.lower()}@example.com"
    await session.flush()
    return w


async def requests_of(session: AsyncSession, channel: RequestChannel) -> int:
    count = await session.scalar(select(func.count()).where(col(ServiceRequest.channel) == channel))
    return int(count or 0)


async def test_a_crm_export_becomes_requests_through_the_intake_rules(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two customers, one with an asset
    a, b = await a_customer(session, "CRM-A"), await a_customer(session, "CRM-B")
    content = csv_of(
        "Customer Ref,Asset Serial,Category,Description,Priority,Priority Reason,Ticket",
        f"CRM-A,{a.asset.serial_number},repair,Unit is leaking,,,T-1",
        "CRM-B,,Installation,Install a new split unit,1,VIP launch,T-2",
        f"CRM-A,{a.asset.serial_number},repair,Leaking again,,,T-3",
    )

    # when an agent imports the file
    payload = await gql.as_role(Role.AGENT).mutate(
        IMPORT, {"source": "CRM_IMPORT", "contentBase64": content}
    )

    # then three requests exist, prioritised and flagged like any other intake
    assert payload["userErrors"] == [] and payload["errors"] == []
    assert (payload["rowCount"], payload["createdCount"], payload["dryRun"]) == (3, 3, False)
    created = payload["serviceRequests"]
    assert [r["externalRef"] for r in created] == ["T-1", "T-2", "T-3"]
    assert {r["channel"] for r in created} == {"CRM_IMPORT"}
    assert created[1]["priority"] == 1 and created[1]["priorityOverridden"] is True
    assert [r["isDuplicate"] for r in created] == [False, False, True]
    assert [r["row"] for r in payload["rows"]] == [2, 3, 4]
    assert [r["serviceRequestId"] for r in payload["rows"]] == [r["id"] for r in created]
    assert await requests_of(session, RequestChannel.CRM_IMPORT) == 3
    assert b.customer.id is not None


async def test_one_bad_row_imports_nothing_and_every_problem_is_reported(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a file with a good row, an unknown customer, a bad category and a bad priority
    await a_customer(session, "CRM-C")
    content = csv_of(
        "customer_email,category,description,priority",
        "crm-c@example.com,repair,Noisy fan,",
        "nobody@example.com,repair,Broken,",
        "crm-c@example.com,painting,Walls,",
        "crm-c@example.com,repair,Odd priority,urgent",
    )

    # when it is imported
    payload = await gql.mutate(IMPORT, {"source": "SPREADSHEET_IMPORT", "contentBase64": content})

    # then nothing is written and each problem names its row and column
    assert payload["createdCount"] == 0 and payload["serviceRequests"] == []
    assert [(e["row"], e["column"], e["code"]) for e in payload["errors"]] == [
        (3, "customer_email", "NOT_FOUND"),
        (4, "category", "INVALID"),
        (5, "priority", "INVALID"),
    ]
    assert payload["userErrors"] == [
        {
            "field": ["file"],
            "message": "3 problems in 3 rows; nothing was imported",
            "code": "INVALID",
        }
    ]
    assert await requests_of(session, RequestChannel.SPREADSHEET_IMPORT) == 0


async def test_a_dry_run_reports_and_keeps_nothing(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a valid file
    await a_customer(session, "CRM-D")
    content = csv_of("customer_ref,category,description", "CRM-D,maintenance,Yearly service")

    # when it is imported as a dry run
    payload = await gql.mutate(
        IMPORT, {"source": "CRM_IMPORT", "contentBase64": content, "dryRun": True}
    )

    # then the row is validated (maintenance is P4, chargeable) and nothing is kept
    assert payload["dryRun"] is True and payload["userErrors"] == []
    assert payload["rows"] == [
        {
            "row": 2,
            "priority": 4,
            "eligibility": "CHARGEABLE",
            "duplicate": False,
            "serviceRequestId": None,
        }
    ]
    assert payload["createdCount"] == 0
    assert await requests_of(session, RequestChannel.CRM_IMPORT) == 0


async def test_an_xlsx_upload_through_multipart(gql: GraphQLClient, session: AsyncSession) -> None:
    # given a workbook with differently named headers
    await a_customer(session, "CRM-E")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Account", "Site", "Type", "Problem", "Case Number"])
    sheet.append(["CRM-E", "Home", "Inspection", "Check the wiring", "C-77"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    # when it is uploaded as a file
    operations = {
        "query": IMPORT,
        "variables": {"input": {"source": "SPREADSHEET_IMPORT", "file": None}},
    }
    response = await gql.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": ("requests.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=gql.headers(),
    )
    payload: dict[str, Any] = response.json()["data"]["importServiceRequests"]

    # then its row became a request
    assert payload["userErrors"] == []
    assert [(r["category"], r["externalRef"]) for r in payload["serviceRequests"]] == [
        ("INSPECTION", "C-77")
    ]


async def test_a_file_without_the_needed_columns_is_refused(gql: GraphQLClient) -> None:
    # when a file has no customer and no category column
    payload = await gql.mutate(
        IMPORT, {"source": "CRM_IMPORT", "contentBase64": csv_of("description", "Broken")}
    )

    # then the header row's problems are reported
    assert [(e["row"], e["column"]) for e in payload["errors"]] == [
        (1, "category"),
        (1, "customer_ref"),
    ]
    assert error_codes(payload) == ["INVALID"]


async def test_a_replayed_import_returns_the_first_result(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a valid file sent twice with one idempotency key
    await a_customer(session, "CRM-F")
    content = csv_of("customer_ref,category,description", "CRM-F,repair,No cooling")
    variables = {"source": "CRM_IMPORT", "contentBase64": content, "idempotencyKey": "batch-7"}

    # when it is imported twice
    first = await gql.mutate(IMPORT, variables)
    second = await gql.mutate(IMPORT, variables)

    # then the second returns the first's requests and creates nothing
    assert second["serviceRequests"] == first["serviceRequests"]
    assert second["createdCount"] == 1
    assert await requests_of(session, RequestChannel.CRM_IMPORT) == 1


@pytest.mark.parametrize(
    "role", [None, Role.CUSTOMER, Role.TECHNICIAN, Role.PARTNER, Role.DISPATCHER, Role.ADMIN]
)
async def test_who_may_import(gql: GraphQLClient, session: AsyncSession, role: Role | None) -> None:
    # given a valid file
    await a_customer(session, "CRM-G")
    content = csv_of("customer_ref,category,description", "CRM-G,repair,Broken")

    # when each role imports it
    payload = await gql.as_role(role).mutate(
        IMPORT, {"source": "CRM_IMPORT", "contentBase64": content}
    )

    # then the office may; others are refused
    if role in (Role.DISPATCHER, Role.ADMIN):
        assert payload["userErrors"] == [] and payload["createdCount"] == 1
    else:
        assert error_codes(payload) == ["UNAUTHENTICATED" if role is None else "FORBIDDEN"]
