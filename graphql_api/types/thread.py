"""The quote's thread: messages with the line changes they carried."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.context import Info
from graphql_api.ids import from_cursor, page_size, to_cursor, to_global_id
from graphql_api.loaders import MessageRecord, QuoteRecord
from graphql_api.types.common import Node, PageInfo
from graphql_api.types.enums import Actor, MessageKind
from graphql_api.types.quote import LineChange, quote_parts


@strawberry.type(description="One entry of a quote's thread.")
class ThreadMessage(Node):
    id: strawberry.ID
    kind: MessageKind
    author: Actor
    author_name: str | None
    body: str | None
    created_at: datetime
    _record: strawberry.Private[MessageRecord]
    _currency: strawberry.Private[str]

    @classmethod
    def from_record(cls, r: MessageRecord, currency_code: str) -> ThreadMessage:
        return cls(
            id=strawberry.ID(to_global_id("ThreadMessage", r.id)),
            kind=r.kind,
            author=r.author,
            author_name=r.author_name,
            body=r.body,
            created_at=r.created_at,
            _record=r,
            _currency=currency_code,
        )

    @strawberry.field(description="The line offers and decisions that came with this message.")
    async def line_changes(self, info: Info) -> list[LineChange]:
        parts = await quote_parts(info, self._record.quote_id, self._currency)
        return parts.changes_by_message.get(self._record.id, [])


@strawberry.type
class ThreadEdge:
    cursor: str
    node: ThreadMessage


@strawberry.type(description="A page of the thread, oldest first.")
class ThreadConnection:
    edges: list[ThreadEdge]
    page_info: PageInfo
    total_count: int


async def load_thread(
    info: Info, quote: QuoteRecord, first: int | None, after: str | None
) -> ThreadConnection:
    size = page_size(first)
    after_id = from_cursor(after)
    page = await info.context.loaders.thread_by_quote.load((quote.id, after_id, size))
    edges = [
        ThreadEdge(cursor=to_cursor(m.id), node=ThreadMessage.from_record(m, quote.currency_code))
        for m in page.messages
    ]
    return ThreadConnection(
        edges=edges,
        page_info=PageInfo.of(
            [edge.cursor for edge in edges], has_next=page.has_next, after=after_id
        ),
        total_count=page.total,
    )
