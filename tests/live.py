"""GraphQL over WebSocket for the tests: a real uvicorn server on 127.0.0.1 (in this process or
as a `tradequote serve` subprocess) and a small graphql-transport-ws client, as a browser
library speaks it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from graphql_api.ids import decode_id

TIMEOUT = 5.0
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
SERVE = [sys.executable, "-m", "graphql_api"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """Serve `app` (whose broker and database the caller started) on 127.0.0.1; its ws:// URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", loop="asyncio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


@contextlib.asynccontextmanager
async def until_subscribed(app: Starlette, topic: str, count: int) -> AsyncIterator[None]:
    """On leaving the block, wait until `count` more subscribers listen on `topic` in `app`
    (and have had a moment to read where things stand)."""
    fanout = app.state.broker._fanout  # test-only peek at the broker's local subscribers
    streams = app.state.live.streams  # and at those who joined a shared stream (any topic)
    listening = lambda: len(fanout._topics.get(topic, ())) + streams.subscribers - len(streams)
    before = listening()
    yield
    deadline = time.monotonic() + TIMEOUT
    while listening() < before + count:
        assert time.monotonic() < deadline, f"{count} subscription(s) to {topic} did not start"
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)


async def warm_up(
    post: Callable[[], Awaitable[object]], *subscriptions: tuple[GraphQLWS, str], tries: int = 40
) -> None:
    """Post until each subscription has delivered once (a server in another process gives no
    sign of when a subscription starts listening), then drop what the posts still bring."""
    waiting = set(subscriptions)
    clients = {client for client, _ in subscriptions}
    for _ in range(tries):
        await post()
        for client in clients:
            with contextlib.suppress(TimeoutError):
                while any(c is client for c, _ in waiting):
                    message = await client.receive(0.25)
                    waiting.discard((client, message["id"]))
        if not waiting:
            break
    else:
        raise AssertionError(f"{len(waiting)} subscription(s) never delivered")
    for client in clients:
        await client.drain()


def quote_topic(quote_id: str) -> str:
    return f"quote:{decode_id(quote_id, 'Quote')}"


class Closed(AssertionError):
    """The server closed the connection while a message was expected."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code} {reason!r}")
        self.code = code
        self.reason = reason


@dataclass(eq=False)
class GraphQLWS:
    """One WebSocket connection speaking graphql-transport-ws (or, with `legacy`, graphql-ws)."""

    ws: ClientConnection
    legacy: bool = False
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next message, keep-alives skipped."""
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout)
            except ConnectionClosed as closed:
                rcvd = closed.rcvd
                raise Closed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "") from None
            assert isinstance(raw, str), f"a binary frame: {raw!r}; the protocols speak text"
            message: dict[str, Any] = json.loads(raw)
            if message.get("type") != "ka":
                return message

    async def init(self, token: str | None = None) -> dict[str, Any]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op = str(next(self.ids))
        kind = "start" if self.legacy else "subscribe"
        await self.send(
            {"id": op, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )
        return op

    async def next(self, op: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The data of the next result of `op`; fails on anything else."""
        message = await self.receive(timeout)
        expected = "data" if self.legacy else "next"
        assert message.get("id") == op and message["type"] == expected, message
        assert not message["payload"].get("errors"), message
        return dict(message["payload"]["data"])

    async def results(
        self, count: int, timeout: float = TIMEOUT
    ) -> dict[str, list[dict[str, Any]]]:
        """The data of the next `count` results, by operation (operations interleave freely)."""
        by_op: dict[str, list[dict[str, Any]]] = {}
        for _ in range(count):
            message = await self.receive(timeout)
            assert message["type"] == ("data" if self.legacy else "next"), message
            assert not message["payload"].get("errors"), message
            by_op.setdefault(message["id"], []).append(message["payload"]["data"])
        return by_op

    async def drain(self, quiet: float = 0.3) -> None:
        """Drop whatever arrives until the connection has been quiet for `quiet` seconds."""
        with contextlib.suppress(TimeoutError):
            while True:
                await self.receive(quiet)

    async def nothing_more(self, wait: float = 0.3) -> None:
        with contextlib.suppress(TimeoutError):
            message = await self.receive(wait)
            raise AssertionError(f"unexpected message {message}")

    async def close_code(self, timeout: float = TIMEOUT) -> tuple[int | None, str]:
        """Wait for the server to close the connection: (code, reason)."""
        try:
            message = await self.receive(timeout)
        except Closed as closed:
            return closed.code, closed.reason
        raise AssertionError(f"expected the connection to close, got {message}")


@contextlib.asynccontextmanager
async def ws_connect(
    url: str,
    token: str | None = None,
    *,
    init: bool = True,
    legacy: bool = False,
    origin: str | None = None,
) -> AsyncIterator[GraphQLWS]:
    """A connection to `url`, initialised with `token` unless `init` is false."""
    async with connect(
        url,
        subprotocols=[LEGACY_WS if legacy else TRANSPORT_WS],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        proxy=None,
        open_timeout=TIMEOUT,
        close_timeout=2,
    ) as ws:
        client = GraphQLWS(ws, legacy=legacy)
        if init:
            ack = await client.init(token)
            assert ack["type"] == "connection_ack", ack
        yield client


# ------------------------------------------------------------------ `tradequote serve`


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then wait for the exit; kills it if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the server did not stop in {timeout}s:\n{self.output()}")


def server_env(database_url: str, secret_key: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRADEQUOTE_")}
    env.update(
        TRADEQUOTE_DATABASE_URL=database_url,
        TRADEQUOTE_SECRET_KEY=secret_key,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [*SERVE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_server(env: dict[str, str], cwd: Path, name: str = "server") -> ServerProcess:
    """`tradequote serve` on a free port of 127.0.0.1, once it answers /healthz."""
    server = launch_server(env, cwd, name)
    wait_until_healthy(server)
    return server


def launch_server(env: dict[str, str], cwd: Path, name: str = "server") -> ServerProcess:
    """`tradequote serve` on a free port of 127.0.0.1, just started."""
    port = free_port()
    log = cwd / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*SERVE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process, port, log)


def wait_until_healthy(server: ServerProcess, timeout: float = 30) -> None:
    """Until the server answers /healthz; fails (and stops it) if it exits or never does."""
    process = server.process
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.http}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"the server did not start:\n{server.output()}")
