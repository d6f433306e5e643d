"""Row scope and row locks: which quotes a caller may see, and the quote locked for an action."""

from __future__ import annotations

from models import negotiation as rules
from models.errors import DomainError, ErrorCode
from models.quote import Quote, QuoteLine
from models.services.caller import Caller
from models.services.state import QuoteLike


def can_see(caller: Caller, quote: QuoteLike) -> bool:
    """Row-level scope: staff see their organization, a link its quote, a portal its email."""
    if caller.is_staff:
        return quote.organization_id == caller.organization_id
    if caller.quote_id is not None:
        return quote.id == caller.quote_id and quote.status is not rules.QuoteStatus.DRAFT
    if caller.customer_email is not None:
        return (
            quote.organization_id == caller.organization_id
            and quote.contact_email is not None
            and quote.contact_email.lower() == caller.customer_email.lower()
            and quote.status is not rules.QuoteStatus.DRAFT
        )
    return False


async def lock_quote(caller: Caller, quote_id: int, field: str = "quoteId") -> Quote:
    """The quote, row-locked until the transaction ends; NOT_FOUND if the caller may not see it."""
    return await find_quote(caller, quote_id, field, lock=True)


async def find_quote(
    caller: Caller, quote_id: int, field: str = "quoteId", *, lock: bool = False
) -> Quote:
    """The quote (row-locked with `lock`); NOT_FOUND if the caller may not see it."""
    caller.actor  # noqa: B018 - raises Unauthenticated for anonymous callers
    query = Quote.filter(id=quote_id)
    quote = await (query.select_for_update() if lock else query).first()
    if quote is None or not can_see(caller, quote):
        raise DomainError(ErrorCode.NOT_FOUND, "no such quote", ["input", field])
    return quote


async def quote_lines(quote: Quote) -> list[QuoteLine]:
    return await QuoteLine.filter(quote_id=quote.id).order_by("position")


def check_version(quote: Quote, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != quote.version:
        raise DomainError(
            ErrorCode.STALE_VERSION,
            f"the quote changed meanwhile (now version {quote.version})",
            ["input", "expectedVersion"],
        )
