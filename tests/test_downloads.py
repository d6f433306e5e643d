"""PDF downloads through signed, expiring URLs: valid, expired, tampered, another quote's."""

from __future__ import annotations

import io
import time
from urllib.parse import urlsplit

from pypdf import PdfReader

from graphql_api.ids import decode_id
from graphql_api.signing import signed_url
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import accepted, submitted

PDF_URL = "query($id: ID!) { quote(id: $id) { number pdfUrl buyOrder { number receiptUrl } } }"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def _get(api: Api, url: str) -> tuple[int, bytes, str]:
    response = await api.client.get(_path(url))
    return response.status_code, response.content, response.headers.get("content-type", "")


async def test_customer_downloads_the_quote_pdf(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    data = await api(PDF_URL, {"id": quote["id"]}, link)
    status, body, kind = await _get(api, data["quote"]["pdfUrl"])
    assert status == 200 and kind == "application/pdf"
    text = _text(body)
    assert quote["number"] in text
    assert "Zoë Łukasiewicz" in text
    assert "iPhone 14 Pro" in text and "iPad Air" in text


async def test_receipt_after_conversion_carries_the_signature(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    data = await api(
        doc.CONVERT,
        {"input": {"quoteId": quote["id"], "payoutMethod": "CHECK", "fulfillment": "SHIP"}},
        org.owner_token,
    )
    order = data["convertToBuyOrder"]["buyOrder"]
    view = await api(PDF_URL, {"id": quote["id"]}, link)
    status, body, _ = await _get(api, view["quote"]["buyOrder"]["receiptUrl"])
    assert status == 200
    text = "".join(_text(body).split())
    assert order["number"] in text
    assert quote["acceptance"]["signatureHash"] in text
    assert "ZoëŁukasiewicz" in text


async def test_bad_signatures_get_403_and_nothing_else(api: Api, org: Org, app) -> None:  # type: ignore[no-untyped-def]
    quote, link = await submitted(api, org)
    other, _ = await submitted(api, org)
    good = (await api(PDF_URL, {"id": quote["id"]}, link))["quote"]["pdfUrl"]
    settings = app.state.settings
    quote_pk = decode_id(quote["id"], "Quote")
    other_pk = decode_id(other["id"], "Quote")
    assert quote_pk is not None and other_pk is not None

    expired = signed_url(settings.public_url, settings.secret_key, "quote", quote_pk, "customer",
                         ttl=60, now=time.time() - 3600)
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    another = good.replace(f"/quote/{quote_pk}?", f"/quote/{other_pk}?")
    as_staff = good.replace("v=customer", "v=staff")
    wrong_kind = good.replace("/downloads/quote/", "/downloads/receipt/")
    for url in (expired, tampered, another, as_staff, wrong_kind, good.split("?")[0]):
        status, body, _ = await _get(api, url)
        assert (status, body) == (403, b"Forbidden"), url
    assert (await _get(api, good))[0] == 200


async def test_no_pdf_for_a_quote_without_lines(api: Api, org: Org) -> None:
    data = await api(doc.CREATE_REQUEST, {"input": {"sendEmail": False}}, org.owner_token)
    quote_id = data["createQuoteRequest"]["quote"]["id"]
    view = await api(PDF_URL, {"id": quote_id}, org.owner_token)
    assert view["quote"]["pdfUrl"] is None
