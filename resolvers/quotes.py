"""Reading quotes: `quote`, `quotes`, `thread`, `node`."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from tortoise.expressions import Q

from graphql_api.context import Info
from graphql_api.errors import unauthenticated
from graphql_api.ids import from_cursor, from_global_id, page_size
from graphql_api.loaders import MessageRecord, QuoteRecord, columns, newest_first
from graphql_api.types.buy_order import BuyOrder
from graphql_api.types.common import Node
from graphql_api.types.enums import Party, QuoteStatus
from graphql_api.types.notification import Notification
from graphql_api.types.organization import StaffMember, load_organization
from graphql_api.types.quote import (
    Quote,
    QuoteConnection,
    QuoteLine,
    load_quote,
    open_quote,
    open_quote_by_global_id,
    quote_connection,
    quote_parts,
)
from graphql_api.types.thread import ThreadConnection, ThreadMessage, load_thread
from models import quote_search
from models.buy_order import BuyOrder as OrderRow
from models.negotiation import QuoteStatus as Status
from models.quote import Quote as QuoteRow
from models.quote import QuoteLine as LineRow
from models.quote import ThreadMessage as MessageRow
from resolvers import after_nodes


@strawberry.input
class QuoteFilter:
    status: list[QuoteStatus] | None = None
    awaiting: Party | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Matches the quote number, the customer's name or email, or an IMEI.",
    )


def _scope(info: Info) -> Q:
    """The quotes the viewer may list."""
    caller = info.context.caller
    if caller.is_staff:
        return Q(organization_id=caller.organization_id)
    if caller.quote_id is not None:
        return Q(id=caller.quote_id)
    if caller.customer_email is not None:
        return Q(
            organization_id=caller.organization_id,
            contact_email__iexact=caller.customer_email,
        ) & ~Q(status=Status.DRAFT)
    raise unauthenticated()


def _filtered(scope: Q, filter: QuoteFilter | None) -> Q:
    if filter is None:
        return scope
    if filter.status:
        scope &= Q(status__in=list(filter.status))
    if filter.awaiting is not None:
        scope &= Q(awaiting=filter.awaiting)
    match = quote_search.matching(filter.search or "")
    if match is not None:
        scope &= match
    return scope


async def _node(info: Info, global_id: str) -> Node | None:
    decoded = from_global_id(global_id)
    if decoded is None:
        return None
    type_name, pk = decoded
    loaders = info.context.loaders
    if type_name == "Quote":
        return await open_quote(info, pk)
    if type_name == "Organization":
        # public by slug, but not to be enumerated by ID: only the viewer's own
        if pk != info.context.viewer.organization_id:
            return None
        return await load_organization(info, pk)
    if type_name == "QuoteLine":
        row = await LineRow.filter(id=pk).values("quote_id")
        quote = await load_quote(info, row[0]["quote_id"]) if row else None
        if quote is None:
            return None
        parts = await quote_parts(info, quote._record.id, quote.currency_code)
        return parts.by_id.get(pk)
    if type_name == "ThreadMessage":
        row = await MessageRow.filter(id=pk).values("quote_id")
        quote = await load_quote(info, row[0]["quote_id"]) if row else None
        if quote is None:
            return None
        message = await MessageRow.get(id=pk).values(*columns(MessageRecord))
        return ThreadMessage.from_record(MessageRecord(**message), quote.currency_code)
    if type_name == "BuyOrder":
        row = await OrderRow.filter(id=pk).values("quote_id")
        if not row or await load_quote(info, row[0]["quote_id"]) is None:
            return None
        record = await loaders.buy_order_by_quote.load(row[0]["quote_id"])
        return None if record is None else BuyOrder.from_record(record)
    if type_name == "Notification":
        notice = await loaders.notification_by_id.load(pk)
        caller = info.context.caller
        if notice is None or not caller.is_staff or notice.organization_id != caller.organization_id:
            return None
        return Notification.from_record(notice)
    if type_name == "StaffMember":
        record = await loaders.staff_by_id.load(pk)
        caller = info.context.caller
        if record is None or not caller.is_staff or record.organization_id != caller.organization_id:
            return None
        return StaffMember.from_record(record)
    if type_name in after_nodes.TYPES:
        return await after_nodes.after_node(info, type_name, pk)
    return None


@strawberry.type
class QuoteQueries:
    @strawberry.field(description="Anything by its global ID, if the viewer may see it.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _node(info, id)

    @strawberry.field
    async def quote(self, info: Info, id: strawberry.ID) -> Quote | None:
        return await open_quote_by_global_id(info, id)

    @strawberry.field(
        description="Staff: the organization's quotes, newest first. Portal: that customer's quotes."
    )
    async def quotes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: QuoteFilter | None = None,
    ) -> QuoteConnection:
        size = page_size(first, default=20)
        after_id = from_cursor(after)
        where = _filtered(_scope(info), filter)
        found, total = await newest_first(QuoteRow.filter(where), QuoteRecord, size, after_id)
        for record in found:
            info.context.loaders.quote_by_id.prime(record.id, record)
        return quote_connection(found, size, total, after_id)

    @strawberry.field(description="A quote's thread, oldest first.")
    async def thread(
        self,
        info: Info,
        quote_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> ThreadConnection:
        quote = await open_quote_by_global_id(info, quote_id)
        if quote is None:
            raise GraphQLError("No such quote.", extensions={"code": "NOT_FOUND"})
        return await load_thread(info, quote._record, first, after)
