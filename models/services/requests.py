"""Quote requests: staff put out a link, the customer fills in the form and submits it."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F

from models import chain
from models import negotiation as rules
from models import validation as v
from models.enums import MessageKind
from models.errors import DomainError, ErrorCode
from models.expiry import valid_until
from models.organization import Organization
from models.quote import Quote
from models.services import device_input, idempotency
from models.services.caller import NEGOTIATING_ROLES, Caller, Deps
from models.services.engagement import log_share
from models.services.journal import (
    Pending,
    line_state,
    lock_quote,
    quote_state,
    record,
    unit_of_work,
)
from models.services.mailing import customer_link, email_customer
from models.services.notifications import NotificationKind, notify_staff
from models.services.submission import save_devices
from models.services.tokens import announce_revoked


@dataclass(frozen=True)
class QuoteRequestIn:
    customer_name: str | None = None
    customer_email: str | None = None
    message: str | None = None
    expires_at: datetime | None = None
    send_email: bool = True


async def next_number(organization_id: int, counter: str, prefix: str) -> str:
    """The organization's next document number, e.g. Q-000123 (under the caller's transaction)."""
    await Organization.filter(id=organization_id).update(**{counter: F(counter) + 1})
    value = await Organization.filter(id=organization_id).values_list(counter, flat=True)
    return f"{prefix}-{value[0]:06d}"


async def new_quote(
    organization: Organization,
    *,
    status: rules.QuoteStatus,
    source: rules.QuoteSource,
    expires_at: datetime | None,
    now: datetime,
    created_by_id: int | None = None,
    contact: device_input.ContactIn | None = None,
) -> Quote:
    return await Quote.create(
        organization_id=organization.id,
        number=await next_number(organization.id, "quote_counter", "Q"),
        status=status,
        awaiting=None,
        source=source,
        contact_name=contact.name if contact else None,
        contact_email=contact.email if contact else None,
        contact_phone=contact.phone if contact else None,
        currency_code=organization.currency_code,
        link_salt=secrets.token_hex(16),
        created_by_id=created_by_id,
        last_hash=chain.GENESIS,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )


async def create_quote_request(
    deps: Deps, caller: Caller, data: QuoteRequestIn
) -> tuple[Quote, str]:
    """REQUESTED: a link for the customer to list their devices; emailed unless told not to."""
    caller.require_staff(NEGOTIATING_ROLES)
    now = deps.clock()
    found = device_input.Collector()
    name = found.run(
        v.text, data.customer_name, ["input", "customerName"], limit=v.MAX_NAME, name=True
    )
    email = (
        found.run(v.email, data.customer_email, ["input", "customerEmail"])
        if data.customer_email
        else None
    )
    message = found.run(v.text, data.message, ["input", "message"], limit=v.MAX_MESSAGE)
    if data.expires_at is not None and data.expires_at <= now:
        found.errors.append(
            DomainError(ErrorCode.INVALID_INPUT, "must be in the future", ["input", "expiresAt"])
        )
    found.raise_any()
    async with unit_of_work(deps) as pending:
        organization = await Organization.get(id=caller.organization_id)
        expires_at = data.expires_at or valid_until(
            now, organization.quote_validity_days, organization.time_zone
        )
        quote = await new_quote(
            organization,
            status=rules.QuoteStatus.REQUESTED,
            source=rules.QuoteSource.REQUEST_LINK,
            expires_at=expires_at,
            now=now,
            created_by_id=caller.staff_id,
        )
        quote.contact_name = name
        quote.contact_email = email
        await record(
            quote,
            pending,
            kind=MessageKind.MESSAGE,
            by=caller,
            body=message,
            now=now,
            status_from=rules.QuoteStatus.REQUESTED,
        )
        if data.send_email and email:
            await log_share(quote, email, name, message, caller.staff_id, now)
            await email_customer(
                deps,
                quote,
                "quote_request",
                now,
                message=message,
                expires_at=expires_at.isoformat(),
            )
    return quote, customer_link(deps, quote)


@dataclass(frozen=True)
class SubmissionIn:
    contact: device_input.ContactIn
    devices: list[device_input.DeviceIn]
    message: str | None = None
    idempotency_key: str | None = None


async def submit_quote(deps: Deps, caller: Caller, quote_id: int, data: SubmissionIn) -> Quote:
    """The customer's form, through the link: REQUESTED to SUBMITTED, awaiting the merchant."""
    now = deps.clock()
    key = idempotency.clean_key(data.idempotency_key)
    request = dataclasses.replace(data, idempotency_key=None)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        rules.permit(rules.QuoteAction.SUBMIT, caller.actor)  # before any replay
        scope = f"submit:{quote.id}"
        if (earlier := await idempotency.replay(
            quote.organization_id, scope, key, request
        )) is not None:
            return await Quote.get(id=earlier["quoteId"])
        rules.check(quote_state(quote, []), rules.QuoteAction.SUBMIT, caller.actor, now)
        email = quote.contact_email
        await fill_submission(deps, caller, quote, data, pending, now)
        await idempotency.remember(
            quote.organization_id, scope, key, {"quoteId": quote.id}, request
        )
    if quote.contact_email != email:  # the link's viewer carries the customer's email
        await announce_revoked(deps.bus, [], [quote.id])
    return quote


async def fill_submission(
    deps: Deps, caller: Caller, quote: Quote, data: SubmissionIn, pending: Pending, now: datetime
) -> None:
    """The customer's form on a REQUESTED quote: contact and devices checked, lines written
    with their IMEI checks and instant offers, SUBMITTED awaiting the merchant, staff told."""
    found = device_input.Collector()
    contact = device_input.clean_contact(data.contact, ["input", "contact"], found)
    devices = device_input.clean_devices(data.devices, quote.currency_code, ["input", "devices"], found)
    message = found.run(v.text, data.message, ["input", "message"], limit=v.MAX_MESSAGE)
    found.raise_any()
    lines = await save_devices(deps, quote, devices, now)
    outcome = rules.submit(
        quote_state(quote, []), caller.actor, [line_state(line) for line in lines], now
    )
    quote.status = outcome.status
    quote.awaiting = outcome.awaiting
    quote.contact_name = contact.name
    quote.contact_email = contact.email
    quote.contact_phone = contact.phone
    quote.submitted_at = now
    await record(
        quote,
        pending,
        kind=MessageKind.SUBMISSION,
        by=caller,
        body=message,
        now=now,
        status_from=rules.QuoteStatus.REQUESTED,
    )
    await notify_staff(pending, quote, NotificationKind.QUOTE_SUBMITTED, now)
