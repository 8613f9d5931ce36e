"""Every table, imported once so that SQLModel.metadata is complete (Alembic, tests).

Each domain's tables live in `app/<domain>/models.py`; they are found by that name, so a new
domain needs no line here.
"""

from app.core import idempotency
from app.core.discovery import domain_modules

MODEL_MODULES = [idempotency, *domain_modules("models")]
