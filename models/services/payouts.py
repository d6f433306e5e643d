"""Payouts: the obligation made at conversion, approved (when the finance gate is on), settled
with a reference and confirmed, or declined; lowered by revised offers and returns; store
credit booked to the customer's ledger (models/services/store_credit.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from models import payout_rules as rules
from models import validation as v
from models.buy_order import BuyOrder
from models.enums import MessageKind, PayoutMethod, PayoutStatus, RevisionStatus, UnitStatus
from models.errors import DomainError, ErrorCode
from models.inventory import InventoryUnit
from models.organization import Organization
from models.payout import Payout, PayoutEntry
from models.quote import Quote
from models.revised_offer import RevisedOffer
from models.services import store_credit
from models.services.caller import Caller, Deps
from models.services.journal import Pending, record, unit_of_work
from models.services.mailing import email_customer

REFERENCE_MAX = 200


async def create_payout(order: BuyOrder, now: datetime) -> Payout:
    """The obligation of a new buy order, for its total (inside the conversion's transaction)."""
    payout = await Payout.create(
        organization_id=order.organization_id,
        buy_order_id=order.id,
        currency_code=order.currency_code,
        method=order.payout_method,
        total=order.total,
        amount=order.total,
        declined_amount=Decimal(0),
        paid_amount=Decimal(0),
        created_at=now,
    )
    await PayoutEntry.create(
        payout_id=payout.id,
        action="CREATED",
        status=payout.status,
        amount=payout.amount,
        created_at=now,
    )
    await refresh_payment_status(payout)
    return payout


async def refresh_payment_status(payout: Payout) -> None:
    """Write the customer's payment banner onto the buy order."""
    organization = await Organization.get(id=payout.organization_id)
    open_revisions = await RevisedOffer.filter(
        buy_order_id=payout.buy_order_id, status=RevisionStatus.OPEN
    ).count()
    status = rules.customer_status(payout.status, organization.finance_gate, open_revisions > 0)
    await BuyOrder.filter(id=payout.buy_order_id).update(payment_status=status)


async def lock_payout(caller: Caller, payout_id: int) -> tuple[Payout, Organization]:
    """The payout, row-locked, for a FINANCE (or OWNER/MANAGER) member of its organization."""
    caller.require_staff(rules.FINANCE_ROLES)
    payout = await Payout.filter(id=payout_id).select_for_update().first()
    if payout is None or payout.organization_id != caller.organization_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such payout", ["input", "payoutId"])
    return payout, await Organization.get(id=payout.organization_id)


async def _step(
    deps: Deps,
    payout: Payout,
    pending: Pending,
    action: str,
    now: datetime,
    *,
    by: Caller | None,
    note: str | None = None,
    email: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Save the payout, its history entry, the banner, and a sealed event in the quote's chain."""
    await payout.save()
    await PayoutEntry.create(
        payout_id=payout.id,
        action=action,
        status=payout.status,
        amount=payout.amount,
        note=note,
        staff_id=None if by is None else by.staff_id,
        created_at=now,
    )
    await refresh_payment_status(payout)
    order = await BuyOrder.get(id=payout.buy_order_id)
    quote = await Quote.filter(id=order.quote_id).select_for_update().first()
    assert quote is not None
    await record(
        quote,
        pending,
        kind=MessageKind.PAYOUT,
        by=by,
        body=None,
        now=now,
        status_from=quote.status,
        extra={"payout": {"action": action, **payout_part(payout), **(extra or {})}},
    )
    if email is not None:
        await email_customer(
            deps,
            quote,
            email,
            now,
            buy_order_number=order.number,
            amount=str(v.quantize(payout.amount, payout.currency_code)),
            paid_amount=str(v.quantize(payout.paid_amount, payout.currency_code)),
            declined_amount=str(v.quantize(payout.declined_amount, payout.currency_code)),
            currency_code=payout.currency_code,
            method=payout.method.value,
            reason=note,
        )


def payout_part(payout: Payout) -> dict[str, Any]:
    """What the chain seals of a payout: no references, no personal data."""

    def amount(value: Decimal) -> str:
        return str(v.quantize(Decimal(value), payout.currency_code))

    return {
        "id": payout.id,
        "status": payout.status.value,
        "method": payout.method.value,
        "total": amount(payout.total),
        "amount": amount(payout.amount),
        "declined": amount(payout.declined_amount),
        "paid": amount(payout.paid_amount),
    }


async def approve_payout(deps: Deps, caller: Caller, payout_id: int) -> Payout:
    now = deps.clock()
    async with unit_of_work(deps) as pending:
        payout, organization = await lock_payout(caller, payout_id)
        rules.check_approve(payout.status, organization.finance_gate)
        payout.status = PayoutStatus.APPROVED
        payout.approved_by_id = caller.staff_id
        payout.approved_at = now
        await _step(deps, payout, pending, "APPROVED", now, by=caller)
    return payout


def clean_reference(method: PayoutMethod, raw: str | None) -> str | None:
    reference = (raw or "").strip()
    if not reference and rules.needs_reference(method):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "a reference is required: the Stripe transfer id or the check number",
            ["input", "reference"],
        )
    if len(reference) > REFERENCE_MAX:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"at most {REFERENCE_MAX} characters", ["input", "reference"]
        )
    return reference or None


async def settle_payout(
    deps: Deps, caller: Caller, payout_id: int, reference: str | None
) -> Payout:
    """Record the payment of what is due: a check or store credit is PAID at once (store credit
    books the amount to the customer's ledger); a Stripe transfer is PROCESSING until Stripe's
    webhook confirms it."""
    now = deps.clock()
    async with unit_of_work(deps) as pending:
        payout, organization = await lock_payout(caller, payout_id)
        open_revisions = await RevisedOffer.filter(
            buy_order_id=payout.buy_order_id, status=RevisionStatus.OPEN
        ).count()
        rules.check_settle(payout.status, organization.finance_gate, payout.amount, open_revisions)
        payout.reference = clean_reference(payout.method, reference)
        payout.status = rules.settled_status(payout.method)
        if payout.status is PayoutStatus.PAID:
            payout.paid_amount = payout.amount
            payout.settled_at = now
        if payout.method is PayoutMethod.STORE_CREDIT:
            order = await BuyOrder.get(id=payout.buy_order_id)
            quote = await Quote.get(id=order.quote_id)
            if not quote.contact_email:
                raise DomainError(
                    ErrorCode.INVALID_STATE,
                    "store credit needs the customer's email",
                    ["input", "payoutId"],
                )
            await store_credit.book(
                payout.organization_id,
                quote.contact_email,
                payout.currency_code,
                payout.amount,
                payout_id=payout.id,
                note=f"Buy order {order.number}",
                staff_id=caller.staff_id,
                now=now,
            )
        paid = payout.status is PayoutStatus.PAID
        await _step(
            deps, payout, pending, "SETTLED", now, by=caller, email="payout_paid" if paid else None
        )
    return payout


async def confirm_stripe_transfer(deps: Deps, reference: str) -> Payout | None:
    """Stripe confirmed the transfer with this id: its PROCESSING payout becomes PAID."""
    now = deps.clock()
    async with unit_of_work(deps) as pending:
        payout = (
            await Payout.filter(
                method=PayoutMethod.STRIPE, reference=reference, status=PayoutStatus.PROCESSING
            )
            .select_for_update()
            .first()
        )
        if payout is None:
            return None
        payout.status = PayoutStatus.PAID
        payout.paid_amount = payout.amount
        payout.settled_at = now
        await _step(deps, payout, pending, "CONFIRMED", now, by=None, email="payout_paid")
    return payout


async def decline_payout(deps: Deps, caller: Caller, payout_id: int, reason: str) -> Payout:
    """Decline the whole payout (e.g. the devices never came); units still expected are canceled."""
    now = deps.clock()
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > 2000:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "say why, in 1 to 2000 characters", ["input", "reason"]
        )
    async with unit_of_work(deps) as pending:
        payout, _ = await lock_payout(caller, payout_id)
        rules.check_decline(payout.status)
        payout.declined_amount = v.quantize(
            payout.declined_amount + payout.amount, payout.currency_code
        )
        payout.amount = Decimal(0)
        payout.status = PayoutStatus.DECLINED
        payout.decline_reason = cleaned
        await InventoryUnit.filter(
            buy_order_id=payout.buy_order_id, status=UnitStatus.EXPECTED
        ).update(status=UnitStatus.CANCELED)
        await _step(
            deps, payout, pending, "DECLINED", now, by=caller, note=cleaned, email="payout_declined"
        )
    return payout


async def lower_payout(buy_order_id: int, *, by: Decimal, declined: bool) -> Payout:
    """Take `by` off what is due (inside the caller's transaction): a revised price accepted,
    or (declined) a unit returned, whose price counts as declined."""
    payout = await Payout.filter(buy_order_id=buy_order_id).select_for_update().first()
    assert payout is not None
    if payout.status is PayoutStatus.DECLINED:  # declined whole already: nothing left to lower
        return payout
    if payout.status not in rules.OPEN:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"the payout is already {payout.status.value}", ["input"]
        )
    payout.amount = v.quantize(max(payout.amount - by, Decimal(0)), payout.currency_code)
    if declined:
        payout.declined_amount = v.quantize(payout.declined_amount + by, payout.currency_code)
        if payout.amount == 0:  # every unit went back: nothing is left to pay
            payout.status = PayoutStatus.DECLINED
    await payout.save()
    return payout

