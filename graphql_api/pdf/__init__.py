"""PDF documents: quotes, buy-order receipts and shipping labels, rendered with fpdf2.

Callers build the plain values of `documents.py` from their records and call the functions
of `render.py`; the fonts in `fonts/` make any name print, whatever its script.
"""

from graphql_api.pdf.documents import (
    BrandingDoc,
    LabelDoc,
    QuoteDoc,
    QuoteLineDoc,
    ReceiptDoc,
    ReceiptLineDoc,
)
from graphql_api.pdf.render import render_quote, render_receipt, render_shipping_label

__all__ = [
    "BrandingDoc",
    "LabelDoc",
    "QuoteDoc",
    "QuoteLineDoc",
    "ReceiptDoc",
    "ReceiptLineDoc",
    "render_quote",
    "render_receipt",
    "render_shipping_label",
]
