"""Two `tradequote serve` replicas on one PostgreSQL database: a subscriber on one hears every
write taken by the other, in order, once each. And the npm `graphql-ws` client, as web clients
use it, against a real server."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import documents as doc
from tests.client import Api, Org
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.flow import respond, submitted
from tests.live import ServerProcess, run_cli, server_env, start_server, warm_up, ws_connect

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="replicas share a PostgreSQL database: set TRADEQUOTE_TEST_POSTGRES_URL"
)

JS = Path(__file__).parent / "js"
MESSAGES = 30
DELIVERY_SECONDS = 1.0

THREAD_MESSAGES = """
subscription Thread($id: ID!) { threadMessages(quoteId: $id) { id kind author body } }
"""
QUOTE_UPDATED = """
subscription Quote($id: ID!) { quoteUpdated(quoteId: $id) { id status awaiting version } }
"""
SIGNATURE = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}


@dataclass
class Cluster:
    """Where clients subscribe, where writes go, and the organization they share."""

    first: ServerProcess
    second: ServerProcess
    org: Org


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    """Two replicas on one fresh PostgreSQL database; without PostgreSQL, one SQLite server
    playing both parts (for the tests that are about the client, not the replicas)."""
    workdir = tmp_path_factory.mktemp("replicas")
    url = await create_postgres_database() if POSTGRES_URL else f"sqlite://{workdir / 'one.db'}"
    env = server_env(url, "replicas-test-secret-" + "r" * 32)
    created = json.loads(
        run_cli(
            ["create-organization", "--name", "Shop", "--slug", "shop",
             "--owner-email", "owner@shop.test", "--owner-name", "Olivia Owner", "--json"],
            env,
            workdir,
        )
    )  # fmt: skip
    org = Org(id=created["organizationId"], slug="shop", owner_token=created["ownerToken"])
    first = start_server(env, workdir, "first")
    second = start_server(env, workdir, "second") if POSTGRES_URL else first
    try:
        yield Cluster(first, second, org)
    finally:
        for server in {id(first): first, id(second): second}.values():
            server.stop()
        if POSTGRES_URL:
            await drop_postgres_database(url)


@pytest.fixture
async def via_second(cluster: Cluster) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=cluster.second.http, timeout=10) as http:
        yield Api(http)


async def send_message(api: Api, token: str, quote_id: str, body: str) -> dict[str, Any]:
    data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": body}}, token)
    assert data["sendMessage"]["userErrors"] == [], data
    return dict(data["sendMessage"]["message"])


@needs_postgres
async def test_a_subscriber_on_one_replica_hears_every_message_posted_on_the_other(
    cluster: Cluster, via_second: Api
) -> None:
    org, api = cluster.org, via_second
    quote, link = await submitted(api, org)
    async with (
        ws_connect(cluster.first.ws, org.owner_token) as on_first,
        ws_connect(cluster.second.ws, link) as on_second,
    ):
        ops = [
            await on_first.subscribe(THREAD_MESSAGES, {"id": quote["id"]}),
            await on_second.subscribe(THREAD_MESSAGES, {"id": quote["id"]}),
        ]
        post = lambda: send_message(api, link, quote["id"], "warming up")
        await warm_up(post, (on_first, ops[0]), (on_second, ops[1]))

        # one at a time: each arrives within a second of being sent
        posted, latencies = [], []
        for number in range(MESSAGES):
            token = link if number % 2 else org.owner_token
            started = time.monotonic()
            posted.append(await send_message(api, token, quote["id"], f"message {number}"))
            got = await on_first.next(ops[0], timeout=DELIVERY_SECONDS)
            latencies.append(time.monotonic() - started)
            assert got["threadMessages"] == {k: posted[-1][k] for k in ("id", "kind", "author", "body")}
        assert max(latencies) < DELIVERY_SECONDS
        heard = [(await on_second.next(ops[1]))["threadMessages"]["id"] for _ in range(MESSAGES)]
        assert heard == [message["id"] for message in posted]

        # all at once: the writes race for the quote's row lock and publish in any order
        burst = await asyncio.gather(
            *(send_message(api, link, quote["id"], f"burst {n}") for n in range(MESSAGES))
        )
        for client, op in zip((on_first, on_second), ops, strict=True):
            got = [(await client.next(op))["threadMessages"] for _ in range(MESSAGES)]
            ids = [message["id"] for message in got]
            assert sorted(ids, key=_pk) == ids, "out of order"
            assert sorted(ids) == sorted(message["id"] for message in burst)
            await client.nothing_more(wait=0.5)


def _pk(global_id: str) -> int:
    from graphql_api.ids import decode_id

    pk = decode_id(global_id, "ThreadMessage")
    assert pk is not None
    return pk


@needs_postgres
async def test_quote_updated_follows_each_status_change_across_replicas(
    cluster: Cluster, via_second: Api
) -> None:
    org, api = cluster.org, via_second
    quote, link = await submitted(api, org)
    async with ws_connect(cluster.first.ws, link) as customer:
        op = await customer.subscribe(QUOTE_UPDATED, {"id": quote["id"]})
        await warm_up(lambda: send_message(api, link, quote["id"], "hi"), (customer, op))
        version = 0

        async def expect(status: str, awaiting: str | None) -> None:
            nonlocal version
            seen = (await customer.next(op, timeout=DELIVERY_SECONDS))["quoteUpdated"]
            assert (seen["status"], seen["awaiting"]) == (status, awaiting)
            assert seen["version"] > version
            version = seen["version"]

        current = (await api(doc.QUOTE, {"id": quote["id"]}, org.owner_token))["quote"]
        payload = await respond(api, org.owner_token, current, [("COUNTER", "600"), ("COUNTER", "250")])
        assert payload["userErrors"] == []
        await expect("NEGOTIATING", "CUSTOMER")
        accept = {"input": {"quoteId": quote["id"], "signature": SIGNATURE}}
        assert (await api(doc.ACCEPT_ALL, accept, link))["acceptAllRemaining"]["userErrors"] == []
        await expect("ACCEPTED", None)
        assert (await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link))["withdrawAcceptance"]["userErrors"] == []
        await expect("NEGOTIATING", "CUSTOMER")
        assert (await api(doc.ACCEPT_ALL, accept, link))["acceptAllRemaining"]["userErrors"] == []
        await expect("ACCEPTED", None)
        convert = {"quoteId": quote["id"], "payoutMethod": "CHECK", "fulfillment": "PICKUP"}
        data = await api(doc.CONVERT, {"input": convert}, org.owner_token)
        assert data["convertToBuyOrder"]["userErrors"] == []
        await expect("CONVERTED", None)
        await customer.nothing_more()


async def test_the_npm_graphql_ws_client_receives_every_message(
    cluster: Cluster, via_second: Api
) -> None:
    """Subscribed through the first replica with the npm `graphql-ws` client; written through
    the second (the same server without PostgreSQL)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for this test (node 20 or newer)"
    assert (JS / "node_modules" / "graphql-ws").is_dir(), (
        "tests/js/node_modules is missing: run `npm ci --prefix tests/js` first"
    )
    org, api = cluster.org, via_second
    quote, link = await submitted(api, org)
    script = await asyncio.create_subprocess_exec(
        node, str(JS / "subscribe.mjs"), cluster.first.ws, link, quote["id"], "bye", "30000",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert script.stdout is not None
    try:
        line = await asyncio.wait_for(script.stdout.readline(), 10)
        assert json.loads(line) == {"event": "connected"}, line
        # The script prints a line per message; post until the subscription is listening.
        for _ in range(40):
            await send_message(api, org.owner_token, quote["id"], "warming up")
            try:
                line = await asyncio.wait_for(script.stdout.readline(), 0.25)
                break
            except TimeoutError:
                continue
        else:
            raise AssertionError("the Node client never received a message")
        posted = [await send_message(api, link, quote["id"], f"from node test {n}") for n in range(10)]
        posted.append(await send_message(api, org.owner_token, quote["id"], "bye"))
        out, err = await asyncio.wait_for(script.communicate(), 20)
    finally:
        if script.returncode is None:
            script.kill()
            await script.wait()
    assert script.returncode == 0, (out, err)
    printed = [json.loads(line) for line in out.decode().splitlines()]
    messages = [p["data"]["threadMessages"] for p in printed if p["event"] == "next"]
    assert all(m["body"] == "warming up" for m in messages[: -len(posted)])
    assert messages[-len(posted):] == [
        {"id": m["id"], "kind": "MESSAGE", "author": m["author"], "body": m["body"]} for m in posted
    ]
