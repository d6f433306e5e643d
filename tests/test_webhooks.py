"""Webhooks against a real HTTP receiver on loopback: every event arrives, verifies with the
`standardwebhooks` package (HMAC) and with the server's published Ed25519 key, in order per
quote; a receiver that is down gets every event once it is back, once each; a slow receiver
does not slow the API; production settings refuse private addresses."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from graphql_api.ids import decode_id
from graphql_api.mail.layout import Branding
from graphql_api.mail.templates import render_email
from graphql_api.settings import Settings
from graphql_api.webhooks.sender import RetryPolicy, WebhookSender
from models.organization import Organization
from models.outbox import OutboxEmail
from models.partners import DeliveryStatus, WebhookDelivery
from models.quote import Quote
from models.sealing import from_b64url
from models.services.lifecycle import expire_due_quotes
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import accepted, respond, submitted

FAST = RetryPolicy(base_delay=0.05, max_delay=0.2, jitter=0.0, timeout=5.0)
CREATE_ENDPOINT = """
mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    endpoint { id url events enabled } secret publicKey userErrors { code field message }
  }
}
"""
DELIVERIES = """
query Deliveries($id: ID!) {
  webhookDeliveries(endpointId: $id) {
    id eventId eventType status attemptCount attempts { statusCode error responseExcerpt }
  }
}
"""
REDELIVER = """
mutation Redeliver($input: RedeliverWebhookInput!) {
  redeliverWebhook(input: $input) { delivery { id eventId status } userErrors { code } }
}
"""
PING = """
mutation Ping($input: WebhookEndpointInput!) {
  sendWebhookPing(input: $input) { delivery { eventType status } userErrors { code } }
}
"""
SIGNATURE = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}


@dataclass
class Receiver:
    """What a partner's server saw: each request's headers and body."""

    port: int
    delay: float = 0.0
    received: list[tuple[dict[str, str], str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    """A real HTTP server on the receiver's loopback port, answering 204 to each webhook."""

    async def hook(request: Request) -> PlainTextResponse:
        body = (await request.body()).decode()
        receiver.received.append((dict(request.headers), body))
        if receiver.delay:
            await asyncio.sleep(receiver.delay)
        return PlainTextResponse("ok", status_code=200)

    app = Starlette(routes=[Route("/hooks", hook, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=receiver.port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


async def endpoint(api: Api, org: Org, url: str) -> tuple[str, str]:
    """(endpoint id, secret) of a new endpoint for every event type."""
    data = await api(CREATE_ENDPOINT, {"input": {"url": url}}, org.owner_token)
    payload = data["createWebhookEndpoint"]
    assert payload["userErrors"] == [] and payload["secret"].startswith("whsec_")
    assert payload["publicKey"].startswith("whpk_")
    return payload["endpoint"]["id"], payload["secret"]


def sender(app: Any, settings: Settings | None = None) -> WebhookSender:
    return WebhookSender(settings or app.state.settings, app.state.deps.keys, policy=FAST)


async def drain(webhooks: WebhookSender, org: Org, seconds: float = 15.0) -> None:
    """Run the sender until nothing of the organization's is pending any more."""
    deadline = time.monotonic() + seconds
    pending = WebhookDelivery.filter(status=DeliveryStatus.PENDING, endpoint__organization_id=org.id)
    while await pending.exists():
        assert time.monotonic() < deadline, "deliveries still pending"
        await webhooks.run_once(100)
        await asyncio.sleep(0.05)


async def published_keys(api: Api) -> list[Ed25519PublicKey]:
    jwks = (await api.client.get("/.well-known/tradequote-keys.json")).json()
    return [Ed25519PublicKey.from_public_bytes(from_b64url(key["x"])) for key in jwks["keys"]]


def ed25519_verifies(keys: list[Ed25519PublicKey], headers: dict[str, str], body: str) -> bool:
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    for part in headers["webhook-signature"].split(" "):
        version, _, signature = part.partition(",")
        if version == "v1a":
            for key in keys:
                try:
                    key.verify(base64.b64decode(signature), content)
                    return True
                except Exception:
                    continue
    return False


async def test_every_event_arrives_signed_and_in_order_per_quote(app: Any, api: Api, org: Org) -> None:
    async with receiving(Receiver(free_port())) as receiver:
        _, secret = await endpoint(api, org, receiver.url)
        # quote A: submitted, countered, message, accepted, withdrawn, rejected
        a, link_a = await submitted(api, org)
        assert (await respond(api, org.owner_token, a, [("COUNTER", "600"), ("COUNTER", "250")]))["userErrors"] == []
        await api(doc.SEND_MESSAGE, {"input": {"quoteId": a["id"], "body": "Shipping label attached"}}, org.owner_token)
        await api(doc.ACCEPT_ALL, {"input": {"quoteId": a["id"], "signature": SIGNATURE}}, link_a)
        await api(doc.WITHDRAW, {"input": {"quoteId": a["id"]}}, link_a)
        await api(doc.REJECT_ALL, {"input": {"quoteId": a["id"]}}, link_a)
        # quote B: converted; quote C: canceled
        b, _ = await accepted(api, org)
        convert = {"quoteId": b["id"], "payoutMethod": "CHECK", "fulfillment": "PICKUP"}
        assert (await api(doc.CONVERT, {"input": convert}, org.owner_token))["convertToBuyOrder"]["userErrors"] == []
        c, _ = await submitted(api, org)
        await api(doc.CANCEL, {"input": {"quoteId": c["id"]}}, org.owner_token)

        await drain(sender(app), org)

    keys = await published_keys(api)
    verifier = Webhook(secret)
    by_quote: dict[str, list[dict[str, Any]]] = {}
    for headers, body in receiver.received:
        event = verifier.verify(body, headers)  # raises unless the HMAC signature matches
        assert ed25519_verifies(keys, headers, body)
        assert headers["webhook-id"] == event["id"] and event["id"].startswith("evt_")
        assert event["organization"]["id"] and event["timestamp"].endswith("Z")
        by_quote.setdefault(event["data"]["quote"]["id"], []).append(event)
    types = {quote: [e["type"] for e in events] for quote, events in by_quote.items()}
    # a quote request opens its thread with a message: the first event of each quote
    assert types[a["id"]] == [
        "message.posted", "quote.submitted", "quote.countered", "message.posted", "quote.accepted",
        "quote.withdrawn", "quote.rejected",
    ]
    assert types[b["id"]] == [
        "message.posted", "quote.submitted", "quote.countered", "quote.accepted", "quote.converted",
    ]
    assert types[c["id"]] == ["message.posted", "quote.submitted", "quote.canceled"]
    for events in by_quote.values():
        sequences = [e["data"]["quote"]["sequence"] for e in events]
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    accepted_event = by_quote[a["id"]][4]["data"]
    assert accepted_event["quote"]["status"] == "ACCEPTED"
    assert accepted_event["message"]["author"] == "CUSTOMER"
    assert by_quote[a["id"]][3]["data"]["message"]["body"] == "Shipping label attached"
    assert len({e["id"] for events in by_quote.values() for e in events}) == len(receiver.received)


async def test_a_receiver_that_is_down_gets_every_event_once_it_is_back(app: Any, api: Api, org: Org) -> None:
    receiver = Receiver(free_port())  # nothing listens there yet
    endpoint_id, secret = await endpoint(api, org, receiver.url)
    quote, _ = await submitted(api, org)
    await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
    webhooks = sender(app)
    await webhooks.run_once()
    await asyncio.sleep(0.1)
    await webhooks.run_once()
    log = (await api(DELIVERIES, {"id": endpoint_id}, org.owner_token))["webhookDeliveries"]
    assert [d["status"] for d in log] == ["PENDING", "PENDING", "PENDING"]
    metrics = (await api.client.get("/metrics")).text
    waiting = next(line for line in metrics.splitlines() if line.startswith("tradequote_webhook_pending_deliveries "))
    assert float(waiting.split()[1]) >= 3
    first = log[-1]
    assert first["attemptCount"] == 2 and all(a["error"] and a["statusCode"] is None for a in first["attempts"])
    # the later events wait behind the first: order per quote
    assert [d["attemptCount"] for d in log[:2]] == [0, 0]

    async with receiving(receiver):
        await drain(webhooks, org)
        await webhooks.run_once()
    events = receiver.bodies()
    assert [e["type"] for e in events] == ["message.posted", "quote.submitted", "quote.countered"]
    assert all(Webhook(secret).verify(body, headers) for headers, body in receiver.received)
    log = (await api(DELIVERIES, {"id": endpoint_id}, org.owner_token))["webhookDeliveries"]
    assert [d["status"] for d in log] == ["DELIVERED"] * 3
    assert log[-1]["attempts"][-1]["statusCode"] == 200
    assert log[-1]["attempts"][-1]["responseExcerpt"] == "ok"

    # redelivery sends the same event again (same webhook-id); a ping reaches the endpoint too
    again = await api(REDELIVER, {"input": {"id": log[-1]["id"]}}, org.owner_token)
    assert again["redeliverWebhook"]["userErrors"] == []
    assert again["redeliverWebhook"]["delivery"]["eventId"] == log[-1]["eventId"]
    ping = await api(PING, {"input": {"id": endpoint_id}}, org.owner_token)
    assert ping["sendWebhookPing"]["delivery"] == {"eventType": "PING", "status": "PENDING"}
    async with receiving(receiver):
        await drain(webhooks, org)
    assert [e["type"] for e in receiver.bodies()[3:]] == ["message.posted", "webhook.ping"]
    assert receiver.bodies()[3]["id"] == events[0]["id"]


async def test_a_slow_receiver_does_not_slow_the_api(app: Any, api: Api, org: Org) -> None:
    async with receiving(Receiver(free_port(), delay=3.0)) as receiver:
        await endpoint(api, org, receiver.url)
        quote, _ = await submitted(api, org)
        stop = asyncio.Event()
        running = asyncio.create_task(sender(app).run_forever(stop, interval=0.05))
        try:
            deadline = time.monotonic() + 10
            while not receiver.received:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            # the receiver is holding the sender's request: the API answers as usual
            for n in range(5):
                started = time.monotonic()
                await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": f"note {n}"}}, org.owner_token)
                assert time.monotonic() - started < 1.0
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
    # what the slow receiver was still owed goes nowhere now
    await WebhookDelivery.filter(endpoint__organization_id=org.id).delete()


async def test_production_refuses_private_addresses(app: Any, api: Api, org: Org) -> None:
    production = Settings.from_env(
        {"TRADEQUOTE_ENV": "production", "TRADEQUOTE_SECRET_KEY": secrets.token_urlsafe(40)}
    )
    assert production.webhook_allow_private is False
    assert Settings.from_env({"TRADEQUOTE_SECRET_KEY": "d" * 40}).webhook_allow_private is True

    from models.services.webhook_urls import UnsafeUrl, check_url

    for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/", "http://169.254.169.254/latest",
                "http://[::1]/", "http://localhost/", "http://192.168.0.10/", "http://[::ffff:127.0.0.1]/"):  # fmt: skip
        with pytest.raises(UnsafeUrl):
            await check_url(url, allow_private=False)
    for url in ("ftp://example.com/", "http://user:pw@example.com/", "file:///etc/passwd"):
        with pytest.raises(UnsafeUrl):
            await check_url(url, allow_private=True)
    await check_url("https://93.184.215.14/hooks", allow_private=False)

    # registered while allowed, refused at delivery once the setting says otherwise
    async with receiving(Receiver(free_port())) as receiver:
        endpoint_id, _ = await endpoint(api, org, receiver.url)
        await submitted(api, org)
        strict = Settings(database_url=app.state.settings.database_url, secret_key="s" * 40, webhook_allow_private=False)
        await sender(app, strict).run_once()
    assert receiver.received == []
    log = (await api(DELIVERIES, {"id": endpoint_id}, org.owner_token))["webhookDeliveries"]
    assert "private" in log[-1]["attempts"][0]["error"]


UPDATE_ENDPOINT = """
mutation Update($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) { endpoint { enabled disabledReason } userErrors { code } }
}
"""
ENDPOINTS = "query { webhookEndpoints { id enabled disabledReason events } }"
NOTIFICATIONS = "query { notifications(first: 5) { edges { node { kind message quote { id } } } } }"


async def test_expiry_is_an_event_too(app: Any, api: Api, org: Org) -> None:
    async with receiving(Receiver(free_port())) as receiver:
        await endpoint(api, org, receiver.url)
        quote, _ = await submitted(api, org)
        now = datetime.now(UTC)
        await Quote.filter(id=decode_id(quote["id"], "Quote")).update(expires_at=now - timedelta(minutes=1))
        assert await expire_due_quotes(app.state.deps, now=now) >= 1
        await drain(sender(app), org)
    expired = receiver.bodies()[-1]
    assert expired["type"] == "quote.expired"
    assert expired["data"]["quote"] == {**expired["data"]["quote"], "id": quote["id"], "status": "EXPIRED"}
    assert expired["data"]["message"]["author"] == "SYSTEM"


async def test_an_endpoint_failing_for_a_day_is_disabled_its_owners_told_and_nothing_lost(
    app: Any, api: Api, org: Org
) -> None:
    receiver = Receiver(free_port())  # nothing listens
    endpoint_id, secret = await endpoint(api, org, receiver.url)
    quote, _ = await submitted(api, org)
    give_up = WebhookSender(
        app.state.settings, app.state.deps.keys, policy=replace(FAST, max_attempts=2)
    )
    for _ in range(3):
        await give_up.run_once()
        await asyncio.sleep(0.25)
    (listed,) = [e for e in (await api(ENDPOINTS, token=org.owner_token))["webhookEndpoints"] if e["id"] == endpoint_id]
    assert listed["enabled"] is False and "failed for a day" in listed["disabledReason"]
    log = (await api(DELIVERIES, {"id": endpoint_id}, org.owner_token))["webhookDeliveries"]
    assert [d["status"] for d in log] == ["PENDING", "FAILED"]  # the next one waits, not lost
    email = await OutboxEmail.get(organization_id=org.id, template="staff_webhook_disabled")
    organization = await Organization.get(id=org.id)
    rendered = render_email(email.template, email.context, Branding.of(organization, organization.name))
    assert receiver.url in rendered.text and "disabled" in rendered.subject
    notices = (await api(NOTIFICATIONS, token=org.owner_token))["notifications"]["edges"]
    assert [n["node"]["kind"] for n in notices][:1] == ["WEBHOOK_DISABLED"]
    assert receiver.url in notices[0]["node"]["message"] and notices[0]["node"]["quote"] is None

    enabled = await api(UPDATE_ENDPOINT, {"input": {"id": endpoint_id, "enabled": True}}, org.owner_token)
    assert enabled["updateWebhookEndpoint"]["endpoint"] == {"enabled": True, "disabledReason": None}
    again = await api(REDELIVER, {"input": {"id": log[-1]["id"]}}, org.owner_token)
    assert again["redeliverWebhook"]["userErrors"] == []
    async with receiving(receiver):
        await drain(sender(app), org)
    assert sorted(e["type"] for e in receiver.bodies()) == ["message.posted", "quote.submitted"]
    assert all(Webhook(secret).verify(body, headers) for headers, body in receiver.received)


async def test_the_delivery_log_takes_the_same_statements_for_few_and_many(app: Any, api: Api, org: Org) -> None:
    from tests.test_thread_view import count_statements

    endpoint_id, _ = await endpoint(api, org, f"http://127.0.0.1:{free_port()}/hooks")
    await submitted(api, org)
    with count_statements() as few:
        small = (await api(DELIVERIES, {"id": endpoint_id}, org.owner_token))["webhookDeliveries"]
    for _ in range(3):
        await submitted(api, org)
    await sender(app).run_once()
    with count_statements() as many:
        large = (await api(DELIVERIES, {"id": endpoint_id}, org.owner_token))["webhookDeliveries"]
    assert len(small) == 2 and len(large) == 8
    assert len(few.statements) == len(many.statements) <= 8, many.statements
    await WebhookDelivery.filter(endpoint__organization_id=org.id).delete()
