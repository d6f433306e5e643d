"""Customer links: `rotateQuoteLink` and `revokeQuoteLink` (OWNER, MANAGER, SALES_REP)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from graphql_api.context import Info
from graphql_api.errors import attempt, not_found
from graphql_api.ids import decode_id
from graphql_api.types.payloads import QuoteLinkPayload, QuotePayload, fresh_quote
from models.services import quote_links
from models.services.mailing import customer_link
from resolvers.team import admin


@strawberry.input(description="Replace a quote's customer link: the old one stops working at once.")
class RotateQuoteLinkInput:
    quote_id: strawberry.ID
    send_email: bool = strawberry.field(default=True, description="Email the new link to the customer.")


@strawberry.input(description="Withdraw a quote's customer link (rotate it to issue a new one).")
class RevokeQuoteLinkInput:
    quote_id: strawberry.ID


@strawberry.type
class LinkMutations:
    @strawberry.mutation(
        description="Staff (OWNER, MANAGER, SALES_REP): a new customer link for the quote; the old one stops working at once."
    )
    async def rotate_quote_link(self, info: Info, input: RotateQuoteLinkInput) -> QuoteLinkPayload:
        ctx = info.context
        by = admin(info)
        quote_id = decode_id(input.quote_id, "Quote")
        if quote_id is None:
            return QuoteLinkPayload(quote=None, url=None, user_errors=not_found(["input", "quoteId"]))
        result = await attempt(
            quote_links.rotate_quote_link(
                ctx.deps, ctx.caller, by, quote_id, input.send_email, datetime.now(UTC)
            )
        )
        if isinstance(result, list):
            return QuoteLinkPayload(quote=None, url=None, user_errors=result)
        return QuoteLinkPayload(
            quote=await fresh_quote(info, result.id),
            url=customer_link(ctx.deps, result),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Staff (OWNER, MANAGER, SALES_REP): the customer link stops working; the customer sees LINK_REVOKED."
    )
    async def revoke_quote_link(self, info: Info, input: RevokeQuoteLinkInput) -> QuotePayload:
        ctx = info.context
        by = admin(info)
        quote_id = decode_id(input.quote_id, "Quote")
        if quote_id is None:
            return QuotePayload(quote=None, user_errors=not_found(["input", "quoteId"]))
        result = await attempt(
            quote_links.revoke_quote_link(ctx.deps, ctx.caller, by, quote_id, datetime.now(UTC))
        )
        if isinstance(result, list):
            return QuotePayload(quote=None, user_errors=result)
        return QuotePayload(quote=await fresh_quote(info, result.id), user_errors=[])
