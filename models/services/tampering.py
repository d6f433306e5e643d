"""Records that no longer match what was signed: the refusal, and telling the owners."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from models.errors import DomainError, ErrorCode
from models.quote import Quote
from models.services.caller import Deps
from models.services.notifications import NotificationKind, notify_staff
from models.services.unit_of_work import unit_of_work, utcnow

log = logging.getLogger(__name__)


class Tampered(DomainError):
    """The quote's records were altered after signing: nothing may be built on them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(
            ErrorCode.TAMPERED,
            "the quote's records no longer match what was signed: " + "; ".join(problems),
            ["input", "quoteId"],
        )
        self.problems = list(problems)


async def report_tampering(deps: Deps, quote_id: int, problems: Sequence[str]) -> None:
    """One log line, an in-app notification and an email to the owners, in a transaction of
    its own (the refused action's rolls back)."""
    log.warning("quote %s: altered records, conversion refused: %s", quote_id, "; ".join(problems))
    async with unit_of_work(deps) as pending:
        quote = await Quote.get_or_none(id=quote_id)
        if quote is not None:
            await notify_staff(
                pending,
                quote,
                NotificationKind.QUOTE_TAMPERED,
                utcnow(),
                problems="; ".join(problems)[:1000],
            )
