"""remote service: remote triage and resolution, expert assistance

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audited() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _ids(name: str) -> sa.Column[object]:
    return sa.Column(name, postgresql.ARRAY(sa.BigInteger()), server_default="{}", nullable=False)


def _fk_index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "remote_resolution_codes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        *_audited(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "remote_first_policies",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("request_category", sa.String(length=16), nullable=True),
        sa.Column("product_category", sa.String(length=16), nullable=True),
        sa.Column("remote_first", sa.Boolean(), nullable=False),
        *_audited(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_remote_first_policies_scope",
        "remote_first_policies",
        [sa.text("coalesce(request_category, '*')"), sa.text("coalesce(product_category, '*')")],
        unique=True,
    )
    op.create_table(
        "remote_cases",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("service_request_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("resolution_code_id", sa.BigInteger(), nullable=True),
        _ids("suspected_part_ids"),
        _ids("attachment_ids"),
        sa.Column(
            "required_skills",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("diagnosed_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_by_name", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_summary", sa.String(length=2000), nullable=True),
        sa.Column("escalated_by", sa.String(length=200), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        *_audited(),
        sa.CheckConstraint(
            "stage <> 'RESOLVED' OR (resolved_at IS NOT NULL AND resolution_code_id IS NOT NULL)",
            name="resolved_with_code",
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"], ["service_requests.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"]),
        sa.ForeignKeyConstraint(["resolution_code_id"], ["remote_resolution_codes.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_request_id"),
    )
    for column in ("customer_id", "territory_id", "resolution_code_id", "task_id", "stage"):
        _fk_index("remote_cases", column)
    op.create_index(
        "ix_remote_cases_stage_created", "remote_cases", ["stage", "created_at"], unique=False
    )
    op.create_table(
        "expert_profiles",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("technician_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("skill_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        *_audited(),
        sa.CheckConstraint("num_nonnulls(user_id, technician_id) = 1", name="one_person"),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("user_id", "technician_id", "skill_id"):
        _fk_index("expert_profiles", column)
    op.create_index(
        "uq_expert_profiles_person_skill",
        "expert_profiles",
        [sa.text("coalesce(user_id, 0)"), sa.text("coalesce(technician_id, 0)"), "skill_id"],
        unique=True,
    )
    op.create_table(
        "assist_escalation_steps",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("after_minutes", sa.Integer(), nullable=False),
        sa.Column("audience_role", sa.String(length=16), nullable=False),
        *_audited(),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),
        sa.CheckConstraint("after_minutes BETWEEN 1 AND 1440", name="after_range"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("level"),
    )
    op.create_table(
        "assist_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.Column("product_model_id", sa.BigInteger(), nullable=True),
        sa.Column("skill_id", sa.BigInteger(), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        _ids("attachment_ids"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("expert_profile_id", sa.BigInteger(), nullable=True),
        sa.Column("expert_name", sa.String(length=200), nullable=True),
        sa.Column("accepted_by", sa.String(length=200), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("call_link", sa.String(length=500), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        *_audited(),
        sa.CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),
        sa.CheckConstraint(
            "status = 'OPEN' OR status = 'CANCELLED' OR accepted_at IS NOT NULL",
            name="accepted_when_taken",
        ),
        sa.CheckConstraint(
            "call_link IS NULL OR call_link LIKE 'https://%'",
            name="https_link",
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"]),
        sa.ForeignKeyConstraint(["product_model_id"], ["product_models.id"]),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"]),
        sa.ForeignKeyConstraint(["expert_profile_id"], ["expert_profiles.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in (
        "task_id",
        "technician_id",
        "territory_id",
        "product_model_id",
        "skill_id",
        "expert_profile_id",
        "status",
    ):
        _fk_index("assist_requests", column)
    op.create_index(
        "ix_assist_requests_open",
        "assist_requests",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'OPEN'"),
    )


def downgrade() -> None:
    op.drop_table("assist_requests")
    op.drop_table("assist_escalation_steps")
    op.drop_table("expert_profiles")
    op.drop_table("remote_cases")
    op.drop_table("remote_first_policies")
    op.drop_table("remote_resolution_codes")
