"""GET /kpis.csv: the same figures as the query, streamed as CSV, same roles and bounds."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from tests.kpis import helpers
from tests.support import GraphQLClient, token
from tests.work_orders import factories

TODAY = date.today()


def _params(**extra: str) -> dict[str, str]:
    return {
        "metrics": "JOBS_COMPLETED,FIRST_TIME_FIX_RATE,CSAT_AVERAGE",
        "dimensions": "DAY,TERRITORY",
        "from": (TODAY - timedelta(days=2)).isoformat(),
        "to": (TODAY + timedelta(days=1)).isoformat(),
    } | extra


async def test_a_manager_downloads_the_figures_as_csv(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given a completed job rated 3 in a territory
    w = await factories.world(session)
    task = await helpers.new_task(session, w)
    assert task.id is not None
    for step in (helpers.assign, helpers.arrive, helpers.complete):
        assert await helpers.committed(session, step(session, w, task.id))
    assert await helpers.committed(session, helpers.rate(session, w, task.id, 3))
    # when a manager downloads that territory's figures
    headers = {"Authorization": f"Bearer {token(gql.settings, Role.MANAGER)}"}
    params = _params(territoryIds=str(w.territory.id))
    response = await gql.http.get("/kpis.csv", params=params, headers=headers)
    # then it is one CSV row per day and territory with exact figures
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "bucket",
        "territory",
        "jobs_completed",
        "first_time_fix_rate",
        "csat_average",
    ]
    assert len(rows) == 2
    assert rows[1][1:3] == [str(w.territory.id), "1"]
    assert rows[1][3:] and rows[1][4] == "3"


async def test_the_export_refuses_like_the_query(gql: GraphQLClient) -> None:
    anonymous = await gql.http.get("/kpis.csv", params=_params())
    assert anonymous.status_code == 401
    as_technician = {"Authorization": f"Bearer {token(gql.settings, Role.TECHNICIAN)}"}
    refused = await gql.http.get("/kpis.csv", params=_params(), headers=as_technician)
    assert (refused.status_code, refused.json()["error"]) == (403, "FORBIDDEN")
    as_admin = {"Authorization": f"Bearer {token(gql.settings, Role.ADMIN)}"}
    backwards = _params(**{"from": "2026-05-01", "to": "2026-04-01"})
    invalid = await gql.http.get("/kpis.csv", params=backwards, headers=as_admin)
    assert (invalid.status_code, invalid.json()["field"]) == (400, ["to"])
    unknown = await gql.http.get("/kpis.csv", params=_params(metrics="NOPE"), headers=as_admin)
    assert unknown.json()["error"] == "INVALID"


async def test_hostile_filters_are_refused_by_the_export_and_the_query(gql: GraphQLClient) -> None:
    as_admin = {"Authorization": f"Bearer {token(gql.settings, Role.ADMIN)}"}
    # an id far beyond any column's range, and a thousand ids, are refused before any query
    huge = _params(territoryIds=str(10**30))
    refused = await gql.http.get("/kpis.csv", params=huge, headers=as_admin)
    assert (refused.status_code, refused.json()["field"]) == (400, ["filters", "territoryIds"])
    many = _params(technicianIds=",".join(str(i) for i in range(1, 1001)))
    refused = await gql.http.get("/kpis.csv", params=many, headers=as_admin)
    assert (refused.status_code, refused.json()["field"]) == (400, ["filters", "technicianIds"])
    long_type = _params(taskTypes="X" * 500)
    refused = await gql.http.get("/kpis.csv", params=long_type, headers=as_admin)
    assert (refused.status_code, refused.json()["field"]) == (400, ["filters", "taskTypes"])
    # and the GraphQL query answers the same with a typed error
    query = """
    query($p: [Int!]) { kpis(metrics: [JOBS_COMPLETED], dimensions: [], from: "2026-01-01",
      to: "2026-01-31", filters: {priorities: $p}) { rows { bucket } userErrors { field code } } }
    """
    body = await gql.as_role(Role.ADMIN)(query, {"p": list(range(1000))})
    assert body["kpis"] == {
        "rows": [],
        "userErrors": [{"field": ["filters", "priorities"], "code": "INVALID"}],
    }
