"""Quote requests: `createQuoteRequest` (staff) and `submitQuote` (the customer's form)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.context import Info
from graphql_api.errors import attempt
from graphql_api.types.payloads import QuoteLinkPayload, QuotePayload, fresh_quote, quote_action
from models.services import requests
from resolvers.inputs import ContactInput, DeviceInput


@strawberry.input
class CreateQuoteRequestInput:
    customer_name: str | None = None
    customer_email: str | None = None
    message: str | None = strawberry.field(
        default=None, description="Starts the thread and goes into the email."
    )
    expires_at: datetime | None = None
    send_email: bool | None = None


@strawberry.input
class SubmitQuoteInput:
    quote_id: strawberry.ID
    contact: ContactInput
    devices: list[DeviceInput]
    message: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key again returns the first result instead of submitting twice.",
    )


@strawberry.type
class RequestMutations:
    @strawberry.mutation(
        description="Staff: put out a quote request link (REQUESTED) and, unless sendEmail is false, email it."
    )
    async def create_quote_request(
        self, info: Info, input: CreateQuoteRequestInput
    ) -> QuoteLinkPayload:
        ctx = info.context
        data = requests.QuoteRequestIn(
            customer_name=input.customer_name,
            customer_email=input.customer_email,
            message=input.message,
            expires_at=input.expires_at,
            send_email=input.send_email is not False,
        )
        result = await attempt(requests.create_quote_request(ctx.deps, ctx.caller, data))
        if isinstance(result, list):
            return QuoteLinkPayload(quote=None, url=None, user_errors=result)
        quote, url = result
        return QuoteLinkPayload(quote=await fresh_quote(info, quote.id), url=url, user_errors=[])

    @strawberry.mutation(
        description="Customer, through the link: send the filled form (REQUESTED to SUBMITTED)."
    )
    async def submit_quote(self, info: Info, input: SubmitQuoteInput) -> QuotePayload:
        data = requests.SubmissionIn(
            contact=input.contact.domain(),
            devices=[device.domain() for device in input.devices],
            message=input.message,
            idempotency_key=input.idempotency_key,
        )
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: requests.submit_quote(ctx.deps, ctx.caller, quote_id, data),
        )
