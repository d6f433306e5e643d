"""Automatic persisted queries as Apollo Client uses them (its persisted-query link, GET for
hashed queries) against real servers: miss, register, hit, also through a second replica that
shares the database; and the protocol's refusals, in process."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphql_api.app import create_app
from graphql_api.settings import Settings
from tests.client import Api, Org
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.live import ServerProcess, run_cli, server_env, start_server

JS = Path(__file__).parent / "js"
SHOP = "query Shop($slug: String!) { organization(slug: $slug) { name slug } }"
SHOP_HASH = hashlib.sha256(SHOP.encode()).hexdigest()
CREATE_REQUEST = """
mutation Create($input: CreateQuoteRequestInput!) {
  createQuoteRequest(input: $input) { quote { id } userErrors { code } }
}
"""


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two servers on one PostgreSQL database (one SQLite server without PostgreSQL), and the
    slug of an organization created with the CLI."""
    import asyncio

    workdir = tmp_path_factory.mktemp("apq")
    url = (
        asyncio.run(create_postgres_database())
        if POSTGRES_URL
        else f"sqlite://{workdir / 'apq.db'}"
    )
    env = server_env(url, "apq-test-secret-" + "a" * 32)
    run_cli(
        ["create-organization", "--name", "Corner Shop", "--slug", "corner",
         "--owner-email", "owner@corner.test", "--owner-name", "Olivia Owner", "--json"],
        env, workdir,
    )  # fmt: skip
    first = start_server(env, workdir, "first")
    second = start_server(env, workdir, "second") if POSTGRES_URL else first
    servers: list[ServerProcess] = [first, second]
    try:
        yield servers
    finally:
        for server in {id(s): s for s in servers}.values():
            server.stop()
        if POSTGRES_URL:
            asyncio.run(drop_postgres_database(url))


def test_apollo_persisted_query_link_misses_registers_and_hits_on_every_replica(
    replicas: list[ServerProcess],
) -> None:
    node = shutil.which("node")
    assert node is not None, "node is required for the Apollo Client test"
    first, second = replicas
    done = subprocess.run(
        [node, str(JS / "apq.mjs"), "corner", first.http, second.http],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    runs = [json.loads(line) for line in done.stdout.splitlines()]
    miss, hit = runs
    # First client: the hash alone over GET, PersistedQueryNotFound, then the query registered.
    assert miss["requests"][0]["method"] == "GET" and not miss["requests"][0]["sentQuery"]
    assert miss["requests"][0]["errors"] == [
        {"message": "PersistedQueryNotFound", "code": "PERSISTED_QUERY_NOT_FOUND"}
    ]
    assert len(miss["requests"]) == 2 and miss["requests"][1]["sentQuery"]
    assert miss["requests"][1]["errors"] == []
    assert miss["data"]["organization"] == {"__typename": "Organization", "name": "Corner Shop", "slug": "corner"}
    # A fresh client on the other replica: the hash alone is enough, cacheable for anonymous use.
    assert [(r["method"], r["sentQuery"], r["errors"]) for r in hit["requests"]] == [("GET", False, [])]
    assert hit["requests"][0]["cacheControl"] == "public, max-age=60"
    assert hit["data"] == miss["data"]


async def test_a_query_whose_hash_differs_is_refused_and_not_stored(api: Api, org: Org) -> None:
    wrong = "0" * 64
    response = await api.client.post(
        "/graphql", json={"query": SHOP, "variables": {"slug": org.slug}, "extensions": apq(wrong)}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    again = await api.client.post("/graphql", json={"extensions": apq(wrong)})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_registered_queries_run_over_post_and_get_but_mutations_never_over_get(
    api: Api, org: Org
) -> None:
    body = {"query": SHOP, "variables": {"slug": org.slug}, "extensions": apq(SHOP_HASH)}
    assert (await api.client.post("/graphql", json=body)).json()["data"]["organization"]["slug"] == org.slug
    hashed = await api.client.post(
        "/graphql", json={"variables": {"slug": org.slug}, "extensions": apq(SHOP_HASH)}
    )
    assert hashed.json()["data"]["organization"]["slug"] == org.slug
    params = {"variables": json.dumps({"slug": org.slug}), "extensions": json.dumps(apq(SHOP_HASH))}
    viewed = await api.client.get("/graphql", params=params, headers={"Authorization": f"Bearer {org.owner_token}"})
    assert viewed.json()["data"]["organization"]["slug"] == org.slug
    assert viewed.headers.get("cache-control") is None  # a signed-in viewer's answer is not shared

    mutation_hash = hashlib.sha256(CREATE_REQUEST.encode()).hexdigest()
    variables = {"input": {"customerName": "Ann", "customerEmail": "ann@example.com", "sendEmail": False}}
    registered = await api.client.post(
        "/graphql",
        json={"query": CREATE_REQUEST, "variables": variables, "extensions": apq(mutation_hash)},
        headers={"Authorization": f"Bearer {org.owner_token}"},
    )
    assert registered.json()["data"]["createQuoteRequest"]["userErrors"] == []
    over_get = await api.client.get(
        "/graphql",
        params={"variables": json.dumps(variables), "extensions": json.dumps(apq(mutation_hash))},
        headers={"Authorization": f"Bearer {org.owner_token}"},
    )
    assert over_get.status_code in (400, 405)  # mutations are never run over GET


async def test_a_malformed_hash_is_a_clear_error(api: Api) -> None:
    response = await api.client.post("/graphql", json={"extensions": apq("not-a-hash")})
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_INVALID"


async def test_persisted_queries_can_be_turned_off(database: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=database, secret_key="test-secret-key-" + "x" * 32,
        mail_dir=str(tmp_path), persisted_queries=False,
    )  # fmt: skip
    app = create_app(settings, background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/graphql", json={"extensions": apq(SHOP_HASH)})
        plain = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.json()["errors"][0] == {
        "message": "PersistedQueryNotSupported",
        "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
    }
    assert plain.json() == {"data": {"__typename": "Query"}}
