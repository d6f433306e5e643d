"""Engagement as staff see it: a quote's timeline and the organization's summary."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.ids import from_cursor, page_size, to_cursor
from graphql_api.types.common import PageInfo
from models.engagement import EngagementEvent as EventRow
from models.engagement import EngagementKind as Kind
from models.services.engagement import timeline_of

if TYPE_CHECKING:
    from graphql_api.types.quote import Quote

EngagementKind = strawberry.enum(Kind, name="EngagementKind")


@strawberry.type(description="One thing the customer did with the quote, or an email sent to them.")
class EngagementEvent:
    kind: EngagementKind
    occurred_at: datetime
    recipient_email: str | None
    user_agent: str | None


@strawberry.type
class EngagementEventEdge:
    cursor: str
    node: EngagementEvent


@strawberry.type(description="A page of engagement events, newest first.")
class EngagementEventConnection:
    edges: list[EngagementEventEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="How the customer engaged with one quote.")
class EngagementTimeline:
    views: int
    pdf_downloads: int
    first_viewed_at: datetime | None
    last_viewed_at: datetime | None
    strong_buying_signal: bool = strawberry.field(
        description="Several views and a PDF download: worth a follow-up now."
    )
    _quote_id: strawberry.Private[int]

    @strawberry.field
    async def quote(
        self, info: Info
    ) -> Annotated[Quote, strawberry.lazy("graphql_api.types.quote")]:
        from graphql_api.types.quote import load_quote

        quote = await load_quote(info, self._quote_id)
        assert quote is not None
        return quote

    @strawberry.field(description="Newest first.")
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> EngagementEventConnection:
        size = page_size(first)
        after_id = from_cursor(after)
        query = EventRow.filter(quote_id=self._quote_id)
        total = await query.count()
        if after_id is not None:
            query = query.filter(id__lt=after_id)
        rows = (
            await query.order_by("-id")
            .limit(size + 1)
            .values("id", "kind", "occurred_at", "recipient_email", "user_agent")
        )
        edges = [
            EngagementEventEdge(
                cursor=to_cursor(row["id"]),
                node=EngagementEvent(
                    kind=row["kind"],
                    occurred_at=row["occurred_at"],
                    recipient_email=row["recipient_email"],
                    user_agent=row["user_agent"],
                ),
            )
            for row in rows[:size]
        ]
        return EngagementEventConnection(
            edges=edges,
            page_info=PageInfo.of(
                [edge.cursor for edge in edges], has_next=len(rows) > size, after=after_id
            ),
            total_count=total,
        )


async def load_timeline(quote_id: int) -> EngagementTimeline:
    rows = await EventRow.filter(quote_id=quote_id).values_list("kind", "occurred_at")
    figures = timeline_of([(Kind(kind), at) for kind, at in rows])
    return EngagementTimeline(
        views=figures.views,
        pdf_downloads=figures.pdf_downloads,
        first_viewed_at=figures.first_viewed_at,
        last_viewed_at=figures.last_viewed_at,
        strong_buying_signal=figures.strong_buying_signal,
        _quote_id=quote_id,
    )


@strawberry.type(description="Organization-wide portal activity over a period.")
class EngagementSummary:
    since: datetime
    until: datetime
    quotes_shared: int
    quotes_viewed: int
    views: int
    pdf_downloads: int
    unseen_after_a_week: int = strawberry.field(
        description="Shared more than 7 days ago and never viewed."
    )
    median_seconds_to_first_view: int | None
