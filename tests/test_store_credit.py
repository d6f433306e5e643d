"""Spending store credit: finance (or a manager, an owner) debits a customer's ledger; never
beyond the balance, even when spends race; once per idempotency key; the balance read through
the link and the portal follows; the customer gets a branded receipt by email."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphql_api.auth import issue_token
from graphql_api.mail.sender import OutboxSender
from models.negotiation import StaffRole
from models.organization import Organization, TokenKind
from models.outbox import OutboxEmail
from models.payout import StoreCreditEntry
from tests.after_flow import SETTLE, codes, converted, order_of
from tests.client import Api, Org
from tests.mailcatcher import MailCatcher
from tests.test_payouts import STORE_CREDIT

SPEND = """
mutation Spend($input: SpendStoreCreditInput!) {
  spendStoreCredit(input: $input) {
    spent { amount currencyCode }
    storeCredit { email balance { amount currencyCode } }
    userErrors { code message field }
  }
}
"""
ZOE = "zoe@example.com"


async def credited(api: Api, org: Org) -> str:
    """The link of a customer (zoe@example.com) holding 1,100.00 USD of store credit."""
    quote_id, link = await converted(api, org, "STORE_CREDIT")
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    settled = await api(SETTLE, {"input": {"payoutId": payout_id}}, org.owner_token)
    assert settled["settlePayout"]["userErrors"] == []
    return link


def spend(amount: str, key: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "input": {
            "customerEmail": ZOE,
            "amount": amount,
            "idempotencyKey": key or secrets.token_hex(6),
            **more,
        }
    }


async def balance(api: Api, token: str) -> str:
    return str((await api(STORE_CREDIT, {"email": ZOE}, token))["storeCredit"]["balance"]["amount"])


async def ledger(org: Org) -> list[Decimal]:
    rows = await StoreCreditEntry.filter(organization_id=org.id).order_by("id").values_list(
        "amount", flat=True
    )
    return [Decimal(str(amount)) for amount in rows]


async def test_a_spend_lowers_the_balance_seen_by_link_and_portal(api: Api, org: Org) -> None:
    link = await credited(api, org)
    finance = await org.staff_token(StaffRole.FINANCE)
    data = await api(
        SPEND, spend("150.5", "sale-1", reference="SALE-42", currencyCode="usd",
                     customerEmail="Zoe@Example.com"), finance,
    )  # fmt: skip
    assert data["spendStoreCredit"] == {
        "spent": {"amount": "150.50", "currencyCode": "USD"},
        "storeCredit": {"email": ZOE, "balance": {"amount": "949.50", "currencyCode": "USD"}},
        "userErrors": [],
    }
    assert await balance(api, link) == "949.50"
    portal, _ = await issue_token(TokenKind.PORTAL, org.id, customer_email=ZOE)
    assert await balance(api, portal) == "949.50"
    assert await balance(api, org.owner_token) == "949.50"
    entry = await StoreCreditEntry.filter(organization_id=org.id).order_by("-id").first()
    assert entry is not None and entry.note == "SALE-42" and entry.staff_id is not None
    # the whole balance may be spent, by an owner too; then nothing is left to spend
    everything = await api(SPEND, spend("949.50"), org.owner_token)
    assert everything["spendStoreCredit"]["storeCredit"]["balance"]["amount"] == "0.00"
    more = await api(SPEND, spend("0.01"), finance)
    assert codes(more["spendStoreCredit"]) == ["INSUFFICIENT_STORE_CREDIT"]


async def test_refused_spends_change_nothing(api: Api, org: Org) -> None:
    link = await credited(api, org)
    before = await ledger(org)
    mails = await OutboxEmail.filter(organization_id=org.id).count()
    cases = [
        (spend("0"), ["input", "amount"], "INVALID_INPUT"),
        (spend("-5"), ["input", "amount"], "INVALID_INPUT"),
        (spend("1.001"), ["input", "amount"], "INVALID_INPUT"),
        (spend("10", currencyCode="EUR"), ["input", "currencyCode"], "INVALID_INPUT"),
        (spend("1100.01"), ["input", "amount"], "INSUFFICIENT_STORE_CREDIT"),
        (spend("10", customerEmail="nobody@example.com"), ["input", "customerEmail"], "NOT_FOUND"),
        (spend("10", customerEmail="not an email"), ["input", "customerEmail"], "INVALID_INPUT"),
        (spend("10", idempotencyKey=" "), ["input", "idempotencyKey"], "INVALID_INPUT"),
        (spend("10", reference="x" * 201), ["input", "reference"], "INVALID_INPUT"),
    ]
    for variables, field, code in cases:
        refused = (await api(SPEND, variables, org.owner_token))["spendStoreCredit"]
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [(code, field)], variables
        assert refused["storeCredit"] is None
    too_much = (await api(SPEND, spend("2000"), org.owner_token))["spendStoreCredit"]
    assert "1100.00 USD" in too_much["userErrors"][0]["message"]
    # every problem of one input at once
    several = await api(
        SPEND, spend("0", customerEmail="@", currencyCode="EUR"), org.owner_token
    )
    assert sorted(e["field"][-1] for e in several["spendStoreCredit"]["userErrors"]) == [
        "amount", "currencyCode", "customerEmail",
    ]  # fmt: skip
    assert await ledger(org) == before
    assert await OutboxEmail.filter(organization_id=org.id).count() == mails
    assert await balance(api, link) == "1100.00"


async def test_only_finance_managers_and_owners_spend(api: Api, org: Org) -> None:
    link = await credited(api, org)
    for role in (StaffRole.SALES_REP, StaffRole.TECHNICIAN):
        refused = await api.raw(SPEND, spend("10"), await org.staff_token(role))
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_customer = await api.raw(SPEND, spend("10"), link)
    assert by_customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await api.raw(SPEND, spend("10"))
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    manager = await api(SPEND, spend("10"), await org.staff_token(StaffRole.MANAGER))
    assert manager["spendStoreCredit"]["userErrors"] == []
    assert await balance(api, link) == "1090.00"


async def test_another_organization_cannot_spend_it(api: Api, org: Org) -> None:
    from tests.client import make_org

    link = await credited(api, org)
    stranger = await make_org(api)
    data = await api(SPEND, spend("10"), stranger.owner_token)
    assert codes(data["spendStoreCredit"]) == ["NOT_FOUND"]
    assert await balance(api, link) == "1100.00"


async def test_a_retry_with_the_same_key_spends_once(api: Api, org: Org) -> None:
    link = await credited(api, org)
    first = await api(SPEND, spend("100", "till-7", reference="SALE-1"), org.owner_token)
    again = await api(SPEND, spend("100", "till-7", reference="SALE-1"), org.owner_token)
    assert first == again
    assert again["spendStoreCredit"]["storeCredit"]["balance"]["amount"] == "1000.00"
    assert await ledger(org) == [Decimal("1100.00"), Decimal("-100.00")]
    other = await api(SPEND, spend("200", "till-7", reference="SALE-1"), org.owner_token)
    assert codes(other["spendStoreCredit"]) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await balance(api, link) == "1000.00"
    assert await OutboxEmail.filter(organization_id=org.id, template="store_credit_spent").count() == 1


async def test_racing_spends_never_overdraw(api: Api, org: Org) -> None:
    """Eight spends of 300 at once against 1,100: three go through, whatever the order (on
    PostgreSQL each runs on its own connection, truly at the same time)."""
    link = await credited(api, org)
    finance = await org.staff_token(StaffRole.FINANCE)
    results = await asyncio.gather(*(api(SPEND, spend("300"), finance) for _ in range(8)))
    outcomes = sorted(tuple(codes(r["spendStoreCredit"])) for r in results)
    assert outcomes == [()] * 3 + [("INSUFFICIENT_STORE_CREDIT",)] * 5
    assert await balance(api, link) == "200.00"
    balances = sorted(
        r["spendStoreCredit"]["storeCredit"]["balance"]["amount"]
        for r in results
        if r["spendStoreCredit"]["storeCredit"]
    )
    assert balances == ["200.00", "500.00", "800.00"]
    assert sum(await ledger(org)) == Decimal("200.00")


async def test_the_customer_gets_a_branded_receipt(
    api: Api, org: Org, app: Any, catcher: MailCatcher
) -> None:
    await credited(api, org)
    await Organization.filter(id=org.id).update(accent_color="#0a7d5a", footer_text="Acme · 1 Market St")
    await api(SPEND, spend("150", reference="SALE-42"), org.owner_token)
    sender = OutboxSender(replace(app.state.settings, smtp_url=catcher.url))
    while await sender.run_once(limit=100):
        pass
    (receipt,) = [m for m in catcher.to(ZOE) if f"Shop {org.slug}:" in str(m["Subject"])]
    assert str(receipt["Subject"]) == f"Shop {org.slug}: you spent $150.00 of store credit"
    body = receipt.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "SALE-42" in text and "$950.00" in text
    assert f"/portal/{org.slug}" in text
    html = receipt.get_body(preferencelist=("html",))
    assert html is not None and "#0a7d5a" in str(html.get_content())
    assert "Acme · 1 Market St" in text


@pytest.fixture(scope="module")
async def credited_org(api: Api) -> tuple[Org, str]:
    """One customer with store credit for every example of the property below."""
    from tests.client import make_org

    org = await make_org(api)
    return org, await credited(api, org)


AMOUNTS = st.one_of(
    st.decimals(min_value=-10, max_value=2000, places=3).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["NaN", "-0", "0.00", "1e3", "1E+2", "0.009", "1100", "1100.001", " 5 "]),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(amount=AMOUNTS)
async def test_any_amount_spends_exactly_or_is_refused_cleanly(
    api: Api, credited_org: tuple[Org, str], amount: str
) -> None:
    """Whatever the amount, the balance drops by exactly the spent amount, or the answer is a
    coded refusal and nothing changes; the balance never goes below zero."""
    org, link = credited_org
    before = Decimal(await balance(api, link))
    entries = len(await ledger(org))
    body = await api.raw(SPEND, spend(amount), org.owner_token)
    after = Decimal(await balance(api, link))
    if body.get("errors"):
        assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}, body
        assert after == before and len(await ledger(org)) == entries
        return
    payload = body["data"]["spendStoreCredit"]
    if payload["userErrors"]:
        assert codes(payload) in (["INVALID_INPUT"], ["INSUFFICIENT_STORE_CREDIT"]), payload
        assert after == before and len(await ledger(org)) == entries
        if codes(payload) == ["INSUFFICIENT_STORE_CREDIT"]:
            assert Decimal(amount) > before
        return
    spent = Decimal(payload["spent"]["amount"])
    assert spent == Decimal(amount) and spent > 0
    assert after == before - spent >= 0
    assert Decimal(payload["storeCredit"]["balance"]["amount"]) == after
