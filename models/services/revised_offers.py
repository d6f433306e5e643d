"""Revised offers with evidence, on the quote's own thread and chain: the bench proposes a lower
price for a received unit with reasons and photos; the customer accepts (the payout is lowered)
or declines, or lets the reply window pass (the unit goes back on a free return label and its
part of the payout is declined)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from models import revisions as rules
from models import validation as v
from models.buy_order import BuyOrder, BuyOrderLine
from models.enums import MessageKind, RevisionReason, RevisionStatus, UnitStatus
from models.errors import DomainError, ErrorCode, Forbidden
from models.inventory import InventoryUnit, ReturnShipment
from models.organization import Organization
from models.payout import Payout
from models.quote import Quote
from models.revised_offer import EvidenceUpload, RevisedOffer
from models.services.caller import Caller, Deps
from models.services.journal import Pending, lock_quote, record, unit_of_work
from models.services.labels import LabelRequest
from models.services.mailing import email_customer
from models.services.notifications import NotificationKind, notify_staff
from models.services.payouts import lower_payout, refresh_payment_status
from models.services.receiving import lock_unit

LAPSE_BATCH = 100
log = logging.getLogger(__name__)


def revision_part(
    revision: RevisedOffer, quote_line_id: int, photos: Sequence[str]
) -> dict[str, Any]:
    """What the chain seals of a revised offer: prices, reasons, the photos' SHA-256, the
    deadline; no IMEI, no personal data (the note is the message body, chained salted)."""
    return {
        "id": revision.id,
        "unitId": revision.unit_id,
        "lineId": quote_line_id,
        "priceBefore": str(v.quantize(revision.price_before, revision.currency_code)),
        "price": str(v.quantize(revision.price, revision.currency_code)),
        "reasons": list(revision.reasons),
        "photos": list(photos),
        "replyBy": revision.reply_by.isoformat(),
    }


async def _quote_line_id(unit: InventoryUnit) -> int:
    line = await BuyOrderLine.get(id=unit.line_id)
    return line.quote_line_id


async def revise_offer(
    deps: Deps,
    caller: Caller,
    unit_id: int,
    price: Decimal,
    reasons: Sequence[RevisionReason],
    note: str | None,
    photo_ids: Sequence[int],
) -> RevisedOffer:
    now = deps.clock()
    cleaned_note = (note or "").strip() or None
    async with unit_of_work(deps) as pending:
        unit = await lock_unit(caller, unit_id)
        order = await BuyOrder.get(id=unit.buy_order_id)
        quote = await lock_quote(caller, order.quote_id, "unitId")
        organization = await Organization.get(id=unit.organization_id)
        amount = v.money(price, order.currency_code, ["input", "price"], allow_zero=True)
        photos = await EvidenceUpload.filter(
            id__in=list(photo_ids), organization_id=unit.organization_id, revised_offer_id=None
        ).exclude(uploaded_at=None)
        if len(photos) != len(set(photo_ids)):
            raise DomainError(
                ErrorCode.NOT_FOUND,
                "a photo is not uploaded yet, or is used already",
                ["input", "photoIds"],
            )
        open_revision = await RevisedOffer.filter(
            unit_id=unit.id, status=RevisionStatus.OPEN
        ).exists()
        rules.check_revision(
            unit.status,
            unit.price,
            amount,
            list(dict.fromkeys(reasons)),
            len(photos),
            cleaned_note,
            open_revision,
        )
        if not (organization.receiving_address or "").strip():
            raise DomainError(
                ErrorCode.INVALID_STATE,
                "set the receiving address first: a declined revised offer goes back on a free "
                "return label made from it",
                ["input", "unitId"],
            )
        revision = await RevisedOffer.create(
            organization_id=unit.organization_id,
            quote_id=quote.id,
            buy_order_id=order.id,
            unit_id=unit.id,
            currency_code=order.currency_code,
            price_before=unit.price,
            price=amount,
            reasons=[reason.value for reason in dict.fromkeys(reasons)],
            note=cleaned_note,
            reply_by=now + timedelta(days=organization.revision_reply_days),
            created_by_id=caller.staff_id,
            created_at=now,
        )
        await EvidenceUpload.filter(id__in=[p.id for p in photos]).update(
            revised_offer_id=revision.id
        )
        await refresh_payment_status_of(order.id)
        part = revision_part(
            revision, await _quote_line_id(unit), sorted(p.sha256 or "" for p in photos)
        )
        await record(
            quote,
            pending,
            kind=MessageKind.REVISED_OFFER,
            by=caller,
            body=cleaned_note,
            now=now,
            status_from=quote.status,
            extra={"revisedOffer": part},
        )
        await email_customer(
            deps,
            quote,
            "revised_offer",
            now,
            device=f"{unit.brand} {unit.model}",
            price_before=part["priceBefore"],
            price=part["price"],
            currency_code=revision.currency_code,
            reasons=", ".join(r.label for r in rules.REASONS if r.code.value in revision.reasons),
            reply_by=revision.reply_by.isoformat(),
            message=cleaned_note,
        )
    return revision


async def refresh_payment_status_of(buy_order_id: int) -> None:
    payout = await Payout.get(buy_order_id=buy_order_id)
    await refresh_payment_status(payout)


async def answer_revised_offer(
    deps: Deps, caller: Caller, revision_id: int, accept: bool
) -> RevisedOffer:
    """The customer's answer, through their link or the portal."""
    if caller.is_staff:
        raise Forbidden("only the customer answers a revised offer")
    now = deps.clock()
    async with unit_of_work(deps) as pending:
        found = await RevisedOffer.filter(id=revision_id).first()
        if found is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, "no such revised offer", ["input", "revisedOfferId"]
            )
        quote = await lock_quote(caller, found.quote_id, "revisedOfferId")
        revision = await RevisedOffer.filter(id=revision_id).select_for_update().get()
        rules.check_answer(revision.status, revision.reply_by, now)
        status = RevisionStatus.ACCEPTED if accept else RevisionStatus.DECLINED
        await _close(deps, quote, revision, status, now, pending, by=caller)
    return revision


async def _close(
    deps: Deps,
    quote: Quote,
    revision: RevisedOffer,
    status: RevisionStatus,
    now: datetime,
    pending: Pending,
    *,
    by: Caller | None,
) -> None:
    unit = await InventoryUnit.filter(id=revision.unit_id).select_for_update().get()
    shipment = None
    if status is RevisionStatus.ACCEPTED:
        payout = await lower_payout(
            revision.buy_order_id, by=unit.price - revision.price, declined=False
        )
        unit.price = revision.price
    else:
        payout = await lower_payout(revision.buy_order_id, by=unit.price, declined=True)
        unit.status = UnitStatus.RETURNING
        shipment = await start_return(deps, quote, unit, status.value, now)
    await unit.save()
    revision.status = status
    revision.answered_at = now
    await revision.save()
    await refresh_payment_status(payout)
    answer: dict[str, Any] = {
        "id": revision.id,
        "status": status.value,
        "payoutAmount": str(v.quantize(payout.amount, payout.currency_code)),
        "declinedAmount": str(v.quantize(payout.declined_amount, payout.currency_code)),
    }
    if shipment is not None:
        answer["return"] = {
            "id": shipment.id,
            "carrier": shipment.carrier,
            "tracking": shipment.tracking_number,
        }
    await record(
        quote,
        pending,
        kind=MessageKind.REVISION_ANSWER,
        by=by,
        body=None,
        now=now,
        status_from=quote.status,
        extra={"revisionAnswer": answer},
    )
    await notify_staff(
        pending, quote, NotificationKind.REVISED_OFFER_ANSWERED, now,
        status=status.value, device=f"{unit.brand} {unit.model}",
    )  # fmt: skip
    await email_customer(
        deps,
        quote,
        "revised_offer_answered",
        now,
        status=status.value,
        device=f"{unit.brand} {unit.model}",
        price=str(v.quantize(revision.price, revision.currency_code)),
        payout_amount=answer["payoutAmount"],
        currency_code=revision.currency_code,
        tracking_number=None if shipment is None else shipment.tracking_number,
        carrier=None if shipment is None else shipment.carrier,
        label_url=None if shipment is None else shipment.label_url,
    )


async def start_return(
    deps: Deps, quote: Quote, unit: InventoryUnit, reason: str, now: datetime
) -> ReturnShipment:
    """A return shipment of the unit on a label the merchant pays for."""
    organization = await Organization.get(id=unit.organization_id)
    label = await deps.labels.create_label(
        LabelRequest(
            organization_name=organization.name,
            address=organization.receiving_address,
            customer=quote.contact_name,
            reference=f"return-{unit.id}",
        )
    )
    return await ReturnShipment.create(
        organization_id=unit.organization_id,
        unit_id=unit.id,
        buy_order_id=unit.buy_order_id,
        carrier=label.carrier,
        tracking_number=label.tracking_number,
        label_url=label.label_url,
        reason=reason,
        created_at=now,
    )


async def lapse_revised_offers(
    deps: Deps, now: datetime | None = None, limit: int = LAPSE_BATCH
) -> int:
    """The sweep: revised offers past their reply window lapse; each unit goes back. Safe on
    every replica (each one is re-checked under its lock)."""
    now = now or deps.clock()
    due = (
        await RevisedOffer.filter(status=RevisionStatus.OPEN, reply_by__lte=now)
        .order_by("reply_by")
        .limit(limit)
        .values_list("id", "quote_id")
    )
    lapsed = 0
    for revision_id, quote_id in due:
        try:
            lapsed += await _lapse(deps, revision_id, quote_id, now)
        except DomainError as error:  # e.g. the label service is down: the next sweep retries
            log.warning("revised offer %s did not lapse yet: %s", revision_id, error.message)
    return lapsed


async def _lapse(deps: Deps, revision_id: int, quote_id: int, now: datetime) -> int:
    async with unit_of_work(deps) as pending:
        quote = await Quote.filter(id=quote_id).select_for_update().get()
        revision = await RevisedOffer.filter(id=revision_id).select_for_update().get()
        if revision.status is not RevisionStatus.OPEN or revision.reply_by > now:
            return 0
        await _close(deps, quote, revision, RevisionStatus.LAPSED, now, pending, by=None)
    return 1
