"""Engagement for staff (`engagement`, `engagementSummary`) and `shareQuote`."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError

from graphql_api.context import Info
from graphql_api.errors import bad_user_input
from graphql_api.permissions import staff_caller
from graphql_api.types.engagement import EngagementSummary, EngagementTimeline, load_timeline
from graphql_api.types.payloads import QuoteLinkPayload, quote_link_action
from graphql_api.types.quote import load_quote_by_global_id
from models.services import engagement


@strawberry.input
class ShareQuoteInput:
    quote_id: strawberry.ID
    recipient_email: str
    recipient_name: str | None = None
    message: str | None = None


@strawberry.type
class EngagementQueries:
    @strawberry.field(description="Staff: views and downloads of one quote.")
    async def engagement(self, info: Info, quote_id: strawberry.ID) -> EngagementTimeline:
        staff_caller(info)
        quote = await load_quote_by_global_id(info, quote_id)
        if quote is None:
            raise GraphQLError("No such quote.", extensions={"code": "NOT_FOUND"})
        return await load_timeline(quote._record.id)

    @strawberry.field(description="Staff: the organization's portal activity over a period.")
    async def engagement_summary(
        self, info: Info, since: datetime | None = None, until: datetime | None = None
    ) -> EngagementSummary:
        organization_id = staff_caller(info).organization_id
        assert organization_id is not None
        if since is not None and until is not None and since >= until:
            raise bad_user_input("since must be before until.")
        figures = await engagement.summary(organization_id, since, until)
        return EngagementSummary(
            since=figures.since,
            until=figures.until,
            quotes_shared=figures.quotes_shared,
            quotes_viewed=figures.quotes_viewed,
            views=figures.views,
            pdf_downloads=figures.pdf_downloads,
            unseen_after_a_week=figures.unseen_after_a_week,
            median_seconds_to_first_view=figures.median_seconds_to_first_view,
        )


@strawberry.type
class SharingMutations:
    @strawberry.mutation(
        description="Staff: email the quote's link to a recipient, again if need be: the same link."
    )
    async def share_quote(self, info: Info, input: ShareQuoteInput) -> QuoteLinkPayload:
        ctx = info.context
        data = engagement.ShareIn(input.recipient_email, input.recipient_name, input.message)
        return await quote_link_action(
            info,
            input.quote_id,
            lambda quote_id: engagement.share_quote(ctx.deps, ctx.caller, quote_id, data),
        )
