"""Partner API keys and trusted documents: a Relay manifest imported with the command line and
run by `documentId` with a key; free-form documents refused; scopes enforced."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from graphql_api.auth import issue_token
from graphql_api.gateway.config import Rate, RateLimits
from models.organization import TokenKind
from models.negotiation import StaffRole
from tests.test_gateway import LIMITS, variant
from tests.client import Api, Org
from tests.live import ws_connect
from tests.server import cli, environment

PARTNER_QUOTES = "query PartnerQuotes { quotes(first: 5) { totalCount edges { node { id status } } } }"
PARTNER_REQUEST = """
mutation PartnerRequest($input: CreateQuoteRequestInput!) {
  createQuoteRequest(input: $input) { quote { id status } userErrors { code field } }
}
"""
RELAY_MANIFEST = {"b1946ac92492d2347c6235b4d2611184": PARTNER_QUOTES, "3c59dc048e8850243be8079a5c74d079": PARTNER_REQUEST}
CREATE_API_KEY = """
mutation CreateKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    token apiKey { id name prefix scopes lastUsedAt } userErrors { code field message }
  }
}
"""
API_KEYS = "query { apiKeys { id name scopes lastUsedAt } }"
REVOKE_API_KEY = """
mutation Revoke($input: RevokeApiKeyInput!) {
  revokeApiKey(input: $input) { apiKey { id revokedAt } userErrors { code } }
}
"""
REQUEST_INPUT = {"input": {"customerName": "Pat Partner", "customerEmail": "pat@example.com", "sendEmail": False}}


@pytest.fixture
def imported(database: str, tmp_path: Path) -> list[dict[str, Any]]:
    """The Relay manifest imported with `tradequote documents import` (a real process)."""
    manifest = tmp_path / "relay.json"
    manifest.write_text(json.dumps(RELAY_MANIFEST))
    env = environment(database, tmp_path)
    return json.loads(cli(["documents", "import", "--client", "marketplace", str(manifest), "--json"], env, tmp_path))


async def create_key(api: Api, org: Org, scopes: list[str]) -> str:
    data = await api(CREATE_API_KEY, {"input": {"name": "Marketplace", "scopes": scopes}}, org.owner_token)
    payload = data["createApiKey"]
    assert payload["userErrors"] == []
    assert payload["token"].startswith("tqk_") and payload["apiKey"]["prefix"] == payload["token"][:8]
    return str(payload["token"])


async def by_document(api: Api, document_id: str, token: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql",
        json={"documentId": document_id, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()


async def test_a_partner_key_runs_imported_documents_by_id_and_nothing_else(
    api: Api, org: Org, imported: list[dict[str, Any]]
) -> None:
    ids = {row["id"]: row["documentId"] for row in imported}
    assert set(ids) == set(RELAY_MANIFEST)
    reader = await create_key(api, org, ["QUOTES_READ"])
    await api(PARTNER_REQUEST, REQUEST_INPUT, org.owner_token)

    listed = await by_document(api, ids["b1946ac92492d2347c6235b4d2611184"], reader)
    assert listed.get("errors") is None and listed["data"]["quotes"]["totalCount"] == 1
    # the manifest's own id names the document too
    by_relay_id = await by_document(api, "b1946ac92492d2347c6235b4d2611184", reader)
    assert by_relay_id["data"] == listed["data"]

    free_form = await api.raw(PARTNER_QUOTES + " ", token=reader)
    assert free_form["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    unknown = await by_document(api, "sha256:" + "1" * 64, reader)
    assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    # quotes:read is not enough to submit a quote request
    refused = await by_document(api, ids["3c59dc048e8850243be8079a5c74d079"], reader, REQUEST_INPUT)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "quotes:write"}
    writer = await create_key(api, org, ["QUOTES_READ", "QUOTES_WRITE"])
    done = await by_document(api, ids["3c59dc048e8850243be8079a5c74d079"], writer, REQUEST_INPUT)
    assert done["data"]["createQuoteRequest"]["userErrors"] == []
    assert done["data"]["createQuoteRequest"]["quote"]["status"] == "REQUESTED"

    keys = (await api(API_KEYS, token=org.owner_token))["apiKeys"]
    assert [key["scopes"] for key in keys] == [["QUOTES_READ", "QUOTES_WRITE"], ["QUOTES_READ"]]
    assert all(key["lastUsedAt"] is not None for key in keys)

    revoked = await api(REVOKE_API_KEY, {"input": {"id": keys[0]["id"]}}, org.owner_token)
    assert revoked["revokeApiKey"]["userErrors"] == []
    after = await by_document(api, ids["b1946ac92492d2347c6235b4d2611184"], writer)
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_only_owners_create_keys_and_scopes_are_checked(api: Api, org: Org) -> None:
    manager = await org.staff_token(StaffRole.MANAGER)
    body = await api.raw(CREATE_API_KEY, {"input": {"name": "X", "scopes": ["QUOTES_READ"]}}, manager)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    empty = await api(CREATE_API_KEY, {"input": {"name": "X", "scopes": []}}, org.owner_token)
    assert empty["createApiKey"]["userErrors"][0]["code"] == "INVALID_INPUT"
    assert empty["createApiKey"]["userErrors"][0]["field"] == ["input", "scopes"]


async def test_a_key_may_not_reach_fields_outside_its_scopes(api: Api, org: Org, imported: list[dict[str, Any]]) -> None:
    token, _ = await issue_token(TokenKind.PARTNER, org.id, label="bare")
    listed = await by_document(api, "b1946ac92492d2347c6235b4d2611184", token)
    assert listed["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")


def test_a_manifest_with_one_invalid_document_is_refused_whole(database: str, tmp_path: Path) -> None:
    manifest = tmp_path / "apollo.json"
    manifest.write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [
            {"id": "a", "name": "Ok", "type": "query", "body": "query Ok { viewer { kind } }"},
            {"id": "b", "name": "Bad", "type": "query", "body": "query Bad { noSuchField }"},
        ],
    }))  # fmt: skip
    env = environment(database, tmp_path)
    with pytest.raises(AssertionError, match="noSuchField"):
        cli(["documents", "import", "--client", "web", str(manifest)], env, tmp_path)
    listed = json.loads(cli(["documents", "list", "--client", "web", "--json"], env, tmp_path))
    assert listed == []


def test_api_keys_from_the_command_line(database: str, tmp_path: Path, org_slug: str) -> None:
    env = environment(database, tmp_path)
    created = json.loads(cli(
        ["api-keys", "create", "--organization", org_slug, "--name", "Shop sync",
         "--scopes", "quotes:read,webhooks:manage", "--json"], env, tmp_path,
    ))  # fmt: skip
    assert created["token"].startswith("tqk_") and created["scopes"] == "quotes:read,webhooks:manage"
    listed = json.loads(cli(["api-keys", "list", "--organization", org_slug, "--json"], env, tmp_path))
    assert [row["name"] for row in listed] == ["Shop sync"]
    with pytest.raises(AssertionError, match="unknown scope"):
        cli(["api-keys", "create", "--organization", org_slug, "--name", "X", "--scopes", "everything"], env, tmp_path)
    cli(["api-keys", "revoke", "--organization", org_slug, "--id", str(created["id"])], env, tmp_path)
    assert json.loads(cli(["api-keys", "list", "--organization", org_slug, "--json"], env, tmp_path)) == []


@pytest.fixture
def org_slug(org: Org) -> str:
    return org.slug


async def test_a_partner_key_cannot_open_a_websocket(live_url: str, api: Api, org: Org) -> None:
    token = await create_key(api, org, ["QUOTES_READ"])
    async with ws_connect(live_url, init=False) as client:
        with contextlib.suppress(AssertionError):
            await client.init(token)
        assert (await client.close_code())[0] == 4403


def test_the_readme_partner_documents_run_against_the_schema() -> None:
    from graphql import parse, validate

    from graphql_api.schema import schema

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Partners: persisted queries, API keys, webhooks", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```graphql\n")[1:]
    assert len(blocks) == 2
    for block in blocks:
        assert validate(schema._schema, parse(block.split("```", 1)[0])) == []


HOOKS = "query Hooks { webhookEndpoints { id url } }"
ADD_HOOK = """
mutation AddHook($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { endpoint { id url } secret userErrors { code field } }
}
"""


async def test_webhooks_manage_lets_a_key_register_endpoints(api: Api, org: Org, database: str, tmp_path: Path) -> None:
    manifest = tmp_path / "hooks.json"
    manifest.write_text(json.dumps({"hooks": HOOKS, "add-hook": ADD_HOOK}))
    cli(["documents", "import", "--client", "shop-system", str(manifest)], environment(database, tmp_path), tmp_path)
    manager = await create_key(api, org, ["WEBHOOKS_MANAGE"])
    reader = await create_key(api, org, ["QUOTES_READ"])
    variables = {"input": {"url": "https://shop.example/hooks"}}
    added = await by_document(api, "add-hook", manager, variables)
    assert added["data"]["createWebhookEndpoint"]["userErrors"] == []
    assert added["data"]["createWebhookEndpoint"]["secret"].startswith("whsec_")
    listed = await by_document(api, "hooks", manager)
    assert [e["url"] for e in listed["data"]["webhookEndpoints"]] == ["https://shop.example/hooks"]
    refused = await by_document(api, "hooks", reader)
    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "webhooks:manage"}


def test_documents_are_listed_and_removed_from_the_command_line(database: str, tmp_path: Path) -> None:
    manifest = tmp_path / "pos.json"
    manifest.write_text(json.dumps({"pos-viewer": "query PosViewer { viewer { kind } }"}))
    env = environment(database, tmp_path)
    (added,) = json.loads(cli(["documents", "import", "--client", "pos", str(manifest), "--json"], env, tmp_path))
    assert added["added"] is True and added["documentId"].startswith("sha256:")
    (again,) = json.loads(cli(["documents", "import", "--client", "pos", str(manifest), "--json"], env, tmp_path))
    assert again["added"] is False  # importing the same manifest twice adds nothing
    listed = json.loads(cli(["documents", "list", "--client", "pos", "--json"], env, tmp_path))
    assert [(row["id"], row["documentId"]) for row in listed] == [("pos-viewer", added["documentId"])]
    cli(["documents", "remove", "--client", "pos", added["documentId"]], env, tmp_path)
    assert json.loads(cli(["documents", "list", "--client", "pos", "--json"], env, tmp_path)) == []
    with pytest.raises(AssertionError, match="no such trusted document"):
        cli(["documents", "remove", "--client", "pos", added["documentId"]], env, tmp_path)


async def test_a_key_runs_a_limited_number_of_operations(
    app: Any, api: Api, org: Org, imported: list[dict[str, Any]]
) -> None:
    """Per key, not per address: a second key of the same partner starts afresh."""
    ids = {row["id"]: row["documentId"] for row in imported}
    listed = ids["b1946ac92492d2347c6235b4d2611184"]
    limits = dataclasses.replace(LIMITS, rates=RateLimits(partner=Rate(3, 60)))
    first, second = [await create_key(api, org, ["QUOTES_READ"]) for _ in range(2)]
    async with variant(app, limits=limits) as client:
        async def run(token: str) -> dict[str, Any]:
            body = {"documentId": listed, "variables": {}}
            response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
            return dict(response.json())

        answers = [await run(first) for _ in range(4)]
        assert all(answer.get("errors") is None for answer in answers[:3]), answers
        refused = answers[3]["errors"][0]["extensions"]
        assert refused["code"] == "RATE_LIMITED" and refused["bucket"] == "partner"
        assert refused["retryAfter"] >= 1 and answers[3]["data"] is None
        assert (await run(second)).get("errors") is None
