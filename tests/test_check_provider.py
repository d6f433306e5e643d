"""The external IMEI check provider against a real HTTP server on loopback that answers,
answers slowly, fails, and returns garbage: submissions go through either way, the checks
stay pending, and the background retry completes them once the service answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from graphql_api.checks import HttpCheckProvider
from graphql_api.checks.http_provider import parse_results
from graphql_api.ids import decode_id
from models.imei_checks import PendingCheck
from models.quote import DeviceUnit
from models.services.imei_checks import CheckSettings, ProviderUnavailable
from models.services.pending_checks import retry_pending
from models.services.journal import utcnow
from tests import devices as dev
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, request_link
from tests.live import serving

KEY = "provider-key-123"
RECHECK = """
mutation Recheck($input: RecheckImeisInput!) {
  recheckImeis(input: $input) { quote { lines { units { imei check { flags sources pending } } } } %s }
}
""" % doc.USER_ERRORS


@dataclass
class CheckService:
    """What the fake commercial service does now, and what it was asked."""

    mode: str = "answer"
    flagged: dict[str, list[str]] = field(default_factory=dict)
    asked: list[list[str]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return PlainTextResponse("unauthorized", status_code=401)
        body = await request.json()
        self.asked.append(body["imeis"])
        if self.mode == "slow":
            await asyncio.sleep(2)
        if self.mode == "fail":
            return PlainTextResponse("internal error", status_code=500)
        if self.mode == "garbage":
            return PlainTextResponse("<html>maintenance</html>", status_code=200)
        if self.mode == "silent":  # answers, but not about the IMEIs asked
            return JSONResponse({"results": [{"imei": "000000000000000", "flags": []}]})
        if self.mode == "wrong-shape":
            return JSONResponse({"results": [{"imei": body["imeis"][0], "flags": "STOLEN"}]})
        return JSONResponse(
            {"results": [{"imei": i, "flags": self.flagged.get(i, [])} for i in body["imeis"]]}
        )


@pytest.fixture
async def service(app: Any) -> AsyncIterator[CheckService]:
    """A checking service on loopback, configured as the app's external provider."""
    fake = CheckService()
    checks_app = Starlette(routes=[Route("/v1/check", fake.endpoint, methods=["POST"])])
    async with serving(checks_app) as ws_url:
        url = ws_url.replace("ws://", "http://").replace("/graphql", "/v1/check")
        before = app.state.deps.checks
        app.state.deps.checks = CheckSettings(
            external=HttpCheckProvider(url, KEY, timeout=0.5), cache_seconds=3600
        )
        try:
            yield fake
        finally:
            app.state.deps.checks = before


def phone(imei: str) -> dict[str, Any]:
    return {
        "type": "PHONE", "brand": "Google", "model": "Pixel 8 Test", "condition": "GOOD",
        "quantity": 1, "askingPrice": "300", "imeis": [imei],
    }


async def _units(quote_id: str) -> dict[str, DeviceUnit]:
    units = await DeviceUnit.filter(quote_id=decode_id(quote_id, "Quote"))
    return {str(u.imei): u for u in units}


async def test_answers_slow_failing_and_garbage(api: Api, org: Org, app: Any, service: CheckService) -> None:
    await dev.stocked(api, org)
    leased, fresh = dev.imei(dev.PIXEL_TAC, 501), dev.imei(dev.PIXEL_TAC, 502)
    service.flagged = {leased: ["FINANCE_LOCKED"], fresh: ["CARRIER_LOCKED"]}

    # staff look-ups ask the service at once and cache its answer
    data = await api(dev.LOOKUP, {"input": {"imeis": [leased]}}, org.owner_token)
    assert data["lookupImeis"]["results"][0]["flags"] == ["FINANCE_LOCKED"]
    assert service.asked == [[leased]]

    # a submission never waits for the service: cached answers are used, the rest is pending
    service.mode = "slow"
    quote_id, link = await request_link(api, org)
    data = await api(
        doc.SUBMIT,
        {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [phone(leased), phone(fresh)]}},
        link,
    )
    assert data["submitQuote"]["userErrors"] == []
    assert len(service.asked) == 1  # the slow service was not asked: nothing waited for it
    units = await _units(quote_id)
    assert units[leased].check["flags"] == ["FINANCE_LOCKED"]
    assert units[leased].check["pending"] is False
    assert units[leased].check["sources"][1].startswith("http:127.0.0.1")
    assert units[fresh].check["pending"] is True and units[fresh].check["flags"] == []
    jobs = await PendingCheck.filter(unit_id=units[fresh].id)
    assert len(jobs) == 1

    now = utcnow()
    for mode in ("slow", "fail", "garbage", "wrong-shape", "silent"):
        service.mode = mode
        assert await retry_pending(app.state.deps.checks, now) == 0
        job = await PendingCheck.get(id=jobs[0].id)
        assert job.next_attempt_at > now, mode
        assert job.last_error, mode
        now = job.next_attempt_at  # the next attempt is due then
    assert job.attempts == 5 and job.last_error == "the provider gave no answer for this IMEI"
    still = await DeviceUnit.get(id=units[fresh].id)
    assert still.check["pending"] is True

    service.mode = "answer"
    assert await retry_pending(app.state.deps.checks, now) == 1
    done = await DeviceUnit.get(id=units[fresh].id)
    assert done.check["flags"] == ["CARRIER_LOCKED"] and done.check["pending"] is False
    assert not await PendingCheck.filter(unit_id=units[fresh].id).exists()
    staff = await api(doc.THREAD_VIEW, {"id": quote_id}, org.owner_token)
    flags = [unit["check"]["flags"] for line in staff["quote"]["lines"] for unit in line["units"]]
    assert flags == [["FINANCE_LOCKED"], ["CARRIER_LOCKED"]]

    # re-run on demand: the cache is bypassed, the service's new answer stands
    service.flagged[fresh] = ["BLACKLISTED"]
    data = await api(RECHECK, {"input": {"quoteId": quote_id}}, org.owner_token)
    rechecked = [u["check"] for line in data["recheckImeis"]["quote"]["lines"] for u in line["units"]]
    assert [c["flags"] for c in rechecked] == [["FINANCE_LOCKED"], ["BLACKLISTED"]]
    customer = await api.raw(RECHECK, {"input": {"quoteId": quote_id}}, link)
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_refused_connection_leaves_the_check_pending(api: Api, org: Org, app: Any) -> None:
    from tests.live import free_port

    before = app.state.deps.checks
    app.state.deps.checks = CheckSettings(
        external=HttpCheckProvider(f"http://127.0.0.1:{free_port()}/check", KEY, timeout=0.5)
    )
    try:
        quote_id, link = await request_link(api, org)
        imei = dev.imei(dev.GALAXY_TAC, 77)
        data = await api(
            doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [phone(imei)]}}, link
        )
        assert data["submitQuote"]["userErrors"] == []
        lookup = await api(dev.LOOKUP, {"input": {"imeis": [imei]}}, org.owner_token)
        # the service is down: the built-in flags still come (the IMEI is on that open quote)
        assert lookup["lookupImeis"]["results"][0]["flags"] == ["UNKNOWN_TAC", "DUPLICATE"]
        units = await _units(quote_id)
        assert units[imei].check["pending"] is True
        later = utcnow() + timedelta(hours=1)
        assert await retry_pending(app.state.deps.checks, later) == 0
        job = await PendingCheck.get(unit_id=units[imei].id)
        assert "Connect" in (job.last_error or "")
    finally:
        app.state.deps.checks = before
    # with no provider configured any more, what was pending settles
    assert await retry_pending(app.state.deps.checks, utcnow() + timedelta(days=1)) >= 0
    settled = await DeviceUnit.get(id=units[imei].id)
    assert settled.check["pending"] is False


def test_provider_answers_are_read_strictly() -> None:
    asked = {"490154203237518"}
    assert parse_results({"results": [{"imei": "490154203237518", "flags": []}]}, asked) == {
        "490154203237518": frozenset()
    }
    for body in (
        None,
        [],
        {"results": "none"},
        {"results": [{"flags": []}]},
        {"results": [{"imei": "490154203237518", "flags": ["DUPLICATE"]}]},
        {"results": [{"imei": "490154203237518", "flags": [1]}]},
    ):
        with pytest.raises(ProviderUnavailable):
            parse_results(body, asked)


async def test_the_worker_process_completes_pending_checks(
    api: Api, org: Org, app: Any, database: str, tmp_path: Any
) -> None:
    """`tradequote worker`, configured by the environment, asks the service for what a
    submission left pending."""
    import signal
    import sys

    from tests.server import environment

    fake = CheckService(flagged={dev.imei(dev.PIXEL_TAC, 808): ["BLACKLISTED"]})
    checks_app = Starlette(routes=[Route("/v1/check", fake.endpoint, methods=["POST"])])
    async with serving(checks_app) as ws_url:
        url = ws_url.replace("ws://", "http://").replace("/graphql", "/v1/check")
        before = app.state.deps.checks
        app.state.deps.checks = CheckSettings(external=HttpCheckProvider(url, KEY, timeout=2))
        try:
            quote_id, link = await request_link(api, org)
            imei = dev.imei(dev.PIXEL_TAC, 808)
            data = await api(
                doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [phone(imei)]}}, link
            )
            assert data["submitQuote"]["userErrors"] == []
        finally:
            app.state.deps.checks = before
        unit = (await _units(quote_id))[imei]
        assert unit.check["pending"] is True
        env = environment(
            database, tmp_path, TRADEQUOTE_IMEI_CHECK_URL=url, TRADEQUOTE_IMEI_CHECK_KEY=KEY
        )
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "graphql_api", "worker", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            for _ in range(300):
                unit = await DeviceUnit.get(id=unit.id)
                if not unit.check["pending"]:
                    break
                await asyncio.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGINT)
            output, _ = await asyncio.wait_for(worker.communicate(), 30)
        assert unit.check["flags"] == ["UNKNOWN_TAC", "BLACKLISTED"], output.decode()
        assert unit.check["pending"] is False
        assert fake.asked == [[imei]]
