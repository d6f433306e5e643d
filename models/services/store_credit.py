"""Store credit: a ledger per customer email within the organization. Settled STORE_CREDIT
payouts credit it; staff spend it (a sale paid with it), never beyond the balance, once per
idempotency key, with a receipt emailed to the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models import payout_rules
from models import validation as v
from models.errors import DomainError, ErrorCode
from models.organization import Organization
from models.outbox import enqueue_email
from models.payout import StoreCreditEntry
from models.quote import Quote
from models.services import idempotency
from models.services.caller import Caller, Deps
from models.services.device_input import Collector
from models.services.portal import portal_url
from models.services.unit_of_work import unit_of_work

NOTE_MAX = 200
SCOPE = "store-credit-spend"


def _address(email: str) -> str:
    return email.strip().lower()


async def _ledger_sum(organization_id: int, email: str) -> Decimal | None:
    """Credits less spends of this (lower-cased) email; None when it has no entry at all."""
    rows = await StoreCreditEntry.filter(
        organization_id=organization_id, customer_email=email
    ).values_list("amount", flat=True)
    return sum((Decimal(str(a)) for a in rows), Decimal(0)) if rows else None


async def store_credit_balance(organization_id: int, email: str) -> Decimal:
    """The customer's balance (the email case-insensitive)."""
    organization = await Organization.get(id=organization_id)
    total = await _ledger_sum(organization_id, _address(email))
    return v.quantize(total or Decimal(0), organization.currency_code)


async def book(
    organization_id: int,
    email: str,
    currency_code: str,
    amount: Decimal,
    *,
    payout_id: int | None = None,
    note: str | None,
    staff_id: int | None,
    now: datetime,
) -> StoreCreditEntry:
    """Book an entry on the ledger (inside the caller's transaction): a credit, or a spend as
    a negative amount."""
    return await StoreCreditEntry.create(
        organization_id=organization_id,
        customer_email=_address(email),
        currency_code=currency_code,
        amount=amount,
        payout_id=payout_id,
        note=note,
        staff_id=staff_id,
        created_at=now,
    )


@dataclass(frozen=True)
class SpendIn:
    customer_email: str
    amount: Decimal
    "The amount's currency when the client names it: it must be the organization's."
    currency_code: str | None
    "What the credit paid for, e.g. a sale number: on the ledger and the customer's receipt."
    reference: str | None
    idempotency_key: str | None


@dataclass(frozen=True)
class Spent:
    customer_email: str
    amount: Decimal
    "The balance right after this spend."
    balance: Decimal
    currency_code: str


def _clean(data: SpendIn, currency_code: str) -> tuple[SpendIn, str]:
    """The spend with its email, amount and reference cleaned, and its idempotency key; every
    problem reported at once."""
    found = Collector()
    email = found.run(v.email, data.customer_email, ["input", "customerEmail"])
    amount = found.run(v.money, data.amount, currency_code, ["input", "amount"])
    if data.currency_code is not None and data.currency_code.strip().upper() != currency_code:
        found.errors.append(
            DomainError(
                ErrorCode.INVALID_INPUT,
                f"store credit is kept in {currency_code}",
                ["input", "currencyCode"],
            )
        )
    reference = found.run(v.text, data.reference, ["input", "reference"], limit=NOTE_MAX)
    key = found.run(v.text, data.idempotency_key, idempotency.KEY_PATH, limit=128, required=True)
    found.raise_any()
    assert email is not None and amount is not None and key is not None
    return SpendIn(_address(email), amount, currency_code, reference, None), key


async def spend_store_credit(deps: Deps, caller: Caller, data: SpendIn) -> Spent:
    """Debit the customer's store credit (FINANCE, MANAGER, OWNER). Refused beyond the balance
    (INSUFFICIENT_STORE_CREDIT) and for an email with no store credit (NOT_FOUND). Spends of
    one organization take turns on its row, so concurrent spends never overdraw."""
    caller.require_staff(payout_rules.FINANCE_ROLES)
    assert caller.organization_id is not None
    now = deps.clock()
    organization = await Organization.get(id=caller.organization_id)
    request, key = _clean(data, organization.currency_code)
    async with unit_of_work(deps):
        await Organization.filter(id=organization.id).select_for_update().get()
        earlier = await idempotency.replay(organization.id, SCOPE, key, request)
        if earlier is not None:
            return Spent(
                request.customer_email,
                Decimal(earlier["amount"]),
                Decimal(earlier["balance"]),
                organization.currency_code,
            )
        email = request.customer_email
        total = await _ledger_sum(organization.id, email)
        if total is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, "this email has no store credit", ["input", "customerEmail"]
            )
        balance = v.quantize(total, organization.currency_code)
        if request.amount > balance:
            raise DomainError(
                ErrorCode.INSUFFICIENT_STORE_CREDIT,
                f"the balance is {balance} {organization.currency_code}",
                ["input", "amount"],
            )
        await book(
            organization.id,
            email,
            organization.currency_code,
            -request.amount,
            note=request.reference,
            staff_id=caller.staff_id,
            now=now,
        )
        spent = Spent(email, request.amount, balance - request.amount, organization.currency_code)
        await idempotency.remember(
            organization.id,
            SCOPE,
            key,
            {"amount": str(spent.amount), "balance": str(spent.balance)},
            request,
        )
        await _email_receipt(deps, organization, spent, request.reference, now)
    return spent


async def _email_receipt(
    deps: Deps, organization: Organization, spent: Spent, reference: str | None, now: datetime
) -> None:
    """The customer's receipt: what was spent, on what, and what is left."""
    last_quote = (
        await Quote.filter(organization_id=organization.id, contact_email__iexact=spent.customer_email)
        .order_by("-id")
        .first()
    )
    name = None if last_quote is None else last_quote.contact_name
    await enqueue_email(
        template="store_credit_spent",
        to_address=spent.customer_email,
        to_name=name,
        organization_id=organization.id,
        context={
            "organization_name": organization.name,
            "customer_name": name,
            "amount": str(spent.amount),
            "balance": str(spent.balance),
            "currency_code": spent.currency_code,
            "reference": reference,
            "link_url": portal_url(deps, organization.slug),
        },
        now=now,
    )
