"""Mutation payloads: the result, or userErrors saying why nothing changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt, not_found
from graphql_api.ids import decode_id
from graphql_api.types.buy_order import BuyOrder
from graphql_api.types.quote import Quote, load_quote
from graphql_api.types.thread import ThreadMessage
from models.services.faults import read_again_once


class HasId(Protocol):
    id: int


@strawberry.type
class QuotePayload:
    quote: Quote | None
    user_errors: list[UserError]


@strawberry.type
class QuoteLinkPayload:
    quote: Quote | None
    url: str | None = strawberry.field(
        description="The customer's link. It opens this quote for whoever holds it: send it only to the customer."
    )
    user_errors: list[UserError]


@strawberry.type
class ConvertToBuyOrderPayload:
    quote: Quote | None
    buy_order: BuyOrder | None
    user_errors: list[UserError]


@strawberry.type
class SendMessagePayload:
    message: ThreadMessage | None
    user_errors: list[UserError]


async def fresh_quote(info: Info, quote_id: int) -> Quote | None:
    """The quote as it stands after a write, nothing of it served from the request's caches."""

    async def read() -> Quote | None:
        info.context.loaders.forget_quote(quote_id)
        return await load_quote(info, quote_id)

    # After a commit a lost connection must not turn the success into a failure: read again.
    return await read_again_once(read)


async def quote_action(
    info: Info, global_id: str, run: Callable[[int], Awaitable[HasId]]
) -> QuotePayload:
    """Decode the quote's ID, run the use case on it, and answer with the quote or userErrors."""
    quote_id = decode_id(global_id, "Quote")
    if quote_id is None:
        return QuotePayload(quote=None, user_errors=not_found(["input", "quoteId"]))
    result = await attempt(run(quote_id))
    if isinstance(result, list):
        return QuotePayload(quote=None, user_errors=result)
    return QuotePayload(quote=await fresh_quote(info, result.id), user_errors=[])


async def quote_link_action(
    info: Info, global_id: str, run: Callable[[int], Awaitable[tuple[HasId, str]]]
) -> QuoteLinkPayload:
    """`quote_action` for the use cases that answer with the quote and the customer's link."""
    quote_id = decode_id(global_id, "Quote")
    if quote_id is None:
        return QuoteLinkPayload(quote=None, url=None, user_errors=not_found(["input", "quoteId"]))
    result = await attempt(run(quote_id))
    if isinstance(result, list):
        return QuoteLinkPayload(quote=None, url=None, user_errors=result)
    quote, url = result
    return QuoteLinkPayload(quote=await fresh_quote(info, quote.id), url=url, user_errors=[])
