"""What an operator watches: /metrics moving with real traffic and sockets, /readyz and
/healthz with the database gone or not migrated, and the log lines of a real production
server (JSON, request ids, nothing secret or personal)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from graphql_api.http import metrics
from graphql_api.http.health import known_migrations
from graphql_api.http.logs import JsonFormatter, redact
from graphql_api.http.metrics import counted_sweep
from graphql_api.http.operations import report_errors
from graphql_api.http.scope import RequestScope, current
from graphql_api.http.tracing import configure_tracing, use_tracer_provider
from graphql_api.settings import ConfigurationError, Settings
from models.services.lifecycle import expire_due_quotes
from tests.client import Api, Org
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database
from tests.flow import CONTACT, PHONE, request_link
from tests.live import (
    ServerProcess,
    free_port,
    quote_topic,
    run_cli,
    server_env,
    start_server,
    until_subscribed,
    ws_connect,
)

SECRET = "observability-test-secret-" + secrets.token_urlsafe(32)
TIMEOUT = 10.0

VIEWER = "query WhoAmI { viewer { kind } }"
CREATE_REQUEST = """
mutation CreateRequest($input: CreateQuoteRequestInput!) {
  createQuoteRequest(input: $input) { url quote { id } userErrors { code field } }
}
"""
SUBMIT = """
mutation Submit($input: SubmitQuoteInput!) {
  submitQuote(input: $input) { quote { status } userErrors { code } }
}
"""
MESSAGES = "subscription Messages($id: ID!) { threadMessages(quoteId: $id) { id body } }"


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a /metrics page, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(page: Samples, name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(api: Api) -> Samples:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


# --- /metrics -------------------------------------------------------------------------------


async def test_metrics_count_operations_outcomes_errors_and_the_outbox(api: Api, org: Org) -> None:
    before = await scrape(api)

    await api.raw(VIEWER, token=org.owner_token)
    await api.raw(VIEWER, token="tqs_not-a-real-token")
    refused = await api.raw(
        CREATE_REQUEST,
        {"input": {"customerName": "Zoë", "customerEmail": "not an email"}},
        token=org.owner_token,
    )
    assert refused["data"]["createQuoteRequest"]["userErrors"][0]["code"]
    created = await api.raw(
        CREATE_REQUEST,
        {"input": {"customerName": "Zoë Łukasiewicz", "customerEmail": "zoe@example.com"}},
        token=org.owner_token,
    )
    assert created["data"]["createQuoteRequest"]["userErrors"] == []
    await api.raw("{ noSuchField }")

    after = await scrape(api)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    operations = "tradequote_graphql_operations_total"
    assert moved(operations, operation="WhoAmI", type="query", outcome="ok") == 1
    assert moved(operations, operation="WhoAmI", type="query", outcome="client_error") == 1
    assert moved(operations, operation="CreateRequest", type="mutation", outcome="user_error") == 1
    assert moved(operations, operation="CreateRequest", type="mutation", outcome="ok") == 1
    assert moved(operations, operation="anonymous", type="query", outcome="client_error") == 1
    errors = "tradequote_graphql_errors_total"
    assert moved(errors, code="UNAUTHENTICATED") == 1
    assert moved(errors, code="GRAPHQL_VALIDATION_FAILED") == 1
    latency = "tradequote_graphql_operation_duration_seconds_count"
    assert moved(latency, operation="CreateRequest", type="mutation") == 2
    graphql = {"method": "POST", "route": "/graphql"}
    assert moved("tradequote_http_requests_total", status="200", **graphql) == 5
    assert moved("tradequote_http_request_duration_seconds_count", **graphql) == 5
    # the request's email waits in the outbox (this app runs no sender)
    assert moved("tradequote_outbox_pending_emails") >= 1
    assert value(after, "tradequote_outbox_oldest_pending_age_seconds") >= 0
    assert value(after, "tradequote_database_up") == 1
    assert value(after, "tradequote_db_pool_connections_max") >= 1
    assert value(after, "tradequote_db_pool_connections_in_use") >= 0


async def test_sweeper_runs_are_counted(api: Api, app: Starlette) -> None:
    before = await scrape(api)
    await counted_sweep(lambda: expire_due_quotes(app.state.deps))

    async def failing() -> int:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        await counted_sweep(failing)
    after = await scrape(api)
    sweeps = "tradequote_expiry_sweeps_total"
    assert value(after, sweeps, outcome="ok") - value(before, sweeps, outcome="ok") == 1
    assert value(after, sweeps, outcome="error") - value(before, sweeps, outcome="error") == 1
    assert value(after, "tradequote_expiry_last_sweep_timestamp_seconds") > time.time() - 60


async def _gauges(api: Api) -> tuple[float, float]:
    page = await scrape(api)
    return value(page, "tradequote_websocket_connections"), value(page, "tradequote_subscriptions")


async def _until(api: Api, expected: tuple[float, float]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while (seen := await _gauges(api)) != expected:
        assert time.monotonic() < deadline, f"gauges {seen}, expected {expected}"
        await asyncio.sleep(0.05)


async def test_socket_and_subscription_gauges_follow_real_websockets(
    api: Api, org: Org, app: Starlette, live_url: str
) -> None:
    quote_id, link = await request_link(api, org)
    sockets, subscriptions = await _gauges(api)
    ended = "tradequote_graphql_operations_total"
    labels = {"operation": "Messages", "type": "subscription", "outcome": "ok"}
    ended_before = value(await scrape(api), ended, **labels)
    async with ws_connect(live_url, org.owner_token) as staff:
        await _until(api, (sockets + 1, subscriptions))
        async with ws_connect(live_url, link) as customer:
            async with until_subscribed(app, quote_topic(quote_id), 2):
                await staff.subscribe(MESSAGES, {"id": quote_id})
                second = await customer.subscribe(MESSAGES, {"id": quote_id})
            await _until(api, (sockets + 2, subscriptions + 2))
            await customer.send({"id": second, "type": "complete"})
            await _until(api, (sockets + 2, subscriptions + 1))
        await _until(api, (sockets + 1, subscriptions + 1))
    await _until(api, (sockets, subscriptions))
    # each subscription is counted once it has ended, whether completed or cut off
    assert value(await scrape(api), ended, **labels) - ended_before == 2


def test_operation_names_from_clients_cannot_grow_the_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "_known_operations", set())
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("Thread") == "Thread"
    assert metrics.operation_label('x"} 1\nfake_metric{') == "other"
    assert metrics.operation_label("a" * 65) == "other"
    names = [f"Op{i}" for i in range(metrics.MAX_OPERATION_NAMES + 50)]
    labels = [metrics.operation_label(name) for name in names]
    assert labels.count("other") == 51  # "Thread" took one of the places
    assert metrics.operation_label("Thread") == "Thread"


def test_settings_of_logs_graphiql_and_tracing() -> None:
    base = {"TRADEQUOTE_SECRET_KEY": SECRET}
    development = Settings.from_env(base)
    assert (development.log_json, development.log_level, development.otel_endpoint) == (
        False, "INFO", None,
    )
    production = Settings.from_env({**base, "TRADEQUOTE_ENV": "production"})
    assert production.log_json is True and production.graphiql is False
    assert Settings.from_env({**base, "TRADEQUOTE_LOG_LEVEL": "debug"}).log_level == "DEBUG"
    for name, bad in (("TRADEQUOTE_LOG_JSON", "maybe"), ("TRADEQUOTE_LOG_LEVEL", "LOUD")):
        with pytest.raises(ConfigurationError, match=name):
            Settings.from_env({**base, name: bad})


# --- logs, unit by unit ---------------------------------------------------------------------


def _record(message: str, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("tradequote.test", logging.ERROR, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_redaction_of_tokens_emails_addresses_and_links() -> None:
    text = (
        "token tqs_AbC-123_xyz and tql_9_mac-xyz, mail Zoe.L+x@example.co.uk from 203.0.113.7 "
        "link http://shop.example/q/tql_1_abc and /downloads/quote/5?v=2&expires=9&sig=deadbeef "
        "and [2001:db8::7]:443 or fe80:0:0:0:1:2:3:4 at 07:18:42"
    )
    cleaned = redact(text)
    assert "at 07:18:42" in cleaned
    for secret in (
        "AbC-123", "9_mac", "Zoe.L", "example.co.uk", "203.0.113.7", "tql_1_abc", "deadbeef",
        "2001:db8", "fe80",
    ):
        assert secret not in cleaned, (secret, cleaned)
    assert "tqs_[redacted]" in cleaned and "[email]" in cleaned and "[ip]" in cleaned
    assert redact("listening on 127.0.0.1:8000") == "listening on 127.0.0.1:8000"


def test_json_lines_carry_the_request_scope_and_redact_tracebacks() -> None:
    token = current.set(RequestScope("rid-1", operation="Thread", viewer="STAFF"))
    try:
        try:
            raise ValueError("duplicate key: zoe@example.com")
        except ValueError:
            record = _record("failed for %s", exc_info=sys.exc_info(), customer_email="x@y.example")
            record.args = ("tql_1_secret",)
            line = JsonFormatter().format(record)
    finally:
        current.reset(token)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["request_id"] == "rid-1" and entry["operation"] == "Thread"
    assert entry["viewer"] == "STAFF" and entry["level"] == "error"
    assert "Traceback" in entry["error"] and "ValueError" in entry["error"]
    assert "@" not in line and "tql_1_secret" not in line


def test_expected_errors_join_the_access_line_and_faults_keep_their_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope = RequestScope("rid-2")
    token = current.set(scope)
    try:
        with caplog.at_level(logging.INFO, logger="tradequote.graphql"):
            report_errors([GraphQLError("no", extensions={"code": "FORBIDDEN"})], None)
            assert caplog.records == []
            assert scope.error_codes == {"FORBIDDEN"}
            try:
                raise KeyError("boom")
            except KeyError as error:
                fault = GraphQLError("boom", original_error=error)
            report_errors([fault], None)
    finally:
        current.reset(token)
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None


# --- a real production server ---------------------------------------------------------------

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
TOKEN = re.compile(r"tq[slpk]_[A-Za-z0-9\-]")


async def test_production_logs_are_json_with_request_ids_and_nothing_personal(
    tmp_path: Path,
) -> None:
    env = server_env(
        f"sqlite://{tmp_path / 'logs.db'}", SECRET,
        TRADEQUOTE_ENV="production", TRADEQUOTE_MAIL_DIR=str(tmp_path / "mail"),
    )
    owner = json.loads(run_cli(
        ["create-organization", "--name", "Acme Phones", "--slug", "acme",
         "--owner-email", "owner@acme.example", "--owner-name", "Olga Ownerova", "--json"],
        env, tmp_path,
    ))["ownerToken"]
    server = start_server(env, tmp_path)
    try:
        secrets, echoed = await _traffic(server, owner)
    finally:
        server.stop()
    lines = [line for line in server.output().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)

    created = [e for e in entries if e.get("request_id") == "req-create-1"]
    assert [e["logger"] for e in created] == ["tradequote.access"]
    assert created[0]["operation"] == "CreateRequest" and created[0]["viewer"] == "STAFF"
    assert created[0]["status"] == 200 and created[0]["route"] == "/graphql"
    assert echoed["req-create-1"] == "req-create-1"
    made = echoed["bad id with spaces"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and any(e.get("request_id") == made for e in entries)

    # the refused token: one line, no traceback
    refused = [e for e in entries if e.get("request_id") == "req-refused"]
    assert len(refused) == 1 and refused[0]["errors"] == ["UNAUTHENTICATED"]
    assert refused[0]["viewer"] == "INVALID_TOKEN"
    assert not any("error" in e or "Traceback" in e["message"] for e in entries)
    customer_page = [e for e in entries if e.get("route") == "/q/{token}"]
    assert customer_page and customer_page[0]["status"] == 200
    (socket,) = [e for e in entries if e.get("method") == "WS"]
    assert socket["route"] == "/graphql" and socket["viewer"] == "CUSTOMER_LINK"
    assert socket["status"] == 101 and socket["request_id"] == echoed["websocket"]
    uvicorn_chatter = ("WebSocket", "connection open")
    assert not any(word in e["message"] for e in entries for word in uvicorn_chatter)

    text = server.output()
    for secret in secrets:
        assert secret not in text, secret
    assert not EMAIL.search(text), EMAIL.search(text)
    assert not TOKEN.search(text), TOKEN.search(text)


async def _traffic(server: ServerProcess, owner: str) -> tuple[list[str], dict[str, str]]:
    """Requests of every kind, as staff, as a customer and as nobody; what must never be logged
    and the request ids the server echoed."""
    echoed: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=server.http, timeout=TIMEOUT) as client:

        async def post(query: str, variables: dict[str, Any], token: str, request_id: str) -> Any:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
            )
            echoed[request_id] = response.headers["x-request-id"]
            return response.json()

        created = await post(
            CREATE_REQUEST,
            {"input": {"customerName": "Zoë Łukasiewicz", "customerEmail": "zoe@example.com"}},
            owner, "req-create-1",
        )
        payload = created["data"]["createQuoteRequest"]
        link = payload["url"].rsplit("/", 1)[1]
        quote_id = payload["quote"]["id"]
        async with ws_connect(server.ws, link) as customer:
            assert customer.ws.response is not None
            echoed["websocket"] = customer.ws.response.headers["x-request-id"]
            await customer.subscribe(MESSAGES, {"id": quote_id})
            submitted = await post(
                SUBMIT,
                {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE]}},
                link, "req-submit",
            )
            assert submitted["data"]["submitQuote"]["userErrors"] == [], submitted
        await post(VIEWER, {}, "tqs_" + "x" * 43, "req-refused")
        await post(VIEWER, {}, owner, "bad id with spaces")
        assert (await client.get(f"/q/{link}")).status_code == 200
        assert (await client.get("/graphql", headers={"Accept": "text/html"})).status_code == 404
        metrics = (await client.get("/metrics")).text
        assert value(samples(metrics), "tradequote_expiry_sweeps_total", outcome="ok") >= 1
    secrets = [owner, link, link.split("_", 2)[2], "Zoë", "Łukasiewicz", "Olga", "Ownerova"]
    return secrets, echoed


# --- /readyz and /healthz -------------------------------------------------------------------


@contextmanager
def app_without_migrating(env: dict[str, str], cwd: Path, *, kill: bool = False) -> Iterator[str]:
    """The app under uvicorn as a replica runs it when another process migrates: no `migrate`
    first. Yields its base URL once /healthz answers. `kill`: end it with SIGKILL (a server
    whose SQLite file could never be opened cannot shut down cleanly: Tortoise's SQLite client
    keeps its lock after a failed connect, and closing waits for it)."""
    port = free_port()
    log = cwd / f"app-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "graphql_api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
        )
    server = ServerProcess(process, port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, server.output()
            try:
                if httpx.get(f"{server.http}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        yield server.http
    finally:
        if kill:
            process.kill()
            process.wait()
        else:
            server.stop()


def _ready(base: str) -> httpx.Response:
    return httpx.get(f"{base}/readyz", timeout=TIMEOUT)


def _until_ready(base: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + TIMEOUT
    while (response := _ready(base)).status_code != status:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)
    return response


def test_readyz_waits_for_the_migrations(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'fresh.db'}"
    env = server_env(url, SECRET, TRADEQUOTE_MAIL_DIR=str(tmp_path / "mail"))
    with app_without_migrating(env, tmp_path) as base:
        response = _ready(base)
        assert response.status_code == 503
        assert response.json() == {
            "ready": False, "database": "ok", "pendingMigrations": sorted(known_migrations()),
        }
        assert httpx.get(f"{base}/healthz").status_code == 200
        run_cli(["migrate"], env, tmp_path)
        assert _until_ready(base, 200).json() == {"ready": True}
    assert "0001_initial" in known_migrations() and len(known_migrations()) >= 4


@pytest.mark.parametrize("backend", BACKENDS)
async def test_readyz_fails_while_the_database_is_gone(backend: str, tmp_path: Path) -> None:
    """SQLite: a database file that cannot be opened. PostgreSQL: a database dropped under a
    running `tradequote serve` (every connection cut). Liveness stays 200 throughout."""
    if backend == "sqlite":
        env = server_env(
            f"sqlite://{tmp_path / 'no-such-folder' / 'x.db'}", SECRET,
            TRADEQUOTE_MAIL_DIR=str(tmp_path / "mail"),
        )
        with app_without_migrating(env, tmp_path, kill=True) as base:
            response = _ready(base)
            assert response.status_code == 503 and response.json()["database"] == "unreachable"
            assert httpx.get(f"{base}/healthz").status_code == 200
        return
    url = await create_postgres_database()
    env = server_env(url, SECRET, TRADEQUOTE_MAIL_DIR=str(tmp_path / "mail"))
    server = start_server(env, tmp_path)
    try:
        assert _until_ready(server.http, 200).json() == {"ready": True}
        await drop_postgres_database(url)  # WITH (FORCE): every connection is cut
        response = _until_ready(server.http, 503)
        assert response.json()["database"] == "unreachable"
        assert httpx.get(f"{server.http}/healthz").status_code == 200
    finally:
        server.stop()
        await drop_postgres_database(url)


# --- tracing --------------------------------------------------------------------------------

INLINE_REQUEST = """
mutation Inline {
  createQuoteRequest(input: {customerName: "Zoë Łukasiewicz", customerEmail: "zoe@example.com"}) {
    quote { id } userErrors { code }
  }
}
"""


async def test_tracing_records_operations_without_personal_data(api: Api, org: Org) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    try:
        await api(
            CREATE_REQUEST,
            {"input": {"customerName": "Zoë", "customerEmail": "zoe@example.com"}},
            org.owner_token,
        )
        await api(INLINE_REQUEST, token=org.owner_token)
    finally:
        use_tracer_provider(None)
    await api(VIEWER, token=org.owner_token)  # not traced any more
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]
    assert names.count("GraphQL Query: CreateRequest") == 1 and "GraphQL Query: Inline" in names
    assert "GraphQL Parsing" in names and "GraphQL Validation" in names
    assert names.count("GraphQL Resolving: createQuoteRequest") == 2
    assert not any("WhoAmI" in name for name in names)
    attributes = [dict(span.attributes or {}) for span in spans]
    recorded = json.dumps(attributes, ensure_ascii=False)
    assert "zoe@example.com" not in recorded and "Zoë" not in recorded
    assert any('customerEmail: "…"' in str(a.get("query")) for a in attributes)


def test_tracing_without_its_packages_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    settings = Settings(secret_key=SECRET, otel_endpoint="http://127.0.0.1:4318")
    with pytest.raises(ConfigurationError, match="requirements-otel.lock"):
        configure_tracing(settings)
    assert Settings.from_env(
        {"TRADEQUOTE_SECRET_KEY": SECRET, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
    ).otel_endpoint == "http://127.0.0.1:4318"
    configure_tracing(Settings(secret_key=SECRET))  # no endpoint: nothing to do
