"""Fan-out latency: one message reaching 1,000 `threadMessages` subscribers of one quote.

Starts `tradequote serve` (SQLite in a temporary directory, or the PostgreSQL URL given), opens
N WebSocket subscribers (graphql-transport-ws, as browsers do: permessage-deflate on) to one
quote's thread, then posts a message R times and measures, for every subscriber, the time from
just before the mutation is sent to the receipt of the message. Prints p50, p99 and max.

    .venv/bin/python benchmarks/fanout.py [--subscribers 1000] [--rounds 20]
        [--database-url postgres://...] [--no-compression] [--client-processes 2] [--profile DIR]

The clients run in `--client-processes` worker processes (0: in this process, as this benchmark
first measured), on the same machine as the server: their own work competes with the server's
for the cores, so the figures are an upper bound (their garbage collector is held off while
measuring, so that its pauses are not counted as the server's). The server is started with
TRADEQUOTE_WS_COMPRESSION on unless --no-compression: what compression costs is measured with
clients that ask for it, as browsers do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent

SUBSCRIPTION = """
subscription Thread($id: ID!) {
  threadMessages(quoteId: $id) {
    id kind author authorName body createdAt
    lineChanges { by action price { amount currencyCode } }
  }
}
"""
CREATE_REQUEST = """
mutation($input: CreateQuoteRequestInput!) { createQuoteRequest(input: $input) { quote { id } url } }
"""
SEND = """
mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } userErrors { code } } }
"""


Report = tuple[str, str, list[float]]
"""What a group of clients reports: ("ready", "", []) once connected, then ("got", body, arrival
times) once every one of its subscribers received the message `body`."""


async def clients(url: str, token: str, quote_id: str, count: int, compression: str | None,
                  report: Callable[[Report], None]) -> None:  # fmt: skip
    """`count` subscribers, reporting to `report` until cancelled."""
    raise_open_file_limit(count + 256)
    connections: list[ClientConnection] = []
    for start in range(0, count, 100):
        batch = range(start, min(start + 100, count))
        connections += await asyncio.gather(
            *(subscribe(url, token, quote_id, compression) for _ in batch)
        )
    arrivals: dict[str, list[float]] = {}

    async def listen(ws: ClientConnection) -> None:
        async for raw in ws:
            now = time.perf_counter()  # CLOCK_MONOTONIC: one clock for all processes
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            body = message["payload"]["data"]["threadMessages"]["body"]
            times = arrivals.setdefault(body, [])
            times.append(now)
            if len(times) == count:
                report(("got", body, arrivals.pop(body)))

    listeners = [asyncio.create_task(listen(ws)) for ws in connections]
    # The clients' own garbage collector must not pause inside the measurement.
    gc.collect()
    gc.freeze()
    gc.disable()
    report(("ready", "", []))
    try:
        await asyncio.gather(*listeners)
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


def client_process(url: str, token: str, quote_id: str, count: int, compression: str | None,
                   pipe: Connection) -> None:  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(clients(url, token, quote_id, count, compression, pipe.send))


@contextlib.asynccontextmanager
async def client_groups(args: argparse.Namespace, url: str, token: str,
                        quote_id: str) -> AsyncIterator[tuple[int, asyncio.Queue[Report]]]:  # fmt: skip
    """(how many groups, the queue of their reports) of `args.subscribers` connected clients,
    in `args.client_processes` processes or in this one."""
    compression = None if args.no_compression else "deflate"
    reports: asyncio.Queue[Report] = asyncio.Queue()
    groups = max(args.client_processes, 1)
    counts = [len(range(i, args.subscribers, groups)) for i in range(groups)]
    loop = asyncio.get_running_loop()
    if args.client_processes == 0:
        task = asyncio.create_task(
            clients(url, token, quote_id, counts[0], compression, reports.put_nowait)
        )
        try:
            yield 1, reports
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return
    spawn = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = []
    for count in counts:
        ours, theirs = spawn.Pipe()
        process = spawn.Process(
            target=client_process, args=(url, token, quote_id, count, compression, theirs)
        )
        process.start()
        processes.append(process)

        def forward(pipe: Connection = ours) -> None:
            with contextlib.suppress(EOFError, OSError):
                while True:
                    loop.call_soon_threadsafe(reports.put_nowait, pipe.recv())

        threading.Thread(target=forward, daemon=True).start()
    try:
        yield groups, reports
    finally:
        for process in processes:
            process.terminate()
            process.join(10)


def raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def profiling(directory: str | None, name: str, pid: int) -> Iterator[None]:
    """py-spy's stacks of the server (its `--format raw`) while the block runs, into
    DIRECTORY/<screen>.txt; `python -m benchmarks.stacks FILE` summarizes them."""
    if directory is None:
        yield
        return
    spy = shutil.which("py-spy") or "py-spy"
    output = Path(directory) / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".txt")
    output.parent.mkdir(parents=True, exist_ok=True)
    recorder = subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
                                 "--output", str(output), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(1.0)  # attached
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    database_url: str, workdir: Path, log_path: Path, compression: bool
) -> tuple[subprocess.Popen[bytes], str, str]:
    """(process, base URL, owner token) of a fresh `tradequote serve`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEQUOTE_")}
    env.update(
        TRADEQUOTE_DATABASE_URL=database_url, TRADEQUOTE_SECRET_KEY=secrets.token_urlsafe(40),
        TRADEQUOTE_WS_COMPRESSION="off" if not compression else "on",
    )  # fmt: skip
    slug = f"bench-{secrets.token_hex(4)}"
    created = subprocess.run(
        [sys.executable, "-m", "graphql_api", "create-organization", "--name", "Bench",
         "--slug", slug, "--owner-email", f"owner@{slug}.test", "--json"],
        env=env, cwd=workdir, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = json.loads(created.stdout)["ownerToken"]
    port = free_port()
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "graphql_api", "serve", "--port", str(port)],
        env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base, token
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"the server did not start; see {log_path}")


async def graphql(http: httpx.AsyncClient, query: str, variables: dict, token: str) -> dict:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    body = response.json()
    if body.get("errors"):
        raise SystemExit(f"GraphQL errors: {body['errors']}")
    return body["data"]


async def subscribe(
    url: str, token: str, quote_id: str, compression: str | None
) -> ClientConnection:
    ws = await connect(
        url, subprotocols=["graphql-transport-ws"], proxy=None, compression=compression,  # type: ignore[list-item]
        open_timeout=30, ping_interval=None,
    )  # fmt: skip
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": SUBSCRIPTION, "variables": {"id": quote_id}}}))  # fmt: skip
    return ws


async def deliver(http: httpx.AsyncClient, token: str, quote_id: str, groups: int,
                  reports: asyncio.Queue[Report], body: str, timeout: float) -> tuple[float, list[float]]:  # fmt: skip
    """Post `body` once: (the time just before sending, the arrival times of the subscribers of
    every group that reported them all within `timeout`)."""
    started = time.perf_counter()
    data = await graphql(http, SEND, {"input": {"quoteId": quote_id, "body": body}}, token)
    assert data["sendMessage"]["userErrors"] == [], data
    arrivals: list[float] = []
    got = 0
    deadline = started + timeout
    with contextlib.suppress(TimeoutError):
        while got < groups:
            kind, reported, times = await asyncio.wait_for(
                reports.get(), deadline - time.perf_counter()
            )
            if kind == "got" and reported == body:  # (not a late warm-up message)
                arrivals += times
                got += 1
    return started, arrivals


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> None:
    # the server's sockets, and the clients' when they run in this process
    raise_open_file_limit(args.subscribers * 2 + 256)
    with tempfile.TemporaryDirectory(prefix="tq-fanout-") as tmp:
        workdir = Path(tmp)
        database_url = args.database_url or f"sqlite://{workdir / 'bench.db'}"
        log_path = Path(args.server_log) if args.server_log else workdir / "server.log"
        process, base, token = start_server(
            database_url, workdir, log_path, not args.no_compression
        )
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                data = await graphql(
                    http, CREATE_REQUEST, {"input": {"customerName": "Bench"}}, token
                )
                quote_id = data["createQuoteRequest"]["quote"]["id"]
                url = base.replace("http://", "ws://") + "/graphql"

                opened = time.perf_counter()
                async with client_groups(args, url, token, quote_id) as (groups, reports):
                    for _ in range(groups):
                        kind, _, _ = await asyncio.wait_for(reports.get(), 120)
                        assert kind == "ready", kind
                    print(f"{args.subscribers} subscribers connected in "
                          f"{time.perf_counter() - opened:.1f}s ({groups} client group(s))")  # fmt: skip

                    # Warm up until every subscription is listening (the server says nothing
                    # when), then a few more rounds: the first full garbage collection after a
                    # thousand connections opened (~0.3 s, once) belongs to start-up.
                    settled = 0
                    for attempt in range(100):
                        _, got = await deliver(
                            http, token, quote_id, groups, reports, f"warm-up {attempt}", 2.0
                        )
                        settled = settled + 1 if len(got) == args.subscribers else 0
                        if settled == args.warm_up:
                            break
                        await asyncio.sleep(args.pause)
                    else:
                        raise SystemExit("not every subscriber received the warm-up messages")
                    await asyncio.sleep(0.5)

                    latencies: list[float] = []
                    cpu_before = cpu_seconds(process.pid)
                    with profiling(args.profile, "fan-out", process.pid):
                        for number in range(args.rounds):
                            body = f"round {number}"
                            started, got = await deliver(
                                http, token, quote_id, groups, reports, body, 10.0
                            )
                            if len(got) != args.subscribers:
                                raise SystemExit(
                                    f"{body}: not all of {args.subscribers} received it"
                                )
                            round_latencies = [t - started for t in got]
                            latencies += round_latencies
                            if args.verbose:
                                print(f"  {body}: p50 {percentile(round_latencies, .5) * 1000:6.1f} ms"
                                      f"  p99 {percentile(round_latencies, .99) * 1000:6.1f} ms")  # fmt: skip
                            await asyncio.sleep(args.pause)
                    cpu = cpu_seconds(process.pid) - cpu_before
        finally:
            process.terminate()
            process.wait(30)

    backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(
        f"{args.subscribers} subscribers x {args.rounds} messages ({backend}, "
        f"compression {'off' if args.no_compression else 'on'}, "
        f"clients in {args.client_processes or 'the benchmark'} process(es)): "
        f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms, mean {statistics.fmean(latencies) * 1000:.1f} ms, "
        f"server CPU {cpu / len(latencies) * 1e6:.0f} µs per delivery (its sendMessage included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between messages")
    parser.add_argument(
        "--warm-up", type=int, default=5, help="messages delivered to all before measuring"
    )
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="worker processes for the clients (0: in this process)")  # fmt: skip
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument("--server-log", help="keep the server's output in this file")
    parser.add_argument(
        "--profile", metavar="DIR", help="record py-spy stacks of the server while measuring"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
