"""GraphQL types of renewal and new-contract offers, renewal policies and the pipeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.contracts.models import Contract
from app.customers.models import Customer
from app.renewals import models, repository
from app.renewals.models import Offer, RenewalPolicy
from app.renewals.service import offer_ref
from schema.common import Money, MoneyInput
from schema.context import Info
from schema.contracts import ContractKind, ContractType
from schema.customers import CustomerType
from schema.errors import Payload
from schema.node import Node
from schema.pagination import Connection
from schema.permissions import internal

OfferKind = strawberry.enum(
    models.OfferKind, name="ContractOfferKind", description="Why a contract offer is made."
)
OfferStage = strawberry.enum(
    models.OfferStage,
    name="ContractOfferStage",
    description="Where a contract offer stands in the pipeline.",
)


@strawberry.type(
    name="ContractOffer",
    description=(
        "One version of a renewal or new-contract offer: its terms as sent, its stage and the "
        "customer's answer. A re-offer is a new version that supersedes the open one."
    ),
)
class OfferType(Node):
    reference: str = strawberry.field(description="Reference shown to the customer: OF-42/2.")
    kind: OfferKind = strawberry.field(  # type: ignore[valid-type]
        description="Renewal of a contract, or a first contract for the customer."
    )
    stage: OfferStage = strawberry.field(  # type: ignore[valid-type]
        description="Where the offer stands."
    )
    revision: int = strawberry.field(description="1 for the first offer, 2 for the first re-offer.")
    contract_kind: ContractKind = strawberry.field(  # type: ignore[valid-type]
        description="Kind of contract offered."
    )
    starts_on: date | None = strawberry.field(
        description="First day of the offered period; null while an inquiry."
    )
    ends_on: date | None = strawberry.field(
        description="Last day of the offered period (inclusive); null while an inquiry."
    )
    price: Money | None = strawberry.field(
        description="Price of the period offered; null while an inquiry."
    )
    price_basis: str = strawberry.field(
        extensions=[internal()],
        description="How the price was found (uplift on the previous price, or the price list).",
    )
    covers_labour: bool = strawberry.field(description="Whether labour is free under the offer.")
    covers_parts: bool = strawberry.field(description="Whether parts are free under the offer.")
    visits_per_year: int | None = strawberry.field(
        description="Preventive visits included per year; null when none stated."
    )
    sla_response_hours: int | None = strawberry.field(
        description="Promised response time in clock hours; null when none."
    )
    sla_resolution_hours: int | None = strawberry.field(
        description="Promised resolution time in clock hours; null when none."
    )
    valid_until: date | None = strawberry.field(
        description="Last day the offer can be accepted: a renewal's first offer runs to the "
        "contract's last day; a version sent after its deadline passed runs the policy's "
        "offerValidDays from the day it is sent."
    )
    sent_at: datetime | None = strawberry.field(description="When the offer was sent; null if not.")
    answered_at: datetime | None = strawberry.field(
        description="When the customer answered; null while unanswered."
    )
    answered_via: str | None = strawberry.field(
        description="How the answer came: APP, LINK or STAFF; null while unanswered."
    )
    lost_reason: str | None = strawberry.field(
        description="Why the customer declined; null unless declined."
    )
    notes: str | None = strawberry.field(
        extensions=[internal()], description="Internal notes; hidden from customers."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[Offer]

    @classmethod
    def from_model(cls, row: Offer) -> OfferType:
        assert row.id is not None
        return cls(
            db_id=row.id,
            reference=offer_ref(row),
            kind=row.kind,
            stage=row.stage,
            revision=row.revision,
            contract_kind=row.contract_kind,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            price=Money.of(row.price, row.currency),
            price_basis=row.price_basis,
            covers_labour=row.covers_labour,
            covers_parts=row.covers_parts,
            visits_per_year=row.visits_per_year,
            sla_response_hours=row.sla_response_hours,
            sla_resolution_hours=row.sla_resolution_hours,
            valid_until=row.valid_until,
            sent_at=row.sent_at,
            answered_at=row.answered_at,
            answered_via=row.answered_via,
            lost_reason=row.lost_reason,
            notes=row.notes,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(description="The customer the offer is made to.")
    async def customer(self, info: Info) -> CustomerType:
        row = await info.context.loaders.by_id(Customer).load(self.row.customer_id)
        assert row is not None
        return CustomerType.from_model(row)

    @strawberry.field(description="The contract this offer renews; null for a new contract.")
    async def contract(self, info: Info) -> ContractType | None:
        return await _contract(info, self.row.contract_id)

    @strawberry.field(
        description="The contract the offer became (accepted renewal, confirmed order)."
    )
    async def new_contract(self, info: Info) -> ContractType | None:
        return await _contract(info, self.row.new_contract_id)

    @strawberry.field(description="The version this one replaced; null for the first.")
    async def supersedes(self, info: Info) -> OfferType | None:
        if self.row.supersedes_id is None:
            return None
        row = await info.context.loaders.by_id(Offer).load(self.row.supersedes_id)
        return OfferType.from_model(row) if row else None


async def _contract(info: Info, contract_id: int | None) -> ContractType | None:
    if contract_id is None:
        return None
    row = await info.context.loaders.by_id(Contract).load(contract_id)
    return ContractType.from_model(row) if row else None


OfferConnection = Connection[OfferType]


@strawberry.type(
    name="RenewalPolicy",
    description="How contracts of one kind are renewed: when, at what price, with what reminders.",
)
class RenewalPolicyType:
    contract_kind: ContractKind = strawberry.field(  # type: ignore[valid-type]
        description="The kind of contract the policy applies to."
    )
    lead_days: int = strawberry.field(description="Offer a renewal this many days before the end.")
    reminder_days: list[int] = strawberry.field(
        description="Remind this many days before the end while unanswered, e.g. [60, 30, 7]."
    )
    uplift_percent: Decimal = strawberry.field(
        description="Percent added to the previous period's price."
    )
    term_months: int = strawberry.field(description="Length of the renewed period in months.")
    visits_per_year: int = strawberry.field(
        description="Visits priced from the price list when a contract states none."
    )
    hours_per_visit: Decimal = strawberry.field(
        description="Labour hours per visit when pricing from the price list."
    )
    parts_loading_percent: Decimal = strawberry.field(
        description="Percent added to a list price when parts are covered."
    )
    offer_valid_days: int = strawberry.field(
        description="Days a new-contract offer, or a version re-sent after its deadline "
        "passed, stays open when no last day is given."
    )
    version: int
    updated_at: datetime

    @classmethod
    def from_model(cls, row: RenewalPolicy) -> RenewalPolicyType:
        return cls(
            contract_kind=row.contract_kind,
            lead_days=row.lead_days,
            reminder_days=list(row.reminder_days),
            uplift_percent=row.uplift_percent,
            term_months=row.term_months,
            visits_per_year=row.visits_per_year,
            hours_per_visit=row.hours_per_visit,
            parts_loading_percent=row.parts_loading_percent,
            offer_valid_days=row.offer_valid_days,
            version=row.version,
            updated_at=row.updated_at,
        )


@strawberry.type(description="Offers at one stage of the pipeline, with their total value.")
class OfferStageFigure:
    stage: OfferStage = strawberry.field(description="The stage.")  # type: ignore[valid-type]
    kind: OfferKind = strawberry.field(description="Renewal or new contract.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="Offers at this stage.")
    value: Money = strawberry.field(description="Sum of their prices.")

    @classmethod
    def from_value(cls, figure: repository.StageFigure) -> OfferStageFigure:
        return cls(
            stage=figure.stage,
            kind=figure.kind,
            count=figure.count,
            value=Money(amount=figure.value, currency=figure.currency),
        )


@strawberry.type(description="How the contracts ending in a period fared at renewal.")
class RenewalRate:
    ends_from: date = strawberry.field(description="First day of the period.")
    ends_to: date = strawberry.field(description="Last day of the period.")
    due: int = strawberry.field(description="Contracts ending in the period.")
    renewed: int = strawberry.field(description="Renewed: a new period exists.")
    declined: int = strawberry.field(description="The customer declined the latest offer.")
    expired: int = strawberry.field(description="The latest offer expired unanswered.")
    open: int = strawberry.field(description="An offer is still open.")
    not_offered: int = strawberry.field(description="No renewal offer was made.")
    rate: float | None = strawberry.field(
        description="Renewed over decided (renewed + declined + expired); null before any."
    )

    @classmethod
    def from_value(
        cls, ends_from: date, ends_to: date, value: repository.RenewalRate
    ) -> RenewalRate:
        return cls(
            ends_from=ends_from,
            ends_to=ends_to,
            due=value.due,
            renewed=value.renewed,
            declined=value.declined,
            expired=value.expired,
            open=value.open,
            not_offered=value.not_offered,
            rate=value.rate,
        )


@strawberry.type(description="Contracts ending in one month.")
class ContractExpiryMonth:
    month: date = strawberry.field(description="First day of the month.")
    count: int = strawberry.field(description="Contracts ending in the month (not archived).")
    value: Decimal = strawberry.field(
        description="Sum of their recorded prices (contracts without a price count 0)."
    )
    renewed: int = strawberry.field(description="Of these, renewed already.")
    offered: int = strawberry.field(description="Of these, with an offer waiting for an answer.")


@strawberry.input(description="Terms of an offer; omitted terms keep the offer's (or defaults).")
class OfferTermsInput:
    contract_kind: ContractKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Kind of contract offered."
    )
    starts_on: date | None = strawberry.field(default=None, description="First day of the period.")
    ends_on: date | None = strawberry.field(
        default=None, description="Last day of the period (inclusive)."
    )
    price: MoneyInput | None = strawberry.field(
        default=None, description="Price; a renewal without one is priced by the policy."
    )
    covers_labour: bool | None = strawberry.field(default=None, description="Labour covered.")
    covers_parts: bool | None = strawberry.field(default=None, description="Parts covered.")
    visits_per_year: int | None = strawberry.field(
        default=None, description="Preventive visits included per year, 0 to 365."
    )
    sla_response_hours: int | None = strawberry.field(
        default=None, description="Promised response time in clock hours."
    )
    sla_resolution_hours: int | None = strawberry.field(
        default=None, description="Promised resolution time in clock hours."
    )
    covered_asset_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The customer's assets covered."
    )
    covered_site_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The customer's sites covered (every asset at them)."
    )
    valid_until: date | None = strawberry.field(
        default=None, description="Last day the offer can be accepted."
    )
    notes: str | None = strawberry.field(default=None, description="Internal notes.")


@strawberry.input(description="Offer a renewal of a contract now, before the renewal job does.")
class CreateRenewalOfferInput:
    contract_id: strawberry.ID = strawberry.field(description="The contract to renew.")
    terms: OfferTermsInput | None = strawberry.field(
        default=None, description="Terms that differ from the policy's."
    )
    idempotency_key: str | None = None


@strawberry.input(description="A customer's inquiry for a first contract.")
class CreateContractInquiryInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer asking.")
    contract_kind: ContractKind = strawberry.field(  # type: ignore[valid-type]
        description="Kind of contract asked for."
    )
    notes: str | None = strawberry.field(default=None, description="What they asked for.")
    idempotency_key: str | None = None


@strawberry.input(
    description="Offer terms: an inquiry becomes an offer; an offered, declined or expired offer "
    "is re-offered as a new version."
)
class OfferContractInput:
    offer_id: strawberry.ID = strawberry.field(description="The inquiry or offer.")
    expected_version: int | None = None
    terms: OfferTermsInput = strawberry.field(description="The terms offered.")
    idempotency_key: str | None = None


@strawberry.input(description="The customer's answer to an offer.")
class AnswerContractOfferInput:
    offer_id: strawberry.ID = strawberry.field(description="The offer answered.")
    expected_version: int | None = None
    reason: str | None = strawberry.field(
        default=None, description="Why the customer declines (kept as the lost reason)."
    )


@strawberry.input(description="Confirm the order of an accepted new-contract offer.")
class ConfirmContractOrderInput:
    offer_id: strawberry.ID = strawberry.field(description="The accepted offer.")
    expected_version: int | None = None


@strawberry.input(description="Changes to the renewal policy of one contract kind.")
class UpdateRenewalPolicyInput:
    contract_kind: ContractKind = strawberry.field(  # type: ignore[valid-type]
        description="The kind whose policy changes."
    )
    expected_version: int | None = None
    lead_days: int | None = strawberry.field(default=None, description="1 to 730 days.")
    reminder_days: list[int] | None = strawberry.field(
        default=None, description="Days before the end to remind, 0 to 730 each."
    )
    uplift_percent: Decimal | None = strawberry.field(
        default=None, description="-100 to 1000 percent."
    )
    term_months: int | None = strawberry.field(default=None, description="1 to 60 months.")
    visits_per_year: int | None = strawberry.field(default=None, description="0 to 365 visits.")
    hours_per_visit: Decimal | None = strawberry.field(
        default=None, description="Labour hours per visit."
    )
    parts_loading_percent: Decimal | None = strawberry.field(
        default=None, description="Percent added when parts are covered."
    )
    offer_valid_days: int | None = strawberry.field(default=None, description="1 to 365 days.")


@strawberry.type
class ContractOfferPayload(Payload):
    offer: OfferType | None = strawberry.field(
        default=None, description="The offer as saved; null when the change failed."
    )


@strawberry.type
class RenewalPolicyPayload(Payload):
    policy: RenewalPolicyType | None = strawberry.field(
        default=None, description="The policy as saved; null when the change failed."
    )
