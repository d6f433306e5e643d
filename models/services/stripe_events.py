"""Stripe's webhook events, handled once per event id: a paid transfer or payout confirms the
payout settled with its id."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.payout import StripeEvent
from models.services.caller import Deps
from models.services.payouts import confirm_stripe_transfer

"Events that say money reached the customer, keyed by the object's id (the settle reference)."
PAID_EVENTS = frozenset({"transfer.paid", "payout.paid", "transfer.created"})


async def handle_event(deps: Deps, event: dict[str, Any]) -> str:
    """ "handled", "ignored" or "duplicate" (an event id seen before changes nothing)."""
    event_id = str(event["id"])
    event_type = str(event.get("type", ""))
    obj = (event.get("data") or {}).get("object") or {}
    if await StripeEvent.filter(event_id=event_id).exists():
        return "duplicate"
    payout = None
    if event_type in PAID_EVENTS and isinstance(obj, dict) and obj.get("id"):
        payout = await confirm_stripe_transfer(deps, str(obj["id"]))
    try:
        async with in_transaction():
            await StripeEvent.create(
                event_id=event_id,
                event_type=event_type[:100],
                payout_id=None if payout is None else payout.id,
                received_at=deps.clock(),
            )
    except IntegrityError:  # the same event delivered twice at once: the other one recorded it
        return "duplicate"
    return "handled" if payout is not None else "ignored"
