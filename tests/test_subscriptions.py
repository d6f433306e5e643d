"""Live quotes over WebSocket: `threadMessages` and `quoteUpdated`, who may open them, and how
connections start, stay alive and end — against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.exceptions import InvalidStatus

from graphql_api.app import create_app
from graphql_api.ids import decode_id
from graphql_api.settings import Settings
from models.negotiation import StaffRole
from models.organization import StaffMember
from models.services import lifecycle
from models.services.caller import Caller, Deps
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import request_link, respond, submitted
from tests.live import (
    Closed,
    GraphQLWS,
    quote_topic,
    run_cli,
    server_env,
    serving,
    start_server,
    until_subscribed,
    warm_up,
    ws_connect,
)

THREAD_MESSAGES = """
subscription Thread($id: ID!) {
  threadMessages(quoteId: $id) {
    id kind author authorName body
    lineChanges { by action price { amount } line { position } }
  }
}
"""

QUOTE_UPDATED = """
subscription Quote($id: ID!) {
  quoteUpdated(quoteId: $id) {
    id status awaiting version availableActions
    lines { status merchantOffer { amount } }
  }
}
"""

NOTIFICATION_ADDED = "subscription { notificationAdded { id kind message } }"

QUOTE_STATUS = "query Status($id: ID!) { quote(id: $id) { status version } }"


async def send_message(api: Api, token: str, quote_id: str, body: str) -> dict[str, Any]:
    data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": body}}, token)
    assert data["sendMessage"]["userErrors"] == []
    return dict(data["sendMessage"]["message"])


async def refusal(client: GraphQLWS, query: str, variables: dict[str, Any] | None = None) -> str:
    """The code of the error that refuses the subscription."""
    op = await client.subscribe(query, variables)
    message = await client.receive()
    assert message["id"] == op and message["type"] == "error", message
    return str(message["payload"][0]["extensions"]["code"])


# ------------------------------------------------------------------ delivery


async def test_thread_messages_reach_each_party_in_order(
    api: Api, org: Org, app: Any, live_url: str
) -> None:
    quote, link = await submitted(api, org)
    async with (
        ws_connect(live_url, org.owner_token) as staff,
        ws_connect(live_url, link) as customer,
    ):
        async with until_subscribed(app, quote_topic(quote["id"]), 2):
            on_staff = await staff.subscribe(THREAD_MESSAGES, {"id": quote["id"]})
            on_customer = await customer.subscribe(THREAD_MESSAGES, {"id": quote["id"]})

        await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("ACCEPT", None)], message="Best I can do")
        await send_message(api, link, quote["id"], "Could you do 620?")
        posted = await send_message(api, org.owner_token, quote["id"], "Let me check.")

        for client, op in ((staff, on_staff), (customer, on_customer)):
            got = [(await client.next(op))["threadMessages"] for _ in range(3)]
            assert [(m["kind"], m["author"], m["body"]) for m in got] == [
                ("COUNTER_OFFER", "STAFF", "Best I can do"),
                ("MESSAGE", "CUSTOMER", "Could you do 620?"),
                ("MESSAGE", "STAFF", "Let me check."),
            ]
            assert got[0]["lineChanges"] == [
                {"by": "MERCHANT", "action": "COUNTER", "price": {"amount": "600.00"}, "line": {"position": 1}},
                {"by": "MERCHANT", "action": "ACCEPT", "price": {"amount": "300.00"}, "line": {"position": 2}},
            ]
            assert got[2]["id"] == posted["id"]
            await client.nothing_more()


async def test_quote_updated_follows_every_change_as_each_viewer_sees_it(
    api: Api, org: Org, app: Any, live_url: str
) -> None:
    quote, link = await submitted(api, org)
    async with (
        ws_connect(live_url, org.owner_token) as staff,
        ws_connect(live_url, link) as customer,
    ):
        async with until_subscribed(app, quote_topic(quote["id"]), 2):
            on_staff = await staff.subscribe(QUOTE_UPDATED, {"id": quote["id"]})
            on_customer = await customer.subscribe(QUOTE_UPDATED, {"id": quote["id"]})

        await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
        as_staff = (await staff.next(on_staff))["quoteUpdated"]
        as_customer = (await customer.next(on_customer))["quoteUpdated"]
        for seen in (as_staff, as_customer):
            assert (seen["status"], seen["awaiting"]) == ("NEGOTIATING", "CUSTOMER")
            assert seen["version"] == quote["version"] + 1
            assert [line["merchantOffer"]["amount"] for line in seen["lines"]] == ["600.00", "250.00"]
        assert "ACCEPT_ALL_REMAINING" in as_customer["availableActions"]
        assert "ACCEPT_ALL_REMAINING" not in as_staff["availableActions"]

        data = await api(doc.REJECT_ALL, {"input": {"quoteId": quote["id"]}}, link)
        assert data["rejectAllRemaining"]["userErrors"] == []
        for client, op in ((staff, on_staff), (customer, on_customer)):
            seen = (await client.next(op))["quoteUpdated"]
            assert (seen["status"], seen["version"]) == ("REJECTED", quote["version"] + 2)
            await client.nothing_more()


async def test_one_connection_carries_several_subscriptions(
    api: Api, org: Org, app: Any, live_url: str
) -> None:
    quote, link = await submitted(api, org)
    async with ws_connect(live_url, org.owner_token) as staff:
        async with until_subscribed(app, quote_topic(quote["id"]), 2):
            messages = await staff.subscribe(THREAD_MESSAGES, {"id": quote["id"]})
            updates = await staff.subscribe(QUOTE_UPDATED, {"id": quote["id"]})
        await send_message(api, link, quote["id"], "Hello?")
        received = await staff.results(2)
        assert [m["threadMessages"]["body"] for m in received[messages]] == ["Hello?"]
        assert [q["quoteUpdated"]["version"] for q in received[updates]] == [quote["version"] + 1]


async def test_queries_over_the_socket_read_fresh_data(api: Api, org: Org, live_url: str) -> None:
    quote, _ = await submitted(api, org)
    async with ws_connect(live_url, org.owner_token) as staff:
        for expected in ("SUBMITTED", "NEGOTIATING"):
            op = await staff.subscribe(QUOTE_STATUS, {"id": quote["id"]})
            assert (await staff.next(op))["quote"]["status"] == expected
            assert await staff.receive() == {"id": op, "type": "complete"}
            if expected == "SUBMITTED":
                await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])


async def test_after_a_resync_nothing_is_lost_or_repeated(
    api: Api, org: Org, app: Any, live_url: str, database_url: str
) -> None:
    quote, link = await submitted(api, org)
    async with ws_connect(live_url, link) as customer:
        async with until_subscribed(app, quote_topic(quote["id"]), 2):
            messages = await customer.subscribe(THREAD_MESSAGES, {"id": quote["id"]})
            updates = await customer.subscribe(QUOTE_UPDATED, {"id": quote["id"]})
        before = await send_message(api, org.owner_token, quote["id"], "one")
        received = await customer.results(2)
        assert [m["threadMessages"]["id"] for m in received[messages]] == [before["id"]]
        assert [q["quoteUpdated"]["version"] for q in received[updates]] == [quote["version"] + 1]

        # Two messages whose events never reach this replica, as when its listener was down.
        owner = await StaffMember.get(organization_id=org.id, role=StaffRole.OWNER)
        caller = Caller(organization_id=org.id, staff_id=owner.id, staff_name=owner.name, role=owner.role)
        unheard = Deps(bus=Silent(), secret_key=app.state.deps.secret_key, public_url="http://x")
        quote_pk = decode_id(quote["id"], "Quote")
        assert quote_pk is not None
        for body in ("two", "three"):
            await lifecycle.send_message(unheard, caller, quote_pk, body)

        await force_resync(app, database_url)
        received = await customer.results(3)
        assert [m["threadMessages"]["body"] for m in received[messages]] == ["two", "three"]
        assert [q["quoteUpdated"]["version"] for q in received[updates]] == [quote["version"] + 3]

        after = await send_message(api, org.owner_token, quote["id"], "four")
        received = await customer.results(2)
        assert [m["threadMessages"]["id"] for m in received[messages]] == [after["id"]]
        assert [q["quoteUpdated"]["version"] for q in received[updates]] == [quote["version"] + 4]
        await customer.nothing_more()


class Silent:
    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        pass


async def force_resync(app: Any, database_url: str) -> None:
    """On PostgreSQL, kill the app's listening connection (it reconnects and asks for a resync);
    in one process there is no listener to lose, so ask the fan-out directly."""
    if database_url.startswith("postgres"):
        conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            killed = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'tradequote-listener' AND datname = current_database()"
            )
        finally:
            await conn.close()
        assert killed == 1
    else:
        app.state.broker._fanout.resync_all()


# ------------------------------------------------------------------ who may subscribe


async def test_a_link_opens_only_its_own_quote(api: Api, org: Org, live_url: str) -> None:
    _, link = await submitted(api, org)
    other, _ = await submitted(api, org)
    async with ws_connect(live_url, link) as customer:
        assert await refusal(customer, THREAD_MESSAGES, {"id": other["id"]}) == "NOT_FOUND"
        assert await refusal(customer, QUOTE_UPDATED, {"id": other["id"]}) == "NOT_FOUND"
        assert await refusal(customer, NOTIFICATION_ADDED) == "FORBIDDEN"
        assert await refusal(customer, THREAD_MESSAGES, {"id": "not-an-id"}) == "NOT_FOUND"


async def test_staff_see_only_their_organization(api: Api, org: Org, live_url: str) -> None:
    theirs, _ = await submitted(api, await make_org(api))
    rep = await org.staff_token(StaffRole.SALES_REP)
    async with ws_connect(live_url, rep) as staff:
        assert await refusal(staff, THREAD_MESSAGES, {"id": theirs["id"]}) == "NOT_FOUND"
        assert await refusal(staff, QUOTE_UPDATED, {"id": theirs["id"]}) == "NOT_FOUND"


async def test_without_a_token_nothing_opens(api: Api, org: Org, live_url: str) -> None:
    quote, _ = await submitted(api, org)
    async with ws_connect(live_url) as anonymous:
        assert await refusal(anonymous, THREAD_MESSAGES, {"id": quote["id"]}) == "UNAUTHENTICATED"
        assert await refusal(anonymous, QUOTE_UPDATED, {"id": quote["id"]}) == "UNAUTHENTICATED"
        assert await refusal(anonymous, NOTIFICATION_ADDED) == "UNAUTHENTICATED"


@pytest.mark.parametrize("legacy", [False, True], ids=["transport-ws", "legacy"])
async def test_a_bad_token_is_refused_at_connection_init(live_url: str, legacy: bool) -> None:
    for token in ("tqs_forged", "tql_forged", "nonsense"):
        async with ws_connect(live_url, init=False, legacy=legacy) as client:
            reply = None
            with contextlib.suppress(AssertionError):
                reply = await client.init(token)
            if legacy:
                assert reply is not None and reply["type"] == "connection_error", reply
            assert (await client.close_code())[0] == (1011 if legacy else 4403)


async def test_subscribing_before_connection_init_is_refused(live_url: str) -> None:
    async with ws_connect(live_url, init=False) as client:
        await client.subscribe(NOTIFICATION_ADDED)
        assert await client.close_code() == (4401, "Unauthorized")


@contextlib.asynccontextmanager
async def other_server(database_url: str, **settings: Any) -> AsyncIterator[str]:
    """The API with other settings, on the same database."""
    app = create_app(
        Settings(database_url=database_url, secret_key="test-secret-key-" + "x" * 32, **settings),
        background=False,
    )
    await app.state.broker.start()
    try:
        async with serving(app) as url:
            yield url
    finally:
        await app.state.broker.stop()


async def test_cross_origin_pages_are_refused_unless_allowed(live_url: str, database_url: str) -> None:
    port = live_url.split(":")[2].split("/")[0]
    for same in (f"http://127.0.0.1:{port}", "http://127.0.0.1:8000"):  # its host, its public URL
        async with ws_connect(live_url, origin=same):
            pass
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(live_url, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403

    async with other_server(database_url, cors_origins=("https://shop.example",)) as url:
        async with ws_connect(url, origin="https://shop.example"):
            pass
        with pytest.raises(InvalidStatus):
            async with ws_connect(url, origin="https://evil.example"):
                pass


async def test_a_connection_that_never_initialises_is_closed(database_url: str) -> None:
    async with other_server(database_url, ws_init_timeout=0.3) as url:
        for legacy in (False, True):
            async with ws_connect(url, init=False, legacy=legacy) as silent:
                started = time.monotonic()
                code, reason = await silent.close_code(timeout=3)
                assert (code, reason) == (4408, "Connection initialisation timeout")
                assert 0.2 < time.monotonic() - started < 2.5
            async with ws_connect(url, legacy=legacy) as prompt:  # an initialised one stays
                await prompt.nothing_more(wait=0.6)


async def test_ping_pong(live_url: str) -> None:
    async with ws_connect(live_url) as client:
        await client.send({"type": "ping", "payload": {"at": 1}})
        assert (await client.receive())["type"] == "pong"
        await client.send({"type": "pong"})  # unsolicited pongs are fine
        await client.nothing_more()


async def test_the_legacy_protocol_works_too(api: Api, org: Org, app: Any, live_url: str) -> None:
    quote, link = await submitted(api, org)
    async with ws_connect(live_url, init=False, legacy=True) as client:
        assert (await client.init(org.owner_token))["type"] == "connection_ack"
        async with until_subscribed(app, quote_topic(quote["id"]), 1):
            op = await client.subscribe(THREAD_MESSAGES, {"id": quote["id"]})
        await send_message(api, link, quote["id"], "Over the old protocol")
        assert (await client.next(op))["threadMessages"]["body"] == "Over the old protocol"
        await client.send({"id": op, "type": "stop"})
        assert await client.receive() == {"type": "complete", "id": op}

        bad = await client.subscribe(THREAD_MESSAGES, {"id": "not-an-id"})
        message = await client.receive()
        assert (message["id"], message["type"]) == (bad, "error")


# ------------------------------------------------------------------ shutdown


async def test_stopping_the_server_completes_every_subscription(tmp_path: Path) -> None:
    """A real `tradequote serve` gets SIGTERM: each client hears `complete` for each of its
    subscriptions, then a normal close, and the process exits promptly."""
    env = server_env(f"sqlite://{tmp_path / 'serve.db'}", "shutdown-test-secret-" + "k" * 32)
    org = json.loads(
        run_cli(
            ["create-organization", "--name", "Shop", "--slug", "shop", "--owner-email", "o@shop.test", "--json"],
            env,
            tmp_path,
        )
    )
    server = start_server(env, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=server.http) as http:
            api = Api(http)
            quote_id, link = await request_link(api, Org(org["organizationId"], "shop", org["ownerToken"]))
            async with (
                ws_connect(server.ws, org["ownerToken"]) as staff,
                ws_connect(server.ws, link, legacy=True) as customer,
            ):
                messages = await staff.subscribe(THREAD_MESSAGES, {"id": quote_id})
                updates = await staff.subscribe(QUOTE_UPDATED, {"id": quote_id})
                legacy_op = await customer.subscribe(THREAD_MESSAGES, {"id": quote_id})
                post = lambda: send_message(api, link, quote_id, "still there?")
                await warm_up(post, (staff, messages), (staff, updates), (customer, legacy_op))

                started = time.monotonic()
                server.process.terminate()
                normal = (1000, "server shutting down")
                assert await until_closed(staff) == ({messages, updates}, normal)
                assert await until_closed(customer) == ({legacy_op}, normal)
        returncode = await asyncio.to_thread(server.process.wait, 15)
        assert time.monotonic() - started < 5
        assert returncode in (0, -15), server.output()  # uvicorn re-raises the SIGTERM it handled
    finally:
        server.stop()


async def until_closed(client: GraphQLWS) -> tuple[set[str], tuple[int | None, str]]:
    """The operations completed before the server closed the connection, and how it closed
    (results still on their way are passed over)."""
    completed = set()
    while True:
        try:
            message = await client.receive()
        except Closed as closed:
            return completed, (closed.code, closed.reason)
        if message["type"] == "complete":
            completed.add(message["id"])
        else:
            assert message["type"] in ("next", "data"), message
