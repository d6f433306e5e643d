"""The rule state of rows and read records, and writing an outcome's line state back to the rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from models import negotiation as rules
from models.quote import QuoteLine


class LineLike(Protocol):
    """A line as a row or as a read record: what the rules need of it."""

    id: int
    status: rules.LineStatus
    awaiting: rules.Party | None
    customer_price: Decimal | None
    merchant_offer: Decimal | None
    agreed_price: Decimal | None
    accepted_by: rules.Party | None


class QuoteLike(Protocol):
    """A quote as a row or as a read record: what the rules and the row scope need of it."""

    id: int
    organization_id: int
    status: rules.QuoteStatus
    source: rules.QuoteSource
    contact_email: str | None
    expires_at: datetime | None
    recallable: bool


def line_state(line: LineLike) -> rules.Line:
    return rules.Line(
        id=line.id,
        status=line.status,
        awaiting=line.awaiting,
        customer_price=line.customer_price,
        merchant_offer=line.merchant_offer,
        agreed_price=line.agreed_price,
        accepted_by=line.accepted_by,
    )


def quote_state(quote: QuoteLike, lines: Sequence[LineLike]) -> rules.QuoteState:
    return rules.QuoteState(
        status=quote.status,
        source=quote.source,
        lines=tuple(line_state(line) for line in lines),
        expires_at=quote.expires_at,
        recallable=quote.recallable,
    )


async def save_lines(lines: Sequence[QuoteLine], outcome: rules.Outcome) -> None:
    """Write the lines whose rule state changed."""
    after = {line.id: line for line in outcome.lines}
    for row in lines:
        new = after[row.id]
        if new == line_state(row):
            continue
        row.status = new.status
        row.awaiting = new.awaiting
        row.customer_price = new.customer_price
        row.merchant_offer = new.merchant_offer
        row.agreed_price = new.agreed_price
        row.accepted_by = new.accepted_by
        await row.save(
            update_fields=[
                "status",
                "awaiting",
                "customer_price",
                "merchant_offer",
                "agreed_price",
                "accepted_by",
            ]
        )
