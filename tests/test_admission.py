"""A process works on a bounded number of GraphQL requests at once; the others wait their turn,
in the order they came."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from typing import Any

import httpx
import pytest

from graphql_api.app import create_app
from graphql_api.gateway.admission import Admission
from graphql_api.settings import ConfigurationError, Settings
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import submitted


async def test_turns_are_given_in_arrival_order_and_never_beyond_the_limit() -> None:
    admission = Admission(2)
    release = asyncio.Event()
    admitted: list[int] = []

    async def request(n: int) -> None:
        async with admission.turn():
            admitted.append(n)
            await release.wait()

    tasks = [asyncio.create_task(request(n)) for n in range(6)]
    await asyncio.sleep(0.01)
    assert admitted == [0, 1] and admission.in_progress == 2 and admission.waiting == 4
    release.set()
    await asyncio.gather(*tasks)
    assert admitted == [0, 1, 2, 3, 4, 5]
    assert admission.peak == 2 and admission.in_progress == 0 and admission.waiting == 0


async def test_a_failing_request_gives_its_turn_back() -> None:
    admission = Admission(1)
    with pytest.raises(RuntimeError):
        async with admission.turn():
            raise RuntimeError("refused")
    async with asyncio.timeout(1):
        async with admission.turn():
            assert admission.in_progress == 1


async def test_no_limit_admits_everyone() -> None:
    admission = Admission(0)
    release = asyncio.Event()

    async def request() -> None:
        async with admission.turn():
            await release.wait()

    tasks = [asyncio.create_task(request()) for _ in range(20)]
    await asyncio.sleep(0.01)
    assert admission.in_progress == 20 and admission.waiting == 0
    release.set()
    await asyncio.gather(*tasks)


@pytest.mark.parametrize("limit", [1, 3])
async def test_the_server_works_on_at_most_its_limit_of_requests(api: Api, org: Org, app: Any, limit: int) -> None:
    quote, _ = await submitted(api, org)
    settings = dataclasses.replace(app.state.settings, concurrent_requests=limit)
    application = create_app(settings, background=False)
    transport = httpx.ASGITransport(app=application, client=(f"198.51.100.{secrets.randbelow(250)}", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        limited = Api(client)
        views = await asyncio.gather(
            *(limited(doc.THREAD_VIEW, {"id": quote["id"]}, org.owner_token) for _ in range(12))
        )
        metrics = (await client.get("/metrics")).text
    assert {view["quote"]["id"] for view in views} == {quote["id"]}
    assert application.state.admission.peak == limit
    assert "tradequote_graphql_requests_in_progress 0.0" in metrics
    assert "tradequote_graphql_requests_waiting 0.0" in metrics


def test_the_limit_is_read_from_the_environment() -> None:
    base = {"TRADEQUOTE_SECRET_KEY": secrets.token_urlsafe(40)}
    assert Settings.from_env(base).concurrent_requests == 8
    assert Settings.from_env({**base, "TRADEQUOTE_CONCURRENT_REQUESTS": "0"}).concurrent_requests == 0
    assert Settings.from_env({**base, "TRADEQUOTE_CONCURRENT_REQUESTS": "32"}).concurrent_requests == 32
    for bad in ("-1", "many", "2.5", "10001"):
        with pytest.raises(ConfigurationError):
            Settings.from_env({**base, "TRADEQUOTE_CONCURRENT_REQUESTS": bad})
