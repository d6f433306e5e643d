"""Conversion: an accepted quote becomes a buy order, exactly once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from models import fulfillment as fulfillment_rules
from models import negotiation as rules
from models import validation as v
from models.buy_order import BuyOrder, BuyOrderLine
from models.enums import Fulfillment, MessageKind, PayoutMethod
from models.errors import DomainError, ErrorCode
from models.evidence import agreed_terms
from models.organization import Organization
from models.quote import Quote
from models.services import idempotency
from models.services.caller import Caller, Deps
from models.services.journal import (
    conclude,
    lock_quote,
    quote_lines,
    quote_state,
    unit_of_work,
    utcnow,
)
from models.services.labels import Label, LabelRequest, LabelUnavailable
from models.services.locking import find_quote
from models.services.mailing import email_customer
from models.services.payouts import create_payout
from models.services.receiving import expect_units
from models.services.requests import next_number
from models.services.tampering import Tampered, report_tampering
from models.services.verification import load_rows, problems_of


async def signed_terms(deps: Deps, quote_id: int) -> dict[int, tuple[Decimal, int]]:
    """(agreed unit price, quantity) by line, as signed; `Tampered` unless every record of the
    quote checks out (chain, seal, acceptance, and lines equal to the terms)."""
    rows = await load_rows(quote_id)
    assert rows is not None  # the caller holds the quote's lock
    problems = problems_of(rows, deps.keys)
    if problems:
        raise Tampered(problems)
    terms = agreed_terms([event.payload for event in rows.events])
    if terms is None:  # chained before line state was: the verified lines are the terms
        terms = [
            {"lineId": line.id, "agreedPrice": line.agreed_price, "quantity": line.quantity}
            for line in rows.lines
            if line.status is rules.LineStatus.ACCEPTED
        ]
    return {
        int(line["lineId"]): (Decimal(str(line["agreedPrice"])), int(line["quantity"]))
        for line in terms
    }


@dataclass(frozen=True)
class ConversionIn:
    payout_method: PayoutMethod
    fulfillment: Fulfillment
    idempotency_key: str | None = None


async def convert_to_buy_order(
    deps: Deps, caller: Caller, quote_id: int, data: ConversionIn
) -> tuple[Quote, BuyOrder]:
    """The buy order of the signed terms, after checking that the records still match them;
    CONVERTED. Altered records refuse the conversion (TAMPERED) and are reported."""
    try:
        return await _convert(deps, caller, quote_id, data)
    except Tampered as refused:
        await report_tampering(deps, quote_id, refused.problems)
        raise


def _scope(quote: Quote) -> str:
    return f"convert:{quote.id}"


async def _fulfillment(quote: Quote, fulfillment: Fulfillment) -> Organization:
    """The quote's organization, once it is clear it offers this fulfilment (and can ship)."""
    organization = await Organization.get(id=quote.organization_id)
    offered = fulfillment_rules.offered(
        organization.fulfillment_methods, organization.receiving_address
    )
    fulfillment_rules.check_conversion(fulfillment, offered, organization.receiving_address)
    return organization


async def _carrier_label(
    deps: Deps, caller: Caller, quote_id: int, data: ConversionIn, key: str | None
) -> Label | None:
    """The inbound label of a SHIP conversion from the carrier's service, asked for before the
    conversion's transaction (no HTTP while rows are locked), once the conversion looks
    possible; None for PICKUP, for the built-in label, and for a replay (its order has one)."""
    if data.fulfillment is not Fulfillment.SHIP or not deps.labels.carrier:
        return None
    quote = await find_quote(caller, quote_id)  # not locked: no HTTP call holds a lock
    rules.permit(rules.QuoteAction.CONVERT_TO_BUY_ORDER, caller.actor)
    request = dataclasses.replace(data, idempotency_key=None)
    if await idempotency.replay(quote.organization_id, _scope(quote), key, request) is not None:
        return None
    rules.convert(quote_state(quote, await quote_lines(quote)), caller.actor, utcnow())
    organization = await _fulfillment(quote, data.fulfillment)
    label_request = LabelRequest(
        organization_name=organization.name,
        address=organization.receiving_address,
        customer=quote.contact_name,
        reference=quote.number,
        inbound=True,
    )
    try:
        return await deps.labels.create_label(label_request)
    except LabelUnavailable as error:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"no shipping label: {error.message}. Nothing was converted: try again, or convert "
            "with PICKUP",
            ["input", "fulfillment"],
        ) from None


async def _convert(
    deps: Deps, caller: Caller, quote_id: int, data: ConversionIn
) -> tuple[Quote, BuyOrder]:
    now = utcnow()
    key = idempotency.clean_key(data.idempotency_key)
    request = dataclasses.replace(data, idempotency_key=None)
    label = await _carrier_label(deps, caller, quote_id, data, key)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        rules.permit(rules.QuoteAction.CONVERT_TO_BUY_ORDER, caller.actor)  # before any replay
        scope = _scope(quote)
        if (earlier := await idempotency.replay(
            quote.organization_id, scope, key, request
        )) is not None:
            return quote, await BuyOrder.get(id=earlier["buyOrderId"])
        lines = await quote_lines(quote)
        outcome = rules.convert(quote_state(quote, lines), caller.actor, now)
        organization = await _fulfillment(quote, data.fulfillment)
        ship = data.fulfillment is Fulfillment.SHIP
        signed = await signed_terms(deps, quote.id)
        accepted = [line for line in lines if line.id in signed]
        total = v.quantize(
            v.total(signed[line.id] for line in accepted),
            quote.currency_code,
        )
        order = await BuyOrder.create(
            organization_id=quote.organization_id,
            quote_id=quote.id,
            number=await next_number(quote.organization_id, "buy_order_counter", "BO"),
            currency_code=quote.currency_code,
            total=total,
            payout_method=data.payout_method,
            fulfillment=data.fulfillment,
            carrier=None if label is None else label.carrier,
            tracking_number=None if label is None else label.tracking_number,
            label_url=None if label is None else label.label_url,
            created_by_id=caller.staff_id,
            created_at=now,
        )
        await BuyOrderLine.bulk_create(
            [
                BuyOrderLine(
                    buy_order_id=order.id,
                    quote_line_id=line.id,
                    position=position,
                    device_type=line.device_type,
                    brand=line.brand,
                    model=line.model,
                    storage=line.storage,
                    color=line.color,
                    quantity=signed[line.id][1],
                    unit_price=signed[line.id][0],
                    total=signed[line.id][0] * signed[line.id][1],
                )
                for position, line in enumerate(accepted, start=1)
            ]
        )
        await create_payout(order, now)
        await expect_units(order)
        await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.CONVERSION,
            by=caller,
            body=None,
            now=now,
            extra={
                "buyOrder": {
                    "id": order.id,
                    "number": order.number,
                    "total": str(total),
                    "payoutMethod": data.payout_method.value,
                    "fulfillment": data.fulfillment.value,
                }
            },
        )
        await idempotency.remember(
            quote.organization_id, scope, key, {"buyOrderId": order.id}, request
        )
        built_in_label = ship and label is None
        await email_customer(
            deps,
            quote,
            "quote_converted",
            now,
            buy_order_id=order.id,
            buy_order_number=order.number,
            fulfillment=data.fulfillment.value,
            pickup_instructions=None if ship else organization.pickup_instructions,
            total=str(total),
            currency_code=quote.currency_code,
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            label_url=order.label_url,
            attachments=(
                [{"kind": "shipping_label", "buy_order_id": order.id}] if built_in_label else []
            ),
        )
    return quote, order
