"""Spreadsheet imports: all or nothing, with a row-level report."""

from __future__ import annotations

import base64
import io
import json

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from schema.ids import encode_id
from tests.inventory import factories
from tests.support import GraphQLClient, error_codes, token

IMPORT_PARTS = """
mutation($input: ImportSheetInput!) {
  importParts(input: $input) {
    rows created updated unchanged rowErrors { row column message } userErrors { field code }
  }
}
"""
IMPORT_STOCK = """
mutation($input: ImportSheetInput!) {
  importStock(input: $input) {
    rows updated unchanged movements rowErrors { row column message } userErrors { field code }
  }
}
"""
PARTS = "query { parts(first: 50) { totalCount edges { node { sku unitPrice { amount } } } } }"
LEVELS = """
query($location: ID) {
  stockLevels(locationId: $location) { edges { node { onHand part { sku } } } }
}
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_a_csv_with_one_bad_row_imports_nothing_and_names_each_bad_cell(
    gql: GraphQLClient,
) -> None:
    sheet = (
        "SKU,Name,Unit cost,Unit price,Currency,Accessory\n"
        "FLT-01,Filter,120,180,INR,no\n"
        "FLT-02,,abc,180,INR,maybe\n"
        "FLT-01,Filter again,1,2,INR,yes\n"
    )

    payload = await gql.mutate(IMPORT_PARTS, {"contentBase64": b64(sheet), "filename": "p.csv"})

    assert error_codes(payload) == ["INVALID"]
    assert [(e["row"], e["column"]) for e in payload["rowErrors"]] == [
        (3, "accessory"),
        (3, "name"),
        (3, "unit_cost"),
        (4, "sku"),
    ]
    assert (await gql(PARTS))["parts"]["totalCount"] == 0


async def test_a_clean_xlsx_upload_creates_and_then_updates_parts(gql: GraphQLClient) -> None:
    def workbook(price: float) -> bytes:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["sku", "name", "unit_cost", "unit_price", "accessory"])
        sheet.append(["REM-01", "Remote", 150, price, "yes"])
        sheet.append(["CAP-35", "Capacitor 35uF", 40.5, 90, ""])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    first = await _upload(gql, IMPORT_PARTS, workbook(450), "parts.xlsx")
    second = await _upload(gql, IMPORT_PARTS, workbook(475), "parts.xlsx")

    assert (first["created"], first["updated"], first["rowErrors"]) == (2, 0, [])
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 1, 1)
    prices = {
        e["node"]["sku"]: e["node"]["unitPrice"]["amount"]
        for e in (await gql(PARTS))["parts"]["edges"]
    }
    assert prices == {"REM-01": "475.00", "CAP-35": "90.00"}


async def _upload(gql: GraphQLClient, document: str, content: bytes, name: str) -> dict:
    """A GraphQL multipart request (the upload spec), as a browser or phone sends it."""
    operations = {"query": document, "variables": {"input": {"file": None, "filename": name}}}
    response = await gql.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (name, content, "application/octet-stream")},
        headers={"Authorization": f"Bearer {token(gql.settings, Role.ADMIN)}"},
    )
    body = response.json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload  # type: ignore[no-any-return]


async def test_stock_counts_set_levels_through_receive_and_adjust_movements(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given 5 units of one part counted before, and a second part never stocked
    main = await factories.warehouse(session, "CNT")
    known, fresh = await factories.part(session, "KN-1"), await factories.part(session, "FR-1")
    from app.inventory import stock
    from app.inventory.ledger import Stamp
    from app.inventory.models import MovementLine

    await stock.receive(
        session,
        main.id,
        [MovementLine(part_id=known.id, quantity=5)],
        Stamp(actor="t"),  # type: ignore[arg-type]
    )
    sheet = "location,sku,quantity\nCNT,KN-1,3\nCNT,FR-1,7\n"

    # when a count sheet says 3 and 7
    payload = await gql.mutate(IMPORT_STOCK, {"contentBase64": b64(sheet)})

    # then the levels match the count, via one ADJUST and one RECEIVE
    assert (payload["updated"], payload["movements"], payload["rowErrors"]) == (2, 2, [])
    edges = (await gql(LEVELS, {"location": encode_id("StockLocation", main.id)}))["stockLevels"]
    assert {e["node"]["part"]["sku"]: e["node"]["onHand"] for e in edges["edges"]} == {
        "KN-1": 3,
        "FR-1": 7,
    }
    assert fresh.id is not None


async def test_a_stock_sheet_with_unknown_references_changes_nothing(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    main = await factories.warehouse(session, "REF")
    await factories.part(session, "OK-1")
    sheet = "location,sku,quantity\nREF,OK-1,4\nNOPE,OK-1,2\nREF,GHOST,1\nREF,OK-1,-3\n"

    payload = await gql.mutate(IMPORT_STOCK, {"contentBase64": b64(sheet)})

    assert [(e["row"], e["column"]) for e in payload["rowErrors"]] == [
        (3, "location"),
        (4, "sku"),
        (5, "quantity"),
    ]
    edges = (await gql(LEVELS, {"location": encode_id("StockLocation", main.id)}))["stockLevels"]
    assert edges["edges"] == []


async def test_an_import_needs_exactly_one_source(gql: GraphQLClient) -> None:
    neither = await gql.mutate(IMPORT_PARTS, {"filename": "x.csv"})
    garbage = await gql.mutate(IMPORT_PARTS, {"contentBase64": "%%%"})

    assert neither["userErrors"] == [{"field": ["file"], "code": "INVALID"}]
    assert garbage["userErrors"] == [{"field": ["contentBase64"], "code": "INVALID"}]


CATEGORIES = "query { parts(first: 50) { edges { node { sku category } } } }"


async def test_a_category_column_sets_categories_and_a_sheet_without_it_keeps_them(
    gql: GraphQLClient,
) -> None:
    # given parts imported with their categories
    with_categories = (
        "SKU,Name,Unit cost,Unit price,Category\n"
        "GAS-R32,R32 gas,900,1400,REFRIGERANT\n"
        "FLT-9,Filter,120,180,\n"
    )
    first = await gql.mutate(
        IMPORT_PARTS, {"contentBase64": b64(with_categories), "filename": "p.csv"}
    )
    assert (first["created"], first["userErrors"]) == (2, [])
    # when a later price sheet without the column is imported
    prices_only = "SKU,Name,Unit cost,Unit price\nGAS-R32,R32 gas,950,1450\nFLT-9,Filter,120,180\n"
    second = await gql.mutate(
        IMPORT_PARTS, {"contentBase64": b64(prices_only), "filename": "p.csv"}
    )
    # then prices change and categories stay
    assert (second["updated"], second["unchanged"]) == (1, 1)
    listed = {
        e["node"]["sku"]: e["node"]["category"] for e in (await gql(CATEGORIES))["parts"]["edges"]
    }
    assert listed == {"GAS-R32": "REFRIGERANT", "FLT-9": None}
    # and a malformed category is reported on its cell
    bad = "SKU,Name,Unit cost,Unit price,Category\nGAS-R32,R32 gas,950,1450,not valid\n"
    third = await gql.mutate(IMPORT_PARTS, {"contentBase64": b64(bad), "filename": "p.csv"})
    assert [(e["row"], e["column"]) for e in third["rowErrors"]] == [(2, "category")]
