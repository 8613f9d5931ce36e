"""Contract offer queries and mutations: renewals, inquiries, re-offers, answers, the pipeline."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import strawberry

from app.contracts.models import ContractKind
from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, NotFound
from app.core.models import utcnow
from app.customers.repository import may_act_for
from app.renewals import repository, service
from app.renewals.models import Offer, RenewalPolicy
from resolvers.base import execute
from schema.context import Info
from schema.ids import decode_id, decode_ids, decode_optional_id
from schema.node import register_node
from schema.pagination import FirstItems, paginate
from schema.permissions import allow, staff
from schema.renewals import (
    AnswerContractOfferInput,
    ConfirmContractOrderInput,
    ContractExpiryMonth,
    ContractOfferPayload,
    CreateContractInquiryInput,
    CreateRenewalOfferInput,
    OfferConnection,
    OfferContractInput,
    OfferStageFigure,
    OfferTermsInput,
    OfferType,
    RenewalPolicyPayload,
    RenewalPolicyType,
    RenewalRate,
    UpdateRenewalPolicyInput,
)
from schema.renewals import OfferKind as OfferKindEnum
from schema.renewals import OfferStage as OfferStageEnum

register_node(OfferType, repository.get_readable, OfferType.from_model)

OFFER_WRITERS = (Role.ADMIN, Role.MANAGER, Role.AGENT)
"""Staff who sell: admins, managers and agents (dispatchers plan work, they do not sell)."""
ANSWERERS = (*OFFER_WRITERS, Role.DISPATCHER, Role.CUSTOMER)


def _terms(terms: OfferTermsInput | None) -> service.Terms:
    if terms is None:
        return service.Terms()
    values: dict[str, Any] = {
        name: getattr(terms, name)
        for name in (
            "contract_kind",
            "starts_on",
            "ends_on",
            "covers_labour",
            "covers_parts",
            "visits_per_year",
            "sla_response_hours",
            "sla_resolution_hours",
            "valid_until",
            "notes",
        )
    }
    if terms.price is not None:
        if terms.price.amount < 0:
            raise DomainError("the price may not be negative", ErrorCode.INVALID, ["price"])
        values |= {"price": terms.price.amount, "currency": terms.price.currency}
    if terms.covered_asset_ids is not None:
        values["covered_asset_ids"] = decode_ids(
            [str(i) for i in terms.covered_asset_ids], "Asset", "coveredAssetIds"
        )
    if terms.covered_site_ids is not None:
        values["covered_site_ids"] = decode_ids(
            [str(i) for i in terms.covered_site_ids], "Site", "coveredSiteIds"
        )
    return service.Terms(**values)


async def _answerable(info: Info, offer_id: strawberry.ID) -> int:
    """The offer's id when the caller may answer it: staff, or the customer it is made to."""
    db_id = decode_id(offer_id, "ContractOffer", "offerId")
    principal: Principal = info.context.require_principal()
    customer_id = await repository.customer_of(info.context.session, db_id)
    if customer_id is None or not may_act_for(principal, customer_id):
        raise NotFound("offer", ["offerId"])
    return db_id


def _via(info: Info) -> str:
    principal = info.context.principal
    return "APP" if principal is not None and principal.role is Role.CUSTOMER else "STAFF"


@strawberry.type
class RenewalsQuery:
    @strawberry.field(
        extensions=[allow(*ANSWERERS)],
        description=(
            "Renewal and new-contract offers, newest first: every offer for staff, their own "
            "for a customer."
        ),
    )
    async def contract_offers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        stage: Annotated[
            list[OfferStageEnum] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only offers at these stages."),
        ] = None,
        kind: Annotated[
            OfferKindEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only renewals, or only new-contract offers."),
        ] = None,
        customer_id: strawberry.ID | None = None,
        contract_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the renewal offers of this contract."),
        ] = None,
    ) -> OfferConnection:
        return await paginate(
            info.context.session,
            repository.listed(
                info.context.principal,
                stages=stage,
                kind=kind,
                customer_id=decode_optional_id(customer_id, "Customer", "customerId"),
                contract_id=decode_optional_id(contract_id, "Contract", "contractId"),
            ),
            Offer.id,
            settings=info.context.settings,
            first=first,
            after=after,
            to_node=OfferType.from_model,
            newest_first=True,
        )

    @strawberry.field(
        extensions=[staff(), FirstItems(20)], description="The renewal policy of every kind."
    )
    async def renewal_policies(self, info: Info) -> list[RenewalPolicyType]:
        session = info.context.session
        return [
            RenewalPolicyType.from_model(await service.policy_for(session, kind))
            for kind in ContractKind
        ]

    @strawberry.field(
        extensions=[staff(), FirstItems(50)],
        description=(
            "The offer pipeline: offers by stage and kind with their value (superseded "
            "versions left out), optionally only those created in a period."
        ),
    )
    async def contract_offer_pipeline(
        self,
        info: Info,
        created_from: Annotated[
            date | None, strawberry.argument(description="Created on or after this day.")
        ] = None,
        created_to: Annotated[
            date | None, strawberry.argument(description="Created on or before this day.")
        ] = None,
    ) -> list[OfferStageFigure]:
        figures = await repository.by_stage(info.context.session, created_from, created_to)
        return [OfferStageFigure.from_value(f) for f in figures]

    @strawberry.field(
        extensions=[staff()],
        description=(
            "Renewal rate of the contracts ending in a period (default: the year before today "
            "and the 90 days after, whose renewals are mostly decided)."
        ),
    )
    async def renewal_rate(
        self,
        info: Info,
        ends_from: Annotated[
            date | None, strawberry.argument(description="First day; default a year before today.")
        ] = None,
        ends_to: Annotated[
            date | None, strawberry.argument(description="Last day; default 90 days after today.")
        ] = None,
    ) -> RenewalRate:
        today = utcnow().date()
        to = ends_to or today + timedelta(days=90)
        since = ends_from or today - timedelta(days=365)
        if since > to:
            raise DomainError("endsFrom is after endsTo", ErrorCode.INVALID, ["endsFrom"])
        value = await repository.renewal_rate(info.context.session, since, to)
        return RenewalRate.from_value(since, to, value)

    @strawberry.field(
        extensions=[staff()],
        description="Contracts ending per month, from a month on (default: this month, 12 months).",
    )
    async def contracts_expiring_by_month(
        self,
        info: Info,
        since: Annotated[
            date | None, strawberry.argument(description="A day of the first month.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="How many months, 1 to 36 (default 12).")
        ] = 12,
    ) -> list[ContractExpiryMonth]:
        if not 1 <= first <= 36:
            raise DomainError("first is 1 to 36 months", ErrorCode.INVALID, ["first"])
        start = since or utcnow().date()
        if not 1900 <= start.year <= 9000:
            raise DomainError("since is out of range", ErrorCode.INVALID, ["since"])
        rows = await repository.expiring_by_month(info.context.session, start, first)
        return [
            ContractExpiryMonth(
                month=r.month, count=r.count, value=r.value, renewed=r.renewed, offered=r.offered
            )
            for r in rows
        ]


@strawberry.type
class RenewalsMutation:
    @strawberry.mutation(
        extensions=[allow(*OFFER_WRITERS)],
        description=(
            "Offer a contract's renewal now, priced by its kind's policy unless terms say "
            "otherwise, and send it; one open renewal offer per contract."
        ),
    )
    async def create_renewal_offer(
        self, info: Info, input: CreateRenewalOfferInput
    ) -> ContractOfferPayload:
        async def action() -> ContractOfferPayload:
            offer = await service.create_renewal_offer(
                info.context.session,
                decode_id(input.contract_id, "Contract", "contractId"),
                _terms(input.terms),
                info.context.subject,
                utcnow(),
            )
            return ContractOfferPayload(offer=OfferType.from_model(offer))

        return await execute(
            info, ContractOfferPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*OFFER_WRITERS, Role.CUSTOMER)],
        description=(
            "Record an inquiry for a first contract (staff, or the customer for themselves): "
            "the start of a new-contract offer."
        ),
    )
    async def create_contract_inquiry(
        self, info: Info, input: CreateContractInquiryInput
    ) -> ContractOfferPayload:
        async def action() -> ContractOfferPayload:
            customer_id = decode_id(input.customer_id, "Customer", "customerId")
            if not may_act_for(info.context.require_principal(), customer_id):
                raise NotFound("customer", ["customerId"])
            offer = await service.create_inquiry(
                info.context.session,
                customer_id,
                input.contract_kind,
                input.notes,
                info.context.subject,
                utcnow(),
            )
            return ContractOfferPayload(offer=OfferType.from_model(offer))

        return await execute(
            info, ContractOfferPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*OFFER_WRITERS)],
        description=(
            "Offer terms and send them: an inquiry becomes an offer; an offered, declined or "
            "expired offer is re-offered as a new version that supersedes it."
        ),
    )
    async def offer_contract(self, info: Info, input: OfferContractInput) -> ContractOfferPayload:
        async def action() -> ContractOfferPayload:
            offer = await service.make_offer(
                info.context.session,
                decode_id(input.offer_id, "ContractOffer", "offerId"),
                _terms(input.terms),
                input.expected_version,
                info.context.subject,
                utcnow(),
            )
            return ContractOfferPayload(offer=OfferType.from_model(offer))

        return await execute(
            info, ContractOfferPayload, action, idempotency_key=input.idempotency_key
        )

    @strawberry.mutation(
        extensions=[allow(*ANSWERERS)],
        description=(
            "Accept an offer (the customer, or staff on their behalf): a renewal becomes the "
            "contract's next period at once; a new-contract offer waits for order confirmation. "
            "Accepting again changes nothing."
        ),
    )
    async def accept_contract_offer(
        self, info: Info, input: AnswerContractOfferInput
    ) -> ContractOfferPayload:
        return await _answer(info, input, accept=True)

    @strawberry.mutation(
        extensions=[allow(*ANSWERERS)],
        description="Decline an offer, with the reason kept as the lost reason.",
    )
    async def decline_contract_offer(
        self, info: Info, input: AnswerContractOfferInput
    ) -> ContractOfferPayload:
        return await _answer(info, input, accept=False)

    @strawberry.mutation(
        extensions=[allow(*OFFER_WRITERS)],
        description="Confirm the order of an accepted new-contract offer: the contract is created.",
    )
    async def confirm_contract_order(
        self, info: Info, input: ConfirmContractOrderInput
    ) -> ContractOfferPayload:
        async def action() -> ContractOfferPayload:
            offer = await service.confirm_order(
                info.context.session,
                decode_id(input.offer_id, "ContractOffer", "offerId"),
                input.expected_version,
                utcnow(),
            )
            return ContractOfferPayload(offer=OfferType.from_model(offer))

        return await execute(info, ContractOfferPayload, action)

    @strawberry.mutation(
        extensions=[allow(Role.ADMIN, Role.MANAGER)],
        description="Change the renewal policy of one contract kind (admins and managers).",
    )
    async def update_renewal_policy(
        self, info: Info, input: UpdateRenewalPolicyInput
    ) -> RenewalPolicyPayload:
        async def action() -> RenewalPolicyPayload:
            values = {
                name: getattr(input, name)
                for name in RenewalPolicy.model_fields
                if name not in ("contract_kind", "version", "updated_at")
                and getattr(input, name, None) is not None
            }
            policy = await service.update_policy(
                info.context.session, input.contract_kind, values, input.expected_version
            )
            return RenewalPolicyPayload(policy=RenewalPolicyType.from_model(policy))

        return await execute(info, RenewalPolicyPayload, action)


async def _answer(
    info: Info, input: AnswerContractOfferInput, *, accept: bool
) -> ContractOfferPayload:
    async def action() -> ContractOfferPayload:
        offer = await service.answer_by_id(
            info.context.session,
            await _answerable(info, input.offer_id),
            accept=accept,
            via=_via(info),
            expected=input.expected_version,
            reason=input.reason,
        )
        return ContractOfferPayload(offer=OfferType.from_model(offer))

    return await execute(info, ContractOfferPayload, action)
