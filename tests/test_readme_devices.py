"""The README's "Devices, IMEIs and the trade-in page" section, run as written: its CSV files
import cleanly and its GraphQL documents, with their variables, answer as it says."""

from __future__ import annotations

import json
import re
from pathlib import Path

from graphql import parse, validate

from graphql_api.schema import schema
from tests import devices as dev
from tests.client import Api, Org

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```(?P<kind>graphql|json|csv)\n(?P<text>.*?)```", re.S)


def section() -> str:
    text = README.read_text()
    start = text.index("## Devices, IMEIs and the trade-in page")
    return text[start : text.index("\n## ", start + 1)]


def blocks(kind: str) -> list[str]:
    return [m["text"] for m in BLOCK.finditer(section()) if m["kind"] == kind]


def operation(name: str) -> str:
    return next(doc for doc in blocks("graphql") if re.search(rf"\b(query|mutation) {name}\b", doc))


def variables_after(name: str, slug: str) -> dict[str, object]:
    """The JSON block that follows the named document, for this test's organization."""
    text = section()
    start = text.index(operation(name))
    match = re.compile(r"```json\n(.*?)```", re.S).search(text, start)
    assert match is not None
    return json.loads(match[1].replace('"acme"', json.dumps(slug)))


def test_every_document_is_valid_against_the_schema() -> None:
    documents = blocks("graphql")
    assert len(documents) == 7
    for document in documents:
        assert validate(schema._schema, parse(document)) == [], document


async def test_the_section_runs_as_written(api: Api, org: Org) -> None:
    catalog, prices, deductions = blocks("csv")
    report = (await api(dev.IMPORT_CATALOG, {"input": {"csv": catalog}}, org.owner_token))
    assert report["importDeviceCatalog"]["report"]["added"] == 2
    grid = await api(
        dev.IMPORT_GRID, {"input": {"prices": prices, "deductions": deductions}}, org.owner_token
    )
    assert grid["importPriceGrid"]["prices"]["refused"] == []
    assert grid["importPriceGrid"]["deductions"]["refused"] == []

    page = await api(operation("UpdatePage"), variables_after("UpdatePage", org.slug), org.owner_token)
    assert page["updateTradeInPage"]["organization"]["showsInstantOffers"] is True
    public = await api(operation("TradeInPage"), {"slug": org.slug})
    assert [q["key"] for q in public["organization"]["conditionQuestions"]] == ["screen", "battery"]

    price = await api(operation("Price"), variables_after("Price", org.slug))
    assert price["instantQuote"]["quote"]["offer"]["amount"] == "450.00"  # light scratches only

    looked = await api(operation("Lookup"), variables_after("Lookup", org.slug))
    results = looked["lookupImeis"]["results"]
    assert [r["valid"] for r in results] == [True, False]
    assert results[0]["device"] == {"type": "PHONE", "brand": "Acme", "model": "Phone 2"}

    traded = await api(operation("TradeIn"), variables_after("TradeIn", org.slug))
    payload = traded["submitTradeIn"]
    assert payload["userErrors"] == [] and payload["quote"]["status"] == "SUBMITTED"
    assert payload["quote"]["lines"][0]["instantOffer"]["amount"] == "450.00"

    listed = await api(operation("Catalog"), {"search": "phone 2"}, org.owner_token)
    assert listed["deviceCatalog"]["edges"][0]["node"]["colors"] == ["Graphite", "Sand"]
