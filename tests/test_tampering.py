"""Edits made directly in the database behind a signed, accepted quote: each one turns
`acceptance.valid` false and makes `convertToBuyOrder` refuse with TAMPERED (and tell the
owners), while the untouched quote converts at the signed terms."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from graphql_api.ids import decode_id
from models import chain
from models.notification import Notification, NotificationKind
from models.outbox import OutboxEmail
from models.quote import Acceptance, LineChange, Quote, QuoteEvent, QuoteLine, ThreadMessage
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import accepted, respond, submitted

STATE = "query($id: ID!) { quote(id: $id) { status acceptance { valid signatureHash } } }"


async def _state(api: Api, org: Org, quote_id: str) -> dict[str, Any]:
    return (await api(STATE, {"id": quote_id}, org.owner_token))["quote"]


async def _convert(api: Api, org: Org, quote_id: str) -> dict[str, Any]:
    data = await api(
        doc.CONVERT,
        {"input": {"quoteId": quote_id, "payoutMethod": "CHECK", "fulfillment": "SHIP"}},
        org.owner_token,
    )
    return data["convertToBuyOrder"]


async def _agreed_price_to_one(pk: int) -> None:
    line = await QuoteLine.filter(quote_id=pk, position=1).first()
    assert line is not None
    await QuoteLine.filter(id=line.id).update(agreed_price=Decimal(1))


async def _quantity_to_999(pk: int) -> None:
    await QuoteLine.filter(quote_id=pk, position=2).update(quantity=999)


async def _acceptance_deleted(pk: int) -> None:
    await Acceptance.filter(quote_id=pk).delete()


async def _tail_truncated(pk: int) -> None:
    """The last event and its message gone, the head, count and version rolled back."""
    quote = await Quote.get(id=pk)
    last = await QuoteEvent.get(quote_id=pk, seq=quote.event_count)
    await ThreadMessage.filter(id=last.payload["message"]["id"]).delete()
    await QuoteEvent.filter(id=last.id).delete()
    await Quote.filter(id=pk).update(
        last_hash=last.prev_hash, event_count=quote.event_count - 1, version=quote.version - 1
    )


async def _chain_recomputed(pk: int) -> None:
    """The merchant's first offer rewritten everywhere, and every hash after it recomputed."""
    change = await LineChange.filter(quote_id=pk).order_by("id").first()
    assert change is not None
    await LineChange.filter(id=change.id).update(price=Decimal(1))
    previous = chain.GENESIS
    for event in await QuoteEvent.filter(quote_id=pk).order_by("seq"):
        payload = dict(event.payload)
        payload["lineChanges"] = [
            {**part, "price": "1"} if part["id"] == change.id else part
            for part in payload.get("lineChanges", [])
        ]
        new_hash = chain.link(previous, payload)
        await QuoteEvent.filter(id=event.id).update(
            payload=payload, prev_hash=previous, hash=new_hash
        )
        await Acceptance.filter(event_id=event.id).update(signature_hash=new_hash)
        previous = new_hash
    await Quote.filter(id=pk).update(last_hash=previous)


TAMPERINGS: dict[str, Callable[[int], Awaitable[None]]] = {
    "agreed price set to 1": _agreed_price_to_one,
    "quantity set to 999": _quantity_to_999,
    "acceptance deleted": _acceptance_deleted,
    "tail truncated, head rolled back": _tail_truncated,
    "chain recomputed": _chain_recomputed,
}


async def test_the_untouched_quote_converts_at_the_signed_terms(api: Api, org: Org) -> None:
    quote, _ = await accepted(api, org)
    assert (await _state(api, org, quote["id"]))["acceptance"]["valid"] is True
    payload = await _convert(api, org, quote["id"])
    assert payload["userErrors"] == []
    assert payload["quote"]["status"] == "CONVERTED"
    order = payload["buyOrder"]
    assert order["total"]["amount"] == "1100.00"  # 600 × 1 + 250 × 2, as signed
    assert [line["unitPrice"]["amount"] for line in order["lines"]] == ["600.00", "250.00"]
    assert (await _state(api, org, quote["id"]))["acceptance"]["valid"] is True


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
async def test_each_tampering_is_detected_and_refuses_conversion(
    api: Api, org: Org, tampering: str, caplog: pytest.LogCaptureFixture
) -> None:
    quote, _ = await accepted(api, org)
    pk = decode_id(quote["id"], "Quote")
    assert pk is not None
    await TAMPERINGS[tampering](pk)

    state = await _state(api, org, quote["id"])
    assert state["acceptance"] is None or state["acceptance"]["valid"] is False

    with caplog.at_level(logging.INFO):
        payload = await _convert(api, org, quote["id"])
    assert [e["code"] for e in payload["userErrors"]] == ["TAMPERED"]
    assert payload["buyOrder"] is None
    assert (await Quote.get(id=pk)).status.value == "ACCEPTED"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None  # one line, no traceback
    assert "conversion refused" in warnings[0].getMessage()

    # the owners hear of it, although the conversion itself rolled back
    notices = await Notification.filter(quote_id=pk, kind=NotificationKind.QUOTE_TAMPERED)
    assert len(notices) == 1
    mails = await OutboxEmail.filter(organization_id=org.id, template="staff_quote_tampered")
    assert [m.to_address for m in mails] == [f"owner@{org.slug}.test"]


async def _accepted_in_rounds(api: Api, org: Org) -> str:
    """A quote the customer accepted line by line in a counter-offer round: no typed signature,
    the chained line state is the agreement."""
    quote, link = await submitted(api, org)
    offer = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
    assert offer["userErrors"] == []
    answer = await respond(api, link, quote, [("ACCEPT", None), ("ACCEPT", None)])
    assert answer["userErrors"] == [] and answer["quote"]["status"] == "ACCEPTED"
    return str(quote["id"])


async def test_a_quote_accepted_in_rounds_pays_its_chained_line_state(api: Api, org: Org) -> None:
    untouched = await _accepted_in_rounds(api, org)
    payload = await _convert(api, org, untouched)
    assert payload["userErrors"] == []
    assert payload["buyOrder"]["total"]["amount"] == "1100.00"

    edited = await _accepted_in_rounds(api, org)
    pk = decode_id(edited, "Quote")
    assert pk is not None
    await _agreed_price_to_one(pk)
    payload = await _convert(api, org, edited)
    assert [e["code"] for e in payload["userErrors"]] == ["TAMPERED"]
