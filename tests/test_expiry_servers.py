"""The sweeper as it runs in production: inside every `tradequote serve` process and in
`tradequote worker`. With two server processes and a worker on one PostgreSQL (one server and
a worker on SQLite), an overdue quote is expired once and its customer emailed once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import documents as doc
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database
from tests.server import cli, environment, serving, stop

STATUS = """query($id: ID!) { quote(id: $id) { status thread(first: 20) { edges { node { kind } } } } }"""


@pytest.fixture(params=BACKENDS)
async def sweeping_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "postgres":
        url = await create_postgres_database()
        yield url, ["--workers", "2"]
        await drop_postgres_database(url)
    else:
        yield f"sqlite://{tmp_path / 'sweep.db'}", []


@contextmanager
def worker(env: dict[str, str], cwd: Path) -> Iterator[None]:
    log = open(cwd / "worker.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "graphql_api", "worker"], env=env, cwd=cwd,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        stop(process)
        log.close()


def _gql(base: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert "errors" not in body, body
    return dict(body["data"])


def _expiry_emails(folder: Path, address: str) -> list[str]:
    texts = [p.read_text() for p in folder.glob("*.eml")] if folder.exists() else []
    return [t for t in texts if address in t.split("\n\n", 1)[0] and "has expired" in t]


def test_every_server_and_the_worker_sweep_and_a_quote_expires_once(
    sweeping_database: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, args = sweeping_database
    env = environment(url, tmp_path, TRADEQUOTE_SWEEP_INTERVAL="0.3")
    cli(["migrate"], env, tmp_path)
    created = json.loads(cli(["create-organization", "--name", "Acme", "--slug", "acme",
                              "--owner-email", "owner@acme.example", "--json"], env, tmp_path))
    owner = created["ownerToken"]
    with serving(env, tmp_path, *args) as base, worker(env, tmp_path):
        expires = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
        data = _gql(base, doc.CREATE_REQUEST, {"input": {"customerEmail": "zoe@example.com",
                                                         "expiresAt": expires, "sendEmail": False}}, owner)
        quote_id = data["createQuoteRequest"]["quote"]["id"]
        deadline = time.monotonic() + 30
        while _gql(base, STATUS, {"id": quote_id}, owner)["quote"]["status"] != "EXPIRED":
            assert time.monotonic() < deadline, "no sweeper expired the quote"
            time.sleep(0.2)
        while not _expiry_emails(tmp_path / "mail", "zoe@example.com"):
            assert time.monotonic() < deadline, "the expiry email was not sent"
            time.sleep(0.2)
        time.sleep(1.5)  # several more sweeps and sends by every process
        quote = _gql(base, STATUS, {"id": quote_id}, owner)["quote"]
    kinds = [edge["node"]["kind"] for edge in quote["thread"]["edges"]]
    assert kinds.count("EXPIRY") == 1, kinds
    assert len(_expiry_emails(tmp_path / "mail", "zoe@example.com")) == 1
