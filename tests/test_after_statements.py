"""The bench's unit list and the customer's order view cost a fixed number of SQL statements,
however many units, revised offers and photos there are."""

from __future__ import annotations

from typing import Any

from tests.after_flow import converted
from tests.client import Api, Org, make_org
from tests.test_receiving import UNITS
from tests.test_revised_offers import received_and_revised
from tests.test_thread_view import count_statements

VIEW = """
query View($id: ID!) {
  quote(id: $id) {
    buyOrder { paymentStatus payout { status amount { amount } } returns { trackingNumber }
               units { id status flags } }
    revisedOffers { status reasons { code } photos { contentType url } returnShipment { trackingNumber } }
  }
}
"""


async def _count(api: Api, query: str, variables: dict[str, Any], token: str) -> int:
    with count_statements() as counter:
        await api(query, variables, token)
    return len(counter.statements)


async def test_the_unit_list_does_not_grow(api: Api, org: Org) -> None:
    await converted(api, org)
    bigger = await make_org(api)
    for _ in range(3):
        await converted(api, bigger)
    small = await _count(api, UNITS, {}, org.owner_token)
    large = await _count(api, UNITS, {}, bigger.owner_token)
    assert small == large and 0 < large <= 8, (small, large)


async def test_the_order_view_does_not_grow(api: Api, org: Org) -> None:
    one_id, _, _ = await received_and_revised(api, org)
    plain_org = await make_org(api)
    plain_id, _ = await converted(api, plain_org)
    with_revision = await _count(api, VIEW, {"id": one_id}, org.owner_token)
    without = await _count(api, VIEW, {"id": plain_id}, plain_org.owner_token)
    assert with_revision <= without + 2 and with_revision <= 16, (with_revision, without)
