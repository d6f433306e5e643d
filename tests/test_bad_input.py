"""The bad input that once crashed the server or slipped through: each now gets a clear code
(`extensions.code` BAD_USER_INPUT, or a userError with its path) and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from graphql_api.ids import from_global_id, to_cursor, to_global_id
from models.organization import Organization
from models.payout import StoreCreditEntry
from models.quote import Quote, ThreadMessage
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, PHONE, request_link, respond, submitted
from tests.test_input_errors import SUBMIT_SHORT, Unchanged, errors

SEARCH = """
query Search($search: String!, $after: String) {
  quotes(first: 5, after: $after, filter: {search: $search}) { totalCount edges { node { id } } }
}
"""
SUMMARY = """
query Summary($since: DateTime, $until: DateTime) {
  engagementSummary(since: $since, until: $until) { since until views }
}
"""
QUOTE_BY_ID = "query Q($id: ID!) { quote(id: $id) { id } node(id: $id) { id } }"
THREAD_PAGE = (
    "query T($id: ID!, $after: String) { thread(quoteId: $id, after: $after) { totalCount } }"
)

LONE_SURROGATE = "a\ud800b"
TOO_BIG = 2**31


async def raw(api: Api, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """As a client in another language sends it: JSON with `\\ud800` escapes (which httpx's
    own encoder would refuse to write)."""
    response = await api.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400), response.text
    return dict(response.json())


def codes(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def pk(global_id: str) -> int:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[1]


# ------------------------------------------------------------------ unstorable strings


@pytest.mark.parametrize("body", [LONE_SURROGATE, "nul\x00byte", "\udfff"])
async def test_unstorable_message_bodies_are_refused_up_front(
    api: Api, org: Org, body: str
) -> None:
    quote, link = await submitted(api, org)
    async with Unchanged(api, link, quote["id"]):
        answer = await raw(
            api, doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": body}}, link
        )
        assert answer["data"] is None
        assert codes(answer) == ["BAD_USER_INPUT"]
        assert "$.input.body" in answer["errors"][0]["message"]


@pytest.mark.parametrize("search", [LONE_SURROGATE, "Q-\x00", "\x00"])
async def test_unstorable_searches_are_refused(api: Api, org: Org, search: str) -> None:
    answer = await raw(api, SEARCH, {"search": search}, org.owner_token)
    assert codes(answer) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("escape", "code"),
    # a lone surrogate escape is already a syntax error of the document
    [("\\u0000", "BAD_USER_INPUT"), ("\\u{0}", "BAD_USER_INPUT"), ("\\ud800", "GRAPHQL_PARSE_FAILED")],
)
async def test_unstorable_escapes_written_in_the_document_are_refused(
    api: Api, org: Org, escape: str, code: str
) -> None:
    query = 'query { quotes(first: 1, filter: {search: "xESCAPEy"}) { totalCount } }'
    query = query.replace("ESCAPE", escape)
    answer = await api.raw(query, token=org.owner_token)
    assert answer["data"] is None and answer["errors"], answer
    assert codes(answer) == [code], answer
    assert "Unexpected" not in answer["errors"][0]["message"]


async def test_a_lone_surrogate_in_a_submission_creates_nothing(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org)
    async with Unchanged(api, link, quote_id):
        contact = {**CONTACT, "name": LONE_SURROGATE}
        answer = await raw(
            api,
            SUBMIT_SHORT,
            {"input": {"quoteId": quote_id, "contact": contact, "devices": [PHONE]}},
            link,
        )
        assert codes(answer) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "envelope",
    [
        {"operationName": LONE_SURROGATE},
        {"extensions": {"note": LONE_SURROGATE}},
        {"query": "query { viewer { kind } } # " + LONE_SURROGATE},
    ],
)
async def test_an_unstorable_request_envelope_is_a_bad_request(
    api: Api, org: Org, envelope: dict[str, Any]
) -> None:
    body = {"query": "query { viewer { kind } }", **envelope}
    response = await api.client.post(
        "/graphql",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {org.owner_token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "NUL or lone surrogates" in response.text


# ------------------------------------------------------------------ IDs and cursors


async def test_ids_past_the_integer_range_read_as_not_found(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    huge = to_global_id("Quote", TOO_BIG)
    data = await api(QUOTE_BY_ID, {"id": huge}, org.owner_token)
    assert data == {"quote": None, "node": None}
    async with Unchanged(api, link, quote["id"]):
        sent = await api(doc.SEND_MESSAGE, {"input": {"quoteId": huge, "body": "hi"}}, link)
        assert errors(sent["sendMessage"]) == [("NOT_FOUND", ["input", "quoteId"])]
        line = {"lineId": to_global_id("QuoteLine", 10**12), "action": "ACCEPT"}
        countered = await api(
            doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": [line]}}, org.owner_token
        )
        assert [e["code"] for e in countered["counterOffer"]["userErrors"]] == ["NOT_FOUND"]


@pytest.mark.parametrize("position", [TOO_BIG, 10**30])
async def test_cursors_past_the_integer_range_are_bad_cursors(
    api: Api, org: Org, position: int
) -> None:
    quote, _ = await submitted(api, org)
    after = to_cursor(position)
    assert codes(await api.raw(SEARCH, {"search": "Q", "after": after}, org.owner_token)) == [
        "BAD_USER_INPUT"
    ]
    answer = await api.raw(THREAD_PAGE, {"id": quote["id"], "after": after}, org.owner_token)
    assert codes(answer) == ["BAD_USER_INPUT"]


# ------------------------------------------------------------------ date-times


@pytest.mark.parametrize(
    "expires_at",
    [
        "2030-01-01T00:00:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-05:00",
        "tomorrow",
        "",
    ],
)
async def test_date_times_without_offset_or_out_of_range_create_nothing(
    api: Api, org: Org, expires_at: str
) -> None:
    answer = await api.raw(
        doc.CREATE_REQUEST, {"input": {"expiresAt": expires_at}}, org.owner_token
    )
    assert answer["data"] is None and codes(answer) == ["BAD_USER_INPUT"]
    assert await Quote.filter(organization_id=org.id).count() == 0


@pytest.mark.parametrize(
    "variables",
    [
        {"since": "2030-01-01T00:00:00"},
        {"until": "0001-01-01T00:00:00+00:00"},
        {"since": "0001-01-01T00:00:00+00:00"},
        {"until": "2030-01-01T00:00:00", "since": "2029-01-01T00:00:00Z"},
    ],
)
async def test_engagement_summary_refuses_naive_and_year_one_dates(
    api: Api, org: Org, variables: dict[str, str]
) -> None:
    answer = await api.raw(SUMMARY, variables, org.owner_token)
    assert answer["data"] is None and codes(answer) == ["BAD_USER_INPUT"]


async def test_offsets_are_read_as_utc(api: Api, org: Org) -> None:
    data = await api(
        SUMMARY,
        {"since": "2030-01-01T02:00:00+02:00", "until": "2030-01-02T00:00:00Z"},
        org.owner_token,
    )
    assert data["engagementSummary"]["since"] == "2030-01-01T00:00:00+00:00"


# ------------------------------------------------------------------ prices


@pytest.mark.parametrize("price", ["1e-999999999", "1E-3", "0.001", "0.00", "1e-13", "-0"])
async def test_prices_below_one_minor_unit_are_refused(api: Api, org: Org, price: str) -> None:
    quote_id, link = await request_link(api, org)
    async with Unchanged(api, link, quote_id):
        device = {**PHONE, "askingPrice": price}
        data = await api(
            SUBMIT_SHORT,
            {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [device]}},
            link,
        )
        assert errors(data["submitQuote"]) == [
            ("INVALID_INPUT", ["input", "devices", "0", "askingPrice"])
        ]


@pytest.mark.parametrize("price", ["1e-999999999", "0.004"])
async def test_a_counter_offer_below_one_minor_unit_is_refused(
    api: Api, org: Org, price: str
) -> None:
    quote, _ = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        payload = await respond(api, org.owner_token, quote, [("COUNTER", price), ("ACCEPT", None)])
        assert errors(payload) == [("INVALID_INPUT", ["input", "lines", "0", "price"])]


async def test_a_number_that_is_no_number_is_a_bad_value(api: Api, org: Org) -> None:
    quote, _ = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        for price in ["six hundred", "1" * 100, True]:
            line = {"lineId": quote["lines"][0]["id"], "action": "COUNTER", "price": price}
            answer = await api.raw(
                doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": [line]}}, org.owner_token
            )
            assert codes(answer) == ["BAD_USER_INPUT"], price


# ------------------------------------------------------------------ names and controls


@pytest.mark.parametrize(
    "name", ["Zoë\u202eecilA", "\u2066Zoë\u2069", "Zo\u0085ë", "Zoë\nŁukasiewicz", "Zo\x07ë"]
)
async def test_a_signature_name_with_controls_is_refused(api: Api, org: Org, name: str) -> None:
    quote, link = await submitted(api, org)
    await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
    async with Unchanged(api, link, quote["id"]):
        signature = {"name": name, "email": "zoe@example.com", "consent": True}
        data = await api(
            doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": signature}}, link
        )
        assert errors(data["acceptAllRemaining"]) == [
            ("INVALID_INPUT", ["input", "signature", "name"])
        ]


@pytest.mark.parametrize("body", ["C1 \u0085 control", "escape \x1b[31m", "delete \x7f"])
async def test_control_characters_in_a_message_are_refused(api: Api, org: Org, body: str) -> None:
    quote, link = await submitted(api, org)
    async with Unchanged(api, link, quote["id"]):
        data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": body}}, link)
        assert errors(data["sendMessage"]) == [("INVALID_INPUT", ["input", "body"])]


async def test_a_message_keeps_its_lines_and_tabs(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    body = "Two lines:\n\tthe second indented — and \u202e not in a name"
    data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": body}}, link)
    assert data["sendMessage"]["userErrors"] == []
    assert data["sendMessage"]["message"]["body"] == body


# ------------------------------------------------------------------ idempotent messages


async def test_a_retried_message_is_posted_once(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    message = {"quoteId": quote["id"], "body": "Could you do 620?", "idempotencyKey": "m-1"}
    first = (await api(doc.SEND_MESSAGE, {"input": message}, link))["sendMessage"]
    assert first["userErrors"] == []
    async with Unchanged(api, link, quote["id"]):
        again = (await api(doc.SEND_MESSAGE, {"input": message}, link))["sendMessage"]
        assert again == first
        reused = (await api(doc.SEND_MESSAGE, {"input": {**message, "body": "Or 610?"}}, link))[
            "sendMessage"
        ]
        assert errors(reused) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
        assert reused["message"] is None
    assert (
        await ThreadMessage.filter(quote_id=pk(quote["id"]), body="Could you do 620?").count() == 1
    )
    # keys are per quote and per side of the thread: the merchant's own "m-1" is its own message
    staff = {**message, "body": "Let me check."}
    answer = (await api(doc.SEND_MESSAGE, {"input": staff}, org.owner_token))["sendMessage"]
    assert answer["userErrors"] == [] and answer["message"]["body"] == "Let me check."


# ------------------------------------------------------------------ store credit and fulfilment

SPEND = """mutation Spend($input: SpendStoreCreditInput!) { spendStoreCredit(input: $input) {
  storeCredit { balance { amount } } userErrors { code field } } }"""
FULFILMENT = """mutation Settings($input: UpdateOrganizationSettingsInput!) {
  updateOrganizationSettings(input: $input) { settings { fulfillmentMethods } userErrors { code field } } }"""
ADDRESS = """mutation Address($input: UpdateBrandingInput!) { updateBranding(input: $input) {
  organization { slug } userErrors { code field } } }"""


async def _ledger_and_offer(org: Org) -> tuple[Any, ...]:
    organization = await Organization.get(id=org.id)
    entries = await StoreCreditEntry.filter(organization_id=org.id).values_list("amount", flat=True)
    return tuple(entries), organization.fulfillment_methods, organization.receiving_address


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "1e-999999999"}, {"amount": "0.001"}, {"amount": "-0"}, {"amount": "NaN"},
        {"amount": "six hundred"}, {"amount": 0.1 + 0.2}, {"amount": "1" * 100},
        {"customerEmail": LONE_SURROGATE}, {"customerEmail": "zoe@example.com\x00"},
        {"reference": "nul\x00byte"}, {"reference": "\udfff"}, {"idempotencyKey": "k\x00"},
        {"currencyCode": "US\x00"}, {"idempotencyKey": "k" * 129},
    ],
)  # fmt: skip
async def test_bad_spends_are_refused_and_spend_nothing(
    api: Api, org: Org, change: dict[str, Any]
) -> None:
    await StoreCreditEntry.create(
        organization_id=org.id, customer_email="zoe@example.com", currency_code="USD",
        amount="500.00", note="opening balance", created_at=datetime.now(UTC),
    )  # fmt: skip
    before = await _ledger_and_offer(org)
    spend = {"customerEmail": "zoe@example.com", "amount": "10", "idempotencyKey": "k-1", **change}
    answer = await raw(api, SPEND, {"input": spend}, org.owner_token)
    if answer.get("errors"):
        assert codes(answer) == ["BAD_USER_INPUT"], answer
    else:
        payload = answer["data"]["spendStoreCredit"]
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_INPUT"], payload
    assert await _ledger_and_offer(org) == before


@pytest.mark.parametrize(
    ("mutation", "variables"),
    [
        (FULFILMENT, {"fulfillmentMethods": ["SHIPPING"]}),
        (FULFILMENT, {"fulfillmentMethods": [None]}),
        (FULFILMENT, {"fulfillmentMethods": ["PICKUP", "PICKUP"]}),
        (FULFILMENT, {"fulfillmentMethods": [LONE_SURROGATE]}),
        (ADDRESS, {"receivingAddress": "1 Dock\x00Road"}),
        (ADDRESS, {"receivingAddress": LONE_SURROGATE}),
        (ADDRESS, {"receivingAddress": "x" * 501}),
        (ADDRESS, {"receivingAddress": " \n\t "}),  # a clearing, refused while SHIP is offered
    ],
)
async def test_bad_offers_and_addresses_change_nothing(
    api: Api, org: Org, mutation: str, variables: dict[str, Any]
) -> None:
    before = await _ledger_and_offer(org)
    answer = await raw(api, mutation, {"input": variables}, org.owner_token)
    if answer.get("errors"):
        assert codes(answer) == ["BAD_USER_INPUT"], answer
    else:
        (payload,) = answer["data"].values()
        assert payload["userErrors"] and all(e["code"] for e in payload["userErrors"]), payload
    assert await _ledger_and_offer(org) == before


async def test_a_portal_code_for_an_overlong_slug_is_not_found(api: Api) -> None:
    query = """mutation($input: RequestPortalCodeInput!) { requestPortalCode(input: $input) {
      userErrors { code field } } }"""
    variables = {"input": {"organizationSlug": "x" * 5001, "email": "zoe@example.com"}}
    answer = await api.raw(query, variables)
    assert answer["data"]["requestPortalCode"]["userErrors"] == [
        {"code": "NOT_FOUND", "field": ["input", "organizationSlug"]}
    ]
