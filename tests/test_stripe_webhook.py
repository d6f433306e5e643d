"""Stripe's webhook confirms a payout settled through Stripe: a valid event marks it PAID,
the same event again changes nothing, a wrong signature or a stale timestamp is refused.
Events are signed by the test with the app's endpoint secret; nothing leaves the machine."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import pytest

from models import stripe_signature
from models.payout import StripeEvent
from tests.after_flow import SETTLE, converted, order_of, staff_order
from tests.client import Api, Org
from tests.conftest import STRIPE_SECRET


def event(transfer_id: str, event_id: str | None = None, kind: str = "transfer.paid") -> bytes:
    body = {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": kind,
        "data": {"object": {"id": transfer_id, "object": "transfer", "amount": 110000}},
    }
    return json.dumps(body).encode()


async def deliver(api: Api, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await api.client.post("/webhooks/stripe", content=body, headers=headers)


def signed(body: bytes, at: int | None = None, secret: str = STRIPE_SECRET) -> str:
    return stripe_signature.header(secret, int(time.time()) if at is None else at, body)


async def settled_through_stripe(api: Api, org: Org) -> tuple[str, str, str]:
    quote_id, link = await converted(api, org, "STRIPE")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    transfer = f"tr_{secrets.token_hex(8)}"
    data = await api(
        SETTLE, {"input": {"payoutId": payout_id, "reference": transfer}}, org.owner_token
    )
    assert data["settlePayout"]["payout"]["status"] == "PROCESSING"
    return quote_id, link, transfer


async def test_a_valid_event_marks_the_payout_paid_once(api: Api, org: Org) -> None:
    quote_id, link, transfer = await settled_through_stripe(api, org)
    assert (await order_of(api, quote_id, link))["buyOrder"]["paymentStatus"] == "PENDING"
    body = event(transfer)
    response = await deliver(api, body, signed(body))
    assert response.status_code == 200
    assert response.json()["outcome"] == "handled"
    order = (await order_of(api, quote_id, link))["buyOrder"]
    assert (order["paymentStatus"], order["payout"]["paidAmount"]["amount"]) == ("PAID", "1100.00")
    # Stripe retries: the same event id is acknowledged and changes nothing
    replay = await deliver(api, body, signed(body))
    assert (replay.status_code, replay.json()["outcome"]) == (200, "duplicate")
    history = (await staff_order(api, quote_id, org.owner_token))["payout"]["history"]
    assert [h["action"] for h in history] == ["CREATED", "SETTLED", "CONFIRMED"]
    assert await StripeEvent.filter(event_id=json.loads(body)["id"]).count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=123",
        "v1=abc",
        "garbage",
    ],
)
async def test_a_missing_or_malformed_signature_is_refused(
    api: Api, org: Org, signature: str | None
) -> None:
    body = event("tr_nothing")
    response = await deliver(api, body, signature)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_SIGNATURE"


async def test_a_wrong_signature_changes_nothing(api: Api, org: Org) -> None:
    quote_id, link, transfer = await settled_through_stripe(api, org)
    body = event(transfer)
    response = await deliver(api, body, signed(body, secret="whsec_someone_else_" + "x" * 20))
    assert response.status_code == 400
    # the body changed after signing
    tampered = body.replace(b"110000", b"999999")
    response = await deliver(api, tampered, signed(body))
    assert response.status_code == 400
    assert (await order_of(api, quote_id, link))["buyOrder"]["payout"]["status"] == "PROCESSING"
    assert not await StripeEvent.filter(event_id=json.loads(body)["id"]).exists()


async def test_a_stale_timestamp_is_refused(api: Api, org: Org) -> None:
    quote_id, link, transfer = await settled_through_stripe(api, org)
    body = event(transfer)
    stale = int(time.time()) - stripe_signature.TOLERANCE_SECONDS - 60
    response = await deliver(api, body, signed(body, at=stale))
    assert response.status_code == 400
    assert "tolerance" in response.json()["error"]["message"]
    assert (await order_of(api, quote_id, link))["buyOrder"]["payout"]["status"] == "PROCESSING"
    # within the tolerance it is accepted
    response = await deliver(api, body, signed(body, at=int(time.time()) - 60))
    assert response.json()["outcome"] == "handled"


async def test_an_unrelated_event_is_acknowledged_and_ignored(api: Api) -> None:
    body = event("tr_unknown", kind="charge.succeeded")
    response = await deliver(api, body, signed(body))
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")


def test_several_v1_signatures_during_a_secret_rotation() -> None:
    body = b'{"id": "evt_1"}'
    now = int(time.time())
    header = f"t={now},v1={stripe_signature.sign('old', now, body)},v1={stripe_signature.sign('new', now, body)}"
    stripe_signature.verify("new", header, body, now)
    with pytest.raises(stripe_signature.SignatureRefused):
        stripe_signature.verify("other", header, body, now)


async def test_without_a_secret_the_endpoint_is_not_there(app: Any) -> None:
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Route

    from graphql_api.http.stripe_webhook import PATH, stripe_webhook_endpoint

    bare = Starlette(routes=[Route(PATH, stripe_webhook_endpoint(app.state.deps, None), methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://t") as client:
        body = event("tr_x")
        response = await client.post(PATH, content=body, headers={"Stripe-Signature": signed(body)})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_CONFIGURED")
