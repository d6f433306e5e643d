"""`sendMessage`: a free-form message in the thread, from either side."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.errors import attempt, not_found
from graphql_api.gateway.rate_limits import limit_customer_message
from graphql_api.ids import decode_id
from graphql_api.loaders import MessageRecord
from graphql_api.types.payloads import SendMessagePayload
from graphql_api.types.thread import ThreadMessage
from models.services import lifecycle

# A MESSAGE carries no line changes, so its record never needs the quote's currency; the payload
# is built from what was written, with no read after the commit that could make it fail.
NO_AMOUNTS = ""


@strawberry.input
class SendMessageInput:
    quote_id: strawberry.ID
    body: str
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key again returns the first message instead of posting twice; "
        "the same key with another body is refused (IDEMPOTENCY_KEY_REUSED).",
    )


@strawberry.type
class ThreadMutations:
    @strawberry.mutation(
        description="Either party: a free-form message in the thread. From a customer it notifies staff as a change request."
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        quote_id = decode_id(input.quote_id, "Quote")
        if quote_id is None:
            return SendMessagePayload(message=None, user_errors=not_found(["input", "quoteId"]))
        ctx = info.context
        await limit_customer_message(ctx)
        result = await attempt(
            lifecycle.send_message(
                ctx.deps, ctx.caller, quote_id, input.body, input.idempotency_key
            )
        )
        if isinstance(result, list):
            return SendMessagePayload(message=None, user_errors=result)
        ctx.loaders.forget_quote(quote_id)
        record = MessageRecord(
            id=result.id,
            quote_id=quote_id,
            kind=result.kind,
            author=result.author,
            author_name=result.author_name,
            body=result.body,
            created_at=result.created_at,
        )
        return SendMessagePayload(
            message=ThreadMessage.from_record(record, NO_AMOUNTS), user_errors=[]
        )
