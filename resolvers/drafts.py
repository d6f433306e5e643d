"""Merchant-written quotes and their dates: `createDraftQuote`, `updateDraftQuote`,
`issueQuote`, `recallQuote`, `extendQuote`, `copyQuote`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_api.context import Info
from graphql_api.errors import attempt
from graphql_api.types.enums import CarrierLock, DeviceCondition, DeviceType
from graphql_api.types.payloads import (
    QuoteLinkPayload,
    QuotePayload,
    fresh_quote,
    quote_action,
    quote_link_action,
)
from models.services import drafts, lifecycle
from models.services.device_input import DeviceIn
from resolvers.inputs import ContactInput


@strawberry.input(description="A line of a merchant-written quote.")
class DraftLineInput:
    type: DeviceType = strawberry.field(description="What kind of device.")
    brand: str = strawberry.field(description="E.g. Apple.")
    model: str = strawberry.field(description="E.g. iPhone 13.")
    storage: str | None = strawberry.field(default=None, description="E.g. 128 GB.")
    color: str | None = strawberry.field(default=None, description="As the maker names it.")
    condition: DeviceCondition = strawberry.field(description="The condition the offer assumes.")
    carrier_lock: CarrierLock | None = strawberry.field(default=None, description="Default UNKNOWN.")
    carrier: str | None = strawberry.field(default=None, description="The carrier of a locked device.")
    quantity: int = strawberry.field(description="Units of this device, at least 1.")
    offer: Decimal = strawberry.field(description="The merchant's offer per unit.")
    imeis: list[str] | None = strawberry.field(default=None, description="At most `quantity`.")
    serials: list[str] | None = strawberry.field(default=None, description="At most `quantity`.")

    def domain(self) -> DeviceIn:
        return DeviceIn(
            type=self.type,
            brand=self.brand,
            model=self.model,
            condition=self.condition,
            quantity=self.quantity,
            price=self.offer,
            storage=self.storage,
            color=self.color,
            carrier_lock=self.carrier_lock,
            carrier=self.carrier,
            imeis=list(self.imeis or []),
            serials=list(self.serials or []),
        )


@strawberry.input(description="A merchant-written quote, kept in DRAFT until it is issued.")
class CreateDraftQuoteInput:
    contact: ContactInput = strawberry.field(description="The customer the quote is for.")
    lines: list[DraftLineInput] = strawberry.field(description="May be empty while drafting; issuing needs one.")
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="Default: set when the quote is issued, to the end of the organization's last valid day.",
    )
    message: str | None = strawberry.field(
        default=None, description="Starts the thread; staff only see it until the quote is issued."
    )


@strawberry.input(description="Changes to a DRAFT; fields left out stay as they are.")
class UpdateDraftQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="The DRAFT to change.")
    contact: ContactInput | None = strawberry.field(default=None, description="Replaces the contact when given.")
    lines: list[DraftLineInput] | None = strawberry.field(
        default=None, description="Replaces every line when given."
    )
    expires_at: datetime | None = strawberry.field(default=None, description="A new date, in the future.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse the change with STALE_VERSION if the draft changed meanwhile."
    )


@strawberry.input(description="Issue a DRAFT to its customer.")
class IssueQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="The DRAFT to issue.")
    message: str | None = strawberry.field(
        default=None, description="Goes into the thread and the email."
    )
    send_email: bool | None = strawberry.field(
        default=None, description="False: issue without emailing the link (share it yourself)."
    )


@strawberry.input(description="Take back the merchant's latest round before the customer answered it.")
class RecallQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="The quote whose latest round to take back.")
    reason: str | None = strawberry.field(default=None, description="Kept in the thread.")


@strawberry.input(description="Give an open quote more time, before its date has passed.")
class ExtendQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="An open quote (or a draft) not past its date.")
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="The new date, later than the current one. Default: the organization's validity days from today, to the end of that day in its time zone.",
    )
    message: str | None = strawberry.field(
        default=None, description="Goes into the thread and the customer's email."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse the change with STALE_VERSION if the quote changed meanwhile."
    )


@strawberry.input(description="Copy a quote (typically an expired one) into a new DRAFT.")
class CopyQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="Any quote with lines, of any status.")


def _lines(lines: list[DraftLineInput] | None) -> list[DeviceIn] | None:
    return None if lines is None else [line.domain() for line in lines]


@strawberry.type
class DraftMutations:
    @strawberry.mutation(description="Staff: a merchant-written quote, in DRAFT.")
    async def create_draft_quote(self, info: Info, input: CreateDraftQuoteInput) -> QuotePayload:
        ctx = info.context
        data = drafts.DraftIn(
            contact=input.contact.domain(),
            lines=_lines(input.lines),
            expires_at=input.expires_at,
            message=input.message,
        )
        result = await attempt(drafts.create_draft_quote(ctx.deps, ctx.caller, data))
        if isinstance(result, list):
            return QuotePayload(quote=None, user_errors=result)
        return QuotePayload(quote=await fresh_quote(info, result.id), user_errors=[])

    @strawberry.mutation(description="Staff: change a DRAFT.")
    async def update_draft_quote(self, info: Info, input: UpdateDraftQuoteInput) -> QuotePayload:
        ctx = info.context
        data = drafts.DraftIn(
            contact=input.contact.domain() if input.contact else None,
            lines=_lines(input.lines),
            expires_at=input.expires_at,
        )
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: drafts.update_draft_quote(
                ctx.deps, ctx.caller, quote_id, data, input.expected_version
            ),
        )

    @strawberry.mutation(
        description="Staff: issue a DRAFT to the customer (NEGOTIATING, awaiting CUSTOMER) and, unless sendEmail is false, email the link."
    )
    async def issue_quote(self, info: Info, input: IssueQuoteInput) -> QuoteLinkPayload:
        ctx = info.context
        return await quote_link_action(
            info,
            input.quote_id,
            lambda quote_id: drafts.issue_quote(
                ctx.deps, ctx.caller, quote_id, input.message, input.send_email is not False
            ),
        )

    @strawberry.mutation(
        description="Staff: take back the merchant's latest offers before the customer answered them. A merchant-written quote returns to DRAFT."
    )
    async def recall_quote(self, info: Info, input: RecallQuoteInput) -> QuotePayload:
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: drafts.recall_quote(ctx.deps, ctx.caller, quote_id, input.reason),
        )

    @strawberry.mutation(
        description="Staff: move the date of a quote that has not expired yet (logged in the chain, the customer emailed)."
    )
    async def extend_quote(self, info: Info, input: ExtendQuoteInput) -> QuotePayload:
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: lifecycle.extend_quote(
                ctx.deps,
                ctx.caller,
                quote_id,
                input.expires_at,
                input.message,
                input.expected_version,
            ),
        )

    @strawberry.mutation(
        description="Staff: a new DRAFT with a quote's contact and lines at the latest offers. The original is left as it is: an expired quote is copied, never revived."
    )
    async def copy_quote(self, info: Info, input: CopyQuoteInput) -> QuotePayload:
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: drafts.copy_quote(ctx.deps, ctx.caller, quote_id),
        )
