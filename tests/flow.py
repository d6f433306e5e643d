"""Steps of the customer flow that many tests share."""

from __future__ import annotations

from typing import Any

from tests import documents as doc
from tests.client import Api, Org

PHONE = {
    "type": "PHONE",
    "brand": "Apple",
    "model": "iPhone 14 Pro",
    "storage": "256 GB",
    "color": "Deep Purple",
    "condition": "GOOD",
    "conditionAnswers": [{"question": "screen", "answer": "Light scratches"}],
    "carrierLock": "UNLOCKED",
    "quantity": 1,
    "askingPrice": "650.00",
    "imeis": ["490154203237518"],
}
TABLET = {
    "type": "TABLET",
    "brand": "Apple",
    "model": "iPad Air (5th gen)",
    "condition": "LIKE_NEW",
    "quantity": 2,
    "askingPrice": "300",
}
CONTACT = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "phone": "+48 601 234 567"}


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def request_link(api: Api, org: Org, **extra: Any) -> tuple[str, str]:
    """(quote id, link token) of a fresh quote request."""
    data = await api(
        doc.CREATE_REQUEST,
        {"input": {"customerName": "Zoë", "customerEmail": "zoe@example.com", **extra}},
        org.owner_token,
    )
    payload = data["createQuoteRequest"]
    assert payload["userErrors"] == []
    return payload["quote"]["id"], token_of(payload["url"])


async def submitted(
    api: Api, org: Org, devices: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], str]:
    """(quote, link token) of a quote the customer submitted."""
    quote_id, link = await request_link(api, org)
    data = await api(
        doc.SUBMIT,
        {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": devices or [PHONE, TABLET]}},
        link,
    )
    payload = data["submitQuote"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["quote"], link


async def respond(
    api: Api, token: str, quote: dict[str, Any], answers: list[tuple[str, str | None]], **extra: Any
) -> dict[str, Any]:
    """One round: (action, price) for each line of `quote` in order."""
    lines = [
        {"lineId": line["id"], "action": action, **({"price": price} if price else {})}
        for line, (action, price) in zip(quote["lines"], answers, strict=True)
    ]
    data = await api(doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": lines, **extra}}, token)
    return data["counterOffer"]


async def accepted(api: Api, org: Org) -> tuple[dict[str, Any], str]:
    """(quote, link token) of a quote the customer accepted at the merchant's offers."""
    quote, link = await submitted(api, org)
    payload = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
    assert payload["userErrors"] == []
    data = await api(
        doc.ACCEPT_ALL,
        {
            "input": {
                "quoteId": quote["id"],
                "signature": {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True},
            }
        },
        link,
    )
    assert data["acceptAllRemaining"]["userErrors"] == []
    return data["acceptAllRemaining"]["quote"], link
