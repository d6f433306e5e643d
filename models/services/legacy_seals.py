"""Quotes chained before heads were sealed: their heads get sealed once, if their chain still
recomputes. A chain that no longer does is left unsealed, and reads invalid."""

from __future__ import annotations

import logging
from typing import cast

from tortoise.transactions import in_transaction

from models.quote import Quote
from models.sealing import Keyring
from models.services.verification import load_rows, problems_of

log = logging.getLogger(__name__)


async def seal_unsealed_heads(keys: Keyring, batch: int = 500) -> tuple[int, int]:
    """(sealed, left unsealed) over every quote with events and no seal. Safe on several
    replicas at once: each quote is locked and re-read."""
    sealed = refused = 0
    after = 0
    while True:
        ids = cast(
            list[int],
            await Quote.filter(seal_signature__isnull=True, event_count__gt=0, id__gt=after)
            .order_by("id")
            .limit(batch)
            .values_list("id", flat=True),
        )
        if not ids:
            break
        after = ids[-1]
        for quote_id in ids:
            async with in_transaction():
                quote = await Quote.filter(id=quote_id).select_for_update().first()
                if quote is None or quote.seal_signature is not None:
                    continue
                rows = await load_rows(quote_id)
                assert rows is not None
                rows.quote.seal_key_id, rows.quote.seal_signature = keys.seal(
                    quote_id, rows.quote.event_count, rows.quote.last_hash
                )
                problems = problems_of(rows, keys)
                if problems:
                    refused += 1
                    log.warning("quote %s left unsealed: %s", quote_id, "; ".join(problems))
                    continue
                await rows.quote.save(update_fields=["seal_key_id", "seal_signature"])
                sealed += 1
    if sealed or refused:
        log.info("sealed %d chain heads written before sealing; %d left unsealed", sealed, refused)
    return sealed, refused
