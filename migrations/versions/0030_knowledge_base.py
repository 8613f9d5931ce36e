"""knowledge base: articles with versions, full-text and trigram search, votes, proposals

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_FUNCTION = """
CREATE OR REPLACE FUNCTION kb_articles_search() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    config regconfig := NEW.search_config::regconfig;
BEGIN
    NEW.keywords :=
        setweight(to_tsvector(config, coalesce(NEW.title, '')), 'A')
        || setweight(
            to_tsvector(
                config, array_to_string(NEW.symptoms || NEW.fault_codes || NEW.tags, ' ; ')
            ),
            'B'
        );
    NEW.search :=
        NEW.keywords || setweight(to_tsvector(config, coalesce(NEW.body_text, '')), 'C');
    RETURN NEW;
END
$$
"""


def _texts(name: str) -> sa.Column[list[str]]:
    return sa.Column(name, postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False)


def _jsonb(name: str) -> sa.Column[object]:
    return sa.Column(name, postgresql.JSONB(), server_default="[]", nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _audited() -> list[sa.Column[object]]:
    return [
        _when("created_at"),
        _when("updated_at"),
        _when("archived_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("search_config", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _texts("tags"),
        _texts("fault_codes"),
        _texts("symptoms"),
        _jsonb("media"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        _when("published_at", nullable=True),
        sa.Column("search", postgresql.TSVECTOR(), nullable=True),
        sa.Column("keywords", postgresql.TSVECTOR(), nullable=True),
        *_audited(),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )
    op.create_index("ix_kb_articles_search", "kb_articles", ["search"], postgresql_using="gin")
    op.create_index("ix_kb_articles_keywords", "kb_articles", ["keywords"], postgresql_using="gin")
    op.create_index(
        "ix_kb_articles_title_trgm",
        "kb_articles",
        ["title"],
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_kb_articles_fault_codes", "kb_articles", ["fault_codes"], postgresql_using="gin"
    )
    op.create_index("ix_kb_articles_tags", "kb_articles", ["tags"], postgresql_using="gin")
    op.create_index("ix_kb_articles_status_audience", "kb_articles", ["status", "audience"])
    op.execute(SEARCH_FUNCTION)
    op.execute(
        "CREATE TRIGGER kb_articles_search BEFORE INSERT OR UPDATE OF title, body_text, "
        "symptoms, fault_codes, tags, search_config ON kb_articles "
        "FOR EACH ROW EXECUTE FUNCTION kb_articles_search()"
    )

    op.create_table(
        "kb_article_models",
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("kb_articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "product_model_id",
            sa.BigInteger(),
            sa.ForeignKey("product_models.id"),
            primary_key=True,
        ),
    )
    op.create_index(
        op.f("ix_kb_article_models_product_model_id"), "kb_article_models", ["product_model_id"]
    )

    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("kb_articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        _texts("tags"),
        _texts("fault_codes"),
        _texts("symptoms"),
        _jsonb("media"),
        sa.Column(
            "product_model_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        _when("reviewed_at", nullable=True),
        sa.Column("change_note", sa.String(length=500), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.UniqueConstraint("article_id", "number"),
    )
    op.create_index(
        op.f("ix_kb_article_versions_article_id"), "kb_article_versions", ["article_id"]
    )

    op.create_table(
        "kb_votes",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("kb_articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("voter", sa.String(length=200), nullable=False),
        sa.Column("voter_role", sa.String(length=16), nullable=False),
        sa.Column(
            "task_id", sa.BigInteger(), sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "service_request_id",
            sa.BigInteger(),
            sa.ForeignKey("service_requests.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.CheckConstraint("num_nonnulls(task_id, service_request_id) = 1", name="one_job"),
    )
    op.create_index(op.f("ix_kb_votes_article_id"), "kb_votes", ["article_id"])
    op.create_index(op.f("ix_kb_votes_task_id"), "kb_votes", ["task_id"])
    op.create_index(op.f("ix_kb_votes_service_request_id"), "kb_votes", ["service_request_id"])
    op.create_index(
        "uq_kb_votes_voter_job",
        "kb_votes",
        [
            "article_id",
            "voter",
            sa.text("coalesce(task_id, 0)"),
            sa.text("coalesce(service_request_id, 0)"),
        ],
        unique=True,
    )

    op.create_table(
        "kb_proposals",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("kb_articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_by_role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        _when("decided_at", nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.Column("resulting_revision", sa.Integer(), nullable=True),
        *_audited(),
    )
    op.create_index(op.f("ix_kb_proposals_article_id"), "kb_proposals", ["article_id"])
    op.create_index(op.f("ix_kb_proposals_status"), "kb_proposals", ["status"])


def downgrade() -> None:
    op.drop_table("kb_proposals")
    op.drop_table("kb_votes")
    op.drop_table("kb_article_versions")
    op.drop_table("kb_article_models")
    op.drop_table("kb_articles")
    op.execute("DROP FUNCTION IF EXISTS kb_articles_search()")
