"""Payout rules, pure: who may approve, what settling and declining are allowed from, and what
the customer's payment banner says."""

from __future__ import annotations

from decimal import Decimal

from models.enums import PaymentStatus, PayoutMethod, PayoutStatus
from models.errors import DomainError, ErrorCode
from models.negotiation import StaffRole

"Who may approve, settle and decline payouts."
FINANCE_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER, StaffRole.FINANCE})
OPEN = frozenset({PayoutStatus.PENDING, PayoutStatus.APPROVED})


def customer_status(status: PayoutStatus, finance_gate: bool, under_review: bool) -> PaymentStatus:
    """The payment banner: UNDER_REVIEW while finance has not approved (gate on) or a revised
    offer waits for the customer's answer."""
    if status is PayoutStatus.PAID:
        return PaymentStatus.PAID
    if status is PayoutStatus.DECLINED:
        return PaymentStatus.DECLINED
    if under_review or (finance_gate and status is PayoutStatus.PENDING):
        return PaymentStatus.UNDER_REVIEW
    return PaymentStatus.PENDING


def _refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message, ["input", "payoutId"])


def check_approve(status: PayoutStatus, finance_gate: bool) -> None:
    if status is not PayoutStatus.PENDING:
        raise _refuse(f"the payout is {status.value}, not waiting for approval")
    if not finance_gate:
        raise _refuse("the finance gate is off: payouts are settled without approval")


def check_settle(
    status: PayoutStatus, finance_gate: bool, amount: Decimal, open_revisions: int
) -> None:
    if status is PayoutStatus.PENDING and finance_gate:
        raise _refuse("finance must approve this payout before it is settled")
    if status not in OPEN:
        raise _refuse(f"the payout is {status.value}")
    if open_revisions:
        raise _refuse("a revised offer waits for the customer's answer")
    if amount <= 0:
        raise _refuse("nothing is due: every unit was returned")


def settled_status(method: PayoutMethod) -> PayoutStatus:
    """Stripe confirms through its webhook; a check or store credit is paid when recorded."""
    return PayoutStatus.PROCESSING if method is PayoutMethod.STRIPE else PayoutStatus.PAID


def check_decline(status: PayoutStatus) -> None:
    if status not in OPEN:
        raise _refuse(f"the payout is {status.value}")


def needs_reference(method: PayoutMethod) -> bool:
    return method in (PayoutMethod.STRIPE, PayoutMethod.CHECK)
