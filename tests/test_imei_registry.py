"""Staff edit the IMEI registry; a re-check on demand picks the change up; the external
provider's settings come from the environment."""

from __future__ import annotations

import pytest

from graphql_api.checks import HttpCheckProvider, check_settings
from graphql_api.settings import ConfigurationError, Settings
from models.negotiation import StaffRole
from tests import devices as dev
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import submitted

ADD = """
mutation Add($input: ImeiRegistryEntryInput!) {
  addImeiRegistryEntry(input: $input) { entry { imei flag note } %s }
}
""" % doc.USER_ERRORS

REMOVE = """
mutation Remove($input: RemoveImeiRegistryEntryInput!) {
  removeImeiRegistryEntry(input: $input) { removed %s }
}
""" % doc.USER_ERRORS

RECHECK = """
mutation Recheck($input: RecheckImeisInput!) {
  recheckImeis(input: $input) { quote { lines { units { imei check { flags } } } } %s }
}
""" % doc.USER_ERRORS


async def test_staff_edit_the_registry_and_recheck_a_quote(api: Api, org: Org) -> None:
    imei = dev.imei(dev.GALAXY_TAC, 4242)
    phone = {"type": "PHONE", "brand": "Samsung", "model": "Galaxy Test", "condition": "GOOD",
             "quantity": 1, "askingPrice": "200", "imeis": [imei]}
    quote, link = await submitted(api, org, [phone])

    spaced = f"{imei[:2]} {imei[2:8]} {imei[8:]}"
    added = await api(ADD, {"input": {"imei": spaced, "flag": "FINANCE_LOCKED", "note": "lease"}}, org.owner_token)
    assert added["addImeiRegistryEntry"]["entry"] == {"imei": imei, "flag": "FINANCE_LOCKED", "note": "lease"}
    again = await api(ADD, {"input": {"imei": imei, "flag": "FINANCE_LOCKED", "note": "lease ends 2027"}}, org.owner_token)
    assert again["addImeiRegistryEntry"]["entry"]["note"] == "lease ends 2027"
    bad = await api(ADD, {"input": {"imei": imei[:-1] + "0" if imei[-1] != "0" else imei[:-1] + "1", "flag": "BLACKLISTED"}}, org.owner_token)
    assert [(e["code"], e["field"]) for e in bad["addImeiRegistryEntry"]["userErrors"]] == [
        ("IMEI_INVALID", ["input", "imei"])
    ]
    technician = await org.staff_token(StaffRole.TECHNICIAN)
    body = await api.raw(ADD, {"input": {"imei": imei, "flag": "BLACKLISTED"}}, technician)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # the stored check is from submission time until staff re-run it
    rechecked = await api(RECHECK, {"input": {"quoteId": quote["id"]}}, org.owner_token)
    unit = rechecked["recheckImeis"]["quote"]["lines"][0]["units"][0]
    assert unit["check"]["flags"] == ["UNKNOWN_TAC", "FINANCE_LOCKED"]
    refused = await api(
        doc.COUNTER,
        {"input": {"quoteId": quote["id"], "lines": [{"lineId": quote["lines"][0]["id"], "action": "ACCEPT"}]}},
        org.owner_token,
    )
    assert [e["code"] for e in refused["counterOffer"]["userErrors"]] == ["DEVICE_FLAGGED"]

    removed = await api(REMOVE, {"input": {"imei": imei}}, org.owner_token)
    assert removed["removeImeiRegistryEntry"]["removed"] == 1
    gone = await api(REMOVE, {"input": {"imei": imei}}, org.owner_token)
    assert [e["code"] for e in gone["removeImeiRegistryEntry"]["userErrors"]] == ["NOT_FOUND"]
    rechecked = await api(RECHECK, {"input": {"quoteId": quote["id"]}}, org.owner_token)
    assert rechecked["recheckImeis"]["quote"]["lines"][0]["units"][0]["check"]["flags"] == ["UNKNOWN_TAC"]
    accepted = await api(
        doc.COUNTER,
        {"input": {"quoteId": quote["id"], "lines": [{"lineId": quote["lines"][0]["id"], "action": "ACCEPT"}]}},
        org.owner_token,
    )
    assert accepted["counterOffer"]["userErrors"] == []
    assert accepted["counterOffer"]["quote"]["status"] == "ACCEPTED"


def test_the_provider_is_configured_from_the_environment() -> None:
    base = {"TRADEQUOTE_SECRET_KEY": "s" * 40}
    assert check_settings(Settings.from_env(base)).external is None
    settings = Settings.from_env(
        {
            **base,
            "TRADEQUOTE_IMEI_CHECK_URL": "https://checks.example.com/v1/check",
            "TRADEQUOTE_IMEI_CHECK_KEY": "key",
            "TRADEQUOTE_IMEI_CHECK_TIMEOUT": "1.5",
            "TRADEQUOTE_IMEI_CHECK_CACHE_SECONDS": "600",
        }
    )
    checks = check_settings(settings)
    assert isinstance(checks.external, HttpCheckProvider)
    assert checks.external.timeout == 1.5 and checks.external.source == "http:checks.example.com"
    assert checks.cache_seconds == 600
    for wrong in ({"TRADEQUOTE_IMEI_CHECK_TIMEOUT": "soon"}, {"TRADEQUOTE_IMEI_CHECK_TIMEOUT": "0"}):
        with pytest.raises(ConfigurationError):
            Settings.from_env({**base, **wrong})
