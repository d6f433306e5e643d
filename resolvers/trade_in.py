"""The trade-in page and the price grid: `submitTradeIn`, `instantQuote`, `updateTradeInPage`,
`importPriceGrid`, `priceGrid`."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt
from graphql_api.types.common import money
from graphql_api.types.devices import (
    AppliedDeduction,
    CsvImportReport,
    InstantQuote,
    SubmitTradeInPayload,
)
from graphql_api.types.enums import CarrierLock, DeviceCondition
from graphql_api.types.organization import Organization, load_organization
from graphql_api.types.payloads import fresh_quote
from graphql_api.types.quote import Quote
from models.services import price_grid, trade_in
from models.services.caller import Caller
from models.services.requests import SubmissionIn
from resolvers.inputs import ConditionAnswerInput, ContactInput, DeviceInput


@strawberry.input(description="A trade-in from an organization's public page.")
class SubmitTradeInInput:
    organization_slug: str
    contact: ContactInput
    devices: list[DeviceInput]
    message: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key again returns the first result instead of submitting twice.",
    )


@strawberry.input(description="A device to price before submitting it.")
class InstantQuoteInput:
    organization_slug: str
    brand: str
    model: str
    condition: DeviceCondition
    storage: str | None = None
    carrier_lock: CarrierLock | None = strawberry.field(
        default=None, description="Unknown locks are priced as LOCKED."
    )
    condition_answers: list[ConditionAnswerInput] | None = None


@strawberry.type(description="The grid's price for the device, or why it cannot say.")
class InstantQuotePayload:
    quote: InstantQuote | None = strawberry.field(
        description="Null when the grid has no price for this device."
    )
    user_errors: list[UserError]


@strawberry.input(description="One question of the condition questionnaire.")
class ConditionQuestionInput:
    key: str = strawberry.field(description="Lowercase letters, digits and _, e.g. screen.")
    label: str
    options: list[str]


@strawberry.input(description="Leave a field out to keep it.")
class UpdateTradeInPageInput:
    condition_questions: list[ConditionQuestionInput] | None = strawberry.field(
        default=None, description="Replaces the whole questionnaire (at most 20 questions)."
    )
    shows_instant_offers: bool | None = strawberry.field(
        default=None,
        description="Customers see instant offers at once (and `instantQuote` answers the public).",
    )


@strawberry.type(description="The organization as its trade-in page now reads it.")
class UpdateTradeInPagePayload:
    organization: Organization | None
    user_errors: list[UserError]


@strawberry.input(description="CSV texts; leave one out to keep that part of the grid.")
class ImportPriceGridInput:
    prices: str | None = strawberry.field(
        default=None,
        description="Columns brand,model,storage,grade,carrier_lock,base_price,floor_price.",
    )
    deductions: str | None = strawberry.field(
        default=None, description="Columns question,answer,kind,amount (kind FIXED or PERCENT)."
    )
    replace: bool | None = strawberry.field(
        default=None, description="Remove the entries the given files do not list."
    )


@strawberry.type(description="What each part of the grid import did.")
class ImportPriceGridPayload:
    prices: CsvImportReport | None = strawberry.field(description="Null when no prices were sent.")
    deductions: CsvImportReport | None = strawberry.field(
        description="Null when no deductions were sent."
    )
    user_errors: list[UserError]


@strawberry.type(description="The organization's price grid as CSV, the format the import reads.")
class PriceGridCsv:
    prices: str = strawberry.field(
        description="brand,model,storage,grade,carrier_lock,base_price,floor_price"
    )
    deductions: str = strawberry.field(description="question,answer,kind,amount")


async def _as_its_customer(info: Info, quote_id: int, organization_id: int) -> Quote | None:
    """The new quote for whoever submitted it, who holds its link (the token in the payload)
    though the request carried none; staff of another organization get only the link."""
    caller = info.context.caller
    if caller.is_staff and caller.organization_id != organization_id:
        return None
    if caller.is_staff:
        return await fresh_quote(info, quote_id)
    info.context.loaders.forget_quote(quote_id)
    record = await info.context.loaders.quote_by_id.load(quote_id)
    return None if record is None else Quote.from_record(record)


async def _export(caller: Caller) -> PriceGridCsv:
    caller.require_staff()
    assert caller.organization_id is not None
    return PriceGridCsv(
        prices=await price_grid.export_prices(caller.organization_id),
        deductions=await price_grid.export_deductions(caller.organization_id),
    )


@strawberry.type
class TradeInQueries:
    @strawberry.field(
        description="What the organization would pay for a device now, from its price grid (public where it shows instant offers)."
    )
    async def instant_quote(self, info: Info, input: InstantQuoteInput) -> InstantQuotePayload:
        device = trade_in.described(
            input.brand,
            input.model,
            input.storage,
            input.condition,
            input.carrier_lock,
            [(a.question, a.answer) for a in input.condition_answers or []],
        )
        result = await attempt(
            trade_in.instant_quote(info.context.caller, input.organization_slug, device)
        )
        if isinstance(result, list):
            return InstantQuotePayload(quote=None, user_errors=result)
        organization, offer = result
        if offer is None:
            return InstantQuotePayload(quote=None, user_errors=[])
        currency = organization.currency_code
        amount, base = money(offer.amount, currency), money(offer.base_price, currency)
        assert amount is not None and base is not None
        return InstantQuotePayload(
            quote=InstantQuote(
                offer=amount,
                base_price=base,
                deductions=[
                    AppliedDeduction(
                        question=d.question, answer=d.answer, kind=d.kind, amount=str(d.amount)
                    )
                    for d in offer.applied
                ],
            ),
            user_errors=[],
        )

    @strawberry.field(description="Staff: the price grid as CSV.")
    async def price_grid(self, info: Info) -> PriceGridCsv:
        result = await attempt(_export(info.context.caller))
        assert not isinstance(result, list)
        return result


@strawberry.type
class TradeInMutations:
    @strawberry.mutation(
        description="Anyone, on an organization's public trade-in page: a new quote straight in SUBMITTED, and the link to follow it."
    )
    async def submit_trade_in(self, info: Info, input: SubmitTradeInInput) -> SubmitTradeInPayload:
        ctx = info.context
        data = trade_in.TradeInIn(
            organization_slug=input.organization_slug,
            submission=SubmissionIn(
                contact=input.contact.domain(),
                devices=[device.domain() for device in input.devices],
                message=input.message,
                idempotency_key=input.idempotency_key,
            ),
        )
        result = await attempt(trade_in.submit_trade_in(ctx.deps, ctx.caller, data))
        if isinstance(result, list):
            return SubmitTradeInPayload(quote=None, url=None, access_token=None, user_errors=result)
        quote, url = result
        return SubmitTradeInPayload(
            quote=await _as_its_customer(info, quote.id, quote.organization_id),
            url=url,
            access_token=trade_in.access_token(ctx.deps, quote),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Staff (OWNER, MANAGER): the trade-in page's condition questionnaire and instant-offer display."
    )
    async def update_trade_in_page(
        self, info: Info, input: UpdateTradeInPageInput
    ) -> UpdateTradeInPagePayload:
        questions = (
            None
            if input.condition_questions is None
            else [
                trade_in.QuestionIn(q.key, q.label, list(q.options))
                for q in input.condition_questions
            ]
        )
        result = await attempt(
            trade_in.update_trade_in_page(
                info.context.caller, questions, input.shows_instant_offers
            )
        )
        if isinstance(result, list):
            return UpdateTradeInPagePayload(organization=None, user_errors=result)
        info.context.loaders.organization_by_id.clear_all()
        return UpdateTradeInPagePayload(
            organization=await load_organization(info, result.id), user_errors=[]
        )

    @strawberry.mutation(
        description="Staff (OWNER, MANAGER): import base prices and answer deductions from CSV. Offers already made keep their prices."
    )
    async def import_price_grid(
        self, info: Info, input: ImportPriceGridInput
    ) -> ImportPriceGridPayload:
        result = await attempt(
            price_grid.staff_import(
                info.context.caller, input.prices, input.deductions, bool(input.replace)
            )
        )
        if isinstance(result, list):
            return ImportPriceGridPayload(prices=None, deductions=None, user_errors=result)
        prices, deductions = result
        return ImportPriceGridPayload(
            prices=CsvImportReport.of(prices),
            deductions=CsvImportReport.of(deductions),
            user_errors=[],
        )
