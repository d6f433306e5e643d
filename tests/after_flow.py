"""Steps after the handshake that several tests share: a converted quote and its payout."""

from __future__ import annotations

from typing import Any

from models.organization import Organization
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import accepted

USER_ERRORS = doc.USER_ERRORS

ORDER = """
query Order($id: ID!) {
  quote(id: $id) {
    status
    buyOrder {
      id paymentStatus
      payout { id status method total { amount } amount { amount } declinedAmount { amount } paidAmount { amount } }
      returns { carrier trackingNumber reason }
    }
    revisedOffers { id status price { amount } priceBefore { amount } replyBy reasons { code category }
                    photos { contentType sha256 url } returnShipment { trackingNumber } }
  }
}
"""

STAFF_ORDER = """
query StaffOrder($id: ID!) {
  quote(id: $id) {
    buyOrder {
      payout { id status reference history { action status amount { amount } } }
      units { id imei status price { amount } grade flags }
    }
  }
}
"""

SETTLE = (
    """
mutation Settle($input: SettlePayoutInput!) {
  settlePayout(input: $input) { payout { id status amount { amount } paidAmount { amount } settledAt } %s }
}
"""
    % USER_ERRORS
)

APPROVE = (
    """
mutation Approve($input: ApprovePayoutInput!) {
  approvePayout(input: $input) { payout { id status approvedAt } %s }
}
"""
    % USER_ERRORS
)

DECLINE = (
    """
mutation Decline($input: DeclinePayoutInput!) {
  declinePayout(input: $input) { payout { id status amount { amount } declinedAmount { amount } declineReason } %s }
}
"""
    % USER_ERRORS
)


async def converted(
    api: Api,
    org: Org,
    method: str = "CHECK",
    *,
    finance_gate: bool = False,
    address: str | None = "1 Bench Street, Springfield",
    fulfillment: str = "SHIP",
) -> tuple[str, str]:
    """(quote id, link token) of a quote accepted at 600 (one phone) + 2 × 250 (tablets) and
    converted to a buy order of 1,100 paid by `method`, shipped or picked up."""
    await Organization.filter(id=org.id).update(
        finance_gate=finance_gate, receiving_address=address
    )
    quote, link = await accepted(api, org)
    data = await api(
        doc.CONVERT,
        {"input": {"quoteId": quote["id"], "payoutMethod": method, "fulfillment": fulfillment}},
        org.owner_token,
    )
    assert data["convertToBuyOrder"]["userErrors"] == []
    return quote["id"], link


async def order_of(api: Api, quote_id: str, token: str) -> dict[str, Any]:
    return (await api(ORDER, {"id": quote_id}, token))["quote"]


async def staff_order(api: Api, quote_id: str, token: str) -> dict[str, Any]:
    return (await api(STAFF_ORDER, {"id": quote_id}, token))["quote"]["buyOrder"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]
