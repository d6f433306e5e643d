"""`convertToBuyOrder`: an accepted quote becomes a buy order, exactly once."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.errors import attempt, not_found
from graphql_api.ids import decode_id
from graphql_api.types.buy_order import BuyOrder
from graphql_api.types.enums import Fulfillment, PayoutMethod
from graphql_api.types.payloads import ConvertToBuyOrderPayload, fresh_quote
from models.services import conversion


@strawberry.input
class ConvertToBuyOrderInput:
    quote_id: strawberry.ID
    payout_method: PayoutMethod
    fulfillment: Fulfillment
    idempotency_key: str | None = None


@strawberry.type
class BuyOrderMutations:
    @strawberry.mutation(description="Staff: turn an ACCEPTED quote into a buy order, exactly once.")
    async def convert_to_buy_order(
        self, info: Info, input: ConvertToBuyOrderInput
    ) -> ConvertToBuyOrderPayload:
        quote_id = decode_id(input.quote_id, "Quote")
        if quote_id is None:
            return ConvertToBuyOrderPayload(
                quote=None, buy_order=None, user_errors=not_found(["input", "quoteId"])
            )
        ctx = info.context
        data = conversion.ConversionIn(
            payout_method=input.payout_method,
            fulfillment=input.fulfillment,
            idempotency_key=input.idempotency_key,
        )
        result = await attempt(conversion.convert_to_buy_order(ctx.deps, ctx.caller, quote_id, data))
        if isinstance(result, list):
            return ConvertToBuyOrderPayload(quote=None, buy_order=None, user_errors=result)
        quote = await fresh_quote(info, quote_id)
        record = await ctx.loaders.buy_order_by_quote.load(quote_id)
        return ConvertToBuyOrderPayload(
            quote=quote,
            buy_order=None if record is None else BuyOrder.from_record(record),
            user_errors=[],
        )
