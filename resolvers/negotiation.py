"""The negotiation: `counterOffer`, `acceptAllRemaining`, `rejectAllRemaining`,
`withdrawAcceptance`, `cancelQuote`."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from graphql_api.context import Info
from graphql_api.ids import decode_id
from graphql_api.types.enums import LineAction
from graphql_api.types.payloads import QuotePayload, quote_action
from models import negotiation as rules
from models.services import autoconvert, lifecycle, rounds

UNKNOWN_LINE = -1


@strawberry.input
class LineResponseInput:
    line_id: strawberry.ID
    action: LineAction
    price: Decimal | None = strawberry.field(default=None, description="Per unit; required for COUNTER.")
    override_flags: bool | None = strawberry.field(
        default=None,
        description="Staff: quote this line although its device is blacklisted or finance-locked; needs overrideReason. Kept in the quote's chain.",
    )
    override_reason: str | None = strawberry.field(
        default=None, description="Why the flagged device may be quoted anyway."
    )


@strawberry.input
class CounterOfferInput:
    quote_id: strawberry.ID
    lines: list[LineResponseInput]
    message: str | None = None
    expected_version: int | None = None


@strawberry.input
class SignatureInput:
    name: str = strawberry.field(description="The typed name that serves as signature.")
    email: str
    consent: bool
    consent_version: str | None = strawberry.field(
        default=None,
        description="The version of the consent text shown to the customer (see `consentText`); "
        "the current one when left out.",
    )


@strawberry.input
class AcceptAllRemainingInput:
    quote_id: strawberry.ID
    signature: SignatureInput
    message: str | None = None
    expected_version: int | None = None


@strawberry.input
class RejectAllRemainingInput:
    quote_id: strawberry.ID
    message: str | None = None
    expected_version: int | None = None


@strawberry.input
class WithdrawAcceptanceInput:
    quote_id: strawberry.ID
    message: str | None = None


@strawberry.input
class CancelQuoteInput:
    quote_id: strawberry.ID
    reason: str | None = None


def _responses(lines: list[LineResponseInput]) -> list[rules.LineResponse]:
    """Unknown line IDs become an ID no line has, so the rules report them with their path."""
    return [
        rules.LineResponse(
            line_id=decode_id(line.line_id, "QuoteLine") or UNKNOWN_LINE,
            action=line.action,
            price=line.price,
        )
        for line in lines
    ]


@strawberry.type
class NegotiationMutations:
    @strawberry.mutation(
        description="Either party, on its turn: accept, decline or counter each pending line, with an optional message."
    )
    async def counter_offer(self, info: Info, input: CounterOfferInput) -> QuotePayload:
        ctx = info.context
        responses = _responses(input.lines)
        overrides = {
            index: line.override_reason
            for index, line in enumerate(input.lines)
            if line.override_flags
        }
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: rounds.counter_offer(
                ctx.deps,
                ctx.caller,
                quote_id,
                responses,
                input.message,
                input.expected_version,
                overrides,
            ),
        )

    @strawberry.mutation(
        description="Customer: accept every pending line at the merchant's offer, signing with a typed name."
    )
    async def accept_all_remaining(
        self, info: Info, input: AcceptAllRemainingInput
    ) -> QuotePayload:
        ctx = info.context
        signature = rounds.SignatureIn(
            name=input.signature.name,
            email=input.signature.email,
            consent=input.signature.consent,
            consent_version=input.signature.consent_version,
        )
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: autoconvert.then_convert(
                ctx.deps,
                rounds.accept_all_remaining(
                    ctx.deps, ctx.caller, quote_id, signature, input.message, input.expected_version
                ),
            ),
        )

    @strawberry.mutation(description="Customer: decline every pending line.")
    async def reject_all_remaining(
        self, info: Info, input: RejectAllRemainingInput
    ) -> QuotePayload:
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: rounds.reject_all_remaining(
                ctx.deps, ctx.caller, quote_id, input.message, input.expected_version
            ),
        )

    @strawberry.mutation(
        description="Customer: take back an acceptance that is not converted yet; the lines they accepted return to PENDING."
    )
    async def withdraw_acceptance(
        self, info: Info, input: WithdrawAcceptanceInput
    ) -> QuotePayload:
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: rounds.withdraw_acceptance(
                ctx.deps, ctx.caller, quote_id, input.message
            ),
        )

    @strawberry.mutation(description="Staff: cancel a quote that is not final.")
    async def cancel_quote(self, info: Info, input: CancelQuoteInput) -> QuotePayload:
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: lifecycle.cancel_quote(ctx.deps, ctx.caller, quote_id, input.reason),
        )
