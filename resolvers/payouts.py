"""Payouts: approve (finance gate), settle with a reference, decline; store-credit balances and
spends."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from graphql_api.context import Info
from graphql_api.errors import (
    UserError,
    attempt,
    bad_user_input,
    forbidden,
    not_found,
    unauthenticated,
)
from graphql_api.ids import decode_id, from_cursor, page_size, to_cursor
from graphql_api.loaders import newest_first
from graphql_api.loaders_after import PayoutRecord, fresh_payout
from graphql_api.permissions import staff_caller
from graphql_api.types.common import Money, PageInfo, money
from graphql_api.types.enums import PayoutStatus
from graphql_api.types.payout import Payout, StoreCredit
from models import validation as v
from models.errors import DomainError
from models.organization import Organization
from models.payout import Payout as PayoutRow
from models.payout_rules import FINANCE_ROLES
from models.quote import Quote as QuoteRow
from models.services import payouts, store_credit


@strawberry.type(description="The result of a payout action.")
class PayoutPayload:
    payout: Payout | None = strawberry.field(description="The payout after the action.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.input(description="Which payout.")
class ApprovePayoutInput:
    payout_id: strawberry.ID = strawberry.field(description="The payout's ID.")


@strawberry.input(description="Record a payment.")
class SettlePayoutInput:
    payout_id: strawberry.ID = strawberry.field(description="The payout's ID.")
    reference: str | None = strawberry.field(
        default=None,
        description="The Stripe transfer id (tr_…) or the check number; optional for store credit.",
    )


@strawberry.input(description="Decline a payout.")
class DeclinePayoutInput:
    payout_id: strawberry.ID = strawberry.field(description="The payout's ID.")
    reason: str = strawberry.field(description="Why, shown to the customer.")


@strawberry.input(description="Spend a customer's store credit, e.g. on a sale paid with it.")
class SpendStoreCreditInput:
    customer_email: str = strawberry.field(description="Whose store credit (case-insensitive).")
    amount: Decimal = strawberry.field(
        description="Positive, in the organization's currency, at most the balance."
    )
    currency_code: str | None = strawberry.field(
        default=None, description="Optional; when given, it must be the organization's currency."
    )
    reference: str | None = strawberry.field(
        default=None,
        description="What it paid for, e.g. a sale number: kept on the ledger and on the receipt.",
    )
    idempotency_key: str = strawberry.field(
        description="Required: a retry with the same key returns the first result and spends once."
    )


@strawberry.type(description="The result of a store-credit spend.")
class SpendStoreCreditPayload:
    spent: Money | None = strawberry.field(description="What was spent.")
    store_credit: StoreCredit | None = strawberry.field(
        description="The customer's store credit right after the spend."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


async def _payload(info: Info, result: object) -> PayoutPayload:
    if isinstance(result, list):
        return PayoutPayload(payout=None, user_errors=result)
    assert isinstance(result, PayoutRow)
    return PayoutPayload(payout=Payout.from_record(await fresh_payout(result.id)), user_errors=[])


def _id(raw: strawberry.ID) -> int | None:
    return decode_id(raw, "Payout")


@strawberry.type
class PayoutMutations:
    @strawberry.mutation(
        description="Finance (or owner/manager): approve a payout when the finance gate is on."
    )
    async def approve_payout(self, info: Info, input: ApprovePayoutInput) -> PayoutPayload:
        if (pk := _id(input.payout_id)) is None:
            return PayoutPayload(payout=None, user_errors=not_found(["input", "payoutId"]))
        ctx = info.context
        return await _payload(info, await attempt(payouts.approve_payout(ctx.deps, ctx.caller, pk)))

    @strawberry.mutation(
        description="Finance (or owner/manager): record the payment of what is due, with its reference. "
        "A check or store credit is PAID at once; a Stripe transfer is PROCESSING until Stripe confirms it."
    )
    async def settle_payout(self, info: Info, input: SettlePayoutInput) -> PayoutPayload:
        if (pk := _id(input.payout_id)) is None:
            return PayoutPayload(payout=None, user_errors=not_found(["input", "payoutId"]))
        ctx = info.context
        return await _payload(
            info, await attempt(payouts.settle_payout(ctx.deps, ctx.caller, pk, input.reference))
        )

    @strawberry.mutation(
        description="Finance (or owner/manager): decline the whole payout, with a reason."
    )
    async def decline_payout(self, info: Info, input: DeclinePayoutInput) -> PayoutPayload:
        if (pk := _id(input.payout_id)) is None:
            return PayoutPayload(payout=None, user_errors=not_found(["input", "payoutId"]))
        ctx = info.context
        return await _payload(
            info, await attempt(payouts.decline_payout(ctx.deps, ctx.caller, pk, input.reason))
        )


    @strawberry.mutation(
        description="Finance (or owner/manager): spend a customer's store credit. Refused beyond "
        "the balance (INSUFFICIENT_STORE_CREDIT); the customer is emailed a receipt."
    )
    async def spend_store_credit(
        self, info: Info, input: SpendStoreCreditInput
    ) -> SpendStoreCreditPayload:
        ctx = info.context
        data = store_credit.SpendIn(
            customer_email=input.customer_email,
            amount=input.amount,
            currency_code=input.currency_code,
            reference=input.reference,
            idempotency_key=input.idempotency_key,
        )
        result = await attempt(store_credit.spend_store_credit(ctx.deps, ctx.caller, data))
        if isinstance(result, list):
            return SpendStoreCreditPayload(spent=None, store_credit=None, user_errors=result)
        return SpendStoreCreditPayload(
            spent=money(result.amount, result.currency_code),
            store_credit=StoreCredit(
                email=result.customer_email,
                balance=money(result.balance, result.currency_code),  # type: ignore[arg-type]
            ),
            user_errors=[],
        )


@strawberry.type
class PayoutQueries:
    @strawberry.field(
        description="A customer's store-credit balance. Staff name the email; a quote link or a portal "
        "session sees its own customer's balance (the email argument is ignored)."
    )
    async def store_credit(self, info: Info, email: str | None = None) -> StoreCredit | None:
        caller = info.context.caller
        if caller.is_staff and caller.organization_id is not None:
            if not email:
                return None
            try:
                address = v.email(email, ["email"])
            except DomainError as error:
                raise bad_user_input(f"email: {error.message}") from None
            organization_id = caller.organization_id
        elif caller.quote_id is not None:
            quote = await QuoteRow.filter(id=caller.quote_id).first()
            if quote is None or not quote.contact_email:
                return None
            organization_id, address = quote.organization_id, quote.contact_email
        elif caller.customer_email is not None and caller.organization_id is not None:
            organization_id, address = caller.organization_id, caller.customer_email
        else:
            raise unauthenticated("Sign in or use your quote link.")
        organization = await Organization.get(id=organization_id)
        balance = await store_credit.store_credit_balance(organization_id, address)
        shown = money(balance, organization.currency_code)
        assert shown is not None
        return StoreCredit(email=address.strip().lower(), balance=shown)


@strawberry.type(description="An edge of a payout connection.")
class PayoutEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after`.")
    node: Payout = strawberry.field(description="The payout.")


@strawberry.type(description="A page of payouts, newest first.")
class PayoutConnection:
    edges: list[PayoutEdge] = strawberry.field(description="The payouts of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page is.")
    total_count: int = strawberry.field(description="Payouts matching the filter.")


@strawberry.type
class PayoutListQueries:
    @strawberry.field(
        description="Finance (or owner/manager): the organization's payouts, newest first, "
        "optionally of one status (e.g. PENDING: waiting for approval when the gate is on)."
    )
    async def payouts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: PayoutStatus | None = None,
    ) -> PayoutConnection:
        caller = staff_caller(info)
        if caller.role not in FINANCE_ROLES:
            raise forbidden("Payouts are for finance, managers and owners.")
        size = page_size(first, default=50)
        after_id = from_cursor(after)
        query = PayoutRow.filter(organization_id=caller.organization_id)
        if status is not None:
            query = query.filter(status=status)
        found, total = await newest_first(query, PayoutRecord, size, after_id)
        edges = [PayoutEdge(cursor=to_cursor(r.id), node=Payout.from_record(r)) for r in found[:size]]
        return PayoutConnection(
            edges=edges,
            page_info=PageInfo.of(
                [e.cursor for e in edges], has_next=len(found) > size, after=after_id
            ),
            total_count=total,
        )
