"""The certificate of completion of an acceptance: who signed, when, from where, the consent
text, the terms, the negotiation's timeline with every event hash, the withdrawal if there was
one, and the sealed chain head with its key id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from graphql_api.pdf.canvas import MUTED, BrandedPdf, money, text
from graphql_api.pdf.documents import BrandingDoc
from graphql_api.pdf.render import _fitted_line
from graphql_api.pdf.table import Column, draw_table

ERASED = "(erased)"
TERMS_COLUMNS = (
    Column("#", 8, "R"),
    Column("Device", 92),
    Column("Qty", 14, "R"),
    Column("Agreed price", 33, "R"),
    Column("Line total", 33, "R"),
)
TIMELINE_COLUMNS = (Column("#", 8, "R"), Column("When, what, who, and the event's hash", 172))


@dataclass(frozen=True)
class TermDoc:
    position: int
    device: str
    quantity: int
    agreed_price: Decimal


@dataclass(frozen=True)
class EventDoc:
    """One link of the chain: its number, time, what happened, who did it, its hash."""

    seq: int
    at: datetime
    kind: str
    author: str
    hash: str


@dataclass(frozen=True)
class CertificateDoc:
    """Personal values are None once erased (printed as such: their salted hashes still hold)."""

    branding: BrandingDoc
    quote_number: str
    quote_reference: str
    currency_code: str
    signer_name: str | None
    signer_email: str | None
    signed_at: datetime
    client_ip: str | None
    user_agent: str | None
    consent_version: str | None
    consent_text: str | None
    consent_sha256: str | None
    signature_hash: str
    terms: tuple[TermDoc, ...]
    total: Decimal
    events: tuple[EventDoc, ...]
    head_hash: str
    event_count: int
    key_id: str | None
    seal_signature: str | None
    keys_url: str
    withdrawn_at: datetime | None = None
    withdrawal_hash: str | None = None


def instant(moment: datetime) -> str:
    """`2026-11-27 07:03:12 UTC`: to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _hash_line(pdf: BrandedPdf, name: str, value: str | None) -> None:
    pdf.style(9, color=MUTED)
    pdf.cell(0, 5, text(name), new_x="LMARGIN", new_y="NEXT")
    _fitted_line(pdf, value or "—", largest=9, smallest=5.5)


def _person(value: str | None) -> str:
    return ERASED if value is None else value


def render_certificate(doc: CertificateDoc) -> bytes:
    pdf = BrandedPdf(doc.branding, f"Certificate of completion {doc.quote_number}")
    pdf.add_page()
    pdf.style(18, bold=True)
    pdf.cell(0, 10, "Certificate of completion", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.field("Quote", f"{doc.quote_number} ({doc.quote_reference})")
    pdf.field("Status", "Withdrawn" if doc.withdrawn_at else "Signed")
    pdf.ln(3)
    pdf.heading("Signature")
    pdf.field("Signed by", _person(doc.signer_name))
    pdf.field("Email", _person(doc.signer_email))
    pdf.field("Signed at", instant(doc.signed_at))
    pdf.field("Client IP", _person(doc.client_ip))
    pdf.field("User agent", _person(doc.user_agent))
    pdf.field("Consent", f"version {doc.consent_version}" if doc.consent_version else "given")
    _hash_line(pdf, "Consent text SHA-256", doc.consent_sha256)
    _hash_line(pdf, "Signature hash", doc.signature_hash)
    if doc.consent_text:
        pdf.style(9, color=MUTED)
        pdf.multi_cell(0, 4.5, text(f"“{doc.consent_text}”"), new_x="LMARGIN", new_y="NEXT")
    if doc.withdrawn_at is not None:
        pdf.ln(3)
        pdf.heading("Withdrawal")
        pdf.field("Withdrawn at", instant(doc.withdrawn_at))
        _hash_line(pdf, "Withdrawal event hash", doc.withdrawal_hash)
    pdf.ln(4)
    draw_table(
        pdf,
        TERMS_COLUMNS,
        (
            (
                str(term.position),
                text(term.device),
                str(term.quantity),
                money(term.agreed_price, doc.currency_code),
                money(term.agreed_price * term.quantity, doc.currency_code),
            )
            for term in doc.terms
        ),
        title="Terms signed",
    )
    pdf.style(10, bold=True)
    pdf.cell(0, 7, f"Total {money(doc.total, doc.currency_code)}", align="R")
    pdf.ln(9)
    _timeline(pdf, doc.events)
    pdf.ln(4)
    pdf.keep_together(62)
    pdf.heading("Sealed chain head")
    pdf.field("Events", str(doc.event_count))
    pdf.field("Key id", doc.key_id or "—")
    _hash_line(pdf, "Head hash", doc.head_hash)
    _hash_line(pdf, "Ed25519 seal", doc.seal_signature)
    pdf.ln(2)
    pdf.style(8, color=MUTED)
    pdf.multi_cell(
        0,
        4,
        "Each event's hash is SHA-256 of the previous hash and the event's canonical JSON; the "
        "server's Ed25519 key seals the last one. Check this record with the public keys at "
        f"{doc.keys_url} (the verifySignature query, or offline as the README shows).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return pdf.finish()


def _timeline(pdf: BrandedPdf, events: Sequence[EventDoc]) -> None:
    """Every event on two lines (when, what, who; then its full hash), drawn as a table: the
    fast path for a long negotiation."""
    draw_table(
        pdf,
        TIMELINE_COLUMNS,
        (
            (
                str(event.seq),
                text(
                    f"{instant(event.at)}  {event.kind.replace('_', ' ').lower()}"
                    + (f" by {event.author}" if event.author else "")
                )
                + f"\n{event.hash}",
            )
            for event in events
        ),
        title=f"Timeline of the negotiation ({len(events)} events)",
    )
