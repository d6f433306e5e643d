"""Timings of the core paths, side by side in one run (the machine is shared and noisy):
submitting a 50-device quote with 50 IMEIs, looking up 200 IMEIs in one call, reading the
thread view of a 20-line, 50-message quote, and rendering a 50-line receipt PDF.

    .venv/bin/python -m benchmarks.core [--database-url URL] [--rounds 20]

Runs the application in-process over ASGI on a fresh SQLite file (or the given empty,
migrated-on-start database) and prints median and p90 milliseconds of each path."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from stdnum import luhn

from graphql_api import db
from graphql_api.app import create_app
from graphql_api.auth import issue_token
from graphql_api.pdf import ReceiptDoc, ReceiptLineDoc, render_receipt
from graphql_api.pdf.documents import BrandingDoc
from graphql_api.settings import Settings
from models.organization import TokenKind
from models.services.catalog import ensure_starter_catalog
from models.services.organizations import create_organization
from tests import documents as doc


LOOKUP = """
mutation Lookup($input: LookupImeisInput!) {
  lookupImeis(input: $input) { results { imei valid flags device { model } } userErrors { code } }
}
"""


def imei(n: int) -> str:
    body = f"35{n:012d}"
    return body + luhn.calc_check_digit(body)


def devices(count: int) -> list[dict[str, object]]:
    return [
        {"type": "PHONE", "brand": "Apple", "model": f"iPhone {i}", "condition": "GOOD",
         "quantity": 1, "askingPrice": "100.00", "imeis": [imei(i + count * 1000)]}
        for i in range(count)
    ]


async def timed(rounds: int, step: Callable[[int], Awaitable[object]]) -> list[float]:
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        await step(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    print(f"{name:<48} median {statistics.median(ordered):7.1f} ms   p90 {p90:7.1f} ms")


async def main(database_url: str, rounds: int) -> None:
    await db.migrate(database_url)
    await db.connect(database_url)
    await ensure_starter_catalog()
    await db.close()
    settings = Settings(database_url=database_url, secret_key="benchmark-" + "k" * 32)
    app = create_app(settings, background=False)
    await db.connect(database_url)
    await app.state.broker.start()
    organization, owner = await create_organization(
        name="Bench", slug=f"bench-{int(time.time())}", owner_email="o@bench.example",
        owner_name=None, currency_code="USD")
    staff, _ = await issue_token(TokenKind.STAFF, organization.id, staff_id=owner.id)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def gql(query: str, variables: dict[str, object], token: str) -> dict[str, object]:
            response = await client.post("/graphql", json={"query": query, "variables": variables},
                                         headers={"Authorization": f"Bearer {token}"})
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        async def new_request() -> tuple[str, str]:
            data = await gql(doc.CREATE_REQUEST, {"input": {"sendEmail": False}}, staff)
            payload = data["createQuoteRequest"]
            return payload["quote"]["id"], payload["url"].rsplit("/", 1)[1]

        requests = [await new_request() for _ in range(rounds)]
        contact = {"name": "Bench Customer", "email": "bench@example.com"}

        async def submit(i: int) -> None:
            quote_id, link = requests[i]
            await gql(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": contact,
                                             "devices": devices(50)}}, link)

        report("submitQuote: 50 devices, 50 IMEIs", await timed(rounds, submit))

        many = [imei(i + 7_000_000) for i in range(200)]

        async def look_up(_: int) -> None:
            data = await gql(LOOKUP, {"input": {"imeis": many}}, staff)
            assert len(data["lookupImeis"]["results"]) == 200

        report("lookupImeis: 200 IMEIs (staff, with flags)", await timed(rounds, look_up))

        quote_id, link = await new_request()
        data = await gql(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": contact,
                                                "devices": devices(20)}}, link)
        lines = data["submitQuote"]["quote"]["lines"]
        await gql(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": [
            {"lineId": line["id"], "action": "COUNTER", "price": "90"} for line in lines]}}, staff)
        for i in range(47):
            await gql(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": f"note {i}"}}, staff)
        report("thread view: 20 lines, 50 messages (staff)",
               await timed(rounds, lambda _: gql(doc.THREAD_VIEW, {"id": quote_id}, staff)))

    receipt = ReceiptDoc(
        branding=BrandingDoc(organization_name="Bench"), order_number="BO-000001",
        quote_number="Q-000001", currency_code="USD", created_at=datetime.now(UTC),
        customer_name="Zoë Łukasiewicz", customer_email="zoe@example.com",
        lines=tuple(ReceiptLineDoc(f"Apple iPhone {i}", 1, Decimal("100"), Decimal("100"),
                                   (imei(i),)) for i in range(50)),
        total=Decimal("5000"), payout_method="STRIPE", fulfillment="SHIP",
        signer_name="Zoë Łukasiewicz", signed_at=datetime.now(UTC), signature_hash="ab" * 32)
    render_receipt(receipt)  # fonts load once per process

    async def render(_: int) -> None:
        render_receipt(receipt)

    report("receipt PDF: 50 lines", await timed(rounds, render))
    await app.state.broker.stop()
    await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite://{Path(folder) / 'bench.db'}"
        asyncio.run(main(url, args.rounds))
