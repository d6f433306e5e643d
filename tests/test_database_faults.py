"""A real `tradequote serve` under a bounded load while PostgreSQL terminates its connections
(`pg_terminate_backend`, as a failover or an administrator would): no HTTP 500, no "Unexpected
error", every error coded; and no write is reported failed that was committed, nor committed
twice, when the client retries a SERVICE_UNAVAILABLE with the same idempotency key."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from tests.client import Api, Org
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.flow import submitted
from tests.live import ServerProcess, run_cli, server_env, start_server

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="terminates PostgreSQL backends: set TRADEQUOTE_TEST_POSTGRES_URL"
)

WORKERS = 6
LOAD_SECONDS = 6.0
TERMINATE_EVERY = 1.0
CLIENT_RETRIES = 3

SEND = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id body } userErrors { code field } }
}
"""
READ = """
query Read($id: ID!) {
  quote(id: $id) { id status version lines { id status } thread(first: 5) { totalCount } }
}
"""
LIST = "query { quotes(first: 10) { totalCount edges { node { id number status } } } }"


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    unexpected: list[Any] = field(default_factory=list)
    uncoded: list[Any] = field(default_factory=list)
    sent: dict[str, bool] = field(default_factory=dict)
    requests: int = 0

    def note_page(self, response: httpx.Response) -> None:
        """The customer page: HTML, or 503 with the coded JSON error."""
        self.requests += 1
        self.statuses[response.status_code] += 1
        if response.status_code == 503:
            self.note(response)
            self.requests -= 1
            self.statuses[503] -= 1

    def note(self, response: httpx.Response) -> dict[str, Any]:
        self.requests += 1
        self.statuses[response.status_code] += 1
        body = dict(response.json())
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if "Unexpected error" in error.get("message", ""):
                self.unexpected.append(error)
            if code:
                self.codes[code] += 1
            else:
                self.uncoded.append(error)
        return body


@dataclass
class Target:
    server: ServerProcess
    database: str
    org: Org


@pytest.fixture(scope="module")
async def target(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    workdir: Path = tmp_path_factory.mktemp("faults")
    url = await create_postgres_database()
    # rate limits off: hundreds of messages from one link in seconds is this test's own load
    env = server_env(url, "faults-test-secret-" + "f" * 32, TRADEQUOTE_RATE_LIMITS="off")
    created = json.loads(
        run_cli(
            ["create-organization", "--name", "Shop", "--slug", "shop",
             "--owner-email", "owner@shop.test", "--owner-name", "Olivia Owner", "--json"],
            env,
            workdir,
        )
    )  # fmt: skip
    server = start_server(env, workdir, "faults")
    try:
        org = Org(id=created["organizationId"], slug="shop", owner_token=created["ownerToken"])
        yield Target(server, urlsplit(url).path.lstrip("/"), org)
    finally:
        server.stop()
        await drop_postgres_database(url)


async def terminate_backends(database: str) -> int:
    """Terminate every connection the server holds to its database; how many there were."""
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return sum(1 for row in rows if row[0])
    finally:
        await conn.close()


async def count_bodies(database: str, quote_pk: int) -> Counter[str]:
    dsn = POSTGRES_URL.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + f"/{database}"
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT body FROM thread_message WHERE quote_id = $1", quote_pk)
        return Counter(row["body"] for row in rows)
    finally:
        await conn.close()


@needs_postgres
async def test_terminated_connections_give_no_500_and_lose_or_double_no_write(
    target: Target,
) -> None:
    async with httpx.AsyncClient(base_url=target.server.http, timeout=30) as http:
        api = Api(http)
        quote, link = await submitted(api, target.org)
        tally = Tally()
        stop = asyncio.Event()

        async def post(token: str, key: str) -> None:
            variables = {"input": {"quoteId": quote["id"], "body": key, "idempotencyKey": key}}
            for _ in range(1 + CLIENT_RETRIES):
                response = await http.post(
                    "/graphql",
                    json={"query": SEND, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = tally.note(response)
                payload = (body.get("data") or {}).get("sendMessage")
                if payload and payload["message"] and payload["message"]["body"] == key:
                    tally.sent[key] = True
                    return
                codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
                if "SERVICE_UNAVAILABLE" not in codes:
                    break
            tally.sent[key] = False

        async def worker(number: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                token = link if n % 2 else target.org.owner_token
                if n % 7 == 0:
                    tally.note_page(await http.get(f"/q/{link}"))
                elif n % 3 == 0:
                    await post(token, f"w{number}-m{n}")
                elif n % 3 == 1:
                    variables = {"id": quote["id"]}
                    tally.note(
                        await http.post(
                            "/graphql",
                            json={"query": READ, "variables": variables},
                            headers={"Authorization": f"Bearer {token}"},
                        )
                    )
                else:
                    tally.note(
                        await http.post(
                            "/graphql",
                            json={"query": LIST},
                            headers={"Authorization": f"Bearer {target.org.owner_token}"},
                        )
                    )

        async def terminator() -> int:
            terminated = 0
            while not stop.is_set():
                await asyncio.sleep(TERMINATE_EVERY)
                terminated += await terminate_backends(target.database)
            return terminated

        started = time.monotonic()
        workers = [asyncio.create_task(worker(n)) for n in range(WORKERS)]
        killing = asyncio.create_task(terminator())
        await asyncio.sleep(LOAD_SECONDS)
        stop.set()
        await asyncio.gather(*workers)
        terminated = await killing
        elapsed = time.monotonic() - started

        # The server is back to normal at once.
        after = await api(READ, {"id": quote["id"]}, target.org.owner_token)
        assert after["quote"]["status"] == "SUBMITTED"

    print(
        f"\n{tally.requests} requests in {elapsed:.1f} s, {terminated} connections terminated;"
        f" statuses {dict(tally.statuses)}, error codes {dict(tally.codes)}"
    )
    assert terminated >= LOAD_SECONDS / TERMINATE_EVERY / 2
    assert tally.requests > 30
    assert 500 not in tally.statuses
    assert set(tally.statuses) <= {200, 503}
    assert tally.unexpected == []
    assert tally.uncoded == []
    assert set(tally.codes) <= {"SERVICE_UNAVAILABLE"}

    # Every message reported sent is there exactly once; none reported failed is there.
    from graphql_api.ids import decode_id

    quote_pk = decode_id(quote["id"], "Quote")
    assert quote_pk is not None
    bodies = await count_bodies(target.database, quote_pk)
    assert tally.sent and any(tally.sent.values())
    for key, ok in tally.sent.items():
        assert bodies[key] == (1 if ok else 0), (key, ok, bodies[key])
