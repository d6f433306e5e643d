"""The PDFs' documents, read from the database, and rendered off the event loop."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from typing import Any

from graphql_api.http.keys import PATH as KEYS_PATH
from graphql_api.mail.attachments import register_attachment_renderer
from graphql_api.mail.content import RenderError
from graphql_api.pdf.certificate import CertificateDoc, EventDoc, TermDoc, render_certificate
from graphql_api.pdf.documents import (
    BrandingDoc,
    LabelDoc,
    QuoteDoc,
    QuoteLineDoc,
    ReceiptDoc,
    ReceiptLineDoc,
)
from graphql_api.pdf.render import render_quote, render_receipt, render_shipping_label
from models.buy_order import BuyOrder, BuyOrderLine
from models.consent import CONSENT_TEXTS
from models.errors import DomainError
from models.fulfillment import has_address
from models.negotiation import LineStatus
from models.organization import Organization
from models.quote import Acceptance, DeviceUnit, Quote, QuoteEvent, QuoteLine, ThreadMessage
from models.sealing import quote_reference
from models.services.labels import no_address
from models.services.verification import load_rows
from models.validation import total


"Rendered PDFs kept in memory per process, by total size."
CACHE_BYTES = 16 * 1024 * 1024


class RenderedDocuments:
    """PDFs already rendered, by the document they show: a document is a frozen value of
    everything its PDF prints, so an unchanged one is served without rendering it again (a
    receipt is downloaded many times and never changes) and any change renders anew. The least
    recently used go first once their total passes the bound."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._pdfs: OrderedDict[tuple[Callable[..., bytes], Hashable], bytes] = OrderedDict()
        self._bytes = 0

    async def get(self, render: Callable[..., bytes], doc: Hashable) -> bytes:
        key = (render, doc)
        pdf = self._pdfs.get(key)
        if pdf is not None:
            self._pdfs.move_to_end(key)
            return pdf
        pdf = await asyncio.to_thread(render, doc)  # off the event loop
        if len(pdf) <= self.max_bytes and key not in self._pdfs:
            self._pdfs[key] = pdf
            self._bytes += len(pdf)
            while self._bytes > self.max_bytes:
                _, dropped = self._pdfs.popitem(last=False)
                self._bytes -= len(dropped)
        return pdf


_rendered = RenderedDocuments()
rendered = _rendered.get


def branding(organization: Organization) -> BrandingDoc:
    return BrandingDoc(
        organization_name=organization.name,
        logo=organization.logo,
        accent_color=organization.accent_color,
        headline=organization.headline,
        footer_text=organization.footer_text,
    )


async def imeis_by_line(quote_id: int) -> dict[int, tuple[str, ...]]:
    imeis: dict[int, list[str]] = {}
    units = DeviceUnit.filter(quote_id=quote_id, imei__not_isnull=True).order_by("position")
    for line_id, imei in await units.values_list("line_id", "imei"):
        imeis.setdefault(line_id, []).append(imei)
    return {line_id: tuple(numbers) for line_id, numbers in imeis.items()}


async def quote_pdf(quote_id: int) -> bytes:
    quote = await Quote.get(id=quote_id)
    organization = await Organization.get(id=quote.organization_id)
    lines = await QuoteLine.filter(quote_id=quote_id).order_by("position")
    imeis = await imeis_by_line(quote_id)
    last = (
        await ThreadMessage.filter(quote_id=quote_id, body__not_isnull=True).order_by("-id").first()
    )
    doc = QuoteDoc(
        branding=branding(organization),
        number=quote.number,
        status=quote.status.value,
        currency_code=quote.currency_code,
        created_at=quote.created_at,
        expires_at=quote.expires_at,
        customer_name=quote.contact_name,
        customer_email=quote.contact_email,
        lines=tuple(
            QuoteLineDoc(
                position=line.position,
                device_type=line.device_type.value,
                brand=line.brand,
                model=line.model,
                storage=line.storage,
                color=line.color,
                condition=line.condition.value,
                quantity=line.quantity,
                status=line.status.value,
                asking_price=line.asking_price,
                merchant_offer=line.merchant_offer,
                agreed_price=line.agreed_price,
                imeis=imeis.get(line.id, ()),
            )
            for line in lines
        ),
        total_asking=total([(line.asking_price, line.quantity) for line in lines]),
        total_offered=total([(line.merchant_offer, line.quantity) for line in lines]),
        total_agreed=total(
            [
                (line.agreed_price, line.quantity)
                for line in lines
                if line.status is LineStatus.ACCEPTED
            ]
        ),
        last_message=last.body if last else None,
        last_message_author=last.author_name if last else None,
    )
    return await rendered(render_quote, doc)


async def receipt_pdf(order_id: int) -> bytes:
    order = await BuyOrder.get(id=order_id)
    quote = await Quote.get(id=order.quote_id)
    organization = await Organization.get(id=order.organization_id)
    acceptance = (
        await Acceptance.filter(quote_id=quote.id, withdrawn_at=None).order_by("-id").first()
    )
    rows = await BuyOrderLine.filter(buy_order_id=order_id).order_by("position")
    imeis = await imeis_by_line(quote.id)
    doc = ReceiptDoc(
        branding=branding(organization),
        order_number=order.number,
        quote_number=quote.number,
        currency_code=order.currency_code,
        created_at=order.created_at,
        customer_name=quote.contact_name or "",
        customer_email=quote.contact_email or "",
        lines=tuple(
            ReceiptLineDoc(
                description=" ".join(
                    p for p in (row.brand, row.model, row.storage, row.color) if p
                ),
                quantity=row.quantity,
                unit_price=row.unit_price,
                total=row.total,
                imeis=imeis.get(row.quote_line_id, ()),
            )
            for row in rows
        ),
        total=order.total,
        payout_method=order.payout_method.value,
        fulfillment=order.fulfillment.value,
        signer_name=acceptance.signer_name if acceptance else "",
        signed_at=acceptance.signed_at if acceptance else order.created_at,
        signature_hash=acceptance.signature_hash if acceptance else "",
        sealed_head=quote.last_hash,
        sealed_event_count=quote.event_count,
        seal_key_id=quote.seal_key_id or "",
    )
    return await rendered(render_receipt, doc)


async def label_pdf(order_id: int) -> bytes:
    """The built-in shipping label of a buy order; `DomainError` while the organization has no
    receiving address (a label without one would send the parcel nowhere)."""
    order = await BuyOrder.get(id=order_id)
    quote = await Quote.get(id=order.quote_id)
    organization = await Organization.get(id=order.organization_id)
    if not has_address(organization.receiving_address):
        raise no_address()
    rows = await BuyOrderLine.filter(buy_order_id=order_id).order_by("position")
    doc = LabelDoc(
        branding=branding(organization),
        order_number=order.number,
        from_name=quote.contact_name or "",
        from_email=quote.contact_email,
        receiving_address=organization.receiving_address or "",
        devices=tuple(f"{row.quantity} × {row.brand} {row.model}" for row in rows),
    )
    return await rendered(render_shipping_label, doc)


async def certificate_pdf(acceptance_id: int) -> bytes:
    """The certificate of completion of one acceptance (and of its withdrawal, if any)."""
    acceptance = await Acceptance.get(id=acceptance_id)
    rows = await load_rows(acceptance.quote_id)
    assert rows is not None
    quote = rows.quote
    organization = await Organization.get(id=quote.organization_id)
    signed = {event.id: event for event in rows.events}[acceptance.event_id]
    withdrawal = next(
        (
            event
            for event in rows.events
            if acceptance.id in ((event.payload.get("extra") or {}).get("withdrawnAcceptances") or [])
        ),
        None,
    )
    terms = acceptance.terms
    version = acceptance.consent_version
    doc = CertificateDoc(
        branding=branding(organization),
        quote_number=quote.number,
        quote_reference=quote_reference(quote.id),
        currency_code=quote.currency_code,
        signer_name=acceptance.signer_name,
        signer_email=acceptance.signer_email,
        signed_at=acceptance.signed_at,
        client_ip=acceptance.client_ip,
        user_agent=acceptance.user_agent,
        consent_version=version,
        consent_text=CONSENT_TEXTS.get(version) if version else None,
        consent_sha256=acceptance.consent_sha256,
        signature_hash=signed.hash,
        terms=tuple(
            TermDoc(
                position=int(line["position"]),
                device=str(line["device"]),
                quantity=int(line["quantity"]),
                agreed_price=Decimal(str(line["agreedPrice"])),
            )
            for line in terms.get("lines", [])
        ),
        total=Decimal(str(terms.get("total", "0"))),
        events=tuple(_event_doc(event, rows.messages) for event in rows.events),
        head_hash=quote.last_hash,
        event_count=quote.event_count,
        key_id=quote.seal_key_id,
        seal_signature=quote.seal_signature,
        keys_url=KEYS_PATH,
        withdrawn_at=acceptance.withdrawn_at,
        withdrawal_hash=withdrawal.hash if withdrawal else None,
    )
    return await rendered(render_certificate, doc)


def _event_doc(event: QuoteEvent, messages: dict[int, ThreadMessage]) -> EventDoc:
    part = event.payload.get("message") or {}
    message = messages.get(int(part.get("id") or 0))
    author = message.author_name if message and message.author_name else ""
    return EventDoc(
        seq=event.seq,
        at=event.created_at,
        kind=str(part.get("kind", "EVENT")),
        author=author or str(part.get("author", "")).lower(),
        hash=event.hash,
    )


async def _label_attachment(item: Mapping[str, Any]) -> tuple[str, str, bytes]:
    order = await BuyOrder.get(id=int(item["buy_order_id"]))
    try:
        pdf = await label_pdf(order.id)
    except DomainError as error:  # recorded on the outbox row, as any failure to render
        raise RenderError(f"shipping label of {order.number}: {error.message}") from None
    return f"shipping-label-{order.number}.pdf", "application/pdf", pdf


register_attachment_renderer("shipping_label", _label_attachment)


async def _certificate_attachment(item: Mapping[str, Any]) -> tuple[str, str, bytes]:
    acceptance_id = int(item["acceptance_id"])
    return (
        f"certificate-of-completion-{acceptance_id}.pdf",
        "application/pdf",
        await certificate_pdf(acceptance_id),
    )


register_attachment_renderer("certificate", _certificate_attachment)
