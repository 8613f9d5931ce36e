"""the job engine's schema (Procrastinate 3.10.0: jobs, events, workers, periodic defers)

The SQL is the engine's own `schema.sql` of the pinned version, kept beside the migrations
(`migrations/sql/`). Upgrading the engine takes a new migration that applies its
`sql/migrations/*.sql` files released after that version.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op
from sqlalchemy.util import await_only

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).resolve().parents[1] / "sql" / "procrastinate-3.10.0.sql"

DROP = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || item.signature || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type,
    procrastinate_job_to_defer_v1 CASCADE;
"""


def _run_script(sql: str) -> None:
    """A multi-statement script through the driver's simple query protocol (asyncpg)."""
    driver = op.get_bind().connection.driver_connection
    await_only(driver.execute(sql))  # type: ignore[union-attr]


def upgrade() -> None:
    _run_script(SCHEMA.read_text())


def downgrade() -> None:
    _run_script(DROP)
