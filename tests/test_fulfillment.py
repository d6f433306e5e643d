"""Which fulfilment methods an organization offers, and no SHIP without a receiving address:
the setting and its refusals, the defaults (new organizations and the migration; `create-organization --receiving-address` runs in
tests/test_readme.py), conversion
and auto-conversion, and the built-in shipping label that is never drawn without an address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import importlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tortoise import connections

from graphql_api.pdf.sources import label_pdf
from models import fulfillment
from models.buy_order import BuyOrder
from models.enums import Fulfillment
from models.errors import DomainError
from models.organization import Organization
from models.quote import Quote
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import accepted
from tests.team import UPDATE_SETTINGS

migration = importlib.import_module("models.migrations.0017_fulfillment")
BRANDING = """mutation($input: UpdateBrandingInput!) { updateBranding(input: $input) {
  organization { slug } userErrors { code message field } } }"""
METHODS = "query { viewer { organization { settings { fulfillmentMethods } } } }"
ORDER = """query($id: ID!) { quote(id: $id) { status buyOrder { number fulfillment
  shippingLabel { carrier trackingNumber url } } } }"""


async def methods_of(api: Api, token: str) -> list[str]:
    data = await api(METHODS, token=token)
    return list(data["viewer"]["organization"]["settings"]["fulfillmentMethods"])


async def set_methods(api: Api, org: Org, methods: list[str]) -> dict[str, Any]:
    data = await api(UPDATE_SETTINGS, {"input": {"fulfillmentMethods": methods}}, org.owner_token)
    return dict(data["updateOrganizationSettings"])


async def set_address(api: Api, org: Org, address: str) -> dict[str, Any]:
    data = await api(BRANDING, {"input": {"receivingAddress": address}}, org.owner_token)
    return dict(data["updateBranding"])


def convert(quote_id: str, fulfillment: str, key: str | None = None) -> dict[str, Any]:
    return {"input": {"quoteId": quote_id, "payoutMethod": "CHECK", "fulfillment": fulfillment,
                      "idempotencyKey": key}}  # fmt: skip


# ------------------------------------------------------------------ the rules


def test_the_rules() -> None:
    assert fulfillment.defaults(" 1 Bench St ") == [Fulfillment.SHIP, Fulfillment.PICKUP]
    assert fulfillment.defaults("  ") == [Fulfillment.PICKUP]
    assert fulfillment.offered(None, None) == [Fulfillment.PICKUP]
    assert fulfillment.offered(["PICKUP", "SHIP"], None) == [Fulfillment.PICKUP, Fulfillment.SHIP]
    with pytest.raises(DomainError, match="receiving address"):
        fulfillment.check_offer([Fulfillment.SHIP], "\n", ["input", "fulfillmentMethods"])
    with pytest.raises(DomainError, match="does not offer SHIP") as refused:
        fulfillment.check_conversion(Fulfillment.SHIP, [Fulfillment.PICKUP], "1 Bench St")
    assert refused.value.field == ["input", "fulfillment"]
    with pytest.raises(DomainError, match="receiving address") as refused:
        fulfillment.check_conversion(Fulfillment.SHIP, [Fulfillment.SHIP], None)
    assert refused.value.field == ["input", "fulfillment"]
    assert fulfillment.preferred([Fulfillment.PICKUP, Fulfillment.SHIP], "x") is Fulfillment.SHIP
    assert fulfillment.preferred([Fulfillment.SHIP, Fulfillment.PICKUP], None) is Fulfillment.PICKUP


@given(
    methods=st.lists(st.sampled_from(list(Fulfillment)), max_size=4),
    address=st.sampled_from([None, "", " \n", "1 Bench Street"]),
)
def test_an_offer_is_accepted_exactly_when_it_is_sound(
    methods: list[Fulfillment], address: str | None
) -> None:
    """At least one method, none twice, and SHIP only with an address: nothing else passes."""
    from models.errors import DomainErrors
    from models.services.organization_settings import SettingsIn, clean

    sound = (
        bool(methods)
        and len(set(methods)) == len(methods)
        and (Fulfillment.SHIP not in methods or bool((address or "").strip()))
    )
    try:
        cleaned = clean(SettingsIn({"fulfillment_methods": methods}))["fulfillment_methods"]
        fulfillment.check_offer([Fulfillment(m) for m in cleaned], address, ["input"])
    except (DomainError, DomainErrors):
        assert not sound
    else:
        assert sound and cleaned == [m.value for m in methods]


# ------------------------------------------------------------------ the setting


async def test_ship_needs_the_receiving_address(api: Api) -> None:
    org = await make_org(api, receiving_address=None)
    assert await methods_of(api, org.owner_token) == ["PICKUP"]
    refused = await set_methods(api, org, ["SHIP", "PICKUP"])
    (error,) = refused["userErrors"]
    assert error["field"] == ["input", "fulfillmentMethods"] and error["code"] == "INVALID_STATE"
    assert "updateBranding" in error["message"] and "receiving address" in error["message"]
    assert refused["settings"] is None
    assert await methods_of(api, org.owner_token) == ["PICKUP"]
    # with an address, SHIP may be offered (setting the address alone does not offer it)
    assert (await set_address(api, org, "Receiving dept.\n1 Bench Street"))["userErrors"] == []
    assert await methods_of(api, org.owner_token) == ["PICKUP"]
    assert (await set_methods(api, org, ["SHIP", "PICKUP"]))["userErrors"] == []
    assert await methods_of(api, org.owner_token) == ["SHIP", "PICKUP"]
    # ... and then the address stays until SHIP is withdrawn
    cleared = await set_address(api, org, "   ")
    (error,) = cleared["userErrors"]
    assert error["field"] == ["input", "receivingAddress"] and "SHIP" in error["message"]
    row = await Organization.get(id=org.id)
    assert row.receiving_address == "Receiving dept.\n1 Bench Street"
    assert (await set_methods(api, org, ["PICKUP"]))["userErrors"] == []
    assert (await set_address(api, org, ""))["userErrors"] == []
    assert (await Organization.get(id=org.id)).receiving_address is None
    # changing the address (not clearing it) is fine while SHIP is offered
    shipping = await make_org(api)
    assert (await set_address(api, shipping, "2 Dock Road"))["userErrors"] == []


async def test_new_organizations_offer_ship_only_with_an_address(api: Api) -> None:
    with_address = await make_org(api)
    assert await methods_of(api, with_address.owner_token) == ["SHIP", "PICKUP"]
    without = await make_org(api, receiving_address="  ")
    assert await methods_of(api, without.owner_token) == ["PICKUP"]
    assert (await Organization.get(id=without.id)).receiving_address is None


async def test_the_migration_sets_what_existing_organizations_offer(api: Api) -> None:
    shipping, pickup_only, blank = await make_org(api), await make_org(api), await make_org(api)
    await Organization.filter(id=pickup_only.id).update(receiving_address=None)
    await Organization.filter(id=blank.id).update(receiving_address=" ")
    ids = [shipping.id, pickup_only.id, blank.id]
    await Organization.filter(id__in=ids).update(fulfillment_methods=None)  # as before 0016

    class Editor:
        client = connections.get("default")

    await migration.offer_defaults(None, Editor())
    rows = await Organization.filter(id__in=ids).order_by("id").values_list(
        "fulfillment_methods", flat=True
    )
    assert rows == [["SHIP", "PICKUP"], ["PICKUP"], ["PICKUP"]]


# ------------------------------------------------------------------ conversion


async def test_a_conversion_is_refused_a_fulfilment_not_offered(api: Api) -> None:
    org = await make_org(api, receiving_address=None)
    await Organization.filter(id=org.id).update(pickup_instructions="Ring twice")
    quote, _ = await accepted(api, org)
    for attempt in ("SHIP", "SHIP"):  # and again: the first refusal left nothing behind
        data = (await api(doc.CONVERT, convert(quote["id"], attempt, "k-1"), org.owner_token))
        payload = data["convertToBuyOrder"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("INVALID_INPUT", ["input", "fulfillment"])
        ]
        assert "does not offer SHIP" in payload["userErrors"][0]["message"]
    assert (await Quote.get(organization_id=org.id)).status.value == "ACCEPTED"
    assert not await BuyOrder.exists(organization_id=org.id)
    picked = await api(doc.CONVERT, convert(quote["id"], "PICKUP", "k-2"), org.owner_token)
    assert picked["convertToBuyOrder"]["userErrors"] == []
    order = (await api(ORDER, {"id": quote["id"]}, org.owner_token))["quote"]["buyOrder"]
    assert order["number"] == "BO-000001" and order["shippingLabel"] is None


async def test_ship_without_an_address_is_refused_and_changes_nothing(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    # an organization that lost its address behind the API's back still offers SHIP
    await Organization.filter(id=org.id).update(receiving_address="")
    data = await api(doc.CONVERT, convert(quote["id"], "SHIP"), org.owner_token)
    (error,) = data["convertToBuyOrder"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_STATE", ["input", "fulfillment"])
    assert "receiving address" in error["message"]
    seen = (await api(ORDER, {"id": quote["id"]}, link))["quote"]
    assert seen == {"status": "ACCEPTED", "buyOrder": None}
    assert (await Organization.get(id=org.id)).buy_order_counter == 0


async def test_the_built_in_label_needs_the_address_at_every_drawing(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    data = await api(doc.CONVERT, convert(quote["id"], "SHIP"), org.owner_token)
    assert data["convertToBuyOrder"]["userErrors"] == []
    label = (await api(ORDER, {"id": quote["id"]}, link))["quote"]["buyOrder"]["shippingLabel"]
    assert label["carrier"] is None and label["trackingNumber"] is None
    url = urlsplit(label["url"])
    assert url.path.startswith("/downloads/label/")
    pdf = await api.client.get(f"{url.path}?{url.query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    await Organization.filter(id=org.id).update(receiving_address=None)
    refused = await api.client.get(f"{url.path}?{url.query}")
    assert refused.status_code == 409 and "receiving address" in refused.text
    order = await BuyOrder.get(organization_id=org.id)
    with pytest.raises(DomainError, match="receiving address"):
        await label_pdf(order.id)


async def test_auto_convert_ships_when_offered_else_hands_over(api: Api) -> None:
    shipping = await make_org(api)
    pickup = await make_org(api, receiving_address=None)
    for org in (shipping, pickup):
        settings_changed = await api(UPDATE_SETTINGS, {"input": {"autoConvert": True}}, org.owner_token)
        assert settings_changed["updateOrganizationSettings"]["userErrors"] == []
    shipped, _ = await accepted(api, shipping)
    handed, _ = await accepted(api, pickup)
    assert (shipped["status"], shipped["buyOrder"]["fulfillment"]) == ("CONVERTED", "SHIP")
    assert (handed["status"], handed["buyOrder"]["fulfillment"]) == ("CONVERTED", "PICKUP")


