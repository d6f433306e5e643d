"""The customer's pages in a real browser (Debian's headless Chromium driven by Playwright)
against a real `tradequote serve`: the link from the empty request to the receipt, with the
staff's side driven over GraphQL in the same test and the page following live; the trade-in
page; the portal. axe-core checks every page; no request leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright
from pypdf import PdfReader

from tests import devices as dev
from tests.client import Api, Org
from tests.mailcatcher import MailCatcher
from tests.server import cli, environment, serving
from tests.team import code_in, text_of
from tests.test_graphiql import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT_MS = 10_000
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}

CREATE_REQUEST = """
mutation CreateRequest($input: CreateQuoteRequestInput!) {
  createQuoteRequest(input: $input) { url quote { id } userErrors { code } }
}
"""
SUBMIT = """
mutation Submit($input: SubmitQuoteInput!) { submitQuote(input: $input) { userErrors { code } } }
"""
BRANDING = """
mutation Branding($input: UpdateBrandingInput!) {
  updateBranding(input: $input) { organization { branding { accentColor } } userErrors { code } }
}
"""
QUOTE = """
query Quote($id: ID!) {
  quote(id: $id) {
    id status version awaiting lines { id status awaiting customerPrice { amount } }
  }
}
"""
COUNTER = """
mutation Counter($input: CounterOfferInput!) {
  counterOffer(input: $input) { quote { status version } userErrors { code field } }
}
"""
CONVERT = """
mutation Convert($input: ConvertToBuyOrderInput!) {
  convertToBuyOrder(input: $input) { buyOrder { number } userErrors { code field } }
}
"""
SEND_MESSAGE = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id } userErrors { code } }
}
"""


@dataclass
class Shop:
    base: str
    token: str
    slug: str = "acme"

    def api(self, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
        response = httpx.post(
            f"{self.base}/graphql", json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token or self.token}"}, timeout=15,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def request(self) -> tuple[str, str]:
        """(quote id, link token) of a fresh request for zoe@example.com."""
        created = self.api(CREATE_REQUEST, {"input": {
            "customerName": "Zoë", "customerEmail": "zoe@example.com",
        }})["createQuoteRequest"]
        assert created["userErrors"] == []
        return created["quote"]["id"], created["url"].rsplit("/", 1)[1]

    def submit(self, quote_id: str, link: str) -> None:
        """The customer submits one phone over the API (for tests about what follows)."""
        submitted = self.api(SUBMIT, {"input": {
            "quoteId": quote_id, "contact": {"name": "Zoë", "email": "zoe@example.com"},
            "devices": [{"type": "PHONE", "brand": "Google", "model": "Pixel 8 Test",
                         "condition": "GOOD", "quantity": 1, "askingPrice": "400"}],
        }}, link)
        assert submitted["submitQuote"]["userErrors"] == []


@dataclass
class Watch:
    """What the browser asked for and complained about."""

    outside: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)


async def open_context(browser: Browser, device: dict[str, Any]) -> tuple[BrowserContext, Watch]:
    context = await browser.new_context(**device, accept_downloads=True)
    watch = Watch()

    async def loopback_only(route: Route) -> None:
        url = route.request.url
        watch.requested.append(url)
        if urlsplit(url).hostname != "127.0.0.1":
            watch.outside.append(url)
            await route.abort()
        else:
            await route.continue_()

    await context.route("**/*", loopback_only)
    context.set_default_timeout(TIMEOUT_MS)
    return context, watch


def observe(page: Page, watch: Watch) -> None:
    page.on("websocket", lambda ws: watch.sockets.append(ws.url))
    page.on("pageerror", lambda error: watch.problems.append(str(error)))
    page.on("console", lambda m: watch.problems.append(m.text) if m.type == "error" else None)


async def no_serious_violations(page: Page, name: str) -> None:
    """axe-core, evaluated through the DevTools protocol (the page's own CSP allows no inline
    script), finds nothing serious or critical."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    results = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    serious = [v for v in results if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"


class Shots:
    """Screenshots in the test's tmp dir, copied to tests/artifacts/ (ignored by git)."""

    def __init__(self, tmp_path: Path, prefix: str) -> None:
        self.dir = tmp_path / "screenshots"
        self.dir.mkdir(exist_ok=True)
        self.prefix = prefix
        self.count = 0

    async def take(self, page: Page, name: str) -> None:
        self.count += 1
        path = self.dir / f"{self.prefix}-{self.count:02d}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(path, ARTIFACTS / path.name)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), "these tests need Debian's chromium: apt-get install -y chromium"
    assert AXE.exists(), "npm ci --prefix tests/js"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


def start_shop(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path]:
    env = environment(f"sqlite://{tmp_path / 'pages.db'}", tmp_path, **extra)
    return env, tmp_path


def create_shop(base: str, env: dict[str, str], cwd: Path) -> Shop:
    created = json.loads(cli(
        ["create-organization", "--name", "Acme Phones", "--slug", "acme",
         "--owner-email", "owner@acme.example", "--owner-name", "Olga Owner",
         "--receiving-address", "Acme Phones, 1 Main Street", "--json"],
        env, cwd,
    ))
    shop = Shop(base, created["ownerToken"])
    imported = shop.api(dev.IMPORT_CATALOG, {"input": {"csv": dev.CATALOG_CSV}})
    assert imported["importDeviceCatalog"]["userErrors"] == []
    branding = shop.api(BRANDING, {"input": {
        "accentColor": "#7a1fa2", "headline": "Fair prices for your old phones",
        "footerText": "Acme Phones · 1 Main Street",
    }})
    assert branding["updateBranding"]["userErrors"] == []
    return shop


def finish(watch: Watch) -> None:
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    assert watch.sockets and all(urlsplit(u).hostname == "127.0.0.1" for u in watch.sockets)
    assert watch.problems == [], watch.problems


async def wait_for(predicate: Any, what: str, timeout: float = TIMEOUT_MS / 1000) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.1)


# --- the link: from the empty request to the receipt ----------------------------------------


@pytest.mark.parametrize("device", ["desktop", "phone"])
async def test_a_customer_completes_the_link_in_the_browser(
    tmp_path: Path, browser: Browser, device: str
) -> None:
    env, cwd = start_shop(tmp_path)
    with serving(env, cwd) as base:
        shop = create_shop(base, env, cwd)
        started = time.monotonic()  # the browser's part, bounded (the server's start is not)
        quote_id, link = shop.request()
        context, watch = await open_context(browser, DESKTOP if device == "desktop" else PHONE)
        page = await context.new_page()
        observe(page, watch)
        shots = Shots(tmp_path, f"link-{device}")
        await customer_walks_through(page, shop, quote_id, link, shots)
        await context.close()
    finish(watch)
    assert {urlsplit(u).path for u in watch.requested} >= {
        f"/q/{link}", "/customer/app.js", "/customer/customer.css", "/graphql",
    }
    assert time.monotonic() - started < 60


async def customer_walks_through(
    page: Page, shop: Shop, quote_id: str, link: str, shots: Shots
) -> None:
    await page.goto(f"{shop.base}/q/{link}")
    # the branding
    await page.get_by_text("Fair prices for your old phones").wait_for()
    accent = await page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent')"
    )
    assert accent.strip() == "#7a1fa2"
    await page.evaluate("window.stillTheSamePage = true")

    # step 1: contact (a missing email is said next to its field)
    await page.get_by_role("heading", name="Your contact details").wait_for()
    await no_serious_violations(page, "form, contact")
    email = page.get_by_label("Your email")
    assert await email.input_value() == "zoe@example.com"  # as the shop asked
    await page.get_by_label("Your name").fill("Zoë Łukasiewicz")
    await email.fill("")
    await page.get_by_role("button", name="Next").click()
    assert await email.get_attribute("aria-invalid") == "true"
    email_error = page.locator("[data-field='input.contact.email'] .error")
    assert "Type your email" in await email_error.inner_text()
    await email.fill("zoe@example.com")
    await shots.take(page, "contact")
    await page.get_by_role("button", name="Next").click()

    # step 2: by IMEI look-up
    await page.get_by_role("heading", name="Add a device").wait_for()
    await page.get_by_label("IMEI", exact=True).fill(dev.imei(dev.PIXEL_TAC, 1))
    await page.get_by_role("button", name="Look up").click()
    await page.get_by_text("Found: Google Pixel 8 Test").wait_for()
    assert await page.get_by_label("Model", exact=True).input_value() == "Pixel 8 Test"
    await page.get_by_label("Storage").select_option("256 GB")
    await page.get_by_label("Your asking price per device").fill("450")
    await no_serious_violations(page, "form, device")
    await shots.take(page, "imei-lookup")
    await page.get_by_role("button", name="Add this device").click()

    # step 3, then a second device by hand from the catalog
    await page.get_by_role("heading", name="Your devices").wait_for()
    await page.get_by_role("button", name="Add another device").click()
    await page.get_by_label("Find your model").fill("iPad")
    await page.get_by_role("button", name="Apple iPad Test").click()
    await page.get_by_label("Storage").select_option("64 GB")
    await page.get_by_label("Type of device").select_option("TABLET")
    await page.get_by_label("Condition").select_option("LIKE_NEW")
    await page.get_by_label("How many").fill("2")
    await page.get_by_label("Your asking price per device").fill("200")
    await page.get_by_label("IMEIs or serial numbers").fill("SN-A1\nSN-A2")
    await page.get_by_role("button", name="Add this device").click()
    await page.get_by_role("heading", name="Your devices").wait_for()
    assert await page.locator(".device-list li").count() == 2
    await shots.take(page, "device-list")
    await page.get_by_role("button", name="Next").click()

    # step 4: review and send
    await page.get_by_role("heading", name="Review and send").wait_for()
    assert "850.00" in await page.locator(".total").inner_text()
    await no_serious_violations(page, "form, review")
    await page.get_by_role("button", name="Send to the shop").click()

    # the thread view: the shop's turn
    await page.get_by_text("The shop will respond").wait_for()
    await page.locator("main[data-live=live]").wait_for()
    await no_serious_violations(page, "thread, waiting")
    await shots.take(page, "submitted")
    quote = shop.api(QUOTE, {"id": quote_id})["quote"]
    assert quote["status"] == "SUBMITTED"
    phone_line, tablet_line = quote["lines"]

    # the staff counter over GraphQL: the page shows it live
    countered = shop.api(COUNTER, {"input": {"quoteId": quote_id, "lines": [
        {"lineId": phone_line["id"], "action": "COUNTER", "price": "380"},
        {"lineId": tablet_line["id"], "action": "COUNTER", "price": "170"},
    ], "message": "Here is our offer."}})
    assert countered["counterOffer"]["userErrors"] == []
    await page.get_by_text("Here is our offer.").wait_for()
    await page.get_by_role("button", name="Send my answers").wait_for()
    assert "720.00" in await page.locator(".total-offer").inner_text()

    # the customer counters the phone and accepts the tablet; a bad price first
    phone = page.locator(f"fieldset[data-line='{phone_line['id']}']")
    await phone.get_by_label("Counter with my price").check()
    await phone.get_by_label("Your price").fill("-5")
    await page.get_by_role("button", name="Send my answers").click()
    await phone.locator(".field .error").filter(has_text="ositive").wait_for()
    await shots.take(page, "counter-error")
    await phone.get_by_label("Your price").fill("420")
    await page.get_by_role("button", name="Send my answers").click()
    await page.get_by_text("The shop will respond").wait_for()
    quote = shop.api(QUOTE, {"id": quote_id})["quote"]
    assert quote["lines"][0]["customerPrice"]["amount"] == "420.00"
    assert quote["lines"][1]["status"] == "ACCEPTED"

    # the staff meet in the middle, live again
    assert shop.api(COUNTER, {"input": {"quoteId": quote_id, "lines": [
        {"lineId": phone_line["id"], "action": "COUNTER", "price": "400"},
    ]}})["counterOffer"]["userErrors"] == []
    accept = page.get_by_role("button", name="Accept and sign")
    await accept.wait_for()
    await page.get_by_text("I have read the terms").wait_for()
    await page.locator("#consent-text p").first.wait_for()

    # sign: without consent first (said next to the box), then with it
    await page.get_by_label("Type your full name to sign").fill("Zoë Łukasiewicz")
    await accept.click()
    consent_error = page.locator("[data-field='input.signature.consent'] .error")
    await consent_error.filter(has_text="Tick the box").wait_for()
    await page.get_by_label("I have read the terms above").check()
    await no_serious_violations(page, "thread, accept")
    await shots.take(page, "accept")
    await accept.click()
    await page.get_by_text("You accepted and signed as Zoë Łukasiewicz").wait_for()
    await shots.take(page, "accepted")

    # withdraw, then accept again
    await page.get_by_role("button", name="Withdraw my acceptance").click()
    accept = page.get_by_role("button", name="Accept and sign")
    await accept.wait_for()
    assert shop.api(QUOTE, {"id": quote_id})["quote"]["status"] == "NEGOTIATING"
    await page.get_by_label("Type your full name to sign").fill("Zoë Łukasiewicz")
    await page.get_by_label("I have read the terms above").check()
    await accept.click()
    await page.get_by_role("button", name="Withdraw my acceptance").wait_for()
    assert shop.api(QUOTE, {"id": quote_id})["quote"]["status"] == "ACCEPTED"

    # a message, then the staff convert: the final state arrives live
    await page.get_by_label("A message to the shop").fill("I can ship tomorrow.")
    await page.get_by_role("button", name="Send the message").click()
    await page.locator(".message.from-customer").filter(has_text="I can ship tomorrow.").wait_for()
    converted = shop.api(CONVERT, {"input": {"quoteId": quote_id, "payoutMethod": "CHECK",
                                            "fulfillment": "SHIP"}})
    assert converted["convertToBuyOrder"]["userErrors"] == []
    number = converted["convertToBuyOrder"]["buyOrder"]["number"]
    await page.get_by_role("heading", name="Sold: thank you!").wait_for()
    await page.get_by_text("Payment pending").wait_for()
    assert number in await page.locator(".final").inner_text()
    assert await page.get_by_role("button", name="Withdraw my acceptance").count() == 0
    await no_serious_violations(page, "thread, converted")
    await shots.take(page, "converted")

    # the receipt and the certificate download
    async with page.expect_download() as receipt_download:
        await page.get_by_role("link", name="Download the receipt (PDF)").click()
    receipt = await (await receipt_download.value).path()
    pdf = PdfReader(io.BytesIO(Path(receipt).read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert number in text
    label = await page.get_by_role("link", name="Print your shipping label").get_attribute("href")
    assert label and "/downloads/label/" in label
    assert number in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(httpx.get(label, timeout=15).content)).pages
    )
    certificate_link = page.get_by_role("link", name="Download the signature certificate (PDF)")
    certificate = await certificate_link.get_attribute("href")
    assert certificate and httpx.get(certificate, timeout=15).content.startswith(b"%PDF")
    # never reloaded: the same document all along
    assert await page.evaluate("window.stillTheSamePage") is True


# --- live: a dropped connection catches up ----------------------------------------------------


async def test_the_thread_catches_up_after_a_dropped_connection(
    tmp_path: Path, browser: Browser
) -> None:
    env, cwd = start_shop(tmp_path)
    with serving(env, cwd) as base:
        shop = create_shop(base, env, cwd)
        quote_id, link = shop.request()
        shop.submit(quote_id, link)
        context, watch = await open_context(browser, PHONE)
        sockets: list[Any] = []

        async def passthrough(ws: Any) -> None:
            sockets.append(ws)
            ws.connect_to_server()

        page = await context.new_page()
        observe(page, watch)
        await page.route_web_socket(re.compile(r".*/graphql$"), passthrough)
        await page.goto(f"{base}/q/{link}")
        await page.locator("main[data-live=live]").wait_for()
        await page.evaluate("window.stillTheSamePage = true")

        # the connection drops; meanwhile the shop writes: nothing reaches the page
        await sockets[0].close(code=1011, reason="dropped")
        await page.locator("main[data-live=offline]").wait_for()
        assert await page.get_by_text("Connection lost").count() == 1
        away = {"input": {"quoteId": quote_id, "body": "While you were away"}}
        sent = shop.api(SEND_MESSAGE, away)
        assert sent["sendMessage"]["userErrors"] == []
        # back: the page reconnects and catches up without a reload
        await page.locator("main[data-live=live]").wait_for()
        await page.get_by_text("While you were away").wait_for()
        assert len(sockets) >= 2
        assert await page.evaluate("window.stillTheSamePage") is True
        await context.close()
    finish(watch)


# --- the trade-in page ----------------------------------------------------------------------------


TRADE_IN_PAGE = """
mutation Page($input: UpdateTradeInPageInput!) {
  updateTradeInPage(input: $input) { organization { showsInstantOffers } userErrors { code } }
}
"""


@pytest.mark.parametrize("device", ["phone"])
async def test_a_trade_in_from_the_public_page_to_the_thread(
    tmp_path: Path, browser: Browser, device: str
) -> None:
    env, cwd = start_shop(tmp_path)
    with serving(env, cwd) as base:
        shop = create_shop(base, env, cwd)
        started = time.monotonic()  # the browser's part, bounded (the server's start is not)
        prices = {"prices": dev.PRICES_CSV, "deductions": dev.DEDUCTIONS_CSV}
        grid = shop.api(dev.IMPORT_GRID, {"input": prices})
        assert grid["importPriceGrid"]["userErrors"] == []
        screen = {"key": "screen", "label": "How is the screen?",
                  "options": ["Perfect", "Light scratches", "Cracked"]}
        updated = shop.api(TRADE_IN_PAGE, {"input": {
            "showsInstantOffers": True, "conditionQuestions": [screen],
        }})
        assert updated["updateTradeInPage"]["userErrors"] == []
        context, watch = await open_context(browser, PHONE)
        page = await context.new_page()
        observe(page, watch)
        shots = Shots(tmp_path, f"trade-in-{device}")

        await page.goto(f"{base}/t/acme")
        await page.get_by_role("heading", name="Trade in your device with Acme Phones").wait_for()
        await no_serious_violations(page, "trade-in")
        await page.get_by_label("Find your model").fill("Pixel")
        await page.get_by_role("button", name="Google Pixel 8 Test").click()
        await page.get_by_label("Storage").select_option("256 GB")
        await page.get_by_label("How is the screen?").select_option("Light scratches")
        # the instant offer: 500.00 less 10 % for the scratches
        await page.locator(".offer-now").filter(has_text="450").wait_for()
        assert await page.get_by_label("Your asking price per device").input_value() == "450.00"
        await page.get_by_label("IMEI (optional)").fill(dev.imei(dev.PIXEL_TAC, 3))
        await page.get_by_label("Your name").fill("Ana Trader")
        await page.get_by_label("Your email").fill("not-an-email")
        await page.get_by_role("button", name="Send my trade-in").click()
        # the server's userError, next to its field
        email_error = page.locator("[data-field='input.contact.email'] .error")
        await email_error.wait_for()
        assert await page.get_by_label("Your email").get_attribute("aria-invalid") == "true"
        await shots.take(page, "error")
        await page.get_by_label("Your email").fill("ana@example.com")
        await shots.take(page, "filled")
        await page.get_by_role("button", name="Send my trade-in").click()

        await page.wait_for_url(re.compile(r"/q/tql_"))
        await page.get_by_text("The shop will respond").wait_for()
        assert "450" in await page.locator("table").inner_text()
        await no_serious_violations(page, "trade-in thread")
        await shots.take(page, "thread")
        await context.close()
    finish(watch)
    assert time.monotonic() - started < 60


# --- the portal --------------------------------------------------------------------------------


async def test_the_portal_signs_in_by_code_and_opens_a_quote(
    tmp_path: Path, browser: Browser, catcher: MailCatcher
) -> None:
    env, cwd = start_shop(tmp_path, TRADEQUOTE_SMTP_URL=catcher.url)
    with serving(env, cwd) as base:
        shop = create_shop(base, env, cwd)
        quote_id, link = shop.request()
        shop.submit(quote_id, link)
        context, watch = await open_context(browser, DESKTOP)
        page = await context.new_page()
        observe(page, watch)
        shots = Shots(tmp_path, "portal")
        await page.goto(f"{base}/portal/acme")
        await page.get_by_role("heading", name="Your quotes with Acme Phones").wait_for()
        await no_serious_violations(page, "portal sign-in")
        await page.get_by_label("Your email").fill("zoe@example.com")
        await page.get_by_role("button", name="Email me a code").click()
        code_box = page.get_by_label("The code from the email")
        await code_box.wait_for()
        mail = await wait_for(
            lambda: next((m for m in catcher.to("zoe@example.com")
                          if "sign-in code" in str(m["Subject"])), None),
            "the sign-in code email", timeout=20,
        )
        assert f"{base}/portal/acme" in text_of(mail), "the email links to the portal page"
        await code_box.fill("000000" if code_in(mail) != "000000" else "111111")
        await page.get_by_role("button", name="Sign in").click()
        await page.locator("[data-field='input.code'] .error").wait_for()
        await code_box.fill(code_in(mail))
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", name="Your quotes", exact=True).wait_for()
        await no_serious_violations(page, "portal list")
        await shots.take(page, "list")
        await page.locator(".quote-link").first.click()
        await page.get_by_text("The shop will respond").wait_for()
        await no_serious_violations(page, "portal quote")
        await shots.take(page, "quote")
        await page.get_by_role("link", name="All your quotes").click()
        await page.get_by_role("heading", name="Your quotes", exact=True).wait_for()
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_role("button", name="Email me a code").wait_for()
        await context.close()
    finish(watch)


# --- the pages as HTTP answers ----------------------------------------------------------------


async def test_pages_and_their_files(api: Api, org: Org) -> None:
    client = api.client
    bad = await client.get("/q/tql_1_forged")
    assert bad.status_code == 200 and "not valid" in bad.text and "<script" not in bad.text
    unknown = await client.get("/t/no-such-shop")
    assert unknown.status_code == 404 and "<script" not in unknown.text
    assert (await client.get("/portal/no-such-shop")).status_code == 404
    for path in (f"/t/{org.slug}", f"/portal/{org.slug}"):
        page = await client.get(path)
        assert page.status_code == 200
        assert '<script type="module" src="/customer/app.js">' in page.text
        assert "<script>" not in page.text and org.slug not in page.text
    for name in ("app.js", "api.js", "dom.js", "thread.js", "form.js", "device.js",
                 "tradein.js", "portal.js", "queries.js", "customer.css"):
        asset = await client.get(f"/customer/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert "http://" not in asset.text and "https://" not in asset.text, name
    policy = bad.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "connect-src 'self'" in policy


# --- answers that cross: a stale offer, a revoked link -----------------------------------------

REVOKE_LINK = """
mutation Revoke($input: RevokeQuoteLinkInput!) {
  revokeQuoteLink(input: $input) { quote { id } userErrors { code } }
}
"""


async def test_a_stale_offer_and_a_revoked_link_are_said_plainly(
    tmp_path: Path, browser: Browser
) -> None:
    env, cwd = start_shop(tmp_path)
    with serving(env, cwd) as base:
        shop = create_shop(base, env, cwd)
        quote_id, link = shop.request()
        shop.submit(quote_id, link)
        line = shop.api(QUOTE, {"id": quote_id})["quote"]["lines"][0]
        countered = shop.api(COUNTER, {"input": {"quoteId": quote_id, "lines": [
            {"lineId": line["id"], "action": "COUNTER", "price": "350"},
        ]}})
        assert countered["counterOffer"]["userErrors"] == []
        context, watch = await open_context(browser, PHONE)

        # tab A never gets its live connection; tab B answers first
        async def cut_off(ws: Any) -> None:
            pass

        late = await context.new_page()
        observe(late, watch)
        await late.route_web_socket(re.compile(r".*/graphql$"), cut_off)
        first = await context.new_page()
        observe(first, watch)
        for page in (late, first):
            await page.goto(f"{base}/q/{link}")
            await page.get_by_label("Type your full name to sign").fill("Zoë Łukasiewicz")
            await page.get_by_label("I have read the terms above").check()
        await first.get_by_role("button", name="Accept and sign").click()
        await first.get_by_text("You accepted and signed as").wait_for()

        await late.get_by_role("button", name="Accept and sign").click()
        await late.get_by_text("Someone else answered first: reload the offer").wait_for()
        await Shots(tmp_path, "stale").take(late, "stale")
        await late.get_by_role("button", name="Reload the offer").click()
        await late.get_by_text("You accepted and signed as").wait_for()
        assert await late.get_by_role("button", name="Accept and sign").count() == 0

        # the shop revokes the link: the open page says so, and so does the link itself
        await first.evaluate("window.stillTheSamePage = true")
        revoked = shop.api(REVOKE_LINK, {"input": {"quoteId": quote_id}})
        assert revoked["revokeQuoteLink"]["userErrors"] == []
        await first.get_by_text("This link no longer works").wait_for()
        assert await first.evaluate("window.stillTheSamePage") is True
        await no_serious_violations(first, "revoked")
        await late.reload()
        await late.get_by_text("This link no longer works").wait_for()
        await context.close()
    finish(watch)
