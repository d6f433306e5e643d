"""Bad input and actions out of turn: each gets a coded userError with its input path, and the
quote is left exactly as it was (same version, same status, same thread)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graphql_api.ids import decode_id, to_global_id
from models.buy_order import BuyOrder
from models.quote import Quote
from models.services.lifecycle import expire_due_quotes
from models.validation import MAX_QUANTITY
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import CONTACT, PHONE, TABLET, accepted, request_link, respond, submitted

# Valid (Luhn) IMEIs besides PHONE's 490154203237518.
IMEI_B = "353325091234561"
IMEI_C = "352099001761481"
SIGNATURE = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}

STATE = """
query State($id: ID!) {
  quote(id: $id) {
    id status awaiting version
    lines { id status awaiting customerPrice { amount } merchantOffer { amount } agreedPrice { amount } }
    buyOrder { number }
    thread(first: 100) { totalCount edges { node { kind author } } }
  }
}
"""

SUBMIT_SHORT = """
mutation Submit($input: SubmitQuoteInput!) {
  submitQuote(input: $input) {
    quote { id status version lines { id askingPrice { amount currencyCode } } }
    userErrors { code message field }
  }
}
"""


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def state(api: Api, token: str, quote_id: str) -> dict[str, Any]:
    data = await api(STATE, {"id": quote_id}, token)
    assert data["quote"] is not None
    return data["quote"]


def fingerprint(quote: dict[str, Any]) -> tuple[Any, ...]:
    """What no refused action may change."""
    return (
        quote["version"],
        quote["status"],
        quote["awaiting"],
        quote["thread"]["totalCount"],
        quote["lines"],
        quote["buyOrder"],
    )


class Unchanged:
    """Reads the quote before and after: `async with Unchanged(api, token, id): ...`."""

    def __init__(self, api: Api, token: str, quote_id: str) -> None:
        self.api, self.token, self.quote_id = api, token, quote_id

    async def __aenter__(self) -> dict[str, Any]:
        self.before = await state(self.api, self.token, self.quote_id)
        return self.before

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is None:
            after = await state(self.api, self.token, self.quote_id)
            assert fingerprint(after) == fingerprint(self.before)


def pk(global_id: str, type_name: str = "Quote") -> int:
    value = decode_id(global_id, type_name)
    assert value is not None
    return value


def lines_input(quote: dict[str, Any], answers: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    return [
        {"lineId": line["id"], "action": action, **({"price": price} if price is not None else {})}
        for line, (action, price) in zip(quote["lines"], answers, strict=True)
    ]


async def counter(api: Api, token: str, quote_id: str, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    data = await api(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": lines, **extra}}, token)
    return data["counterOffer"]


async def negotiating(api: Api, org: Org) -> tuple[dict[str, Any], str]:
    """A quote on which the merchant countered the phone and accepted the tablet: the customer's turn."""
    quote, link = await submitted(api, org)
    payload = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("ACCEPT", None)])
    assert payload["userErrors"] == []
    return payload["quote"], link


# ------------------------------------------------------------------ the submission form


def device(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


SUBMISSION_CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any], list[tuple[str, list[str]]]]] = {
    "zero price": (
        [device(PHONE, askingPrice="0"), TABLET], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "askingPrice"])],
    ),
    "negative price": (
        [PHONE, device(TABLET, askingPrice="-300")], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "1", "askingPrice"])],
    ),
    "more decimals than USD has": (
        [device(PHONE, askingPrice="650.005")], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "askingPrice"])],
    ),
    "absurdly large price": (
        [device(PHONE, askingPrice="99999999999999999999")], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "askingPrice"])],
    ),
    "not a number": (
        [device(PHONE, askingPrice="NaN")], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "askingPrice"])],
    ),
    "infinite price": (
        [device(PHONE, askingPrice="Infinity")], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "askingPrice"])],
    ),
    "quantity zero": (
        [PHONE, device(TABLET, quantity=0)], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "1", "quantity"])],
    ),
    "quantity above the cap": (
        [device(TABLET, quantity=MAX_QUANTITY + 1)], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "quantity"])],
    ),
    "more IMEIs than units": (
        [device(PHONE, imeis=[PHONE["imeis"][0], IMEI_B])], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "imeis"])],
    ),
    "more serials than units": (
        [PHONE, device(TABLET, serials=["S1", "S2", "S3"])], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "1", "serials"])],
    ),
    "IMEI failing Luhn": (
        [PHONE, device(TABLET, imeis=[IMEI_B, "490154203237519"])], CONTACT,
        [("IMEI_INVALID", ["input", "devices", "1", "imeis", "1"])],
    ),
    "IMEI too short": (
        [device(PHONE, imeis=["4901542032"])], CONTACT,
        [("IMEI_INVALID", ["input", "devices", "0", "imeis", "0"])],
    ),
    "same IMEI twice on a line": (
        [device(TABLET, imeis=[IMEI_B, IMEI_B])], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "imeis", "1"])],
    ),
    "same IMEI on two lines": (
        [PHONE, device(TABLET, imeis=[IMEI_C, PHONE["imeis"][0]])], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "1", "imeis", "1"])],
    ),
    "brand too long": (
        [device(PHONE, brand="A" * 101)], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "brand"])],
    ),
    "blank model": (
        [device(PHONE, model="   ")], CONTACT,
        [("INVALID_INPUT", ["input", "devices", "0", "model"])],
    ),
    "malformed email": (
        [PHONE], {**CONTACT, "email": "zoe at example.com"},
        [("INVALID_INPUT", ["input", "contact", "email"])],
    ),
    "malformed phone": (
        [PHONE], {**CONTACT, "phone": "call me maybe"},
        [("INVALID_INPUT", ["input", "contact", "phone"])],
    ),
    "name too long": (
        [PHONE], {**CONTACT, "name": "Z" * 201},
        [("INVALID_INPUT", ["input", "contact", "name"])],
    ),
    "blank name": (
        [PHONE], {**CONTACT, "name": ""},
        [("INVALID_INPUT", ["input", "contact", "name"])],
    ),
    "no devices": ([], CONTACT, [("INVALID_INPUT", ["input", "devices"])]),
    "several problems at once": (
        [device(PHONE, askingPrice="0", imeis=["123"]), device(TABLET, quantity=0)],
        {**CONTACT, "email": "nope"},
        [
            ("INVALID_INPUT", ["input", "contact", "email"]),
            ("INVALID_INPUT", ["input", "devices", "0", "askingPrice"]),
            ("IMEI_INVALID", ["input", "devices", "0", "imeis", "0"]),
            ("INVALID_INPUT", ["input", "devices", "1", "quantity"]),
        ],
    ),
}


@pytest.mark.parametrize("case", list(SUBMISSION_CASES))
async def test_bad_submission_is_refused_and_changes_nothing(api: Api, org: Org, case: str) -> None:
    devices, contact, expected = SUBMISSION_CASES[case]
    quote_id, link = await request_link(api, org)
    async with Unchanged(api, link, quote_id) as before:
        assert before["status"] == "REQUESTED" and before["lines"] == []
        data = await api(
            SUBMIT_SHORT, {"input": {"quoteId": quote_id, "contact": contact, "devices": devices}}, link
        )
        payload = data["submitQuote"]
        assert payload["quote"] is None
        assert sorted(errors(payload)) == sorted(expected)
        assert all(e["message"] for e in payload["userErrors"])


async def test_over_long_submission_message(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org)
    async with Unchanged(api, link, quote_id):
        data = await api(
            SUBMIT_SHORT,
            {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE], "message": "x" * 5001}},
            link,
        )
        assert errors(data["submitQuote"]) == [("INVALID_INPUT", ["input", "message"])]


async def test_the_currency_decides_how_many_decimals_a_price_may_have(api: Api) -> None:
    org = await make_org(api, currency="JPY")
    quote_id, link = await request_link(api, org)
    yen = device(PHONE, askingPrice="1000.5")
    async with Unchanged(api, link, quote_id):
        data = await api(SUBMIT_SHORT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [yen]}}, link)
        assert errors(data["submitQuote"]) == [("INVALID_INPUT", ["input", "devices", "0", "askingPrice"])]

    data = await api(
        SUBMIT_SHORT,
        {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [device(PHONE, askingPrice="1000")]}},
        link,
    )
    payload = data["submitQuote"]
    assert payload["userErrors"] == []
    assert payload["quote"]["lines"][0]["askingPrice"] == {"amount": "1000", "currencyCode": "JPY"}

    # the merchant's counter follows the same rule
    line = payload["quote"]["lines"][0]["id"]
    async with Unchanged(api, org.owner_token, quote_id):
        refused = await counter(api, org.owner_token, quote_id, [{"lineId": line, "action": "COUNTER", "price": "900.50"}])
        assert errors(refused) == [("INVALID_INPUT", ["input", "lines", "0", "price"])]
    accepted_counter = await counter(api, org.owner_token, quote_id, [{"lineId": line, "action": "COUNTER", "price": "900"}])
    assert accepted_counter["userErrors"] == []
    assert accepted_counter["quote"]["lines"][0]["merchantOffer"]["amount"] == "900"


async def test_a_three_decimal_currency_takes_three_decimals(api: Api) -> None:
    org = await make_org(api, currency="KWD")
    quote_id, link = await request_link(api, org)
    data = await api(
        SUBMIT_SHORT,
        {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [device(PHONE, askingPrice="12.5")]}},
        link,
    )
    assert data["submitQuote"]["quote"]["lines"][0]["askingPrice"]["amount"] == "12.500"


async def test_malformed_quote_id(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        for bad in ["nope", "", to_global_id("QuoteLine", pk(quote["id"])), to_global_id("Quote", 10**9)]:
            payload = await counter(
                api, org.owner_token, bad, lines_input(quote, [("COUNTER", "600"), ("ACCEPT", None)])
            )
            assert errors(payload) == [("NOT_FOUND", ["input", "quoteId"])], bad
            data = await api(SUBMIT_SHORT, {"input": {"quoteId": bad, "contact": CONTACT, "devices": [PHONE]}}, link)
            assert errors(data["submitQuote"]) == [("NOT_FOUND", ["input", "quoteId"])], bad
            data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": bad, "body": "hi"}}, link)
            assert errors(data["sendMessage"]) == [("NOT_FOUND", ["input", "quoteId"])], bad
            data = await api(
                doc.CONVERT,
                {"input": {"quoteId": bad, "payoutMethod": "CHECK", "fulfillment": "PICKUP"}},
                org.owner_token,
            )
            assert errors(data["convertToBuyOrder"]) == [("NOT_FOUND", ["input", "quoteId"])], bad


# ------------------------------------------------------------------ response rounds


async def test_unknown_line_ids(api: Api, org: Org) -> None:
    quote, _ = await submitted(api, org)
    other, _ = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        for index, bad in [
            (0, "garbage"),
            (1, to_global_id("QuoteLine", 10**9)),
            (1, to_global_id("Quote", pk(quote["id"]))),
            (0, other["lines"][0]["id"]),
        ]:
            lines = lines_input(quote, [("COUNTER", "600"), ("ACCEPT", None)])
            lines[index]["lineId"] = bad
            payload = await counter(api, org.owner_token, quote["id"], lines)
            assert errors(payload) == [("NOT_FOUND", ["input", "lines", str(index), "lineId"])], bad


async def test_a_round_must_answer_every_line_that_awaits_the_actor(api: Api, org: Org) -> None:
    quote, _ = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        payload = await counter(api, org.owner_token, quote["id"], lines_input(quote, [("COUNTER", "600"), ("ACCEPT", None)])[:1])
        assert errors(payload) == [("INVALID_INPUT", ["input", "lines"])]
        payload = await counter(api, org.owner_token, quote["id"], [])
        assert errors(payload) == [("INVALID_INPUT", ["input", "lines"])]


async def test_a_line_answered_twice(api: Api, org: Org) -> None:
    quote, _ = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        lines = lines_input(quote, [("COUNTER", "600"), ("ACCEPT", None)])
        lines.append({**lines[0], "price": "590"})
        payload = await counter(api, org.owner_token, quote["id"], lines)
        assert errors(payload) == [("INVALID_INPUT", ["input", "lines", "2"])]


async def test_a_round_may_not_touch_a_line_that_does_not_await_the_actor(api: Api, org: Org) -> None:
    quote, link = await negotiating(api, org)
    assert [line["status"] for line in quote["lines"]] == ["PENDING", "ACCEPTED"]
    async with Unchanged(api, link, quote["id"]):
        payload = await counter(api, link, quote["id"], lines_input(quote, [("COUNTER", "630"), ("DECLINE", None)]))
        assert errors(payload) == [("INVALID_STATE", ["input", "lines", "1"])]


@pytest.mark.parametrize(
    ("action", "price"),
    [
        ("COUNTER", None),
        ("COUNTER", "0"),
        ("COUNTER", "-10"),
        ("COUNTER", "599.999"),
        ("COUNTER", "1000000000000"),
        ("COUNTER", "NaN"),
        ("COUNTER", "Infinity"),
        ("ACCEPT", "NaN"),
        ("COUNTER", "-Infinity"),
        ("ACCEPT", "600"),
        ("DECLINE", "600"),
    ],
)
async def test_bad_line_price(api: Api, org: Org, action: str, price: str | None) -> None:
    quote, _ = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        lines = lines_input(quote, [("COUNTER", "600"), (action, price)])
        payload = await counter(api, org.owner_token, quote["id"], lines)
        assert errors(payload) == [("INVALID_INPUT", ["input", "lines", "1", "price"])]


async def test_over_long_round_message(api: Api, org: Org) -> None:
    quote, _ = await submitted(api, org)
    async with Unchanged(api, org.owner_token, quote["id"]):
        lines = lines_input(quote, [("COUNTER", "600"), ("ACCEPT", None)])
        payload = await counter(api, org.owner_token, quote["id"], lines, message="x" * 5001)
        assert errors(payload) == [("INVALID_INPUT", ["input", "message"])]


async def test_stale_expected_version(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    version = quote["version"]
    lines = lines_input(quote, [("COUNTER", "600"), ("COUNTER", "250")])
    async with Unchanged(api, org.owner_token, quote["id"]):
        payload = await counter(api, org.owner_token, quote["id"], lines, expectedVersion=version - 1)
        assert errors(payload) == [("STALE_VERSION", ["input", "expectedVersion"])]
    payload = await counter(api, org.owner_token, quote["id"], lines, expectedVersion=version)
    assert payload["userErrors"] == [] and payload["quote"]["version"] == version + 1

    async with Unchanged(api, link, quote["id"]):
        data = await api(
            doc.ACCEPT_ALL,
            {"input": {"quoteId": quote["id"], "signature": SIGNATURE, "expectedVersion": version}},
            link,
        )
        assert errors(data["acceptAllRemaining"]) == [("STALE_VERSION", ["input", "expectedVersion"])]
        data = await api(doc.REJECT_ALL, {"input": {"quoteId": quote["id"], "expectedVersion": version}}, link)
        assert errors(data["rejectAllRemaining"]) == [("STALE_VERSION", ["input", "expectedVersion"])]


# ------------------------------------------------------------------ acceptance


async def test_acceptance_needs_consent_and_a_valid_signature(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    payload = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
    assert payload["quote"]["awaiting"] == "CUSTOMER"
    quote_id = quote["id"]
    async with Unchanged(api, link, quote_id):
        for signature, expected in [
            ({**SIGNATURE, "consent": False}, [("CONSENT_REQUIRED", ["input", "signature", "consent"])]),
            ({**SIGNATURE, "email": "zoe@"}, [("INVALID_INPUT", ["input", "signature", "email"])]),
            ({**SIGNATURE, "name": "  "}, [("INVALID_INPUT", ["input", "signature", "name"])]),
            ({**SIGNATURE, "name": "Z" * 201}, [("INVALID_INPUT", ["input", "signature", "name"])]),
            (
                {"name": "", "email": "x", "consent": False},
                [
                    ("INVALID_INPUT", ["input", "signature", "name"]),
                    ("INVALID_INPUT", ["input", "signature", "email"]),
                    ("CONSENT_REQUIRED", ["input", "signature", "consent"]),
                ],
            ),
        ]:
            data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": signature}}, link)
            assert sorted(errors(data["acceptAllRemaining"])) == sorted(expected), signature


# ------------------------------------------------------------------ actions in the wrong status or turn


async def test_submit_twice(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    async with Unchanged(api, link, quote["id"]):
        data = await api(SUBMIT_SHORT, {"input": {"quoteId": quote["id"], "contact": CONTACT, "devices": [PHONE]}}, link)
        assert [e["code"] for e in data["submitQuote"]["userErrors"]] == ["INVALID_STATE"]


async def test_customer_actions_out_of_turn(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)  # SUBMITTED, awaiting MERCHANT
    async with Unchanged(api, link, quote["id"]):
        payload = await respond(api, link, quote, [("ACCEPT", None), ("ACCEPT", None)])
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_STATE"]
        data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": SIGNATURE}}, link)
        assert [e["code"] for e in data["acceptAllRemaining"]["userErrors"]] == ["INVALID_STATE"]
        data = await api(doc.REJECT_ALL, {"input": {"quoteId": quote["id"]}}, link)
        assert [e["code"] for e in data["rejectAllRemaining"]["userErrors"]] == ["INVALID_STATE"]
        data = await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link)
        assert [e["code"] for e in data["withdrawAcceptance"]["userErrors"]] == ["INVALID_STATE"]


async def test_merchant_counters_out_of_turn(api: Api, org: Org) -> None:
    quote, _ = await negotiating(api, org)  # awaiting CUSTOMER
    async with Unchanged(api, org.owner_token, quote["id"]):
        payload = await counter(api, org.owner_token, quote["id"], lines_input(quote, [("COUNTER", "590"), ("ACCEPT", None)])[:1])
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_STATE"]


async def test_withdraw_when_the_customer_accepted_nothing(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    payload = await respond(api, org.owner_token, quote, [("ACCEPT", None), ("ACCEPT", None)])
    assert payload["quote"]["status"] == "ACCEPTED"  # the merchant accepted every asking price
    async with Unchanged(api, link, quote["id"]):
        data = await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link)
        assert [e["code"] for e in data["withdrawAcceptance"]["userErrors"]] == ["INVALID_STATE"]


async def test_accept_all_with_a_line_the_merchant_has_not_priced(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    # the merchant declines the phone and counters the tablet: awaiting CUSTOMER on the tablet only
    payload = await respond(api, org.owner_token, quote, [("DECLINE", None), ("COUNTER", "250")])
    assert payload["quote"]["awaiting"] == "CUSTOMER"
    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": SIGNATURE}}, link)
    assert data["acceptAllRemaining"]["userErrors"] == []
    assert data["acceptAllRemaining"]["quote"]["status"] == "ACCEPTED"


async def test_convert_when_not_accepted_and_twice(api: Api, org: Org) -> None:
    quote, _ = await negotiating(api, org)
    convert = {"quoteId": quote["id"], "payoutMethod": "CHECK", "fulfillment": "PICKUP"}
    async with Unchanged(api, org.owner_token, quote["id"]):
        data = await api(doc.CONVERT, {"input": convert}, org.owner_token)
        assert [e["code"] for e in data["convertToBuyOrder"]["userErrors"]] == ["INVALID_STATE"]
        assert data["convertToBuyOrder"]["buyOrder"] is None

    quote, _ = await accepted(api, org)
    convert["quoteId"] = quote["id"]
    first = await api(doc.CONVERT, {"input": convert}, org.owner_token)
    assert first["convertToBuyOrder"]["userErrors"] == []
    async with Unchanged(api, org.owner_token, quote["id"]) as before:
        assert before["status"] == "CONVERTED"
        data = await api(doc.CONVERT, {"input": convert}, org.owner_token)
        assert [e["code"] for e in data["convertToBuyOrder"]["userErrors"]] == ["INVALID_STATE"]
    assert await BuyOrder.filter(quote_id=pk(quote["id"])).count() == 1


async def test_final_statuses_refuse_changes(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    data = await api(
        doc.CONVERT,
        {"input": {"quoteId": quote["id"], "payoutMethod": "STRIPE", "fulfillment": "SHIP"}},
        org.owner_token,
    )
    assert data["convertToBuyOrder"]["userErrors"] == []
    async with Unchanged(api, org.owner_token, quote["id"]):
        data = await api(doc.CANCEL, {"input": {"quoteId": quote["id"]}}, org.owner_token)
        assert [e["code"] for e in data["cancelQuote"]["userErrors"]] == ["INVALID_STATE"]
        data = await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link)
        assert [e["code"] for e in data["withdrawAcceptance"]["userErrors"]] == ["INVALID_STATE"]

    canceled, link = await submitted(api, org)
    data = await api(doc.CANCEL, {"input": {"quoteId": canceled["id"], "reason": "Sold out"}}, org.owner_token)
    assert data["cancelQuote"]["quote"]["status"] == "CANCELED"
    async with Unchanged(api, org.owner_token, canceled["id"]):
        for token in (link, org.owner_token):
            data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": canceled["id"], "body": "Still there?"}}, token)
            assert [e["code"] for e in data["sendMessage"]["userErrors"]] == ["INVALID_STATE"]
            assert data["sendMessage"]["message"] is None
        data = await api(doc.CANCEL, {"input": {"quoteId": canceled["id"]}}, org.owner_token)
        assert [e["code"] for e in data["cancelQuote"]["userErrors"]] == ["INVALID_STATE"]
        payload = await respond(api, org.owner_token, canceled, [("ACCEPT", None), ("ACCEPT", None)])
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_STATE"]


async def test_empty_or_over_long_message_body(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    async with Unchanged(api, link, quote["id"]):
        for body in ["", "   ", "x" * 5001, "bell\x07"]:
            data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": body}}, link)
            assert errors(data["sendMessage"]) == [("INVALID_INPUT", ["input", "body"])], body


# ------------------------------------------------------------------ expiry


async def expire_now(quote_id: str) -> None:
    await Quote.filter(id=pk(quote_id)).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))


async def test_every_write_on_an_expired_quote_is_refused_until_the_sweep_marks_it(app: Any, api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    requested_id, requested_link = await request_link(api, org)
    await expire_now(quote["id"])
    await expire_now(requested_id)

    staff = org.owner_token
    async with Unchanged(api, staff, quote["id"]) as before:
        assert before["status"] == "SUBMITTED"
        payload = await respond(api, staff, quote, [("COUNTER", "600"), ("ACCEPT", None)])
        assert [e["code"] for e in payload["userErrors"]] == ["EXPIRED"]
        for token in (link, staff):
            data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "hello?"}}, token)
            assert [e["code"] for e in data["sendMessage"]["userErrors"]] == ["EXPIRED"]
        data = await api(doc.CANCEL, {"input": {"quoteId": quote["id"]}}, staff)
        assert [e["code"] for e in data["cancelQuote"]["userErrors"]] == ["EXPIRED"]
        data = await api(doc.REJECT_ALL, {"input": {"quoteId": quote["id"]}}, link)
        assert [e["code"] for e in data["rejectAllRemaining"]["userErrors"]] == ["EXPIRED"]
        view = await api(doc.QUOTE, {"id": quote["id"]}, staff)
        assert view["quote"]["availableActions"] == ["DOWNLOAD_PDF", "COPY"]

    async with Unchanged(api, requested_link, requested_id):
        data = await api(
            SUBMIT_SHORT, {"input": {"quoteId": requested_id, "contact": CONTACT, "devices": [PHONE]}}, requested_link
        )
        assert [e["code"] for e in data["submitQuote"]["userErrors"]] == ["EXPIRED"]

    assert await expire_due_quotes(app.state.deps) >= 2
    for quote_id, token, version in [
        (quote["id"], staff, before["version"]),
        (requested_id, requested_link, None),
    ]:
        after = await state(api, token, quote_id)
        assert after["status"] == "EXPIRED" and after["awaiting"] is None
        last = after["thread"]["edges"][-1]["node"]
        assert last == {"kind": "EXPIRY", "author": "SYSTEM"}
        if version is not None:
            assert after["version"] == version + 1

    # a second sweep finds nothing more to do for these quotes, and writes stay refused
    await expire_due_quotes(app.state.deps)
    async with Unchanged(api, staff, quote["id"]) as expired:
        assert expired["thread"]["edges"][-1]["node"]["kind"] == "EXPIRY"
        data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "hello?"}}, link)
        assert [e["code"] for e in data["sendMessage"]["userErrors"]] == ["EXPIRED"]
        data = await api(doc.CANCEL, {"input": {"quoteId": quote["id"]}}, staff)
        assert [e["code"] for e in data["cancelQuote"]["userErrors"]] == ["EXPIRED"]


async def test_an_accepted_quote_does_not_expire(app: Any, api: Api, org: Org) -> None:
    quote, _ = await accepted(api, org)
    await expire_now(quote["id"])
    await expire_due_quotes(app.state.deps)
    after = await state(api, org.owner_token, quote["id"])
    assert after["status"] == "ACCEPTED"
    data = await api(
        doc.CONVERT,
        {"input": {"quoteId": quote["id"], "payoutMethod": "CHECK", "fulfillment": "PICKUP"}},
        org.owner_token,
    )
    assert data["convertToBuyOrder"]["userErrors"] == []


# ------------------------------------------------------------------ idempotency


async def test_a_retried_submission_returns_the_first_result(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org)
    submission = {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE, TABLET], "idempotencyKey": "form-1"}
    first = (await api(SUBMIT_SHORT, {"input": submission}, link))["submitQuote"]
    assert first["userErrors"] == [] and first["quote"]["status"] == "SUBMITTED"

    async with Unchanged(api, link, quote_id):
        # the same key with the same form again is the same submission
        second = (await api(SUBMIT_SHORT, {"input": submission}, link))["submitQuote"]
        assert second["userErrors"] == []
        assert second["quote"] == first["quote"]
        # the same key with another form is refused (as Stripe does), not silently replayed
        changed = {**submission, "devices": [TABLET]}
        reused = (await api(SUBMIT_SHORT, {"input": changed}, link))["submitQuote"]
        assert errors(reused) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
        assert reused["quote"] is None
        # another key is a second submission, which the status refuses
        other = (await api(SUBMIT_SHORT, {"input": {**submission, "idempotencyKey": "form-2"}}, link))["submitQuote"]
        assert [e["code"] for e in other["userErrors"]] == ["INVALID_STATE"]


async def test_a_failed_submission_does_not_burn_its_key(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org)
    submission = {"quoteId": quote_id, "contact": CONTACT, "devices": [], "idempotencyKey": "form-1"}
    refused = (await api(SUBMIT_SHORT, {"input": submission}, link))["submitQuote"]
    assert errors(refused) == [("INVALID_INPUT", ["input", "devices"])]
    done = (await api(SUBMIT_SHORT, {"input": {**submission, "devices": [TABLET]}}, link))["submitQuote"]
    assert done["userErrors"] == [] and len(done["quote"]["lines"]) == 1


async def test_an_over_long_idempotency_key(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org)
    async with Unchanged(api, link, quote_id):
        submission = {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE], "idempotencyKey": "k" * 129}
        data = await api(SUBMIT_SHORT, {"input": submission}, link)
        assert errors(data["submitQuote"]) == [("INVALID_INPUT", ["input", "idempotencyKey"])]


async def test_a_retried_conversion_returns_the_first_buy_order(api: Api, org: Org) -> None:
    quote, _ = await accepted(api, org)
    convert = {"quoteId": quote["id"], "payoutMethod": "STORE_CREDIT", "fulfillment": "PICKUP", "idempotencyKey": "c-1"}
    first = (await api(doc.CONVERT, {"input": convert}, org.owner_token))["convertToBuyOrder"]
    assert first["userErrors"] == [] and first["quote"]["status"] == "CONVERTED"

    async with Unchanged(api, org.owner_token, quote["id"]):
        reused = (await api(doc.CONVERT, {"input": {**convert, "payoutMethod": "CHECK"}}, org.owner_token))[
            "convertToBuyOrder"
        ]
        assert errors(reused) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
        again = (await api(doc.CONVERT, {"input": convert}, org.owner_token))["convertToBuyOrder"]
        assert again["userErrors"] == []
        # the same buy order (its receipt URL is signed afresh, with a new expiry)
        assert {**again["buyOrder"], "receiptUrl": None} == {**first["buyOrder"], "receiptUrl": None}
        assert again["quote"] == first["quote"]
    assert await BuyOrder.filter(quote_id=pk(quote["id"])).count() == 1
    assert await BuyOrder.filter(organization_id=org.id).count() == 1


# ------------------------------------------------------------------ quote requests


async def test_bad_quote_request_creates_nothing(api: Api, org: Org) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for request, expected in [
        ({"customerEmail": "zoe@@example.com"}, [("INVALID_INPUT", ["input", "customerEmail"])]),
        ({"customerName": "Z" * 201}, [("INVALID_INPUT", ["input", "customerName"])]),
        ({"message": "x" * 5001}, [("INVALID_INPUT", ["input", "message"])]),
        ({"expiresAt": past}, [("INVALID_INPUT", ["input", "expiresAt"])]),
        (
            {"customerEmail": "nope", "expiresAt": past},
            [("INVALID_INPUT", ["input", "customerEmail"]), ("INVALID_INPUT", ["input", "expiresAt"])],
        ),
    ]:
        data = await api(doc.CREATE_REQUEST, {"input": request}, org.owner_token)
        payload = data["createQuoteRequest"]
        assert payload["quote"] is None and payload["url"] is None
        assert sorted(errors(payload)) == sorted(expected), request
    assert await Quote.filter(organization_id=org.id).count() == 0
