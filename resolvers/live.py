"""The quote, live: `threadMessages` and `quoteUpdated`.

Both subscribe to the quote's topic before reading where the quote stands, so nothing committed
afterwards slips between the two. Messages are then read from the database, not from the event:
every event (or a `resync` after a lost listener) delivers all the messages after the last one
sent, in order, none twice, whatever replica took the write and in whatever order replicas
published."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from graphql_api.context import Info, use_loaders
from graphql_api.errors import unauthenticated
from graphql_api.live import Live
from graphql_api.loaders import QuoteRecord
from graphql_api.pubsub import is_resync
from graphql_api.types.quote import Quote, load_quote, load_quote_by_global_id
from graphql_api.types.thread import ThreadMessage
from models.services.journal import can_see, quote_topic

PAGE = 100


def live_of(info: Info) -> Live:
    live = info.context.live
    if live is None:
        raise GraphQLError(
            "Subscriptions need a live connection.", extensions={"code": "BAD_REQUEST"}
        )
    return live


async def watched_quote(info: Info, quote_id: strawberry.ID) -> QuoteRecord:
    """The quote to watch, exactly as a query would find it: NOT_FOUND when hidden."""
    caller = info.context.caller
    if not (caller.is_staff or caller.is_customer):
        raise unauthenticated("Sign in, or use your quote link, to follow a quote.")
    quote = await load_quote_by_global_id(info, quote_id)
    if quote is None:
        raise GraphQLError("No such quote.", extensions={"code": "NOT_FOUND"})
    return quote._record


async def thread_messages(
    info: Info, live: Live, quote_id: int
) -> AsyncGenerator[ThreadMessage, None]:
    caller = info.context.caller
    async with live.subscribe(quote_topic(quote_id)) as events:
        last = await info.context.loaders.last_message_id_by_quote.load(quote_id)
        use_loaders(None)  # let the start-up loaders go: each event brings its own
        async for event in events:
            if not is_resync(event) and not (
                event.get("type") == "message" and event["messageId"] > last
            ):
                continue
            with live.delivery():
                loaders = live.loaders_for(event)
                use_loaders(loaders)
                quote = await loaders.quote_by_id.load(quote_id)
                if quote is None or not can_see(caller, quote):  # e.g. a draft again, recalled
                    continue
                more = True
                while more:
                    page = await loaders.thread_by_quote.load((quote_id, last, PAGE))
                    for message in page.messages:
                        last = message.id
                        yield ThreadMessage.from_record(message, quote.currency_code)
                    more = page.has_next


async def quote_updates(info: Info, live: Live, quote: QuoteRecord) -> AsyncGenerator[Quote, None]:
    async with live.subscribe(quote_topic(quote.id)) as events:
        info.context.loaders.forget_quote(quote.id)  # where it stands now that we listen
        now = await info.context.loaders.quote_by_id.load(quote.id)
        version = quote.version if now is None else now.version
        use_loaders(None)
        async for event in events:
            resync = is_resync(event)
            if not resync and not (event.get("type") == "quote" and event["version"] > version):
                continue
            with live.delivery():
                use_loaders(live.loaders_for(event))
                current = await load_quote(info, quote.id)
                if current is None or (current.version <= version and not resync):
                    continue
                version = current.version
                yield current


@strawberry.type
class QuoteSubscriptions:
    @strawberry.subscription(
        description="Every new message in the quote's thread as it is posted, whichever server replica took the write."
    )
    async def thread_messages(
        self, info: Info, quote_id: strawberry.ID
    ) -> AsyncGenerator[ThreadMessage, None]:
        live = live_of(info)
        quote = await watched_quote(info, quote_id)
        return thread_messages(info, live, quote.id)

    @strawberry.subscription(
        description="The quote after every change to its status, lines or version."
    )
    async def quote_updated(
        self, info: Info, quote_id: strawberry.ID
    ) -> AsyncGenerator[Quote, None]:
        live = live_of(info)
        quote = await watched_quote(info, quote_id)
        return quote_updates(info, live, quote)
