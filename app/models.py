"""Every table, imported once so that SQLModel.metadata is complete (Alembic, tests)."""

from app.assets.models import Asset, ProductModel
from app.contracts.models import Contract, ContractCoverage
from app.core.idempotency import IdempotencyRecord
from app.customers.models import Customer, Site
from app.partners.models import Partner
from app.technicians.models import (
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
    WorkingHours,
)
from app.territories.models import Territory, TerritoryHoliday
from app.users.models import User

__all__ = [
    "Asset",
    "Contract",
    "ContractCoverage",
    "Customer",
    "IdempotencyRecord",
    "Partner",
    "ProductModel",
    "Site",
    "Skill",
    "Technician",
    "TechnicianSkill",
    "Territory",
    "TerritoryHoliday",
    "TerritoryMembership",
    "TimeOff",
    "User",
    "WorkingHours",
]
