"""GraphiQL served by the server itself: its files, its page, and a real browser using it with
no network but loopback (headless Debian Chromium driven by Playwright)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page, Route, async_playwright

from graphql_api.app import create_app
from graphql_api.gateway.config import Limits
from graphql_api.settings import Settings
from graphql_api.web.graphiql import ASSETS
from graphql_api.web.tabs import load_tabs, readme_tabs
from tests.server import cli, environment, serving

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 15_000
SECRET = "graphiql-test-secret-" + secrets.token_urlsafe(32)

CREATE_REQUEST = """
mutation CreateRequest($input: CreateQuoteRequestInput!) {
  createQuoteRequest(input: $input) { url quote { id } userErrors { code } }
}
"""
SEND_MESSAGE = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id body } userErrors { code } }
}
"""
VIEWER = "query Viewer { viewer { kind staff { name role } organization { slug } } }\n"


def test_the_tabs_are_the_readmes_operations() -> None:
    tabs = load_tabs()
    assert tabs == readme_tabs((ROOT / "README.md").read_text()), (
        "graphql_api/web/tabs.json is stale: python -m graphql_api.web.tabs README.md"
    )
    operation = re.compile(r"(query|mutation|subscription) (\w+)")
    names = [operation.search(t["query"])[2] for t in tabs]  # type: ignore[index]
    assert names[0] == "CreateRequest" and names[-1] == "Messages" and len(names) == 11
    assert all(json.loads(t["variables"]) and json.loads(t["headers"]) for t in tabs)


def test_shipped_files_are_the_published_ones() -> None:
    """The vendored files match the checksums recorded in SOURCES.txt, and each has its licence."""
    sources = (ASSETS / "SOURCES.txt").read_text()
    recorded = dict(
        (name, digest) for digest, name in re.findall(r"^  ([0-9a-f]{64})  (\S+)$", sources, re.M)
    )
    assert set(recorded) == {
        "graphiql.min.js", "graphiql.min.css", "react.production.min.js",
        "react-dom.production.min.js",
    }
    for name, digest in recorded.items():
        assert hashlib.sha256((ASSETS / name).read_bytes()).hexdigest() == digest, name
    for licence in ("LICENSE.graphiql.txt", "LICENSE.react.txt", "LICENSE.react-dom.txt"):
        assert "MIT License" in (ASSETS / licence).read_text()


async def _get(settings: Settings, path: str, **headers: str) -> httpx.Response:
    """The app's answer without starting it (no database: rate limits off)."""
    settings = dataclasses.replace(settings, limits=Limits(rate_limits=False))
    transport = httpx.ASGITransport(app=create_app(settings, background=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers)


async def test_the_page_loads_only_its_own_files(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite://{tmp_path / 'unused.db'}", secret_key=SECRET)
    page = await _get(settings, "/graphql", accept="text/html")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "<script>" not in page.text and "http" not in page.text.split("</head>")[0]
    assets = re.findall(r'(?:src|href)="(graphiql/[^"]+)"', page.text)
    assert len(assets) == 6
    for asset in assets:
        response = await _get(settings, "/" + asset)
        assert response.status_code == 200, asset
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-type"].startswith(("text/css", "text/javascript"))
    # where the files come from is served beside them
    assert "npm registry" in (await _get(settings, "/graphiql/SOURCES.txt")).text


async def test_off_means_no_page_and_no_files(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'unused.db'}", secret_key=SECRET, graphiql=False
    )
    assert (await _get(settings, "/graphql", accept="text/html")).status_code == 404
    assert (await _get(settings, "/graphiql/graphiql.min.js")).status_code == 404
    production = Settings.from_env(
        {"TRADEQUOTE_ENV": "production", "TRADEQUOTE_SECRET_KEY": SECRET}
    )
    assert production.graphiql is False
    assert Settings.from_env({"TRADEQUOTE_SECRET_KEY": SECRET}).graphiql is True
    production_with_graphiql = {
        "TRADEQUOTE_ENV": "production", "TRADEQUOTE_SECRET_KEY": SECRET, "TRADEQUOTE_GRAPHIQL": "1",
    }
    assert Settings.from_env(production_with_graphiql).graphiql is True


# --- a real browser against a real server -------------------------------------------------


async def _editor(page: Page, selector: str) -> Any:
    return await page.evaluate(f"document.querySelector({selector!r}).CodeMirror.getValue()")


async def _set_editor(page: Page, selector: str, text: str) -> None:
    await page.evaluate(
        "([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text)",
        [selector, text],
    )
    await page.wait_for_timeout(400)  # GraphiQL reads the edit after a short debounce


QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
TOOL_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window .CodeMirror"


async def _run(page: Page, expect: str) -> dict[str, Any]:
    """Click Run and wait until the result pane holds `expect`; the result as JSON."""
    await page.click(".graphiql-execute-button")
    return await _result(page, expect)


async def _result(page: Page, expect: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        text = await _editor(page, RESULT)
        if expect in text:
            return dict(json.loads(text))
        assert time.monotonic() < deadline, f"the result pane never showed {expect!r}: {text}"
        await page.wait_for_timeout(100)


async def _open_tab(page: Page, index: int) -> None:
    await page.click(f"#graphiql-session-tab-{index}")


async def _variables(page: Page, variables: dict[str, Any]) -> None:
    await page.get_by_role("button", name="Variables", exact=True).click()
    await _set_editor(page, TOOL_EDITOR, json.dumps(variables))


async def test_graphiql_in_headless_chromium_with_no_network_but_loopback(tmp_path: Path) -> None:
    assert CHROMIUM.exists(), "this test needs Debian's chromium: apt-get install -y chromium"
    env = environment(f"sqlite://{tmp_path / 'graphiql.db'}", tmp_path)
    with serving(env, tmp_path) as base:
        created = json.loads(cli(
            ["create-organization", "--name", "Acme Phones", "--slug", "acme",
             "--owner-email", "owner@acme.example", "--owner-name", "Olga Owner", "--json"],
            env, tmp_path,
        ))
        staff_token = created["ownerToken"]
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            try:
                await _use_graphiql(browser, base, staff_token)
            finally:
                await browser.close()


async def _use_graphiql(browser: Any, base: str, staff_token: str) -> None:
    context = await browser.new_context()
    outside: list[str] = []
    requested: list[str] = []
    sockets: list[str] = []
    problems: list[str] = []

    async def loopback_only(route: Route) -> None:
        url = route.request.url
        requested.append(url)
        if urlsplit(url).hostname != "127.0.0.1":
            outside.append(url)
            await route.abort()
        else:
            await route.continue_()

    await context.route("**/*", loopback_only)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    await page.goto(f"{base}/graphql")
    await page.wait_for_selector(QUERY_EDITOR, timeout=TIMEOUT_MS)
    # the README's operations are there as tabs, the first open
    assert await page.locator(".graphiql-tab-button").count() == 11
    assert "mutation CreateRequest" in await _editor(page, QUERY_EDITOR)

    # the Tokens panel (open at start) fills the placeholders of every tab
    await page.fill('input[name="staff"]', staff_token)

    # a query as staff
    await _set_editor(page, QUERY_EDITOR, VIEWER)
    answer = await _run(page, '"kind"')
    assert answer["data"]["viewer"] == {
        "kind": "STAFF",
        "staff": {"name": "Olga Owner", "role": "OWNER"},
        "organization": {"slug": "acme"},
    }

    # the README's first step, as written in its tab (variables included)
    await _open_tab(page, 1)
    assert "mutation Submit" in await _editor(page, QUERY_EDITOR)
    await _open_tab(page, 0)
    await _set_editor(page, QUERY_EDITOR, load_tabs()[0]["query"])
    created = (await _run(page, '"url"'))["data"]["createQuoteRequest"]
    assert created["userErrors"] == [] and created["quote"]["status"] == "REQUESTED"
    quote_id = created["quote"]["id"]
    link_token = created["url"].rsplit("/", 1)[1]

    # the subscription tab, as the customer: a message posted over HTTP shows up
    await page.fill('input[name="link"]', link_token)
    await _open_tab(page, 10)
    assert "subscription Messages" in await _editor(page, QUERY_EDITOR)
    await _variables(page, {"id": quote_id})
    await page.click(".graphiql-execute-button")
    body = f"Live from the test at {time.time()}"
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while body not in await _editor(page, RESULT):
        # the subscription starts listening some moment after the click: post until it shows
        message = {"input": {"quoteId": quote_id, "body": body}}
        sent = httpx.post(
            f"{base}/graphql",
            json={"query": SEND_MESSAGE, "variables": message},
            headers={"Authorization": f"Bearer {staff_token}"},
            timeout=10,
        ).json()
        assert sent["data"]["sendMessage"]["userErrors"] == [], sent
        assert time.monotonic() < deadline, await _editor(page, RESULT)
        await page.wait_for_timeout(300)
    event = await _result(page, body)
    assert event["data"]["threadMessages"]["body"] == body
    assert event["data"]["threadMessages"]["author"] == "STAFF"

    await page.click(".graphiql-execute-button")  # stop the subscription
    await context.close()
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert sockets and all(urlsplit(url).hostname == "127.0.0.1" for url in sockets), sockets
    assert {urlsplit(url).path for url in requested} >= {
        "/graphql", "/graphiql/graphiql.min.js", "/graphiql/react.production.min.js",
        "/graphiql/react-dom.production.min.js", "/graphiql/start.js",
        "/graphiql/graphiql.min.css", "/graphiql/tradequote.css",
    }
    assert problems == [], problems
