"""The live-event broker: fan-out in one process, and across replicas through PostgreSQL."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import orjson
import pytest

from graphql_api.pubsub import (
    MAX_EVENT_BYTES,
    InProcessBroker,
    Payload,
    PostgresBroker,
    asyncpg_dsn,
    create_broker,
    is_resync,
)
from tests.conftest import POSTGRES_URL

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="replicas share a PostgreSQL server: set TRADEQUOTE_TEST_POSTGRES_URL"
)
TIMEOUT = 5.0


async def receive(events: AsyncIterator[Payload], count: int) -> list[Payload]:
    return [await asyncio.wait_for(anext(events), TIMEOUT) for _ in range(count)]


async def assert_nothing_more(events: AsyncIterator[Payload], wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        extra = await asyncio.wait_for(anext(events), wait)
        pytest.fail(f"unexpected event {extra}")


async def drain(events: AsyncIterator[Payload]) -> list[Payload]:
    return [event async for event in events]


# In one process


@pytest.fixture
async def broker() -> AsyncIterator[InProcessBroker]:
    broker = InProcessBroker()
    await broker.start()
    yield broker
    await broker.stop()


async def test_an_event_reaches_every_subscriber_of_its_topic_only(
    broker: InProcessBroker,
) -> None:
    async with (
        broker.subscribe("quote:1") as first,
        broker.subscribe("quote:1") as second,
        broker.subscribe("quote:2") as other,
    ):
        await broker.publish("quote:1", {"messageId": 7})
        assert await receive(first, 1) == [{"messageId": 7}]
        assert await receive(second, 1) == [{"messageId": 7}]
        await assert_nothing_more(other, wait=0.05)


async def test_events_arrive_in_the_order_published(broker: InProcessBroker) -> None:
    async with broker.subscribe("quote:1") as events:
        for number in range(100):
            await broker.publish("quote:1", {"n": number})
        assert [event["n"] for event in await receive(events, 100)] == list(range(100))


async def test_leaving_the_block_unsubscribes(broker: InProcessBroker) -> None:
    assert broker.active_subscriptions == 0
    async with broker.subscribe("quote:1") as events:
        async with broker.subscribe("quote:1"):
            assert broker.active_subscriptions == 2
        assert broker.active_subscriptions == 1
        await broker.publish("quote:1", {"n": 1})
        assert await receive(events, 1) == [{"n": 1}]
    assert broker.active_subscriptions == 0
    await broker.publish("quote:1", {"n": 2})  # nobody listens: nothing to do


async def test_a_subscriber_that_falls_behind_gets_the_resync_marker() -> None:
    broker = InProcessBroker(queue_size=4)
    await broker.start()
    async with broker.subscribe("quote:1") as events:
        for number in range(10):
            await broker.publish("quote:1", {"n": number})
        await broker.stop()
        received = await drain(events)
    assert is_resync(received[0])
    assert received[-1] == {"n": 9}
    assert len(received) <= 4


async def test_stop_ends_every_subscription_after_its_queued_events() -> None:
    broker = InProcessBroker()
    await broker.start()
    ready = asyncio.Event()

    async def listen(topic: str) -> list[Payload]:
        async with broker.subscribe(topic) as events:
            if broker.active_subscriptions == 3:
                ready.set()
            return await drain(events)

    listeners = [asyncio.create_task(listen(f"quote:{n % 2}")) for n in range(3)]
    await asyncio.wait_for(ready.wait(), TIMEOUT)
    await broker.publish("quote:0", {"n": 1})
    await broker.stop()
    results = await asyncio.wait_for(asyncio.gather(*listeners), TIMEOUT)
    assert results == [[{"n": 1}], [], [{"n": 1}]]
    assert broker.active_subscriptions == 0
    async with broker.subscribe("quote:0") as events:
        assert await drain(events) == []


async def test_payloads_are_small_json(broker: InProcessBroker) -> None:
    with pytest.raises(ValueError, match="limit"):
        await broker.publish("quote:1", {"body": "x" * MAX_EVENT_BYTES})
    with pytest.raises(ValueError, match="resync"):
        await broker.publish("quote:1", {"type": "resync"})
    with pytest.raises(TypeError):
        await broker.publish("quote:1", {"when": object()})
    async with broker.subscribe("quote:1") as events:
        published = {"id": uuid.UUID(int=1), "name": "Zoë 王伟"}
        await broker.publish("quote:1", published)
        assert await receive(events, 1) == [
            {"id": "00000000-0000-0000-0000-000000000001", "name": "Zoë 王伟"}
        ]


async def test_publishing_needs_a_started_broker() -> None:
    with pytest.raises(RuntimeError):
        await InProcessBroker().publish("quote:1", {})


def test_the_database_url_chooses_the_broker() -> None:
    assert isinstance(create_broker("sqlite://tradequote.db"), InProcessBroker)
    assert isinstance(create_broker("sqlite://:memory:"), InProcessBroker)
    assert isinstance(create_broker("postgres://u:p@db:5432/tq"), PostgresBroker)
    assert isinstance(create_broker("postgresql://u:p@db:5432/tq"), PostgresBroker)
    assert asyncpg_dsn("postgres://u:p%40ss@db:5432/tq") == "postgresql://u:p%40ss@db:5432/tq"
    assert (
        asyncpg_dsn("postgres://u@db/tq?maxsize=20&schema=x&sslmode=require&application_name=a")
        == "postgresql://u@db/tq?sslmode=require"
    )
    assert asyncpg_dsn("postgres://u@db/tq?ssl=true") == "postgresql://u@db/tq?sslmode=verify-full"


# Across replicas, on the PostgreSQL server


def replica(name: str, channel: str) -> PostgresBroker:
    return PostgresBroker(asyncpg_dsn(POSTGRES_URL), channel=channel, application_name=name)


@dataclass
class Replicas:
    first: PostgresBroker
    second: PostgresBroker
    second_name: str


@pytest.fixture
async def replicas() -> AsyncIterator[Replicas]:
    """Two brokers on one database, as two server replicas, on a channel of their own."""
    run = uuid.uuid4().hex[:8]
    channel = f"tradequote_test_{run}"
    first = replica(f"tq-test-{run}-a", channel)
    second = replica(f"tq-test-{run}-b", channel)
    await first.start()
    await second.start()
    yield Replicas(first, second, f"tq-test-{run}-b")
    await first.stop()
    await second.stop()


async def query(sql: str, *args: object, database_url: str = POSTGRES_URL) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
        return rows
    finally:
        await connection.close()


async def backend_pids(application_name: str) -> set[int]:
    rows = await query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1", application_name
    )
    return {row["pid"] for row in rows}


async def terminate_backends(application_name_like: str) -> int:
    rows = await query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1",
        application_name_like,
    )
    return sum(1 for row in rows if row[0])


@needs_postgres
async def test_an_event_published_on_one_replica_reaches_the_other_in_order_once(
    replicas: Replicas,
) -> None:
    first, second = replicas.first, replicas.second
    async with (
        first.subscribe("quote:from-b") as on_first,
        second.subscribe("quote:from-a") as on_second,
        second.subscribe("quote:from-a") as also_on_second,
        first.subscribe("quote:from-a") as on_publisher,
    ):

        async def publish(broker: PostgresBroker, topic: str) -> None:
            for number in range(100):
                await broker.publish(topic, {"n": number})

        await asyncio.gather(publish(first, "quote:from-a"), publish(second, "quote:from-b"))
        expected = [{"n": number} for number in range(100)]
        for events in (on_first, on_second, also_on_second, on_publisher):
            assert await receive(events, 100) == expected
            await assert_nothing_more(events, wait=0.1)


@needs_postgres
async def test_a_message_reaches_a_thousand_subscribers_of_one_quote(
    replicas: Replicas,
) -> None:
    first, second = replicas.first, replicas.second
    subscribers, rounds = 1000, 5
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    received = [0] * rounds
    everyone_got = [asyncio.Event() for _ in range(rounds)]
    all_subscribed = asyncio.Event()

    async def subscriber() -> list[int]:
        seen = []
        async with second.subscribe("quote:busy") as events:
            if second.active_subscriptions == subscribers:
                all_subscribed.set()
            async for event in events:
                latencies.append(time.perf_counter() - sent_at[event["n"]])
                seen.append(event["n"])
                received[event["n"]] += 1
                if received[event["n"]] == subscribers:
                    everyone_got[event["n"]].set()
                if len(seen) == rounds:
                    break
        return seen

    tasks = [asyncio.create_task(subscriber()) for _ in range(subscribers)]
    await asyncio.wait_for(all_subscribed.wait(), TIMEOUT)
    for number in range(rounds):
        sent_at[number] = time.perf_counter()
        await first.publish("quote:busy", {"n": number})
        await asyncio.wait_for(everyone_got[number].wait(), TIMEOUT)
    seen = await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)

    assert seen == [list(range(rounds))] * subscribers
    assert second.active_subscriptions == 0
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"\n{subscribers} subscribers x {rounds} events across replicas: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )
    assert latencies[-1] < TIMEOUT


@needs_postgres
async def test_the_listener_reconnects_and_asks_subscribers_to_resync(
    replicas: Replicas,
) -> None:
    first, second = replicas.first, replicas.second
    async with (
        second.subscribe("quote:1") as events,
        second.subscribe("quote:1") as more_events,
        first.subscribe("quote:1") as unaffected,
    ):
        await first.publish("quote:1", {"n": 1})
        assert await receive(events, 1) == [{"n": 1}]
        assert await receive(more_events, 1) == [{"n": 1}]
        assert await receive(unaffected, 1) == [{"n": 1}]

        # The listener and the publishing pool of the second replica, as in a failover.
        listener_before = await backend_pids(f"{replicas.second_name}-listener")
        assert await terminate_backends(f"{replicas.second_name}-%") >= 2
        assert [is_resync(event) for event in await receive(events, 1)] == [True]
        assert [is_resync(event) for event in await receive(more_events, 1)] == [True]
        assert second.active_subscriptions == 2
        listener_after = await backend_pids(f"{replicas.second_name}-listener")
        assert len(listener_after) == 1
        assert listener_after != listener_before

        await first.publish("quote:1", {"n": 2})
        await second.publish("quote:1", {"n": 3})
        for subscription in (events, more_events):
            assert await receive(subscription, 2) == [{"n": 2}, {"n": 3}]
            await assert_nothing_more(subscription, wait=0.1)
        assert await receive(unaffected, 2) == [{"n": 2}, {"n": 3}]


@needs_postgres
async def test_the_listener_keeps_trying_until_the_server_is_back(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = replicas.first, replicas.second
    attempts = 0
    listen = second._listen

    async def listen_after_two_failures() -> object:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            raise OSError("connection refused")
        return await listen()

    monkeypatch.setattr(second, "_listen", listen_after_two_failures)
    async with second.subscribe("quote:1") as events:
        assert await terminate_backends(f"{replicas.second_name}-listener") == 1
        assert [is_resync(event) for event in await receive(events, 1)] == [True]
        assert attempts == 3
        await first.publish("quote:1", {"n": 1})
        assert await receive(events, 1) == [{"n": 1}]


@needs_postgres
async def test_pings_keep_a_healthy_listener() -> None:
    channel = f"tradequote_test_{uuid.uuid4().hex[:8]}"
    broker = PostgresBroker(asyncpg_dsn(POSTGRES_URL), channel=channel, ping_interval=0.02)
    await broker.start()
    try:
        async with broker.subscribe("quote:1") as events:
            await asyncio.sleep(0.3)
            await broker.publish("quote:1", {"n": 1})
            assert await receive(events, 1) == [{"n": 1}]
            await assert_nothing_more(events, wait=0.1)
    finally:
        await broker.stop()


@needs_postgres
async def test_the_notify_size_limit_is_the_servers(
    replicas: Replicas,
) -> None:
    first, second = replicas.first, replicas.second
    envelope = len(orjson.dumps({"topic": "quote:1", "data": {"body": ""}}))
    largest = {"body": "x" * (MAX_EVENT_BYTES - envelope)}
    async with second.subscribe("quote:1") as events:
        await first.publish("quote:1", largest)
        assert await receive(events, 1) == [largest]
        with pytest.raises(ValueError, match="limit"):
            await first.publish("quote:1", {"body": largest["body"] + "x"})
    with pytest.raises(asyncpg.PostgresError, match="too long"):
        await query("SELECT pg_notify('x', $1)", "x" * (MAX_EVENT_BYTES + 1))


@needs_postgres
async def test_stop_ends_the_subscriptions_of_a_replica(replicas: Replicas) -> None:
    received: list[Payload] = []
    subscribed, got_one = asyncio.Event(), asyncio.Event()

    async def listen() -> None:
        async with replicas.second.subscribe("quote:1") as events:
            subscribed.set()
            async for event in events:
                received.append(event)
                got_one.set()

    listener = asyncio.create_task(listen())
    await asyncio.wait_for(subscribed.wait(), TIMEOUT)
    await replicas.first.publish("quote:1", {"n": 1})
    await asyncio.wait_for(got_one.wait(), TIMEOUT)
    await replicas.second.stop()
    await asyncio.wait_for(listener, TIMEOUT)
    assert received == [{"n": 1}]
    assert replicas.second.active_subscriptions == 0
