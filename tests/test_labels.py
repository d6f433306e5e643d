"""Carrier labels: the built-in label needs the receiving address; the ShipEngine-style
provider posts to a real HTTP server on loopback with its key, and a failing or garbled
service is a clear refusal, never a fault. A declined revised offer's return uses the
configured provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from graphql_api.dependencies import label_provider
from graphql_api.settings import Settings
from models.errors import DomainError
from models.services.labels import BuiltInLabels, LabelRequest, LabelUnavailable, ShipEngineLabels
from tests.client import Api, Org
from tests.live import serving
from tests.test_revised_offers import ANSWER, received_and_revised

KEY = "se-test-key"
REQUEST = LabelRequest("Shop", "1 Bench Street", "Zoë", "return-1")


@dataclass
class CarrierService:
    mode: str = "answer"
    asked: list[dict[str, Any]] = field(default_factory=list)

    async def labels(self, request: Request) -> Response:
        if request.headers.get("api-key") != KEY:
            return PlainTextResponse("unauthorized", status_code=401)
        self.asked.append(await request.json())
        if self.mode == "fail":
            return PlainTextResponse("down", status_code=503)
        if self.mode == "garbage":
            return JSONResponse({"status": "ok"})
        if self.mode == "odd":  # a label, but its link is no web address
            return JSONResponse(
                {"tracking_number": "1Z1", "label_download": {"pdf": "javascript:alert(1)"}}
            )
        return JSONResponse(
            {
                "tracking_number": "1Z999AA10123456784",
                "carrier_code": "ups",
                "label_download": {"pdf": "https://labels.example/1Z999.pdf"},
            }
        )


@pytest.fixture
async def carrier() -> AsyncIterator[tuple[CarrierService, str]]:
    fake = CarrierService()
    async with serving(
        Starlette(routes=[Route("/v1/labels", fake.labels, methods=["POST"])])
    ) as ws_url:
        yield fake, ws_url.replace("ws://", "http://").removesuffix("/graphql")


async def test_the_built_in_label_needs_an_address() -> None:
    label = await BuiltInLabels().create_label(REQUEST)
    assert label.carrier == "Tradequote" and label.tracking_number.startswith("TQ")
    with pytest.raises(DomainError, match="receiving address"):
        await BuiltInLabels().create_label(LabelRequest("Shop", "  ", "Zoë", "r"))


async def test_the_shipengine_style_provider(carrier: tuple[CarrierService, str]) -> None:
    fake, url = carrier
    label = await ShipEngineLabels(url, KEY, timeout=2).create_label(REQUEST)
    assert (label.carrier, label.tracking_number, label.label_url) == (
        "ups",
        "1Z999AA10123456784",
        "https://labels.example/1Z999.pdf",
    )
    assert fake.asked[0]["shipment"]["external_shipment_id"] == "return-1"
    with pytest.raises(LabelUnavailable, match="401"):
        await ShipEngineLabels(url, "wrong", timeout=2).create_label(REQUEST)
    for mode in ("fail", "garbage", "odd"):
        fake.mode = mode
        with pytest.raises(LabelUnavailable):
            await ShipEngineLabels(url, KEY, timeout=2).create_label(REQUEST)
    with pytest.raises(LabelUnavailable):
        await ShipEngineLabels("http://127.0.0.1:9", KEY, timeout=1).create_label(REQUEST)


def test_the_provider_is_chosen_by_settings() -> None:
    assert isinstance(label_provider(Settings()), BuiltInLabels)
    assert isinstance(
        label_provider(Settings(label_url="http://127.0.0.1:1", label_key="k")), ShipEngineLabels
    )


async def test_a_return_uses_the_configured_provider(
    api: Api, org: Org, app: Any, carrier: tuple[CarrierService, str]
) -> None:
    _, url = carrier
    quote_id, link, revision = await received_and_revised(api, org)
    before = app.state.deps.labels
    app.state.deps.labels = ShipEngineLabels(url, KEY, timeout=2)
    try:
        answered = await api(
            ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": False}}, link
        )
    finally:
        app.state.deps.labels = before
    shipment = answered["answerRevisedOffer"]["revisedOffer"]["returnShipment"]
    assert shipment == {"carrier": "ups", "trackingNumber": "1Z999AA10123456784"}


async def test_a_lapse_waits_for_the_label_service(api: Api, org: Org, app: Any) -> None:
    from dataclasses import replace
    from datetime import datetime, timedelta

    from models.services.revised_offers import lapse_revised_offers
    from tests.after_flow import order_of

    quote_id, link, _ = await received_and_revised(api, org)
    deadline = datetime.fromisoformat((await order_of(api, quote_id, link))["revisedOffers"][0]["replyBy"])
    down = ShipEngineLabels("http://127.0.0.1:9", KEY, timeout=1)
    later = replace(app.state.deps, clock=lambda: deadline + timedelta(minutes=1))
    await lapse_revised_offers(replace(later, labels=down))
    seen = await order_of(api, quote_id, link)
    assert seen["revisedOffers"][0]["status"] == "OPEN" and seen["buyOrder"]["returns"] == []
    await lapse_revised_offers(later)
    assert (await order_of(api, quote_id, link))["revisedOffers"][0]["status"] == "LAPSED"


def test_label_settings_come_in_pairs() -> None:
    from graphql_api.settings import ConfigurationError

    base = {"TRADEQUOTE_SECRET_KEY": "k" * 40}
    with pytest.raises(ConfigurationError, match="go together"):
        Settings.from_env({**base, "TRADEQUOTE_LABEL_URL": "http://127.0.0.1:1"})
    configured = Settings.from_env(
        {**base, "TRADEQUOTE_LABEL_URL": "http://127.0.0.1:1", "TRADEQUOTE_LABEL_KEY": "k",
         "TRADEQUOTE_STRIPE_WEBHOOK_SECRET": "whsec_x", "TRADEQUOTE_UPLOAD_DIR": "/tmp/photos"}
    )  # fmt: skip
    assert (configured.label_key, configured.stripe_webhook_secret, configured.upload_dir) == (
        "k", "whsec_x", "/tmp/photos"
    )
