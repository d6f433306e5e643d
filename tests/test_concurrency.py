"""Many clients racing on one quote through a real server: nothing lost, nothing done twice."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import documents as doc
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database
from tests.flow import CONTACT, PHONE, TABLET, token_of
from tests.server import cli, environment, serving

SIGNATURE = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}
STATE = """query($id: ID!) { quote(id: $id) {
  status version acceptance { valid } buyOrder { number }
  thread(first: 100) { totalCount edges { node { kind } } } } }"""


@pytest.fixture(params=BACKENDS)
async def server_database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "postgres":
        url = await create_postgres_database()
        yield url, ["--workers", "2"]
        await drop_postgres_database(url)
    else:
        yield f"sqlite://{tmp_path / 'race.db'}", []


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload


async def _race(base: str, owner: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        gql = Client(http)
        created = await gql(doc.CREATE_REQUEST, {"input": {"customerEmail": "zoe@example.com"}}, owner)
        quote_id, link = created["quote"]["id"], token_of(created["url"])
        submitted = await gql(
            doc.SUBMIT,
            {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE, TABLET]}},
            link,
        )
        lines = submitted["quote"]["lines"]
        await gql(
            doc.COUNTER,
            {"input": {"quoteId": quote_id, "lines": [
                {"lineId": lines[0]["id"], "action": "COUNTER", "price": "600"},
                {"lineId": lines[1]["id"], "action": "COUNTER", "price": "280"}]}},
            owner,
        )
        accepted = await gql(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": SIGNATURE}}, link)
        assert accepted["userErrors"] == []
        before = (await http.post("/graphql", json={"query": STATE, "variables": {"id": quote_id}},
                                  headers={"Authorization": f"Bearer {owner}"})).json()["data"]["quote"]

        convert = {"input": {"quoteId": quote_id, "payoutMethod": "CHECK", "fulfillment": "PICKUP"}}
        calls = (
            [(doc.CONVERT, convert, owner)] * 12
            + [(doc.WITHDRAW, {"input": {"quoteId": quote_id}}, link)] * 12
            + [(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": SIGNATURE}}, link)] * 12
            + [(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": f"ping {i}"}}, link) for i in range(6)]
        )
        random.Random(7).shuffle(calls)
        results = await asyncio.gather(*(gql(q, v, t) for q, v, t in calls))
        succeeded = [r for r in results if r["userErrors"] == []]
        refusals = {e["code"] for r in results for e in r["userErrors"]}
        assert refusals <= {"INVALID_STATE"}, refusals

        # settle: if the race ended before a conversion, finish the deal
        state = (await http.post("/graphql", json={"query": STATE, "variables": {"id": quote_id}},
                                 headers={"Authorization": f"Bearer {owner}"})).json()["data"]["quote"]
        extra = 0
        if state["status"] == "NEGOTIATING":
            assert (await gql(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": SIGNATURE}}, link))["userErrors"] == []
            extra += 1
        if state["status"] != "CONVERTED":
            assert (await gql(doc.CONVERT, convert, owner))["userErrors"] == []
            extra += 1

        final = (await http.post("/graphql", json={"query": STATE, "variables": {"id": quote_id}},
                                 headers={"Authorization": f"Bearer {owner}"})).json()["data"]["quote"]
        conversions = [r for r in succeeded if "buyOrder" in r]
        assert len(conversions) + (1 if state["status"] != "CONVERTED" else 0) == 1
        assert final["status"] == "CONVERTED" and final["buyOrder"]["number"].startswith("BO-")
        # every successful action left exactly one message and one version, none lost
        added = len(succeeded) + extra
        assert final["thread"]["totalCount"] == before["thread"]["totalCount"] + added
        assert final["version"] == before["version"] + added
        assert sum(1 for r in succeeded if "message" in r) == 6
        assert final["acceptance"]["valid"] is True


async def test_racing_accept_withdraw_convert(
    server_database: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, args = server_database
    env = environment(url, tmp_path)
    with serving(env, tmp_path, *args) as base:
        owner = json.loads(cli(["create-organization", "--name", "Race", "--slug", "race",
                                "--owner-email", "o@race.example", "--json"], env, tmp_path))["ownerToken"]
        await _race(base, owner)
