"""Fan-out latency: one message reaching 1,000 `threadMessages` subscribers of one quote.

Starts `tradequote serve` (SQLite in a temporary directory, or the PostgreSQL URL given), opens
N WebSocket subscribers (graphql-transport-ws, as browsers do: permessage-deflate on) to one
quote's thread, then posts a message R times and measures, for every subscriber, the time from
just before the mutation is sent to the receipt of the message. Prints p50, p99 and max.

    .venv/bin/python benchmarks/fanout.py [--subscribers 1000] [--rounds 20]
                                          [--database-url postgres://...] [--no-compression]

The clients run in this process, on the same machine as the server: their own work is part of
the figures, which are therefore an upper bound (their garbage collector is held off while
measuring, so that its pauses are not counted as the server's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
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
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
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


@dataclass
class Subscriber:
    ws: ClientConnection
    arrivals: dict[str, float] = field(default_factory=dict)
    "Set when a message with a body the run is waiting for arrives."
    expected: dict[str, asyncio.Event] = field(default_factory=dict)

    async def listen(self) -> None:
        async for raw in self.ws:
            now = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            body = message["payload"]["data"]["threadMessages"]["body"]
            self.arrivals[body] = now
            event = self.expected.get(body)
            if event is not None:
                event.set()


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
    database_url: str, workdir: Path, log_path: Path
) -> tuple[subprocess.Popen[bytes], str, str]:
    """(process, base URL, owner token) of a fresh `tradequote serve`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEQUOTE_")}
    env.update(
        TRADEQUOTE_DATABASE_URL=database_url, TRADEQUOTE_SECRET_KEY=secrets.token_urlsafe(40)
    )
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


async def subscribe(url: str, token: str, quote_id: str, compression: str | None) -> Subscriber:
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
    return Subscriber(ws)


async def deliver(
    http: httpx.AsyncClient,
    token: str,
    quote_id: str,
    subscribers: list[Subscriber],
    body: str,
    timeout: float,
) -> tuple[float, float, int]:
    """Post `body` once: (the time just before sending, the time the mutation's response came
    back, how many subscribers got the message in time)."""
    events = []
    for subscriber in subscribers:
        event = asyncio.Event()
        subscriber.expected[body] = event
        events.append(event.wait())
    started = time.perf_counter()
    data = await graphql(http, SEND, {"input": {"quoteId": quote_id, "body": body}}, token)
    assert data["sendMessage"]["userErrors"] == [], data
    answered = time.perf_counter()
    done, pending = await asyncio.wait([asyncio.ensure_future(e) for e in events], timeout=timeout)
    for task in pending:
        task.cancel()
    for subscriber in subscribers:
        subscriber.expected.pop(body, None)
    return started, answered, len(done)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> None:
    raise_open_file_limit(args.subscribers * 2 + 256)
    with tempfile.TemporaryDirectory(prefix="tq-fanout-") as tmp:
        workdir = Path(tmp)
        database_url = args.database_url or f"sqlite://{workdir / 'bench.db'}"
        log_path = Path(args.server_log) if args.server_log else workdir / "server.log"
        process, base, token = start_server(database_url, workdir, log_path)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                data = await graphql(
                    http, CREATE_REQUEST, {"input": {"customerName": "Bench"}}, token
                )
                quote_id = data["createQuoteRequest"]["quote"]["id"]
                url = base.replace("http://", "ws://") + "/graphql"
                compression = None if args.no_compression else "deflate"

                opened = time.perf_counter()
                subscribers: list[Subscriber] = []
                for start in range(0, args.subscribers, 100):
                    batch = range(start, min(start + 100, args.subscribers))
                    subscribers += await asyncio.gather(
                        *(subscribe(url, token, quote_id, compression) for _ in batch)
                    )
                listeners = [asyncio.create_task(s.listen()) for s in subscribers]
                print(
                    f"{len(subscribers)} subscribers connected in {time.perf_counter() - opened:.1f}s"
                )

                # Warm up until every subscription is listening (the server says nothing when),
                # then a few more rounds: the first full garbage collection after a thousand
                # connections opened (~0.3 s, once) belongs to start-up, not to steady state.
                settled = 0
                for attempt in range(100):
                    _, _, got = await deliver(
                        http, token, quote_id, subscribers, f"warm-up {attempt}", 2.0
                    )
                    settled = settled + 1 if got == len(subscribers) else 0
                    if settled == args.warm_up:
                        break
                    await asyncio.sleep(args.pause)
                else:
                    raise SystemExit("not every subscriber received the warm-up messages")
                await asyncio.sleep(0.5)

                # The clients' own garbage collector must not pause inside the measurement.
                gc.collect()
                gc.freeze()
                gc.disable()
                latencies: list[float] = []
                cpu_before = cpu_seconds(process.pid)
                with profiling(args.profile, "fan-out", process.pid):
                    for number in range(args.rounds):
                        body = f"round {number}"
                        started, answered, got = await deliver(
                            http, token, quote_id, subscribers, body, 10.0
                        )
                        if got != len(subscribers):
                            raise SystemExit(f"{body}: only {got} of {len(subscribers)} received it")
                        round_latencies = [s.arrivals[body] - started for s in subscribers]
                        latencies += round_latencies
                        if args.verbose:
                            print(f"  {body}: p50 {percentile(round_latencies, .5) * 1000:6.1f} ms"
                                  f"  p99 {percentile(round_latencies, .99) * 1000:6.1f} ms"
                                  f"  (mutation answered after {(answered - started) * 1000:.1f} ms)")  # fmt: skip
                        await asyncio.sleep(args.pause)

                cpu = cpu_seconds(process.pid) - cpu_before
                gc.enable()
                for task in listeners:
                    task.cancel()
                await asyncio.gather(*(s.ws.close() for s in subscribers), return_exceptions=True)
        finally:
            process.terminate()
            process.wait(30)

    backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(
        f"{args.subscribers} subscribers x {args.rounds} messages ({backend}, "
        f"compression {'off' if args.no_compression else 'on'}): "
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
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument("--server-log", help="keep the server's output in this file")
    parser.add_argument("--profile", metavar="DIR", help="record py-spy stacks of the server while measuring")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
