"""Payouts after conversion: the finance gate on and off, approve / settle / decline, partial
payment after a return, store credit on the customer's ledger (seen through the link), and the
customer's payment banner at each step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models import payout_rules
from models.enums import PaymentStatus, PayoutStatus
from models.errors import DomainError
from models.negotiation import StaffRole
from models.services.journal import chain_is_valid
from tests import documents as doc
from tests.after_flow import APPROVE, DECLINE, SETTLE, codes, converted, order_of, staff_order
from tests.client import Api, Org

STORE_CREDIT = "query Credit($email: String) { storeCredit(email: $email) { email balance { amount currencyCode } } }"


@pytest.mark.parametrize(
    ("status", "gate", "review", "shown"),
    [
        (PayoutStatus.PENDING, False, False, PaymentStatus.PENDING),
        (PayoutStatus.PENDING, True, False, PaymentStatus.UNDER_REVIEW),
        (PayoutStatus.APPROVED, True, False, PaymentStatus.PENDING),
        (PayoutStatus.APPROVED, True, True, PaymentStatus.UNDER_REVIEW),
        (PayoutStatus.PROCESSING, False, False, PaymentStatus.PENDING),
        (PayoutStatus.PAID, True, False, PaymentStatus.PAID),
        (PayoutStatus.DECLINED, False, True, PaymentStatus.DECLINED),
    ],
)
def test_the_payment_banner(
    status: PayoutStatus, gate: bool, review: bool, shown: PaymentStatus
) -> None:
    assert payout_rules.customer_status(status, gate, review) is shown


def test_settling_rules() -> None:
    with pytest.raises(DomainError, match="finance must approve"):
        payout_rules.check_settle(PayoutStatus.PENDING, True, Decimal(1), 0)
    with pytest.raises(DomainError, match="revised offer"):
        payout_rules.check_settle(PayoutStatus.APPROVED, True, Decimal(1), 1)
    with pytest.raises(DomainError, match="nothing is due"):
        payout_rules.check_settle(PayoutStatus.PENDING, False, Decimal(0), 0)
    payout_rules.check_settle(PayoutStatus.PENDING, False, Decimal(1), 0)


async def test_gate_off_a_check_is_settled_directly(api: Api, org: Org, app: object) -> None:
    quote_id, link = await converted(api, org, "CHECK")
    order = (await order_of(api, quote_id, link))["buyOrder"]
    assert order["paymentStatus"] == "PENDING"
    payout = order["payout"]
    assert (payout["status"], payout["total"]["amount"], payout["amount"]["amount"]) == (
        "PENDING",
        "1100.00",
        "1100.00",
    )
    # approving makes no sense with the gate off
    data = await api(APPROVE, {"input": {"payoutId": payout["id"]}}, org.owner_token)
    assert codes(data["approvePayout"]) == ["INVALID_STATE"]
    # a check needs its number
    data = await api(SETTLE, {"input": {"payoutId": payout["id"]}}, org.owner_token)
    assert codes(data["settlePayout"]) == ["INVALID_INPUT"]
    data = await api(
        SETTLE, {"input": {"payoutId": payout["id"], "reference": "CHK-1042"}}, org.owner_token
    )
    settled = data["settlePayout"]
    assert settled["userErrors"] == []
    assert (settled["payout"]["status"], settled["payout"]["paidAmount"]["amount"]) == (
        "PAID",
        "1100.00",
    )
    assert (await order_of(api, quote_id, link))["buyOrder"]["paymentStatus"] == "PAID"
    staff = await staff_order(api, quote_id, org.owner_token)
    assert staff["payout"]["reference"] == "CHK-1042"
    assert [h["action"] for h in staff["payout"]["history"]] == ["CREATED", "SETTLED"]
    # settled once: again is refused
    data = await api(
        SETTLE, {"input": {"payoutId": payout["id"], "reference": "CHK-1043"}}, org.owner_token
    )
    assert codes(data["settlePayout"]) == ["INVALID_STATE"]
    from graphql_api.ids import decode_id

    pk = decode_id(quote_id, "Quote")
    assert pk is not None and await chain_is_valid(pk, app.state.deps.keys)  # type: ignore[attr-defined]


async def test_gate_on_finance_approves_before_settling(api: Api, org: Org) -> None:
    quote_id, link = await converted(api, org, "CHECK", finance_gate=True)
    order = (await order_of(api, quote_id, link))["buyOrder"]
    assert order["paymentStatus"] == "UNDER_REVIEW"
    payout_id = order["payout"]["id"]
    data = await api(
        SETTLE, {"input": {"payoutId": payout_id, "reference": "CHK-7"}}, org.owner_token
    )
    assert codes(data["settlePayout"]) == ["INVALID_STATE"]
    # a sales rep or a technician may not approve; finance may
    for role in (StaffRole.SALES_REP, StaffRole.TECHNICIAN):
        refused = await api.raw(
            APPROVE, {"input": {"payoutId": payout_id}}, await org.staff_token(role)
        )
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finance = await org.staff_token(StaffRole.FINANCE)
    data = await api(APPROVE, {"input": {"payoutId": payout_id}}, finance)
    assert data["approvePayout"]["userErrors"] == []
    assert data["approvePayout"]["payout"]["status"] == "APPROVED"
    assert (await order_of(api, quote_id, link))["buyOrder"]["paymentStatus"] == "PENDING"
    data = await api(SETTLE, {"input": {"payoutId": payout_id, "reference": "CHK-7"}}, finance)
    assert data["settlePayout"]["payout"]["status"] == "PAID"


async def test_a_customer_cannot_see_the_reference_nor_settle(api: Api, org: Org) -> None:
    quote_id, link = await converted(api, org, "CHECK")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    refused = await api.raw(SETTLE, {"input": {"payoutId": payout_id, "reference": "x"}}, link)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hidden = await api.raw(
        "query Q($id: ID!) { quote(id: $id) { buyOrder { payout { reference } } } }",
        {"id": quote_id},
        link,
    )
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_declining_cancels_the_expected_units(api: Api, org: Org) -> None:
    quote_id, link = await converted(api, org, "CHECK")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    data = await api(DECLINE, {"input": {"payoutId": payout_id, "reason": "  "}}, org.owner_token)
    assert codes(data["declinePayout"]) == ["INVALID_INPUT"]
    data = await api(
        DECLINE,
        {"input": {"payoutId": payout_id, "reason": "Devices never arrived"}},
        org.owner_token,
    )
    declined = data["declinePayout"]["payout"]
    assert (
        declined["status"],
        declined["amount"]["amount"],
        declined["declinedAmount"]["amount"],
    ) == (
        "DECLINED",
        "0.00",
        "1100.00",
    )
    assert (await order_of(api, quote_id, link))["buyOrder"]["paymentStatus"] == "DECLINED"
    units = (await staff_order(api, quote_id, org.owner_token))["units"]
    assert {u["status"] for u in units} == {"CANCELED"}
    data = await api(
        SETTLE, {"input": {"payoutId": payout_id, "reference": "CHK-1"}}, org.owner_token
    )
    assert codes(data["settlePayout"]) == ["INVALID_STATE"]


async def test_store_credit_is_booked_to_the_customers_ledger(api: Api, org: Org) -> None:
    quote_id, link = await converted(api, org, "STORE_CREDIT")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    before = await api(STORE_CREDIT, {}, link)
    assert before["storeCredit"]["balance"] == {"amount": "0.00", "currencyCode": "USD"}
    data = await api(SETTLE, {"input": {"payoutId": payout_id}}, org.owner_token)
    assert data["settlePayout"]["payout"]["status"] == "PAID"
    # a second order of the same customer adds to the same balance
    second_id, second_link = await converted(api, org, "STORE_CREDIT")
    second = (await order_of(api, second_id, second_link))["buyOrder"]["payout"]["id"]
    await api(SETTLE, {"input": {"payoutId": second}}, org.owner_token)
    through_link = await api(STORE_CREDIT, {}, link)
    assert through_link["storeCredit"] == {
        "email": "zoe@example.com",
        "balance": {"amount": "2200.00", "currencyCode": "USD"},
    }
    by_staff = await api(STORE_CREDIT, {"email": "ZOE@example.com"}, org.owner_token)
    assert by_staff["storeCredit"]["balance"]["amount"] == "2200.00"
    other = await api(STORE_CREDIT, {"email": "someone@example.com"}, org.owner_token)
    assert other["storeCredit"]["balance"]["amount"] == "0.00"


async def test_another_organization_cannot_touch_the_payout(api: Api, org: Org) -> None:
    from tests.client import make_org

    quote_id, link = await converted(api, org, "CHECK")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    stranger = await make_org(api)
    data = await api(
        SETTLE, {"input": {"payoutId": payout_id, "reference": "CHK-1"}}, stranger.owner_token
    )
    assert codes(data["settlePayout"]) == ["NOT_FOUND"]
    data = await api(
        SETTLE, {"input": {"payoutId": "bm9wZQ", "reference": "CHK-1"}}, org.owner_token
    )
    assert codes(data["settlePayout"]) == ["NOT_FOUND"]


_ = doc


async def test_the_portal_sees_its_store_credit_and_nobody_elses(api: Api, org: Org) -> None:
    from graphql_api.auth import issue_token
    from models.organization import TokenKind

    quote_id, link = await converted(api, org, "STORE_CREDIT")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    await api(SETTLE, {"input": {"payoutId": payout_id}}, org.owner_token)
    portal, _ = await issue_token(TokenKind.PORTAL, org.id, customer_email="Zoe@Example.com")
    mine = await api(STORE_CREDIT, {"email": "someone@example.com"}, portal)  # the argument is ignored
    assert mine["storeCredit"] == {"email": "zoe@example.com", "balance": {"amount": "1100.00", "currencyCode": "USD"}}
    other, _ = await issue_token(TokenKind.PORTAL, org.id, customer_email="someone@example.com")
    assert (await api(STORE_CREDIT, {}, other))["storeCredit"]["balance"]["amount"] == "0.00"
    anonymous = await api.raw(STORE_CREDIT, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


PAYOUTS = """
query Payouts($status: PayoutStatus, $first: Int, $after: String) {
  payouts(status: $status, first: $first, after: $after) {
    totalCount edges { cursor node { id status amount { amount } } } pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_the_finance_desk_lists_payouts_by_status(api: Api, org: Org) -> None:
    from tests.test_thread_view import count_statements

    first_id, first_link = await converted(api, org, "CHECK", finance_gate=True)
    await converted(api, org, "CHECK", finance_gate=True)
    payout_id = (await order_of(api, first_id, first_link))["buyOrder"]["payout"]["id"]
    await api(APPROVE, {"input": {"payoutId": payout_id}}, org.owner_token)
    finance = await org.staff_token(StaffRole.FINANCE)
    pending = (await api(PAYOUTS, {"status": "PENDING"}, finance))["payouts"]
    assert pending["totalCount"] == 1
    approved = (await api(PAYOUTS, {"status": "APPROVED"}, finance))["payouts"]
    assert [e["node"]["id"] for e in approved["edges"]] == [payout_id]
    page = (await api(PAYOUTS, {"first": 1}, finance))["payouts"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"]
    rest = (await api(PAYOUTS, {"after": page["pageInfo"]["endCursor"]}, finance))["payouts"]
    assert len(rest["edges"]) == 1
    with count_statements() as one:
        await api(PAYOUTS, {"first": 1}, finance)
    with count_statements() as two:
        await api(PAYOUTS, {"first": 2}, finance)
    assert len(one.statements) == len(two.statements)
    refused = await api.raw(PAYOUTS, {}, await org.staff_token(StaffRole.SALES_REP))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_two_settlements_at_once_pay_once(api: Api, org: Org) -> None:
    import asyncio

    from models.payout import PayoutEntry, StoreCreditEntry

    quote_id, link = await converted(api, org, "STORE_CREDIT")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    results = await asyncio.gather(
        *(api(SETTLE, {"input": {"payoutId": payout_id}}, org.owner_token) for _ in range(2))
    )
    outcomes = sorted(codes(r["settlePayout"]) for r in results)
    assert outcomes == [[], ["INVALID_STATE"]]
    assert await StoreCreditEntry.filter(organization_id=org.id).count() == 1
    assert await PayoutEntry.filter(payout__organization_id=org.id, action="SETTLED").count() == 1
