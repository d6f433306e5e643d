"""Payouts and store credit as GraphQL sees them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.context import Info
from graphql_api.ids import to_global_id
from graphql_api.loaders_after import PayoutEntryRecord, PayoutRecord
from graphql_api.permissions import staff_caller
from graphql_api.types.common import Money, Node, money
from graphql_api.types.enums import PayoutMethod, PayoutStatus


def _money(amount: object, currency: str) -> Money:
    value = money(amount, currency)  # type: ignore[arg-type]
    assert value is not None
    return value


@strawberry.type(description="One step of a payout's history.")
class PayoutEntry:
    action: str = strawberry.field(description="CREATED, APPROVED, SETTLED, CONFIRMED or DECLINED.")
    status: PayoutStatus = strawberry.field(description="The payout's status after this step.")
    amount: Money = strawberry.field(description="What was due after this step.")
    note: str | None = strawberry.field(description="The reason given, for a decline.")
    at: datetime = strawberry.field(description="When it happened.")


@strawberry.type(
    description="What the merchant owes for a buy order: its total, what is still due after "
    "revised offers and returns, what was paid and what was declined."
)
class Payout(Node):
    id: strawberry.ID
    method: PayoutMethod = strawberry.field(description="How the customer is paid.")
    status: PayoutStatus = strawberry.field(description="Where the payout stands.")
    total: Money = strawberry.field(description="The buy order's total at conversion.")
    amount: Money = strawberry.field(description="What is due now.")
    declined_amount: Money = strawberry.field(
        description="The part not paid (returned devices, or a declined payout)."
    )
    paid_amount: Money = strawberry.field(description="What was paid.")
    decline_reason: str | None = strawberry.field(description="Why the payout was declined.")
    approved_at: datetime | None = strawberry.field(
        description="When finance approved it (finance gate on)."
    )
    settled_at: datetime | None = strawberry.field(description="When it was paid.")
    _record: strawberry.Private[PayoutRecord]

    @classmethod
    def from_record(cls, r: PayoutRecord) -> Payout:
        c = r.currency_code
        return cls(
            id=strawberry.ID(to_global_id("Payout", r.id)),
            method=r.method,
            status=r.status,
            total=_money(r.total, c),
            amount=_money(r.amount, c),
            declined_amount=_money(r.declined_amount, c),
            paid_amount=_money(r.paid_amount, c),
            decline_reason=r.decline_reason,
            approved_at=r.approved_at,
            settled_at=r.settled_at,
            _record=r,
        )

    @strawberry.field(
        description="Staff: the Stripe transfer id or check number it was settled with."
    )
    def reference(self, info: Info) -> str | None:
        staff_caller(info)
        return self._record.reference

    @strawberry.field(description="Staff: every step, oldest first.")
    async def history(self, info: Info) -> list[PayoutEntry]:
        staff_caller(info)
        rows: list[
            PayoutEntryRecord
        ] = await info.context.loaders.after.payout_entries_by_payout.load(self._record.id)
        c = self._record.currency_code
        return [
            PayoutEntry(
                action=r.action,
                status=r.status,
                amount=_money(r.amount, c),
                note=r.note,
                at=r.created_at,
            )
            for r in rows
        ]


@strawberry.type(
    description="A customer's store credit with the organization: the sum of its ledger."
)
class StoreCredit:
    email: str = strawberry.field(description="The customer's email (lower-cased).")
    balance: Money = strawberry.field(description="Credits less what was spent.")
