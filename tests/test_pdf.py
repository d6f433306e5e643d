"""The quote, receipt and shipping-label PDFs: what a reader finds in them, and how fast."""

from __future__ import annotations

import re
import struct
import time
import unicodedata
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import pypdfium2  # type: ignore[import-untyped]
import pytest
import zxingcpp
from pypdf import PdfReader

from graphql_api.pdf import code128
from graphql_api.pdf.canvas import money, when
from graphql_api.pdf.documents import (
    BrandingDoc,
    LabelDoc,
    QuoteDoc,
    QuoteLineDoc,
    ReceiptDoc,
    ReceiptLineDoc,
)
from graphql_api.pdf.render import render_quote, render_receipt, render_shipping_label
from graphql_api.pdf.sources import RenderedDocuments
from graphql_api.pdf.typefaces import FONT_DIR

NAMES = ("Zoë Łukasiewicz", "王伟", "Ngọc Ánh")
MORE_NAMES = ("김민준", "佐藤さくら", "Ирина Петрова")
SIGNATURE_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
ORDER_NUMBER = "BO-2026-000123"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


BRANDING = BrandingDoc(
    organization_name="Phone Recycle Co.",
    logo=png(120, 48, (10, 125, 90)),
    accent_color="#0a7d5a",
    headline="We buy your old devices",
    footer_text="Phone Recycle Co. · 12 Market Street, Dublin",
)


def quote_line(position: int, device_type: str, model: str, **changes: object) -> QuoteLineDoc:
    line = QuoteLineDoc(
        position=position,
        device_type=device_type,
        brand="Apple",
        model=model,
        storage="256 GB",
        color="Black",
        condition="LIKE_NEW",
        quantity=1,
        asking_price=Decimal("500.00"),
        merchant_offer=Decimal("450.00"),
        agreed_price=None,
        status="PENDING",
        imeis=("356938035643809",),
    )
    return replace(line, **changes)  # type: ignore[arg-type]


QUOTE_LINES = (
    quote_line(
        1, "PHONE", "iPhone 15 Pro", quantity=2, imeis=("356938035643809", "490154203237518")
    ),
    quote_line(2, "TABLET", "iPad Air M2", imeis=(), agreed_price=Decimal("410.50")),
    quote_line(3, "PHONE", "Pixel 8", status="ACCEPTED", agreed_price=Decimal(300)),
    quote_line(4, "LAPTOP", "MacBook Air 13", storage=None, color=None, asking_price=None),
    quote_line(5, "HEADPHONES", "AirPods Pro 2", merchant_offer=Decimal("99.99")),
)


def quote(customer_name: str = NAMES[0], lines: tuple[QuoteLineDoc, ...] = QUOTE_LINES) -> QuoteDoc:
    return QuoteDoc(
        branding=BRANDING,
        number="Q-1042",
        status="NEGOTIATING",
        currency_code="EUR",
        customer_name=customer_name,
        customer_email="customer@example.com",
        created_at=datetime(2026, 3, 1, 14, 5, tzinfo=UTC),
        expires_at=datetime(2026, 3, 15, tzinfo=UTC),
        lines=lines,
        total_asking=Decimal("12345.60"),
        total_offered=Decimal("123456789012345.67"),
        total_agreed=Decimal("1010.50"),
        last_message="Could you go a little higher on the iPad? It has no scratches.",
        last_message_author=customer_name,
    )


def receipt(customer_name: str = NAMES[1], line_count: int = 3) -> ReceiptDoc:
    lines = tuple(
        ReceiptLineDoc(
            description=f"Samsung Galaxy S{index} Ultra, 512 GB, Like new",
            quantity=1 + index % 2,
            unit_price=Decimal("300.50"),
            total=Decimal("300.50") * (1 + index % 2),
            imeis=(f"35693803564{index:04d}",),
        )
        for index in range(1, line_count + 1)
    )
    return ReceiptDoc(
        branding=BRANDING,
        order_number=ORDER_NUMBER,
        quote_number="Q-1042",
        currency_code="EUR",
        created_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        customer_name=customer_name,
        customer_email="customer@example.com",
        lines=lines,
        total=sum((line.total for line in lines), Decimal(0)),
        payout_method="STORE_CREDIT",
        fulfillment="SHIP",
        signer_name=customer_name,
        signed_at=datetime(2026, 3, 2, 9, 31, tzinfo=UTC),
        signature_hash=SIGNATURE_HASH,
    )


def label(from_name: str = NAMES[2]) -> LabelDoc:
    return LabelDoc(
        branding=BRANDING,
        order_number=ORDER_NUMBER,
        from_name=from_name,
        from_email="sender@example.vn",
        receiving_address="Phone Recycle Co.\nReceiving dept.\n12 Market Street\nDublin D02 XY45",
        devices=("Apple iPhone 15 Pro — IMEI 356938035643809", "Google Pixel 8"),
    )


def extracted_text(pdf: bytes) -> str:
    """All pages' text, NFC-normalized, whitespace runs collapsed to one space."""
    reader = PdfReader(BytesIO(pdf))
    raw = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def decoded_barcodes(pdf: bytes) -> list[tuple[zxingcpp.BarcodeFormat, str]]:
    """(format, text) of every barcode found on the first page rendered at 300 dpi."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=300 / 72, grayscale=True).to_pil()
        page.close()
    finally:
        document.close()
    return [(result.format, result.text) for result in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("name", NAMES + MORE_NAMES)
def test_every_document_prints_any_name(name: str) -> None:
    assert name in extracted_text(render_quote(quote(customer_name=name)))
    assert name in extracted_text(render_receipt(receipt(customer_name=name)))
    assert name in extracted_text(render_shipping_label(label(from_name=name)))


def test_names_use_real_glyphs_from_the_shipped_fonts() -> None:
    pdf = render_receipt(receipt(customer_name="王伟 and Zoë"))
    assert b"/BaseFont /MPDFAA+DejaVuSansBook" in pdf
    assert b"/BaseFont /MPDFAA+WenQuanYiMicroHei" in pdf
    assert b"/FontFile2" in pdf  # embedded, not merely named


def test_quote_groups_lines_by_device_type_with_a_heading_per_group() -> None:
    content = extracted_text(render_quote(quote()))

    expected_order = (
        "Phones",
        "iPhone 15 Pro",
        "Pixel 8",
        "Tablets",
        "iPad Air M2",
        "Laptops",
        "MacBook Air 13",
        "Headphones",
        "AirPods Pro 2",
    )
    positions = [content.index(text) for text in expected_order]
    assert positions == sorted(positions)
    assert "Other devices" not in content


def test_quote_shows_each_line_and_the_totals_exactly() -> None:
    content = extracted_text(render_quote(quote()))

    for model in ("iPhone 15 Pro", "iPad Air M2", "Pixel 8", "MacBook Air 13", "AirPods Pro 2"):
        assert f"Apple {model}" in content
    assert "IMEIs 356938035643809, 490154203237518" in content
    assert "Like new" in content
    assert "410.50 EUR" in content and "99.99 EUR" in content and "300.00 EUR" in content
    assert "Total asking 12,345.60 EUR" in content
    assert "Total offered 123,456,789,012,345.67 EUR" in content  # beyond a float's precision
    assert "Total agreed 1,010.50 EUR" in content
    assert "Could you go a little higher on the iPad? It has no scratches." in content
    assert "Phone Recycle Co. · 12 Market Street, Dublin" in content
    assert "We buy your old devices" in content


def test_a_long_quote_continues_its_group_on_the_next_page() -> None:
    lines = tuple(quote_line(index, "PHONE", f"iPhone model {index}") for index in range(1, 51))
    pdf = render_quote(quote(lines=lines))
    content = extracted_text(pdf)

    assert len(PdfReader(BytesIO(pdf)).pages) > 1
    assert "Phones (continued)" in content
    for index in range(1, 51):
        assert re.search(rf"Apple iPhone model {index}\b", content)


def test_receipt_shows_lines_total_payout_fulfillment_and_signature() -> None:
    document = receipt(line_count=4)
    content = extracted_text(render_receipt(document))

    for line in document.lines:
        assert line.description in content
        assert line.imeis[0] in content
    assert "Total 1,803.00 EUR" in content
    assert "Payout method Store credit" in content
    assert "Fulfillment Ship" in content
    assert "Signed by 王伟" in content
    assert "Signed at 2026-03-02 09:31 UTC" in content
    assert SIGNATURE_HASH in content


def test_shipping_label_barcode_scans_back_to_the_order_number() -> None:
    pdf = render_shipping_label(label())
    content = extracted_text(pdf)

    assert decoded_barcodes(pdf) == [(zxingcpp.BarcodeFormat.Code128, ORDER_NUMBER)]
    assert ORDER_NUMBER in content
    assert "Dublin D02 XY45" in content
    assert "Ngọc Ánh" in content and "sender@example.vn" in content
    assert "Google Pixel 8" in content
    assert b"WenQuanYi" not in pdf  # fonts no page uses are left out


def test_money_is_exact_in_the_currency_minor_unit_and_times_are_utc() -> None:
    assert money(Decimal("1234567.8"), "EUR") == "1,234,567.80 EUR"
    assert money(Decimal("0.1") + Decimal("0.2"), "USD") == "0.30 USD"
    assert money(Decimal(12000), "JPY") == "12,000 JPY"
    assert money(None, "EUR") == "—"
    assert when(datetime(2026, 3, 1, 14, 5)) == "2026-03-01 14:05 UTC"


def test_documents_render_side_by_side_in_threads() -> None:
    names = NAMES + MORE_NAMES
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(lambda name: render_receipt(receipt(customer_name=name)), names))
    for name, pdf in zip(names, pdfs, strict=True):
        content = extracted_text(pdf)
        assert f"Signed by {name}" in content
        assert all(other not in content for other in names if other != name)


def test_code128_rejects_what_it_cannot_encode() -> None:
    with pytest.raises(ValueError):
        code128.symbol_values("BO-王")
    assert all(sum(map(int, pattern)) == 11 for pattern in code128.PATTERNS)
    assert sum(map(int, code128.STOP)) == 13


def test_a_damaged_logo_or_colour_does_not_stop_a_document() -> None:
    branding = replace(BRANDING, logo=b"\x89PNG\r\n\x1a\nbroken", accent_color="teal")
    pdf = render_receipt(replace(receipt(), branding=branding))
    assert SIGNATURE_HASH in extracted_text(pdf)


def test_fonts_ship_with_their_licences() -> None:
    assert (FONT_DIR / "DejaVuSans.ttf").is_file()
    assert (FONT_DIR / "wqy-microhei.ttc").is_file()
    assert "Bitstream Vera" in (FONT_DIR / "LICENSE-DejaVu.txt").read_text()
    assert "Apache License" in (FONT_DIR / "LICENSE-WenQuanYi.txt").read_text()


def test_a_fifty_line_receipt_renders_well_under_200_ms() -> None:
    document = receipt(line_count=50)
    render_receipt(document)  # fonts are parsed once per process
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        render_receipt(document)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.2


async def test_a_document_is_rendered_once_and_anew_when_anything_it_shows_changes() -> None:
    renders: list[ReceiptDoc] = []

    def counting(doc: ReceiptDoc) -> bytes:
        renders.append(doc)
        return render_receipt(doc)

    cache = RenderedDocuments()
    first = await cache.get(counting, receipt())
    assert await cache.get(counting, receipt()) is first  # an equal document, built anew
    assert len(renders) == 1
    changed = await cache.get(counting, replace(receipt(), branding=replace(BRANDING, headline="New")))
    assert len(renders) == 2 and "New" in extracted_text(changed) and "New" not in extracted_text(first)


async def test_rendered_documents_stay_within_their_bound() -> None:
    cache = RenderedDocuments(max_bytes=1000)
    sizes = {"a": 400, "b": 400, "c": 400, "huge": 5000}
    renders: list[str] = []

    def counting(doc: str) -> bytes:
        renders.append(doc)
        return b"x" * sizes[doc]

    for name in sizes:
        await cache.get(counting, name)
    renders.clear()
    for name in ("c", "b", "a", "huge"):  # "a", the oldest, went for "c"; "huge" never fits
        await cache.get(counting, name)
    assert renders == ["a", "huge"]
