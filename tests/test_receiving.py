"""The receiving bench: conversion expects one unit per device; a scan by IMEI receives it
(the IMEI checks run again), an unknown code lists near matches, a second scan or a unit of a
declined order gets a clear answer; grading, stock and the unit list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.imei_checks import RegistryEntry, RegistryFlag
from models.inventory import InventoryUnit
from models.negotiation import StaffRole
from tests.after_flow import DECLINE, USER_ERRORS, codes, converted, order_of, staff_order
from tests.client import Api, Org

PHONE_IMEI = "490154203237518"

SCAN = (
    """
mutation Scan($input: ScanIntakeInput!) {
  scanIntake(input: $input) {
    unit { id imei status grade price { amount } flags receivedAt }
    flags
    nearMatches { id imei status }
    %s
  }
}
"""
    % USER_ERRORS
)

GRADE = (
    """
mutation Grade($input: GradeUnitInput!) {
  gradeUnit(input: $input) { unit { id status grade notes gradedAt } %s }
}
"""
    % USER_ERRORS
)

STOCK = "query Stock { stock { brand model storage grade count } }"

UNITS = """
query Units($status: UnitStatus, $first: Int, $after: String) {
  inventoryUnits(status: $status, first: $first, after: $after) {
    totalCount edges { cursor node { id model status } } pageInfo { hasNextPage endCursor }
  }
}
"""


async def scan(api: Api, token: str, code: str) -> dict[str, Any]:
    return (await api(SCAN, {"input": {"code": code}}, token))["scanIntake"]


async def test_conversion_expects_one_unit_per_device(api: Api, org: Org) -> None:
    quote_id, _ = await converted(api, org)
    units = (await staff_order(api, quote_id, org.owner_token))["units"]
    assert [(u["imei"], u["status"], u["price"]["amount"]) for u in units] == [
        (PHONE_IMEI, "EXPECTED", "600.00"),
        (None, "EXPECTED", "250.00"),
        (None, "EXPECTED", "250.00"),
    ]


async def test_scan_grade_and_stock(api: Api, org: Org) -> None:
    await converted(api, org)
    technician = await org.staff_token(StaffRole.TECHNICIAN)
    received = await scan(api, technician, "49-015420-323751-8")
    assert received["userErrors"] == []
    unit = received["unit"]
    assert (unit["imei"], unit["status"], unit["grade"]) == (PHONE_IMEI, "RECEIVED", None)
    assert "BLACKLISTED" not in received["flags"]
    again = await scan(api, technician, PHONE_IMEI)
    assert codes(again) == ["INVALID_STATE"]
    assert "already received" in again["userErrors"][0]["message"]
    graded = await api(
        GRADE, {"input": {"unitId": unit["id"], "grade": "B", "notes": "Light scuffs"}}, technician
    )
    assert graded["gradeUnit"]["unit"]["grade"] == "B"
    stock = (await api(STOCK, {}, org.owner_token))["stock"]
    assert stock == [
        {"brand": "Apple", "model": "iPhone 14 Pro", "storage": "256 GB", "grade": "B", "count": 1}
    ]
    expected = (await api(UNITS, {"status": "EXPECTED", "first": 1}, org.owner_token))[
        "inventoryUnits"
    ]
    assert expected["totalCount"] == 2 and expected["pageInfo"]["hasNextPage"] is True
    rest = await api(
        UNITS, {"status": "EXPECTED", "after": expected["pageInfo"]["endCursor"]}, org.owner_token
    )
    assert len(rest["inventoryUnits"]["edges"]) == 1


async def test_imei_checks_run_again_at_the_bench(api: Api, org: Org) -> None:
    await converted(api, org)
    # reported stolen after the customer submitted it
    await RegistryEntry.create(
        organization_id=org.id,
        imei=PHONE_IMEI,
        flag=RegistryFlag.BLACKLISTED,
        created_at=datetime.now(UTC),
    )
    received = await scan(api, org.owner_token, PHONE_IMEI)
    assert "BLACKLISTED" in received["flags"]
    assert "BLACKLISTED" in received["unit"]["flags"]


async def test_an_unknown_code_suggests_near_matches(api: Api, org: Org) -> None:
    await converted(api, org)
    typo = PHONE_IMEI[:-2] + "0" + PHONE_IMEI[-1]  # one digit off
    answer = await scan(api, org.owner_token, typo)
    assert codes(answer) == ["NOT_FOUND"]
    assert [m["imei"] for m in answer["nearMatches"]] == [PHONE_IMEI]
    nothing = await scan(api, org.owner_token, "SERIAL-NOBODY-HAS")
    assert codes(nothing) == ["NOT_FOUND"] and nothing["nearMatches"] == []
    empty = await scan(api, org.owner_token, "  ")
    assert codes(empty) == ["INVALID_INPUT"]
    assert await InventoryUnit.filter(organization_id=org.id, status="RECEIVED").count() == 0


async def test_a_unit_of_a_declined_order_is_set_aside(api: Api, org: Org) -> None:
    quote_id, link = await converted(api, org)
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    await api(
        DECLINE, {"input": {"payoutId": payout_id, "reason": "Fraud suspected"}}, org.owner_token
    )
    answer = await scan(api, org.owner_token, PHONE_IMEI)
    assert codes(answer) == ["INVALID_STATE"]
    assert "declined" in answer["userErrors"][0]["message"]


async def test_the_bench_is_for_technicians_and_up(api: Api, org: Org) -> None:
    quote_id, link = await converted(api, org)
    for token in (
        await org.staff_token(StaffRole.SALES_REP),
        await org.staff_token(StaffRole.FINANCE),
        link,
    ):
        refused = await api.raw(SCAN, {"input": {"code": PHONE_IMEI}}, token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await api.raw(STOCK, {}, link)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hidden = await api.raw(
        "query Q($id: ID!) { quote(id: $id) { buyOrder { units { imei } } } }",
        {"id": quote_id},
        link,
    )
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
