"""Tradequote side by side with its floor: a bare Strawberry app answering the same bytes.

    .venv/bin/python -m benchmarks.floor [--database-url postgres://...] [--quotes 2000]
        [--requests 300] [--concurrency 32] [--mutations 40] [--subscribers 200]

Seeds a database (SQLite in a temporary directory unless a URL of an empty PostgreSQL database
is given) with `--quotes` other quotes, starts `tradequote serve` (one worker, `--loop asyncio`),
captures its answer to each screen, starts the floor (`benchmarks/floor_app.py`: same strawberry,
same uvicorn settings, its caches working) answering those documents with the same data from
memory, then loads each server in turn from this process over keep-alive HTTP/1.1 on 127.0.0.1
(N requests at C concurrent clients, after a short warm-up). For each screen it prints requests/s,
p50/p99 and the server's CPU per request (from /proc) of both, and Tradequote's ratio to the
floor: the thread view (20 lines, 50 messages), the staff queue (first page of 50, and a search),
`submitQuote` with 50 devices and 50 IMEIs, `counterOffer` on 20 lines, the 50-line receipt PDF.
A last pass per screen sends Tradequote's requests from one client, one after the other: its
latency when nobody else is waiting (the figure the per-request targets speak of).
Then it runs `benchmarks/fanout.py` (one message to `--subscribers` WebSocket subscribers).

Rate limits are off in both servers (one token sends every request)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from stdnum import luhn
from tortoise import connections

from benchmarks.fanout import cpu_seconds, free_port, profiling
from tests import documents as doc
from tests.client import Api
from tests.flow import CONTACT, PHONE

ROOT = Path(__file__).resolve().parent.parent


def imei(n: int) -> str:
    body = f"35{n:012d}"
    return body + luhn.calc_check_digit(body)


def devices(count: int, offset: int, with_imeis: bool = True) -> list[dict[str, Any]]:
    return [
        {**PHONE, "model": f"iPhone {i}", "imeis": [imei(offset + i)] if with_imeis else []}
        for i in range(count)
    ]


# ---------------------------------------------------------------------------- load generator


def post(path: str, body: bytes, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{auth}Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
    return head.encode() + body


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readline()).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


@dataclass
class Figures:
    rps: float
    p50: float
    p99: float
    cpu_ms: float
    failures: int

    def line(self) -> str:
        return (f"{self.rps:8.0f} req/s  p50 {self.p50:6.1f} ms  p99 {self.p99:6.1f} ms  "
                f"CPU {self.cpu_ms:6.2f} ms/req" + (f"  {self.failures} FAILED" if self.failures else ""))  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def load(port: int, pid: int, requests: list[bytes], concurrency: int, warm_up: int) -> Figures:
    """Send `requests` (the first `warm_up` unmeasured) over `concurrency` keep-alive connections."""
    latencies: list[float] = []
    failures = 0
    queue = iter(enumerate(requests))

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for index, request in queue:
                started = time.perf_counter()
                writer.write(request)
                status, body = await read_response(reader)
                if index >= warm_up:
                    latencies.append(time.perf_counter() - started)
                if status != 200 or body.startswith(b'{"errors"') or b'"userErrors":[{' in body:
                    failures += 1
        finally:
            writer.close()

    warm = iter(enumerate(requests[:warm_up]))
    queue, rest = warm, requests[warm_up:]
    await asyncio.gather(*(client() for _ in range(min(concurrency, warm_up) or 1)))
    queue = iter(enumerate(rest, start=warm_up))
    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
    return Figures(len(rest) / elapsed, percentile(latencies, 0.5) * 1000,
                   percentile(latencies, 0.99) * 1000, cpu / len(rest) * 1000, failures)  # fmt: skip


# ---------------------------------------------------------------------------- servers


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"the server exited; see {log}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not start; see {log}")


def environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEQUOTE_")}
    env.update(TRADEQUOTE_DATABASE_URL=database_url, TRADEQUOTE_SECRET_KEY=secrets.token_urlsafe(40),
               TRADEQUOTE_RATE_LIMITS="off", TRADEQUOTE_LOG_LEVEL="WARNING")  # fmt: skip
    return env


def create_organization(env: dict[str, str], workdir: Path) -> str:
    slug = f"bench-{secrets.token_hex(4)}"
    created = subprocess.run(
        [sys.executable, "-m", "graphql_api", "create-organization", "--name", "Bench",
         "--slug", slug, "--owner-email", f"owner@{slug}.test", "--json"],
        env=env, cwd=workdir, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return str(json.loads(created.stdout)["ownerToken"])


async def seed_other_quotes(database_url: str, token: str, count: int) -> None:
    """`count` submitted quotes (one line, one unit each) that the screens must not slow down on."""
    from graphql_api import db
    from models.enums import DeviceCondition, DeviceType
    from models.negotiation import Party, QuoteSource, QuoteStatus
    from models.organization import AccessToken
    from models.quote import DeviceUnit, Quote, QuoteLine
    from models.services.tokens import hash_token

    await db.connect(database_url)
    try:
        row = await AccessToken.get(token_hash=hash_token(token))
        now = datetime.now(UTC)
        for start in range(0, count, 5000):
            batch = range(start, min(count, start + 5000))
            await Quote.bulk_create([
                Quote(organization_id=row.organization_id, number=f"S-{i:07d}", status=QuoteStatus.SUBMITTED,
                      awaiting=Party.MERCHANT, source=QuoteSource.REQUEST_LINK,
                      contact_name=("Ada Okafor" if i % 100 == 7 else "Customer") + f" {i}",
                      contact_email=f"customer{i}@example.com", currency_code="USD",
                      link_salt=secrets.token_hex(8), last_hash="0" * 64, created_at=now, updated_at=now)
                for i in batch
            ])  # fmt: skip
            quotes = await Quote.filter(number__in=[f"S-{i:07d}" for i in batch]).values_list("id", flat=True)
            await QuoteLine.bulk_create([
                QuoteLine(quote_id=q, position=1, device_type=DeviceType.PHONE, brand="Apple",
                          model="iPhone 13", condition=DeviceCondition.GOOD, quantity=1)
                for q in quotes
            ])  # fmt: skip
            lines = await QuoteLine.filter(quote_id__in=list(quotes)).values_list("id", "quote_id")
            await DeviceUnit.bulk_create([
                DeviceUnit(line_id=line, quote_id=q, position=1, imei=imei(90_000_000 + q))
                for line, q in lines
            ])  # fmt: skip
        # What autovacuum would have done by the time a real database held these rows: planner
        # statistics, and the visibility map that lets PostgreSQL count off an index alone.
        connection = connections.get("default")
        postgres = connection.capabilities.dialect == "postgres"
        await connection.execute_script("VACUUM ANALYZE" if postgres else "ANALYZE")
    finally:
        await db.close()


# ---------------------------------------------------------------------------- screens


@dataclass
class Screen:
    name: str
    "Tradequote's requests (distinct for mutations: each changes a quote of its own)."
    requests: list[bytes]
    "The one request the floor answers (the same document and variables)."
    floor_request: bytes
    "Tradequote's requests for the one-client pass (its latency when nothing else waits)."
    solo: list[bytes]


"Requests of the one-client pass: reads repeat one request, mutations each need their own."
SOLO_READS = 100
SOLO_MUTATIONS = 30


def read_screen(name: str, body: bytes, token: str, count: int) -> Screen:
    return Screen(name, [post("/graphql", body, token)] * count, post("/graphql", body, None),
                  [post("/graphql", body, token)] * SOLO_READS)  # fmt: skip


def mutation_screen(name: str, requests: list[bytes], floor_request: bytes) -> Screen:
    """`requests`: the floor's (already sent, to capture its answer), the loaded pass's, then the
    one-client pass's."""
    return Screen(name, requests[1:-SOLO_MUTATIONS], floor_request, requests[-SOLO_MUTATIONS:])


def body_of(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


async def prepare(api: Api, http: httpx.AsyncClient, token: str, args: argparse.Namespace,
                  captures: dict[str, Any]) -> list[Screen]:  # fmt: skip
    screens: list[Screen] = []
    reads = args.requests

    async def capture(query: str, variables: dict[str, Any], auth: str) -> bytes:
        body = body_of(query, variables)
        answer = await http.post("/graphql", content=body, headers={
            "Authorization": f"Bearer {auth}", "Content-Type": "application/json"})
        data = answer.json()
        assert not data.get("errors"), data
        captures["graphql"][body.decode()] = data["data"]
        return body

    async def request_link() -> tuple[str, str]:
        data = await api(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë"}}, token)
        return data["createQuoteRequest"]["quote"]["id"], data["createQuoteRequest"]["url"].rsplit("/", 1)[1]

    async def submit(quote_id: str, link: str, lines: int, with_imeis: bool, offset: int) -> dict[str, Any]:
        data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT,
                                                "devices": devices(lines, offset, with_imeis)}}, link)  # fmt: skip
        return data["submitQuote"]["quote"]

    # The thread view: 20 lines, a merchant counter on each, 50 thread entries.
    quote_id, link = await request_link()
    quote = await submit(quote_id, link, 20, False, 0)
    await api(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": [
        {"lineId": line["id"], "action": "COUNTER", "price": "500"} for line in quote["lines"]]}}, token)
    for i in range(47):
        await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": f"note {i}"}},
                  link if i % 2 else token)
    body = await capture(doc.THREAD_VIEW, {"id": quote_id}, token)
    screens.append(read_screen("thread view (staff)", body, token, reads))

    # The staff queue: the first page of 50, and a search.
    for name, variables in (("staff queue: first 50", {"first": 50}),
                            ("staff queue: search", {"first": 50, "filter": {"search": "okafor"}})):
        body = await capture(doc.QUOTES, variables, token)
        screens.append(read_screen(name, body, token, reads))

    # submitQuote: 50 devices with 50 IMEIs, each on a fresh request (the first for the floor,
    # then those of the loaded pass, then those of the one-client pass).
    count = 1 + args.mutations + SOLO_MUTATIONS
    links = [await request_link() for _ in range(count)]
    bodies = [body_of(doc.SUBMIT, {"input": {"quoteId": q, "contact": CONTACT,
                                             "devices": devices(50, 1_000_000 + n * 100)}})
              for n, (q, _) in enumerate(links)]  # fmt: skip
    answer = await http.post("/graphql", content=bodies[0], headers={
        "Authorization": f"Bearer {links[0][1]}", "Content-Type": "application/json"})
    captures["graphql"][bodies[0].decode()] = answer.json()["data"]
    screens.append(mutation_screen("submitQuote: 50 devices, 50 IMEIs",
                                   [post("/graphql", b, q[1]) for b, q in zip(bodies, links, strict=True)],
                                   post("/graphql", bodies[0], None)))  # fmt: skip

    # counterOffer on 20 lines, each on a quote of its own.
    submitted = []
    for n in range(count):
        q, line_link = await request_link()
        submitted.append(await submit(q, line_link, 20, False, 0))
    bodies = [body_of(doc.COUNTER, {"input": {"quoteId": s["id"], "lines": [
        {"lineId": line["id"], "action": "COUNTER", "price": "500"} for line in s["lines"]]}})
        for s in submitted]  # fmt: skip
    answer = await http.post("/graphql", content=bodies[0], headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    captures["graphql"][bodies[0].decode()] = answer.json()["data"]
    screens.append(mutation_screen("counterOffer: 20 lines", [post("/graphql", b, token) for b in bodies],
                                   post("/graphql", bodies[0], None)))

    # The receipt of a 50-line buy order.
    quote_id, link = await request_link()
    quote = await submit(quote_id, link, 50, True, 5_000_000)
    await api(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": [
        {"lineId": line["id"], "action": "COUNTER", "price": "100"} for line in quote["lines"]]}}, token)
    await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": {
        "name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}}}, link)
    data = await api(doc.CONVERT, {"input": {"quoteId": quote_id, "payoutMethod": "CHECK",
                                             "fulfillment": "PICKUP"}}, token)  # fmt: skip
    url = httpx.URL(data["convertToBuyOrder"]["buyOrder"]["receiptUrl"])
    path = url.raw_path.decode()
    pdf = await http.get(path)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.status_code
    captures["files"][path] = (base64.b64encode(pdf.content).decode(), "application/pdf")
    screens.append(Screen("receipt PDF: 50 lines", [get(path)] * max(20, args.mutations), get(path),
                          [get(path)] * SOLO_READS))
    return screens


async def measure(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="tq-floor-") as tmp:
        workdir = Path(tmp)
        database_url = args.database_url or f"sqlite://{workdir / 'bench.db'}"
        env = environment(database_url)
        token = create_organization(env, workdir)
        started = time.perf_counter()
        await seed_other_quotes(database_url, token, args.quotes)
        print(f"seeded {args.quotes} other quotes in {time.perf_counter() - started:.1f}s")

        port, floor_port = free_port(), free_port()
        log = workdir / "server.log"
        server = subprocess.Popen(
            [sys.executable, "-m", "graphql_api", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=workdir, stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
        floor = None
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server, log)
            captures: dict[str, Any] = {"graphql": {}, "files": {}}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                screens = await prepare(Api(http), http, token, args, captures)
            (workdir / "captures.json").write_text(json.dumps(captures))
            floor_log = workdir / "floor.log"
            floor = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.floor_app", str(workdir / "captures.json"), str(floor_port)],
                cwd=ROOT, stdout=floor_log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
            wait_healthy(f"http://127.0.0.1:{floor_port}", floor, floor_log)

            backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
            print(f"{backend}, {args.quotes} other quotes, {args.concurrency} clients, "
                  f"{os.cpu_count()} cores\n")  # fmt: skip
            for screen in screens:
                if args.only and args.only not in screen.name:
                    continue
                warm = min(20, len(screen.requests) // 5)
                with profiling(args.profile, screen.name, server.pid):
                    ours = await load(port, server.pid, screen.requests, args.concurrency, warm)
                base = await load(floor_port, floor.pid, [screen.floor_request] * len(screen.requests),
                                  args.concurrency, warm)  # fmt: skip
                print(f"{screen.name}  ({len(screen.requests) - warm} requests)")
                print(f"  tradequote {ours.line()}")
                print(f"  floor      {base.line()}")
                cpu = f"{ours.cpu_ms / base.cpu_ms:.2f}x" if base.cpu_ms else "(floor below the clock tick)"
                print(f"  ratio      {ours.rps / base.rps:.2f}x throughput, {cpu} CPU per request")
                alone = await load(port, server.pid, screen.solo, 1, min(5, len(screen.solo) // 5))
                print(f"  one client {alone.line()}\n")
        finally:
            for process in (server, floor):
                if process is not None:
                    process.terminate()
                    process.wait(30)

    if args.subscribers and not args.only:
        command = [sys.executable, str(ROOT / "benchmarks" / "fanout.py"), "--subscribers",
                   str(args.subscribers), "--rounds", str(args.fanout_rounds)]  # fmt: skip
        if args.database_url:
            command += ["--database-url", args.database_url]
        print("fan-out:", flush=True)
        subprocess.run(command, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--quotes", type=int, default=2000, help="other quotes in the database")
    parser.add_argument("--requests", type=int, default=300, help="requests per read screen")
    parser.add_argument("--mutations", type=int, default=40, help="requests per mutation screen")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--subscribers", type=int, default=200, help="fan-out subscribers (0: skip)")
    parser.add_argument("--fanout-rounds", type=int, default=5)
    parser.add_argument("--only", help="only the screens whose name contains this text")
    parser.add_argument("--profile", metavar="DIR", help="record py-spy stacks of Tradequote per screen")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
