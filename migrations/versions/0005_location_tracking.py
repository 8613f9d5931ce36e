"""Location tracking: tracking policies and the day-partitioned location ping series.

Pings are range-partitioned by UTC day on recorded_at rather than kept in one table with a
BRIN index: retention becomes `DROP TABLE` of whole days (no DELETE, no vacuum debt), reads
for a trail prune to the days they cover, and each partition's primary key (technician,
recorded_at) both rejects duplicate pings and serves per-technician time ranges. A BRIN index
alone could not enforce that uniqueness. `location_ping_partition(day)` creates a day on
demand (the service calls it for the days of each batch); this migration creates the days
around its run.

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITION_FUNCTION = """
CREATE FUNCTION location_ping_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    name text := 'location_pings_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('location_pings_partitions'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF location_pings FOR VALUES FROM (%L) TO (%L)',
                name,
                (day::timestamp AT TIME ZONE 'UTC'),
                ((day + 1)::timestamp AT TIME ZONE 'UTC')
            );
        END IF;
    END IF;
    RETURN name;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "tracking_policies",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "ALWAYS",
                "SHIFT_ONLY",
                "TASK_ONLY",
                name="trackingmode",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("max_speed_mps", sa.Float(), nullable=False),
        sa.Column("max_accuracy_meters", sa.Float(), nullable=False),
        sa.Column("max_age_hours", sa.Integer(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "tracking_policies_territory_key",
        "tracking_policies",
        ["territory_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "location_pings",
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "location",
            geoalchemy2.types.Geography(
                geometry_type="POINT",
                srid=4326,
                spatial_index=False,
                from_text="ST_GeogFromText",
                name="geography",
            ),
            nullable=False,
        ),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("speed_mps", sa.Float(), nullable=True),
        sa.Column("heading", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("technician_id", "recorded_at"),
        postgresql_partition_by="RANGE (recorded_at)",
    )
    op.execute(PARTITION_FUNCTION)
    op.execute(
        "SELECT location_ping_partition(d::date) FROM generate_series("
        "current_date - 7, current_date + 30, interval '1 day') AS d"
    )
    op.execute(
        "INSERT INTO tracking_policies (created_at, updated_at, version, mode, max_speed_mps,"
        " max_accuracy_meters, max_age_hours, retention_days, territory_id)"
        " VALUES (now(), now(), 1, 'SHIFT_ONLY', 70, 500, 72, 90, NULL)"
    )


def downgrade() -> None:
    op.drop_table("location_pings")
    op.execute("DROP FUNCTION location_ping_partition(date)")
    op.drop_index("tracking_policies_territory_key", table_name="tracking_policies")
    op.drop_table("tracking_policies")
