"""The measured attacks against real `tradequote serve` processes: each is refused quickly
while other clients are answered, bursts hit the rate limits on one replica and across two,
production hides the schema, and the graphql-http audit finds nothing to fault."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from graphql_api.gateway.config import Limits
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.live import SERVE, TRANSPORT_WS, ServerProcess, run_cli, server_env, start_server

JS = Path(__file__).parent / "js"
REDIS_URL = os.environ.get("TRADEQUOTE_TEST_REDIS_URL", "")
LIMITS = Limits()
GRAPHQL_RESPONSE = "application/graphql-response+json"
QUICK = 0.5  # seconds of server CPU: "well under a second" (wall time may be twice that on a busy machine)
SECRET = secrets.token_urlsafe(48)

COST_BOMB_30 = "query Bomb { %s }" % " ".join(
    f"q{i}: quotes(first: 100) {{ edges {{ node {{ lines {{ history {{ at }} }} }} }} }}" for i in range(30)
)
COST_BOMB_15 = "query Bomb { %s }" % " ".join(
    f"q{i}: quotes(first: 100) {{ edges {{ node {{ lines {{ history {{ at }} }} }} }} }}" for i in range(15)
)
INTROSPECTION = "__schema { types { name fields { name args { name type { name ofType { name } } } } } }"
INTROSPECTIONS_30 = "query { %s }" % " ".join(f"i{i}: {INTROSPECTION}" for i in range(30))
INTROSPECTIONS_15 = "query { %s }" % " ".join(f"i{i}: {INTROSPECTION}" for i in range(15))
VIEWER = "query { viewer { kind } }"


@dataclass
class Served:
    server: ServerProcess
    owner_token: str
    workdir: Path

    @property
    def graphql(self) -> str:
        return f"{self.server.http}/graphql"


def create_org(env: dict[str, str], workdir: Path, slug: str = "shop") -> str:
    created = json.loads(run_cli(
        ["create-organization", "--name", "Shop", "--slug", slug, "--owner-email", f"owner@{slug}.test", "--json"],
        env, workdir,
    ))  # fmt: skip
    return str(created["ownerToken"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("gateway")
    env = server_env(f"sqlite://{workdir / 'gateway.db'}", SECRET)
    token = create_org(env, workdir)
    server = start_server(env, workdir, "gateway")
    try:
        yield Served(server, token, workdir)
    finally:
        server.stop()


def address() -> str:
    """A client address of its own (the server trusts X-Forwarded-For from 127.0.0.1)."""
    return f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def timed_post(http: httpx.AsyncClient, url: str, body: object, **headers: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await http.post(url, json=body, headers=headers)
    return response, time.perf_counter() - started


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


ATTACKS = {
    "30 aliases of quotes(first: 100) { lines { history } }": (COST_BOMB_30, "ALIAS_LIMIT_EXCEEDED"),
    "15 aliases of quotes(first: 100) { lines { history } }": (COST_BOMB_15, "COST_LIMIT_EXCEEDED"),
    "30 aliased introspections": (INTROSPECTIONS_30, "ALIAS_LIMIT_EXCEEDED"),
    "15 aliased introspections": (INTROSPECTIONS_15, "INTROSPECTION_LIMIT_EXCEEDED"),
}


def cpu_seconds(server: ServerProcess) -> float:
    """CPU time the server process has used so far (user + system): unlike wall time, not
    stretched by whatever else the machine runs."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_cost_bombs_are_refused_quickly_while_another_client_is_answered(
    served: Served, http: httpx.AsyncClient
) -> None:
    staff = {"Authorization": f"Bearer {served.owner_token}"}
    for name, (document, code) in ATTACKS.items():  # each alone, the first time it is seen
        cpu = cpu_seconds(served.server)
        response, seconds = await timed_post(http, served.graphql, {"query": document}, **staff, **{"X-Forwarded-For": address()})
        assert code in codes(response), (name, response.json())
        assert response.json()["data"] is None
        assert cpu_seconds(served.server) - cpu < QUICK, name
        assert seconds < 2 * QUICK, (name, seconds)
    # then all of them at once, three times over, while another client asks for something
    attacks = [
        timed_post(http, served.graphql, {"query": document}, **staff, **{"X-Forwarded-For": address()})
        for document, _ in list(ATTACKS.values()) * 3
    ]
    other = {"Authorization": f"Bearer {served.owner_token}", "X-Forwarded-For": address()}
    cpu = cpu_seconds(served.server)
    *refused, (answer, answer_seconds) = await asyncio.gather(
        *attacks, timed_post(http, served.graphql, {"query": VIEWER}, **other)
    )
    assert cpu_seconds(served.server) - cpu < QUICK
    assert answer.json() == {"data": {"viewer": {"kind": "STAFF"}}}
    assert answer_seconds < 2 * QUICK, answer_seconds
    assert all(response.json()["data"] is None for response, _ in refused)
    assert max(seconds for _, seconds in refused) < 2 * QUICK
    health = await http.get(f"{served.server.http}/healthz", timeout=2)
    assert health.status_code == 200


async def send_headers_only(url: str, declared: int, sent: int) -> tuple[int, dict[str, object]]:
    """POST that declares `declared` bytes but sends only `sent` of them, then reads the answer:
    a server that answers has not waited for (or parsed) the body."""
    parts = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parts.host, parts.port)
    try:
        writer.write(
            f"POST /graphql HTTP/1.1\r\nHost: {parts.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\nX-Forwarded-For: {address()}\r\n\r\n".encode()
            + b'{"query": "{ __typename }", "variables": {"v": "' + b"x" * sent
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        status = int(head.split()[1])
        length = int(next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ))  # fmt: skip
        body = json.loads(await asyncio.wait_for(reader.readexactly(length), 5))
        return status, body
    finally:
        writer.close()


async def test_large_bodies_get_413_before_parsing(served: Served, http: httpx.AsyncClient) -> None:
    for declared in (2_000_000, 20_000_000, 100_000_000):
        started = time.perf_counter()
        status, body = await send_headers_only(served.graphql, declared, 1_000)
        assert status == 413
        assert body["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"  # type: ignore[index]
        assert time.perf_counter() - started < QUICK

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"query": "{ __typename }", "variables": {"v": "'
        for _ in range(40):
            yield b"y" * 50_000
        yield b'"}}'

    headers = {"Content-Type": "application/json", "X-Forwarded-For": address()}
    try:
        response = await http.post(served.graphql, content=streamed(), headers=headers)
    except httpx.TransportError:  # the server answered and closed before the whole body was sent
        pass
    else:
        assert response.status_code == 413
        assert codes(response) == ["REQUEST_TOO_LARGE"]
    just_under = {"query": "{ __typename }", "variables": {"v": "z" * (LIMITS.max_body_bytes - 200)}}
    response = await http.post(served.graphql, json=just_under, headers=headers)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_json_nested_too_deep_is_a_400(served: Served, http: httpx.AsyncClient) -> None:
    deep = '{"query": "{ __typename }", "variables": {"v": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await http.post(
            served.graphql, content=deep,
            headers={"Content-Type": "application/json", "Accept": accept, "X-Forwarded-For": address()},
        )  # fmt: skip
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(accept)
        assert codes(response) == ["BAD_REQUEST"]
    ok = await http.post(served.graphql, json={"query": "{ __typename }"}, headers={"X-Forwarded-For": address()})
    assert ok.json() == {"data": {"__typename": "Query"}}


async def burst(http: httpx.AsyncClient, urls: list[str], count: int, client: str) -> list[httpx.Response]:
    """`count` anonymous requests from one client address, ten at a time, spread over `urls`."""
    responses: list[httpx.Response] = []
    for start in range(0, count, 10):
        responses += await asyncio.gather(*[
            http.post(urls[n % len(urls)], json={"query": "{ __typename }"}, headers={"X-Forwarded-For": client})
            for n in range(start, min(start + 10, count))
        ])  # fmt: skip
    return responses


def assert_limited(responses: list[httpx.Response]) -> None:
    allowed = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(allowed) + len(limited) == len(responses)
    assert 0 < len(allowed) <= LIMITS.rates.anonymous.requests
    assert len(limited) >= len(responses) - LIMITS.rates.anonymous.requests
    for response in limited:
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert int(response.headers["retry-after"]) == error["extensions"]["retryAfter"] >= 1


async def test_a_burst_of_anonymous_requests_hits_the_rate_limit(served: Served, http: httpx.AsyncClient) -> None:
    assert_limited(await burst(http, [served.graphql], 150, address()))
    # another address is still served
    other = await http.post(served.graphql, json={"query": "{ __typename }"}, headers={"X-Forwarded-For": address()})
    assert other.status_code == 200


async def test_forged_link_tokens_are_rate_limited(served: Served, http: httpx.AsyncClient) -> None:
    guesser = address()
    seen = []
    for n in range(LIMITS.rates.failed_auth.requests + 20):
        forged = f"tql_{n + 1}_{secrets.token_urlsafe(16)}"
        response = await http.post(
            served.graphql, json={"query": VIEWER},
            headers={"Authorization": f"Bearer {forged}", "X-Forwarded-For": guesser},
        )  # fmt: skip
        seen.append((response.status_code, codes(response)))
    most = LIMITS.rates.failed_auth.requests
    assert seen[:most] == [(200, ["UNAUTHENTICATED"])] * most
    assert seen[most:] == [(429, ["RATE_LIMITED"])] * 20
    staff = {"Authorization": f"Bearer {served.owner_token}", "X-Forwarded-For": address()}
    assert (await http.post(served.graphql, json={"query": VIEWER}, headers=staff)).status_code == 200


async def test_forged_tokens_over_websocket_are_rate_limited(served: Served, http: httpx.AsyncClient) -> None:
    guesser = {"X-Forwarded-For": address()}
    ws_url = f"ws://127.0.0.1:{served.server.port}/graphql"
    closes = []
    for n in range(LIMITS.rates.failed_auth.requests + 3):
        async with connect(ws_url, subprotocols=[TRANSPORT_WS], additional_headers=guesser, proxy=None) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer tql_{n + 1}_forged"}}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            closes.append(closed.value.rcvd.code if closed.value.rcvd else None)
    assert closes == [4403] * len(closes)
    # the address is now refused over HTTP too, before its token is looked up
    response = await http.post(
        served.graphql, json={"query": VIEWER}, headers={**guesser, "Authorization": f"Bearer {served.owner_token}"}
    )
    assert response.status_code == 429 and codes(response) == ["RATE_LIMITED"]


async def test_the_graphql_http_audit_finds_no_fault(served: Served) -> None:
    assert shutil.which("node"), "Node.js is needed for the graphql-http audit"
    assert (JS / "node_modules" / "graphql-http").is_dir(), "run `npm ci --prefix tests/js` first"
    process = await asyncio.create_subprocess_exec(
        "node", str(JS / "audit.mjs"), served.graphql,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    report = json.loads(out or b"{}") if out.strip() else {"stderr": err.decode()}
    assert report.get("ok", 0) >= 50, report
    assert report["error"] == [], json.dumps(report["error"], indent=1)  # MUST failures
    assert report["warn"] == [], json.dumps(report["warn"], indent=1)  # SHOULD failures
    assert process.returncode == 0


# ------------------------------------------------------------------ production


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("production")
    env = server_env(f"sqlite://{workdir / 'production.db'}", SECRET, TRADEQUOTE_ENV="production")
    token = create_org(env, workdir)
    server = start_server(env, workdir, "production")
    try:
        yield Served(server, token, workdir)
    finally:
        server.stop()


async def test_production_refuses_anonymous_introspection_and_suggestions(
    production: Served, http: httpx.AsyncClient
) -> None:
    query = {"query": "query { __schema { types { name } } }"}
    anonymous = {"Accept": GRAPHQL_RESPONSE, "X-Forwarded-For": address()}
    response = await http.post(production.graphql, json=query, headers=anonymous)
    assert response.status_code == 400
    assert codes(response) == ["INTROSPECTION_DISABLED"]
    typo = await http.post(production.graphql, json={"query": "{ quotez organizaton(slug: \"shop\") { nam } }"}, headers=anonymous)
    assert typo.status_code == 400
    messages = " ".join(error["message"] for error in typo.json()["errors"])
    assert "quotez" in messages and "Did you mean" not in messages and "organization" not in messages
    staff = {"Authorization": f"Bearer {production.owner_token}", "X-Forwarded-For": address()}
    response = await http.post(production.graphql, json=query, headers=staff)
    assert response.status_code == 200
    assert {"name": "Quote"} in response.json()["data"]["__schema"]["types"]
    assert (await http.get(production.graphql, headers={"Accept": "text/html"})).status_code == 404


def test_production_refuses_to_start_with_a_placeholder_secret(tmp_path: Path) -> None:
    for secret in ("change-me-to-48-random-characters-before-real-use", "changeme", "z" * 64):
        env = server_env(f"sqlite://{tmp_path / 'weak.db'}", secret, TRADEQUOTE_ENV="production")
        done = subprocess.run([*SERVE, "serve", "--port", "1"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 2, done.stderr
        assert "TRADEQUOTE_SECRET_KEY" in done.stderr


# ------------------------------------------------------------------ two replicas


@pytest.mark.parametrize("store", ["postgres", "redis"])
async def test_a_burst_across_two_replicas_hits_one_shared_limit(
    store: str, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    """Two `tradequote serve` processes: on one PostgreSQL database (counters in its table), or
    on one SQLite file with the counters in Redis."""
    if store == "postgres" and not POSTGRES_URL:
        pytest.skip("replicas share a PostgreSQL database: set TRADEQUOTE_TEST_POSTGRES_URL")
    if store == "redis" and not REDIS_URL:
        pytest.skip("counters in Redis: set TRADEQUOTE_TEST_REDIS_URL")
    url = await create_postgres_database() if store == "postgres" else f"sqlite://{tmp_path / 'shared.db'}"
    extra = {"TRADEQUOTE_REDIS_URL": REDIS_URL} if store == "redis" else {}
    env = server_env(url, SECRET, **extra)
    run_cli(["migrate"], env, tmp_path)
    first = start_server(env, tmp_path, "first")
    try:
        second = start_server(env, tmp_path, "second")
        try:
            responses = await burst(http, [f"{first.http}/graphql", f"{second.http}/graphql"], 150, address())
            assert_limited(responses)
            by_server = {r.url.port: r.status_code for r in responses if r.status_code == 429}
            assert by_server.keys() == {first.port, second.port}  # both replicas refused some
        finally:
            second.stop()
    finally:
        first.stop()
        if store == "postgres":
            await drop_postgres_database(url)
