"""Fan-out shares its work: subscribers of one quote with the same document, variables and
viewer get one execution per event, and nobody sees what only another viewer may see."""

from __future__ import annotations

import asyncio
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

        await respond(
            api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")], message="Offer"
        )

        got = [
            (await client.next(op))["threadMessages"]
            for client, op in zip(clients, ops, strict=True)
        ]
        assert {m["body"] for m in got} == {"Offer"}
        assert [[c["price"]["amount"] for c in m["lineChanges"]] for m in got] == [
            ["600.00", "250.00"]
        ] * 4
        staff_units = [u for m in got[:2] for c in m["lineChanges"] for u in c["line"]["units"]]
        customer_units = [u for m in got[2:] for c in m["lineChanges"] for u in c["line"]["units"]]
        assert staff_units and all(u["check"] is not None for u in staff_units)
        assert customer_units and all(u["check"] is None for u in customer_units)
        assert got[0] == got[1] and got[2] == got[3]

        await api(
            doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "Still there?"}}, link
        )
        again = [
            (await client.next(op))["threadMessages"]
            for client, op in zip(clients, ops, strict=True)
        ]
        assert [m["body"] for m in again] == ["Still there?"] * 4
        for client in clients:
            await client.nothing_more()


async def test_shared_subscribers_get_the_same_frame_and_one_leaving_keeps_the_others(
    api: Api, org: Org, app: Any, live_url: str
) -> None:
    quote, _ = await submitted(api, org)
    variables = {"id": quote["id"]}
    async with (
        ws_connect(live_url, org.owner_token) as first,
        ws_connect(live_url, org.owner_token) as second,
        ws_connect(live_url, org.owner_token, legacy=True) as legacy,
    ):
        async with until_subscribed(app, quote_topic(quote["id"]), 4):
            ops = [
                await client.subscribe(THREAD_WITH_UNITS, variables) for client in (first, second)
            ]
            await second.subscribe(THREAD_WITH_UNITS, variables)  # one more on the same socket
            await legacy.subscribe(THREAD_WITH_UNITS, variables)
        assert shared_streams(app) == [1, 3]  # the legacy protocol's stream is its own

        await api(
            doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "Same"}}, org.owner_token
        )
        frames = [await first.ws.recv(), await second.ws.recv(), await second.ws.recv()]
        heads, payloads = zip(
            *(str(frame).split(',"payload":', 1) for frame in frames), strict=True
        )
        assert sorted(heads) == [
            '{"id":"1","type":"next"',
            '{"id":"1","type":"next"',
            '{"id":"2","type":"next"',
        ]
        assert len(set(payloads)) == 1 and '"body":"Same"' in payloads[0]
        assert (await legacy.next("1"))["threadMessages"]["body"] == "Same"

        await first.send({"id": ops[0], "type": "complete"})
        await api(
            doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "Still"}}, org.owner_token
        )
        still = await second.results(2)
        assert sorted(still) == ["1", "2"]
        assert all(m["threadMessages"]["body"] == "Still" for ms in still.values() for m in ms)
        assert (await legacy.next("1"))["threadMessages"]["body"] == "Still"
        await first.nothing_more()
        assert shared_streams(app) == [1, 2]

    for _ in range(100):  # every subscriber gone: the streams and their broker subscriptions end
        if not shared_streams(app) and app.state.live.subscriptions == 0:
            break
        await asyncio.sleep(0.02)
    assert shared_streams(app) == [] and app.state.live.subscriptions == 0
