"""What the PDFs show: plain, frozen values built by the caller from its own records.

Nothing here touches the database. Amounts are `Decimal` in the document's `currency_code`
and are printed quantized to that currency's minor unit; times are aware datetimes (a naive
one is taken as UTC) and are printed in UTC. Enumerations (device type, condition, status,
payout method, fulfillment) are passed as their GraphQL/enum names, e.g. `"LIKE_NEW"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class BrandingDoc:
    """An organization's branding.

    `logo` is PNG or JPEG bytes; `accent_color` is `#rrggbb` (or `#rgb`) and colours
    headings and rules; `headline` is a line under the organization name; `footer_text`
    closes every page.
    """

    organization_name: str
    logo: bytes | None = None
    accent_color: str | None = None
    headline: str | None = None
    footer_text: str | None = None


@dataclass(frozen=True)
class QuoteLineDoc:
    """One line of a quote: a device model, how many, and the three prices of the negotiation.

    `device_type` is one of PHONE, TABLET, LAPTOP, SMARTWATCH, HEADPHONES, CONSOLE, CAMERA,
    OTHER; `status` is PENDING, ACCEPTED or DECLINED. Prices are per unit; a missing price
    is printed as a dash.
    """

    position: int
    device_type: str
    brand: str
    model: str
    condition: str
    quantity: int
    status: str
    storage: str | None = None
    color: str | None = None
    asking_price: Decimal | None = None
    merchant_offer: Decimal | None = None
    agreed_price: Decimal | None = None
    imeis: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuoteDoc:
    """A quote as its customer and the merchant see it, with the thread's latest message."""

    branding: BrandingDoc
    number: str
    status: str
    currency_code: str
    created_at: datetime
    lines: tuple[QuoteLineDoc, ...]
    total_asking: Decimal
    total_offered: Decimal
    total_agreed: Decimal
    customer_name: str | None = None
    customer_email: str | None = None
    expires_at: datetime | None = None
    last_message: str | None = None
    last_message_author: str | None = None


@dataclass(frozen=True)
class ReceiptLineDoc:
    """One line of a buy order: what was bought, how many, at what unit price."""

    description: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    imeis: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReceiptDoc:
    """The receipt of a buy order, with the customer's signature of the seller declaration.

    `payout_method` is STRIPE, CHECK or STORE_CREDIT; `fulfillment` is SHIP or PICKUP;
    `signature_hash` is printed in full.
    """

    branding: BrandingDoc
    order_number: str
    quote_number: str
    currency_code: str
    created_at: datetime
    customer_name: str
    customer_email: str
    lines: tuple[ReceiptLineDoc, ...]
    total: Decimal
    payout_method: str
    fulfillment: str
    signer_name: str
    signed_at: datetime
    signature_hash: str
    "The sealed chain head of the quote: its hash, how many events, the sealing key's id."
    sealed_head: str = ""
    sealed_event_count: int = 0
    seal_key_id: str = ""


@dataclass(frozen=True)
class LabelDoc:
    """A shipping label for the devices of a buy order, from the customer to the merchant.

    `receiving_address` is the merchant's address, one line per line of text; `devices`
    are short descriptions, one per device or line. The order number becomes a Code 128
    barcode, so it must be printable ASCII.
    """

    branding: BrandingDoc
    order_number: str
    from_name: str
    receiving_address: str
    devices: tuple[str, ...]
    from_email: str | None = None
