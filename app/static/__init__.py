"""Files the server serves as they are: GraphiQL and its libraries, so the IDE works offline.

`graphiql/index.html` is strawberry's GraphiQL page with every script and stylesheet pointing
at the copies in `graphiql/<package>@<version>/`; `vendor_graphiql.py` makes both again.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

GRAPHIQL_DIR = Path(__file__).resolve().parent / "graphiql"
GRAPHIQL_URL = "/static/graphiql"


@lru_cache(maxsize=1)
def graphiql_html() -> str:
    return (GRAPHIQL_DIR / "index.html").read_text(encoding="utf-8")


def graphiql_assets() -> Mount:
    return Mount(GRAPHIQL_URL, app=StaticFiles(directory=GRAPHIQL_DIR), name="graphiql")
