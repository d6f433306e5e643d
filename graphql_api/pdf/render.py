"""The three PDFs: a quote, the receipt of a buy order, and a shipping label.

Each function takes a plain document value (see `documents.py`) and returns the PDF's bytes;
nothing is read but the shipped fonts, nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf.enums import WrapMode

from graphql_api.pdf import code128
from graphql_api.pdf.canvas import MUTED, BrandedPdf, label, money, text, when
from graphql_api.pdf.documents import LabelDoc, QuoteDoc, QuoteLineDoc, ReceiptDoc
from graphql_api.pdf.table import Column, draw_table

DEVICE_GROUPS = {
    "PHONE": "Phones",
    "TABLET": "Tablets",
    "LAPTOP": "Laptops",
    "SMARTWATCH": "Smartwatches",
    "HEADPHONES": "Headphones",
    "CONSOLE": "Consoles",
    "CAMERA": "Cameras",
    "OTHER": "Other devices",
}
LABEL_SIZE = (101.6, 152.4)  # 4 × 6 inches, the common thermal label
BARCODE_HEIGHT = 18
TOTAL_HEIGHT = 6
MAX_MODULE = 0.5
QUOTE_COLUMNS = (
    Column("#", 7, "R"),
    Column("Device", 55),
    Column("Condition", 18),
    Column("Qty", 9, "R"),
    Column("Asking", 24, "R"),
    Column("Offer", 24, "R"),
    Column("Agreed", 24, "R"),
    Column("Status", 19),
)
RECEIPT_COLUMNS = (
    Column("Device", 100),
    Column("Qty", 14, "R"),
    Column("Unit price", 33, "R"),
    Column("Total", 33, "R"),
)


def render_quote(doc: QuoteDoc) -> bytes:
    """The quote: header, customer and dates, lines grouped by device type, totals, the
    thread's latest message."""
    pdf = BrandedPdf(doc.branding, f"Quote {doc.number}")
    pdf.add_page()
    pdf.style(18, bold=True)
    pdf.cell(0, 10, text(f"Quote {doc.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.field("Status", label(doc.status))
    pdf.field("Customer", _person(doc.customer_name, doc.customer_email))
    pdf.field("Created", when(doc.created_at))
    if doc.expires_at is not None:
        pdf.field("Valid until", when(doc.expires_at))
    pdf.field("Currency", doc.currency_code)
    for heading, lines in group_by_device_type(doc.lines):
        pdf.ln(5)
        _quote_table(pdf, heading, lines, doc.currency_code)
    pdf.ln(5)
    pdf.keep_together(3 * TOTAL_HEIGHT)
    _totals(
        pdf,
        (
            ("Total asking", money(doc.total_asking, doc.currency_code)),
            ("Total offered", money(doc.total_offered, doc.currency_code)),
            ("Total agreed", money(doc.total_agreed, doc.currency_code)),
        ),
    )
    if doc.last_message:
        pdf.ln(6)
        pdf.keep_together(25)
        pdf.heading("Latest message")
        if doc.last_message_author:
            pdf.style(9, color=MUTED)
            pdf.cell(0, 5, text(f"From {doc.last_message_author}"), new_x="LMARGIN", new_y="NEXT")
        pdf.style(10)
        pdf.multi_cell(0, 5.5, text(doc.last_message), new_x="LMARGIN", new_y="NEXT")
    return pdf.finish()


def render_receipt(doc: ReceiptDoc) -> bytes:
    """The receipt of a buy order: every line, the total, payout and fulfillment, and the
    customer's signature (name, time and full hash)."""
    pdf = BrandedPdf(doc.branding, f"Receipt {doc.order_number}")
    pdf.add_page()
    pdf.style(18, bold=True)
    pdf.cell(0, 10, text(f"Receipt {doc.order_number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.field("Quote", doc.quote_number)
    pdf.field("Date", when(doc.created_at))
    pdf.field("Customer", _person(doc.customer_name, doc.customer_email))
    pdf.ln(5)
    draw_table(
        pdf,
        RECEIPT_COLUMNS,
        (
            (
                _described(line.description, line.imeis),
                str(line.quantity),
                money(line.unit_price, doc.currency_code),
                money(line.total, doc.currency_code),
            )
            for line in doc.lines
        ),
        title="Devices bought",
    )
    pdf.ln(4)
    pdf.keep_together(TOTAL_HEIGHT + 15)
    _totals(pdf, (("Total", money(doc.total, doc.currency_code)),))
    pdf.ln(4)
    pdf.field("Payout method", label(doc.payout_method))
    pdf.field("Fulfillment", label(doc.fulfillment))
    pdf.ln(6)
    pdf.keep_together(35)
    pdf.heading("Seller's signature")
    pdf.field("Signed by", doc.signer_name)
    pdf.field("Signed at", when(doc.signed_at))
    pdf.style(9, color=MUTED)
    pdf.cell(0, 5.5, "Signature hash", new_x="LMARGIN", new_y="NEXT")
    _fitted_line(pdf, text(doc.signature_hash), largest=9, smallest=5.5)
    if doc.sealed_head:
        pdf.keep_together(20)
        pdf.style(9, color=MUTED)
        pdf.cell(
            0,
            5.5,
            f"Sealed chain head ({doc.sealed_event_count} events, key {doc.seal_key_id})",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        _fitted_line(pdf, doc.sealed_head, largest=9, smallest=5.5)
    return pdf.finish()


def render_shipping_label(doc: LabelDoc) -> bytes:
    """A 4 × 6 inch label: the receiving address large, the sender, a Code 128 barcode of the
    order number with its text, and the devices in the parcel."""
    pdf = BrandedPdf(
        doc.branding,
        f"Shipping label {doc.order_number}",
        page_format=LABEL_SIZE,
        margin=6,
        compact_header=True,
    )
    code128.symbol_values(doc.order_number)  # reject what cannot be encoded before drawing
    pdf.add_page()
    pdf.style(8, bold=True, color=MUTED)
    pdf.cell(0, 4, "SHIP TO", new_x="LMARGIN", new_y="NEXT")
    pdf.style(14, bold=True)
    pdf.multi_cell(0, 6.2, text(doc.receiving_address).strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.rule(2)
    pdf.style(8, bold=True, color=MUTED)
    pdf.cell(0, 4, "FROM", new_x="LMARGIN", new_y="NEXT")
    pdf.style(11)
    pdf.multi_cell(0, 5.5, text(doc.from_name), new_x="LMARGIN", new_y="NEXT")
    if doc.from_email:
        pdf.style(9)
        pdf.multi_cell(0, 4.5, text(doc.from_email), new_x="LMARGIN", new_y="NEXT")
    pdf.rule(2)
    _barcode(pdf, doc.order_number)
    pdf.rule(2)
    pdf.style(8, bold=True, color=MUTED)
    pdf.cell(0, 4, f"DEVICES ({len(doc.devices)})", new_x="LMARGIN", new_y="NEXT")
    pdf.style(8)
    for device in doc.devices:
        pdf.multi_cell(0, 3.8, "• " + text(device), new_x="LMARGIN", new_y="NEXT")
    return pdf.finish()


def group_by_device_type(
    lines: Sequence[QuoteLineDoc],
) -> list[tuple[str, list[QuoteLineDoc]]]:
    """Lines grouped under their device type's heading, in the catalogue's order of types
    (unknown types last), each group in line position order."""
    groups: dict[str, list[QuoteLineDoc]] = {}
    for line in sorted(lines, key=lambda line: line.position):
        groups.setdefault(line.device_type, []).append(line)
    order = list(DEVICE_GROUPS)
    ranked = sorted(
        groups, key=lambda kind: (order.index(kind) if kind in order else len(order), kind)
    )
    return [(DEVICE_GROUPS.get(kind, label(kind)), groups[kind]) for kind in ranked]


def _quote_table(
    pdf: BrandedPdf, heading: str, lines: Sequence[QuoteLineDoc], currency_code: str
) -> None:
    draw_table(
        pdf,
        QUOTE_COLUMNS,
        (
            (
                str(line.position),
                _device(line),
                label(line.condition),
                str(line.quantity),
                money(line.asking_price, currency_code),
                money(line.merchant_offer, currency_code),
                money(line.agreed_price, currency_code),
                label(line.status),
            )
            for line in lines
        ),
        title=heading,
    )


def _device(line: QuoteLineDoc) -> str:
    details = " · ".join(part for part in (line.storage, line.color) if part)
    name = f"{line.brand} {line.model}" + (f"\n{details}" if details else "")
    return _described(name, line.imeis)


def _described(description: str, imeis: Sequence[str]) -> str:
    """A device description, with its IMEIs on the next line when it has any."""
    if not imeis:
        return text(description)
    return text(description) + ("\nIMEI " if len(imeis) == 1 else "\nIMEIs ") + ", ".join(imeis)


def _person(name: str | None, email: str | None) -> str:
    parts = [text(name) if name else "", f"<{email}>" if email else ""]
    return " ".join(part for part in parts if part) or "—"


def _totals(pdf: BrandedPdf, rows: Sequence[tuple[str, str]]) -> None:
    """Right-aligned `name  amount` rows, the amounts in bold."""
    pdf.style(10, bold=True)
    amount_width = max(50, *(pdf.get_string_width(amount) + 4 for _, amount in rows))
    for name, amount in rows:
        pdf.style(10, color=MUTED)
        pdf.cell(pdf.epw - amount_width, TOTAL_HEIGHT, name, align="R")
        pdf.style(10, bold=True)
        pdf.cell(amount_width, TOTAL_HEIGHT, amount, align="R", new_x="LMARGIN", new_y="NEXT")


def _fitted_line(pdf: BrandedPdf, value: str, *, largest: float, smallest: float) -> None:
    """`value` on one line at the largest size that fits, wrapped only below `smallest`."""
    size = largest
    pdf.style(size)
    while size > smallest and pdf.get_string_width(value) > pdf.epw:
        size -= 0.5
        pdf.style(size)
    pdf.multi_cell(0, size * 0.5, value, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)


def _barcode(pdf: BrandedPdf, order_number: str) -> None:
    """The order number as a Code 128 barcode, centred, with its text under it."""
    modules = code128.width_in_modules(order_number)
    module = min(MAX_MODULE, pdf.epw / modules)
    width = modules * module
    if pdf.will_page_break(BARCODE_HEIGHT + 12):
        pdf.add_page()
    top = pdf.get_y()
    code128.draw(
        pdf, order_number, pdf.l_margin + (pdf.epw - width) / 2, top, module, BARCODE_HEIGHT
    )
    pdf.set_y(top + BARCODE_HEIGHT + 1)
    pdf.style(12, bold=True)
    pdf.cell(0, 6, order_number, align="C", new_x="LMARGIN", new_y="NEXT")
