"""Merchant-written quotes: a draft staff write and edit freely, issue to the customer, recall
before the customer answered, and copy (an expired quote is copied, never revived)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from models import negotiation as rules
from models import validation as v
from models.enums import MessageKind
from models.errors import DomainError, ErrorCode
from models.expiry import valid_until
from models.organization import Organization
from models.quote import DeviceUnit, LineChange, Quote, QuoteEvent, QuoteLine
from models.services import device_input
from models.services.caller import NEGOTIATING_ROLES, Caller, Deps
from models.services.engagement import log_share
from models.services.journal import (
    Pending,
    append_event,
    check_version,
    conclude,
    lock_quote,
    quote_lines,
    quote_state,
    quote_topic,
    record,
    snapshot_line,
    unit_of_work,
)
from models.services.mailing import customer_link, email_customer
from models.services.requests import new_quote
from models.services.tokens import announce_revoked

A = rules.QuoteAction
ROUND_KINDS = (MessageKind.ISSUE.value, MessageKind.COUNTER_OFFER.value)
"How far back a recall looks for the round it voids (only messages and shares can follow it)."
RECALL_LOOKBACK = 200


@dataclass(frozen=True)
class DraftIn:
    contact: device_input.ContactIn | None = None
    "None: unchanged (on update). A list replaces every line."
    lines: Sequence[device_input.DeviceIn] | None = None
    expires_at: datetime | None = None
    message: str | None = None


def _empty_draft() -> rules.QuoteState:
    return rules.QuoteState(rules.QuoteStatus.DRAFT, rules.QuoteSource.MERCHANT)


def _clean(data: DraftIn, currency_code: str, now: datetime) -> DraftIn:
    found = device_input.Collector()
    contact = (
        device_input.clean_contact(data.contact, ["input", "contact"], found)
        if data.contact is not None
        else None
    )
    lines = (
        device_input.clean_devices(data.lines, currency_code, ["input", "lines"], found)
        if data.lines
        else data.lines
    )
    if data.expires_at is not None and data.expires_at <= now:
        found.errors.append(
            DomainError(ErrorCode.INVALID_INPUT, "must be in the future", ["input", "expiresAt"])
        )
    message = found.run(v.text, data.message, ["input", "message"], limit=v.MAX_MESSAGE)
    found.raise_any()
    return DraftIn(contact, lines, data.expires_at, message)


def _lines_part(lines: Sequence[QuoteLine]) -> list[dict[str, Any]]:
    """The draft's lines as the chain records them."""
    return [
        {
            "lineId": line.id,
            "device": f"{line.brand} {line.model}",
            "storage": line.storage,
            "quantity": line.quantity,
            "offer": None if line.merchant_offer is None else str(line.merchant_offer),
        }
        for line in lines
    ]


async def _journal_edit(
    quote: Quote, pending: Pending, caller: Caller, now: datetime, lines: Sequence[QuoteLine]
) -> None:
    """A draft edit is chained but leaves no thread message: the customer never saw the draft.
    The contact stays out of the chain (personal data enters it only salted, on its own rows)."""
    await append_event(
        quote,
        {
            "draft": {
                "by": caller.staff_id,
                "expiresAt": quote.expires_at.isoformat() if quote.expires_at else None,
                "lines": _lines_part(lines),
            }
        },
        now,
    )
    quote.version += 1
    quote.updated_at = now
    await quote.save()
    pending.append((quote_topic(quote.id), {"type": "quote", "version": quote.version}))


async def create_draft_quote(deps: Deps, caller: Caller, data: DraftIn) -> Quote:
    """Staff write a quote themselves: DRAFT, lines at the merchant's offers, nothing sent."""
    caller.require_staff(NEGOTIATING_ROLES)
    now = deps.clock()
    rules.check(_empty_draft(), A.EDIT, caller.actor, now)
    if data.contact is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "a draft needs a contact", ["input", "contact"])
    async with unit_of_work(deps) as pending:
        organization = await Organization.get(id=caller.organization_id)
        cleaned = _clean(data, organization.currency_code, now)
        quote = await new_quote(
            organization,
            status=rules.QuoteStatus.DRAFT,
            source=rules.QuoteSource.MERCHANT,
            expires_at=cleaned.expires_at,
            now=now,
            created_by_id=caller.staff_id,
            contact=cleaned.contact,
        )
        lines = (
            await device_input.create_lines(quote, cleaned.lines, by=rules.Party.MERCHANT)
            if cleaned.lines
            else []
        )
        await record(
            quote,
            pending,
            kind=MessageKind.MESSAGE,
            by=caller,
            body=cleaned.message,
            now=now,
            status_from=rules.QuoteStatus.DRAFT,
            extra={"draft": {"lines": _lines_part(lines)}},
        )
    return quote


async def update_draft_quote(
    deps: Deps, caller: Caller, quote_id: int, data: DraftIn, expected_version: int | None
) -> Quote:
    """Change a DRAFT: the contact, the date, and (when given) every line at once."""
    now = deps.clock()
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        check_version(quote, expected_version)
        rules.check(quote_state(quote, []), A.EDIT, caller.actor, now)
        cleaned = _clean(data, quote.currency_code, now)
        if cleaned.contact is not None:
            quote.contact_name = cleaned.contact.name
            quote.contact_email = cleaned.contact.email
            quote.contact_phone = cleaned.contact.phone
        if cleaned.expires_at is not None:
            quote.expires_at = cleaned.expires_at
        if cleaned.lines is not None:
            # A draft's lines carry no round yet (a recalled issue leaves none): replace them.
            await QuoteLine.filter(quote_id=quote.id).delete()
            lines = (
                await device_input.create_lines(quote, cleaned.lines, by=rules.Party.MERCHANT)
                if cleaned.lines
                else []
            )
        else:
            lines = await quote_lines(quote)
        await _journal_edit(quote, pending, caller, now, lines)
    return quote


async def issue_quote(
    deps: Deps,
    caller: Caller,
    quote_id: int,
    message: str | None = None,
    send_email: bool = True,
) -> tuple[Quote, str]:
    """DRAFT to NEGOTIATING awaiting the customer; the link is emailed unless told not to."""
    now = deps.clock()
    body = v.text(message, ["input", "message"], limit=v.MAX_MESSAGE)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        lines = await quote_lines(quote)
        outcome = rules.issue(quote_state(quote, lines), caller.actor, now)
        if quote.expires_at is None:
            organization = await Organization.get(id=quote.organization_id)
            quote.expires_at = valid_until(
                now, organization.quote_validity_days, organization.time_zone
            )
        await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.ISSUE,
            by=caller,
            body=body,
            now=now,
            extra={
                "lines": _lines_part(lines),
                "expiresAt": quote.expires_at.isoformat(),
                "emailed": bool(send_email and quote.contact_email),
            },
        )
        if send_email and quote.contact_email:
            await log_share(quote, quote.contact_email, quote.contact_name, body, caller.staff_id, now)
            total = v.quantize(
                v.total((line.merchant_offer, line.quantity) for line in lines),
                quote.currency_code,
            )
            await email_customer(
                deps,
                quote,
                "quote_issued",
                now,
                message=body,
                total_offered=str(total),
                currency_code=quote.currency_code,
                expires_at=quote.expires_at.isoformat(),
            )
    return quote, customer_link(deps, quote)


async def _latest_round(quote: Quote) -> tuple[dict[str, Any], list[LineChange]]:
    """The event of the merchant's latest round (an issue or a counter offer) and its changes."""
    events = (
        await QuoteEvent.filter(quote_id=quote.id)
        .order_by("-seq")
        .limit(RECALL_LOOKBACK)
        .values_list("payload", flat=True)
    )
    for payload in events:
        message = payload.get("message") if isinstance(payload, dict) else None
        if message and message.get("kind") in ROUND_KINDS:
            changes = await LineChange.filter(message_id=message["id"]).order_by("id")
            return payload, changes
    raise DomainError(ErrorCode.INVALID_STATE, "there is no round of yours to recall")


async def recall_quote(
    deps: Deps, caller: Caller, quote_id: int, reason: str | None = None
) -> Quote:
    """Void the merchant's latest round before the customer answered it. The round stays in the
    log: a RECALL entry names what it voids. An issued draft returns to DRAFT, any other quote
    to awaiting the merchant, its lines as they were before that round."""
    now = deps.clock()
    body = v.text(reason, ["input", "reason"], limit=v.MAX_MESSAGE)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        lines = await quote_lines(quote)
        state = quote_state(quote, lines)
        rules.check(state, A.RECALL, caller.actor, now)
        payload, changes = await _latest_round(quote)
        restored = {change.line_id: snapshot_line(change.before) for change in changes}
        previous_lines = [restored.get(line.id, line) for line in state.lines]
        previous_status = rules.QuoteStatus(payload["status"]["from"])
        outcome = rules.recall(state, caller.actor, previous_lines, previous_status, now)
        customer_was_told = payload.get("extra", {}).get("emailed", True)
        await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.RECALL,
            by=caller,
            body=body,
            now=now,
            extra={
                "voids": {
                    "seq": payload["seq"],
                    "messageId": payload["message"]["id"],
                    "lineChanges": [change.id for change in changes],
                }
            },
        )
        if customer_was_told:
            await email_customer(deps, quote, "quote_recalled", now, reason=body)
    if quote.status is rules.QuoteStatus.DRAFT:  # a draft's link opens nothing
        await announce_revoked(deps.bus, [], [quote.id])
    return quote


def _copied_price(line: QuoteLine) -> Decimal:
    for price in (line.merchant_offer, line.agreed_price, line.customer_price, line.asking_price):
        if price is not None:
            return price
    return Decimal(0)


async def copy_quote(deps: Deps, caller: Caller, quote_id: int) -> Quote:
    """A new DRAFT with the quote's contact and lines, at the merchant's latest offers. The
    original stays as it is: an expired quote is copied, never revived."""
    now = deps.clock()
    async with unit_of_work(deps) as pending:
        original = await lock_quote(caller, quote_id)
        lines = await quote_lines(original)
        rules.check(quote_state(original, lines), A.COPY, caller.actor, now)
        units: dict[int, list[DeviceUnit]] = {}
        for unit in await DeviceUnit.filter(quote_id=original.id).order_by("position"):
            units.setdefault(unit.line_id, []).append(unit)
        devices = [
            device_input.DeviceIn(
                type=line.device_type,
                brand=line.brand,
                model=line.model,
                condition=line.condition,
                quantity=line.quantity,
                price=_copied_price(line),
                storage=line.storage,
                color=line.color,
                condition_answers=tuple(
                    (a["question"], a["answer"]) for a in line.condition_answers or []
                ),
                carrier_lock=line.carrier_lock,
                carrier=line.carrier,
                imeis=tuple(u.imei for u in units.get(line.id, []) if u.imei),
                serials=tuple(u.serial for u in units.get(line.id, []) if u.serial),
            )
            for line in lines
        ]
        organization = await Organization.get(id=original.organization_id)
        contact = None
        if original.contact_email:
            contact = device_input.ContactIn(
                original.contact_name or "", original.contact_email, original.contact_phone
            )
        quote = await new_quote(
            organization,
            status=rules.QuoteStatus.DRAFT,
            source=rules.QuoteSource.MERCHANT,
            expires_at=None,
            now=now,
            created_by_id=caller.staff_id,
            contact=contact,
        )
        new_lines = await device_input.create_lines(quote, devices, by=rules.Party.MERCHANT)
        await record(
            quote,
            pending,
            kind=MessageKind.MESSAGE,
            by=caller,
            body=None,
            now=now,
            status_from=rules.QuoteStatus.DRAFT,
            extra={"copiedFrom": original.number, "draft": {"lines": _lines_part(new_lines)}},
        )
    return quote
