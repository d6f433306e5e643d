"""A SHIP conversion with a carrier-label service configured: the service (a real HTTP server on
127.0.0.1) makes the inbound label before the conversion's transaction; the buy order keeps its
carrier, tracking number and URL, shown to staff and to the customer's link; the email links
the label instead of attaching the built-in PDF. A failing service refuses the conversion and
changes nothing; a retry with the same key never makes a second label."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from graphql_api.mail.sender import OutboxSender
from models.buy_order import BuyOrder
from models.organization import Organization
from models.outbox import OutboxEmail
from models.quote import IdempotencyRecord, Quote
from models.services.labels import ShipEngineLabels
from tests import documents as doc
from tests.client import RECEIVING_ADDRESS, Api, Org, make_org
from tests.flow import accepted
from tests.mailcatcher import MailCatcher
from tests.test_labels import KEY, CarrierService, carrier  # noqa: F401 - the carrier fixture

ORDER = """query($id: ID!) { quote(id: $id) { status buyOrder { number fulfillment
  shippingLabel { carrier trackingNumber url } } } }"""
UPS = {
    "carrier": "ups",
    "trackingNumber": "1Z999AA10123456784",
    "url": "https://labels.example/1Z999.pdf",
}


@pytest.fixture
async def service(app: Any, carrier: tuple[CarrierService, str]) -> AsyncIterator[CarrierService]:
    """The app's labels come from the carrier's service for the test's duration."""
    fake, url = carrier
    before = app.state.deps.labels
    app.state.deps.labels = ShipEngineLabels(url, KEY, timeout=2)
    try:
        yield fake
    finally:
        app.state.deps.labels = before


def convert(quote_id: str, fulfillment: str = "SHIP", key: str | None = "convert-1") -> dict[str, Any]:
    return {"input": {"quoteId": quote_id, "payoutMethod": "CHECK", "fulfillment": fulfillment,
                      "idempotencyKey": key}}  # fmt: skip


async def order_seen(api: Api, quote_id: str, token: str) -> dict[str, Any]:
    return dict((await api(ORDER, {"id": quote_id}, token))["quote"])


async def test_the_carrier_makes_the_inbound_label(
    api: Api, org: Org, app: Any, service: CarrierService, catcher: MailCatcher
) -> None:
    quote, link = await accepted(api, org)
    data = await api(doc.CONVERT, convert(quote["id"]), org.owner_token)
    assert data["convertToBuyOrder"]["userErrors"] == []
    number = data["convertToBuyOrder"]["buyOrder"]["number"]
    # the carrier was asked for a parcel from the customer to the receiving address
    (asked,) = service.asked
    shipment = asked["shipment"]
    assert shipment["ship_to"] == {"company_name": f"Shop {org.slug}", "address_line1": RECEIVING_ADDRESS}
    assert shipment["ship_from"] == {"name": "Zoë Łukasiewicz"}
    assert shipment["external_shipment_id"] == quote["number"]
    # staff and the customer see it
    for token in (org.owner_token, link):
        seen = await order_seen(api, quote["id"], token)
        assert seen["buyOrder"]["shippingLabel"] == UPS and seen["buyOrder"]["fulfillment"] == "SHIP"
    # a retry with the same key answers the same order and makes no second label
    again = await api(doc.CONVERT, convert(quote["id"]), org.owner_token)
    assert again["convertToBuyOrder"]["buyOrder"]["number"] == number
    assert len(service.asked) == 1
    # the email links the carrier's label and attaches no PDF label
    row = await OutboxEmail.get(organization_id=org.id, template="quote_converted")
    assert row.context["attachments"] == [] and row.context["label_url"] == UPS["url"]
    sender = OutboxSender(replace(app.state.settings, smtp_url=catcher.url))
    while await sender.run_once(limit=100):
        pass
    (email,) = [m for m in catcher.received if m["Message-ID"] == row.message_id]
    assert [part.get_filename() for part in email.iter_attachments()] == []
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "Print your shipping label" in text and UPS["url"] in text
    assert UPS["trackingNumber"] in text and "ups" in text
    assert "1 Bench Street" in text  # where the parcel goes
    html = email.get_body(preferencelist=("html",))
    assert html is not None and f'href="{UPS["url"]}"' in str(html.get_content())


@pytest.mark.parametrize("failure", ["fail", "garbage", "odd", "down"])
async def test_a_failing_carrier_refuses_the_conversion(
    api: Api, org: Org, app: Any, service: CarrierService, failure: str
) -> None:
    quote, link = await accepted(api, org)
    working = app.state.deps.labels
    if failure == "down":
        app.state.deps.labels = ShipEngineLabels("http://127.0.0.1:9", KEY, timeout=1)
    else:
        service.mode = failure
    data = await api(doc.CONVERT, convert(quote["id"]), org.owner_token)
    payload = data["convertToBuyOrder"]
    assert payload["buyOrder"] is None
    (error,) = payload["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_STATE", ["input", "fulfillment"])
    assert error["message"].startswith("no shipping label: the label service did not answer")
    assert "PICKUP" in error["message"]
    # nothing changed: the quote, the counter, the outbox, the idempotency key
    assert await order_seen(api, quote["id"], link) == {"status": "ACCEPTED", "buyOrder": None}
    assert (await Organization.get(id=org.id)).buy_order_counter == 0
    assert not await OutboxEmail.exists(organization_id=org.id, template="quote_converted")
    assert not await IdempotencyRecord.exists(organization_id=org.id)
    # once the carrier answers again, the same request converts
    service.mode, app.state.deps.labels = "answer", working
    retried = await api(doc.CONVERT, convert(quote["id"]), org.owner_token)
    assert retried["convertToBuyOrder"]["buyOrder"]["number"] == "BO-000001"


async def test_the_carrier_is_asked_only_for_a_conversion_that_can_happen(
    api: Api, org: Org, service: CarrierService
) -> None:
    quote, _ = await accepted(api, org)
    picked = await api(doc.CONVERT, convert(quote["id"], "PICKUP"), org.owner_token)
    assert picked["convertToBuyOrder"]["userErrors"] == []
    seen = await order_seen(api, quote["id"], org.owner_token)
    assert seen["buyOrder"]["shippingLabel"] is None
    twice = await api(doc.CONVERT, convert(quote["id"], key="other"), org.owner_token)
    assert [e["code"] for e in twice["convertToBuyOrder"]["userErrors"]] == ["INVALID_STATE"]
    pickup_only = await make_org(api, receiving_address=None)
    other, _ = await accepted(api, pickup_only)
    refused = await api(doc.CONVERT, convert(other["id"]), pickup_only.owner_token)
    assert [e["field"] for e in refused["convertToBuyOrder"]["userErrors"]] == [["input", "fulfillment"]]
    stranger = await api(doc.CONVERT, convert(quote["id"], key="x"), pickup_only.owner_token)
    assert [e["code"] for e in stranger["convertToBuyOrder"]["userErrors"]] == ["NOT_FOUND"]
    assert service.asked == []
    assert await BuyOrder.filter(quote_id__in=await Quote.filter(
        organization_id=pickup_only.id).values_list("id", flat=True)).count() == 0  # fmt: skip
