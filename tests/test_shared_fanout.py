"""Fan-out shares its work: subscribers of one quote with the same document, variables and
viewer get one execution per event, and nobody sees what only another viewer may see."""

from __future__ import annotations

from typing import Any

from tests import documents as doc
from tests.client import Api, Org
from tests.flow import respond, submitted
from tests.live import quote_topic, until_subscribed, ws_connect

THREAD_WITH_UNITS = """
subscription Thread($id: ID!) {
  threadMessages(quoteId: $id) {
    id kind body
    lineChanges { action price { amount } line { position units { imei check { valid } } } }
  }
}
"""


def shared_streams(app: Any) -> list[int]:
    """How many subscribers each stream of the server has (a test-only peek)."""
    return sorted(len(stream.members) for stream in app.state.live.streams._streams.values())


async def test_staff_and_customers_on_one_quote_share_executions_and_see_their_own(
    api: Api, org: Org, app: Any, live_url: str
) -> None:
    quote, link = await submitted(api, org)
    variables = {"id": quote["id"]}
    async with (
        ws_connect(live_url, org.owner_token) as staff_1,
        ws_connect(live_url, org.owner_token) as staff_2,
        ws_connect(live_url, link) as customer_1,
        ws_connect(live_url, link) as customer_2,
    ):
        clients = (staff_1, staff_2, customer_1, customer_2)
        async with until_subscribed(app, quote_topic(quote["id"]), 4):
            ops = [await client.subscribe(THREAD_WITH_UNITS, variables) for client in clients]
        # one stream for the two staff connections, one for the two customer connections
        assert shared_streams(app) == [2, 2]

        await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")], message="Offer")

        got = [(await client.next(op))["threadMessages"] for client, op in zip(clients, ops, strict=True)]
        assert {m["body"] for m in got} == {"Offer"}
        assert [[c["price"]["amount"] for c in m["lineChanges"]] for m in got] == [["600.00", "250.00"]] * 4
        staff_units = [u for m in got[:2] for c in m["lineChanges"] for u in c["line"]["units"]]
        customer_units = [u for m in got[2:] for c in m["lineChanges"] for u in c["line"]["units"]]
        assert staff_units and all(u["check"] is not None for u in staff_units)
        assert customer_units and all(u["check"] is None for u in customer_units)
        assert got[0] == got[1] and got[2] == got[3]

        await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "Still there?"}}, link)
        again = [(await client.next(op))["threadMessages"] for client, op in zip(clients, ops, strict=True)]
        assert [m["body"] for m in again] == ["Still there?"] * 4
        for client in clients:
            await client.nothing_more()
