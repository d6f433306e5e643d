"""Organization settings: read back by staff only, each validated, all or nothing; auto-convert."""

from __future__ import annotations

from typing import Any

from models.negotiation import StaffRole
from models.organization import Organization
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import accepted
from tests.team import PUBLIC_SETTINGS, SETTINGS, UPDATE_SETTINGS, refused

DEFAULTS = {
    "quoteValidityDays": 14,
    "timeZone": "UTC",
    "notificationEmail": None,
    "imeiLookupsPerQuote": None,
    "financeGate": False,
    "autoConvert": False,
    "linkLifetimeDays": 365,
    "payoutMethods": ["STRIPE", "CHECK", "STORE_CREDIT"],
    "fulfillmentMethods": ["SHIP", "PICKUP"],
}


async def settings_of(api: Api, token: str) -> dict[str, Any]:
    return dict((await api(SETTINGS, token=token))["viewer"]["organization"]["settings"])


async def test_settings_are_read_back_and_changed_all_at_once(api: Api, org: Org) -> None:
    assert await settings_of(api, org.owner_token) == DEFAULTS
    change = {
        "quoteValidityDays": 30,
        "timeZone": "Europe/Berlin",
        "notificationEmail": "desk@Shop.example",
        "imeiLookupsPerQuote": 20,
        "financeGate": True,
        "autoConvert": True,
        "linkLifetimeDays": 90,
        "payoutMethods": ["CHECK", "STRIPE"],
        "fulfillmentMethods": ["PICKUP", "SHIP"],
    }
    data = (await api(UPDATE_SETTINGS, {"input": change}, org.owner_token))["updateOrganizationSettings"]
    assert data["userErrors"] == []
    expected = {**change, "notificationEmail": "desk@shop.example"}
    assert data["settings"] == expected
    assert await settings_of(api, org.owner_token) == expected
    # only what is given changes; null clears what may be cleared
    data = (await api(UPDATE_SETTINGS, {"input": {"imeiLookupsPerQuote": None, "notificationEmail": ""}},
                      org.owner_token))["updateOrganizationSettings"]  # fmt: skip
    assert data["settings"] == {**expected, "imeiLookupsPerQuote": None, "notificationEmail": None}

    # staff of any role read them; a MANAGER changes them; others may not
    finance = await org.staff_token(StaffRole.FINANCE)
    assert (await settings_of(api, finance))["timeZone"] == "Europe/Berlin"
    error = await refused(api, UPDATE_SETTINGS, {"input": {"quoteValidityDays": 7}}, finance)
    assert error["extensions"]["code"] == "FORBIDDEN"
    manager = await org.staff_token(StaffRole.MANAGER)
    data = (await api(UPDATE_SETTINGS, {"input": {"quoteValidityDays": 7}}, manager))["updateOrganizationSettings"]
    assert data["settings"]["quoteValidityDays"] == 7
    # the public and other organizations never see them
    public = (await api(PUBLIC_SETTINGS, {"slug": org.slug}))["organization"]
    assert public["settings"] is None
    other = await make_org(api)
    assert (await api(PUBLIC_SETTINGS, {"slug": org.slug}, other.owner_token))["organization"]["settings"] is None


async def test_bad_settings_get_codes_with_paths_and_change_nothing(api: Api, org: Org) -> None:
    bad = {
        "quoteValidityDays": 0,
        "timeZone": "Mars/Olympus_Mons",
        "notificationEmail": "not-an-address",
        "imeiLookupsPerQuote": -1,
        "linkLifetimeDays": 5000,
        "payoutMethods": ["CHECK", "CHECK"],
        "fulfillmentMethods": ["PICKUP", "SHIP", "PICKUP"],
        "financeGate": True,
    }
    data = (await api(UPDATE_SETTINGS, {"input": bad}, org.owner_token))["updateOrganizationSettings"]
    assert data["settings"] is None
    fields = sorted(tuple(e["field"]) for e in data["userErrors"])
    assert fields == sorted([
        ("input", "quoteValidityDays"), ("input", "timeZone"), ("input", "notificationEmail"),
        ("input", "imeiLookupsPerQuote"), ("input", "linkLifetimeDays"), ("input", "payoutMethods", "1"),
        ("input", "fulfillmentMethods", "2"),
    ])  # fmt: skip
    assert {e["code"] for e in data["userErrors"]} == {"INVALID_INPUT"}
    assert await settings_of(api, org.owner_token) == DEFAULTS  # financeGate too: all or nothing

    for one in ({"payoutMethods": []}, {"fulfillmentMethods": []}, {"fulfillmentMethods": None}, {"timeZone": None}, {"quoteValidityDays": 366},
                {"timeZone": "../../etc/passwd"}, {"autoConvert": None}, {"linkLifetimeDays": 0}):  # fmt: skip
        data = (await api(UPDATE_SETTINGS, {"input": one}, org.owner_token))["updateOrganizationSettings"]
        assert [e["code"] for e in data["userErrors"]] == ["INVALID_INPUT"], one
    error = await refused(api, UPDATE_SETTINGS, {"input": {"payoutMethods": ["BITCOIN"]}}, org.owner_token)
    assert "BITCOIN" in error["message"]
    assert await settings_of(api, org.owner_token) == DEFAULTS


async def test_auto_convert_turns_the_acceptance_into_a_buy_order(api: Api, org: Org) -> None:
    await api(UPDATE_SETTINGS, {"input": {"autoConvert": True, "payoutMethods": ["STORE_CREDIT", "CHECK"]}},
              org.owner_token)  # fmt: skip
    quote, link = await accepted(api, org)
    assert quote["status"] == "CONVERTED"
    assert quote["buyOrder"]["payoutMethod"] == "STORE_CREDIT"
    assert quote["buyOrder"]["total"]["amount"] == "1100.00"
    thread = (await api(doc.THREAD_VIEW, {"id": quote["id"]}, link))["quote"]["thread"]["edges"]
    last_two = [(edge["node"]["kind"], edge["node"]["authorName"]) for edge in thread[-2:]]
    assert last_two == [("ACCEPTANCE", "Zoë Łukasiewicz"), ("CONVERSION", "Automatic conversion")]
    # without the setting, an acceptance stays ACCEPTED
    other = await make_org(api)
    quote, _ = await accepted(api, other)
    assert quote["status"] == "ACCEPTED" and quote["buyOrder"] is None
    assert not (await Organization.get(id=other.id)).auto_convert
