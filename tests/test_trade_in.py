"""The public trade-in page end to end: an anonymous customer prices a device, submits a
trade-in whose IMEIs are checked (a blacklisted one and a duplicate flagged for staff only),
gets instant offers from the price grid with the questionnaire's deductions; staff cannot
quote the flagged line without an override and its reason, which the chain keeps."""

from __future__ import annotations

from typing import Any

from graphql_api.ids import decode_id
from models.outbox import OutboxEmail
from models.quote import QuoteEvent
from tests import devices as dev
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, respond, submitted

ORGANIZATION = """
query Page($slug: String!) {
  organization(slug: $slug) {
    name slug currencyCode showsInstantOffers
    branding { accentColor headline }
    conditionQuestions { key label options }
  }
}
"""

INSTANT_QUOTE = """
query Price($input: InstantQuoteInput!) {
  instantQuote(input: $input) {
    quote { offer { amount currencyCode } basePrice { amount } deductions { question answer kind amount } }
    %s
  }
}
""" % doc.USER_ERRORS

TRADE_IN_FIELDS = """
  id number status source awaiting
  contact { name email }
  lines {
    id device { brand model storage }
    instantOffer { amount currencyCode }
    merchantOffer { amount }
    units { imei check { valid flags sources pending device { model } } }
  }
"""

SUBMIT_TRADE_IN = """
mutation TradeIn($input: SubmitTradeInInput!) {
  submitTradeIn(input: $input) { url accessToken quote { %s } %s }
}
""" % (TRADE_IN_FIELDS, doc.USER_ERRORS)

QUOTE = "query Q($id: ID!) { quote(id: $id) { %s } }" % TRADE_IN_FIELDS


def pixel(imei: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "PHONE",
        "brand": "Google",
        "model": "Pixel 8 Test",
        "storage": "256 GB",
        "condition": "GOOD",
        "carrierLock": "UNLOCKED",
        "conditionAnswers": [
            {"question": "screen", "answer": "Light scratches"},
            {"question": "battery", "answer": "Under 80%"},
        ],
        "quantity": 1,
        "askingPrice": "480.00",
        "imeis": [imei],
        **extra,
    }


async def test_an_anonymous_trade_in_end_to_end(api: Api, org: Org) -> None:
    await dev.stocked(api, org, show_offers=True)
    stolen, duplicate, clean = (dev.imei(dev.PIXEL_TAC, n) for n in (101, 102, 103))
    await api(
        dev.IMPORT_REGISTRY, {"input": {"csv": f"imei,flag,note\n{stolen},BLACKLISTED,police report\n"}},
        org.owner_token,
    )
    # another customer's open quote already holds `duplicate`
    await submitted(api, org, [pixel(duplicate)])

    page = (await api(ORGANIZATION, {"slug": org.slug}))["organization"]
    assert page["showsInstantOffers"] is True
    assert [q["key"] for q in page["conditionQuestions"]] == ["screen", "body", "battery", "accessories"]

    priced = await api(
        INSTANT_QUOTE,
        {
            "input": {
                "organizationSlug": org.slug,
                "brand": "google",
                "model": "pixel 8 test",
                "storage": "256GB",
                "condition": "GOOD",
                "carrierLock": "UNLOCKED",
                "conditionAnswers": [
                    {"question": "Screen", "answer": "light scratches"},
                    {"question": "battery", "answer": "Under 80%"},
                ],
            }
        },
    )
    quote = priced["instantQuote"]["quote"]
    # 500.00 less 10 % of 500 (50.00) less 40.00
    assert quote["offer"] == {"amount": "410.00", "currencyCode": "USD"}
    assert quote["basePrice"] == {"amount": "500.00"}
    assert {(d["question"], d["kind"]) for d in quote["deductions"]} == {("screen", "PERCENT"), ("battery", "FIXED")}

    variables = {
        "input": {
            "organizationSlug": org.slug,
            "contact": CONTACT,
            "devices": [pixel(stolen), pixel(duplicate), pixel(clean, storage="128 GB")],
            "message": "Three phones from the family drawer.",
            "idempotencyKey": "family-drawer-1",
        }
    }
    payload = (await api(SUBMIT_TRADE_IN, variables))["submitTradeIn"]
    assert payload["userErrors"] == []
    trade_in = payload["quote"]
    assert trade_in["status"] == "SUBMITTED" and trade_in["source"] == "TRADE_IN"
    assert trade_in["awaiting"] == "MERCHANT"
    assert payload["url"].endswith("/" + payload["accessToken"])
    assert payload["accessToken"].startswith("tql_")
    # shown to the customer at once; 128 GB: 400 - 40 - 40 = 320
    assert [line["instantOffer"]["amount"] for line in trade_in["lines"]] == ["410.00", "410.00", "320.00"]
    assert [line["merchantOffer"] for line in trade_in["lines"]] == [None, None, None]
    # the customer never sees the checks
    assert all(unit["check"] is None for line in trade_in["lines"] for unit in line["units"])
    customer = (await api(QUOTE, {"id": trade_in["id"]}, payload["accessToken"]))["quote"]
    assert all(unit["check"] is None for line in customer["lines"] for unit in line["units"])

    staff = (await api(QUOTE, {"id": trade_in["id"]}, org.owner_token))["quote"]
    checks = [line["units"][0]["check"] for line in staff["lines"]]
    assert [c["flags"] for c in checks] == [["BLACKLISTED"], ["DUPLICATE"], []]
    assert all(c["valid"] and c["device"]["model"] == "Pixel 8 Test" for c in checks)
    assert all(c["sources"] == ["built-in"] and c["pending"] is False for c in checks)

    # the link is emailed
    quote_pk = decode_id(trade_in["id"], "Quote")
    mails = await OutboxEmail.filter(template="trade_in_received", to_address=CONTACT["email"])
    assert any(m.context.get("quote_id") == quote_pk for m in mails)
    assert any(m.context.get("link_url") == payload["url"] for m in mails)

    # the same key again: the same quote, not a second one
    again = (await api(SUBMIT_TRADE_IN, variables))["submitTradeIn"]
    assert again["quote"]["id"] == trade_in["id"] and again["url"] == payload["url"]

    # staff cannot quote the blacklisted line without an explicit override
    answers = [("COUNTER", "300"), ("COUNTER", "400"), ("ACCEPT", None)]
    refused = await respond(api, org.owner_token, staff, answers)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("DEVICE_FLAGGED", ["input", "lines", "0", "action"])
    ]
    lines = [
        {"lineId": staff["lines"][0]["id"], "action": "COUNTER", "price": "300", "overrideFlags": True},
        {"lineId": staff["lines"][1]["id"], "action": "COUNTER", "price": "400"},
        {"lineId": staff["lines"][2]["id"], "action": "ACCEPT"},
    ]
    no_reason = await api(doc.COUNTER, {"input": {"quoteId": trade_in["id"], "lines": lines}}, org.owner_token)
    assert [(e["code"], e["field"]) for e in no_reason["counterOffer"]["userErrors"]] == [
        ("INVALID_INPUT", ["input", "lines", "0", "overrideReason"])
    ]
    lines[0]["overrideReason"] = "Police report withdrawn; checked with the carrier."
    done = await api(doc.COUNTER, {"input": {"quoteId": trade_in["id"], "lines": lines}}, org.owner_token)
    assert done["counterOffer"]["userErrors"] == []
    assert done["counterOffer"]["quote"]["status"] == "NEGOTIATING"
    event = await QuoteEvent.filter(quote_id=quote_pk).order_by("-seq").first()
    assert event is not None
    assert event.payload["extra"]["flagOverrides"] == [
        {
            "lineId": decode_id(staff["lines"][0]["id"], "QuoteLine"),
            "flags": ["BLACKLISTED"],
            "reason": "Police report withdrawn; checked with the carrier.",
        }
    ]


async def test_grid_changes_never_alter_offers_already_made(api: Api, org: Org) -> None:
    await dev.stocked(api, org)  # offers suggested to staff, not shown to customers
    payload = (
        await api(
            SUBMIT_TRADE_IN,
            {"input": {"organizationSlug": org.slug, "contact": CONTACT, "devices": [pixel(dev.imei(dev.GALAXY_TAC, 5))]}},
        )
    )["submitTradeIn"]
    assert payload["userErrors"] == []
    assert payload["quote"]["lines"][0]["instantOffer"] is None  # hidden from the customer
    quote_id = payload["quote"]["id"]
    staff = (await api(QUOTE, {"id": quote_id}, org.owner_token))["quote"]
    assert staff["lines"][0]["instantOffer"]["amount"] == "410.00"

    cheaper = dev.PRICES_CSV.replace("500.00,200.00", "350.00,200.00")
    await api(dev.IMPORT_GRID, {"input": {"prices": cheaper}}, org.owner_token)
    staff = (await api(QUOTE, {"id": quote_id}, org.owner_token))["quote"]
    assert staff["lines"][0]["instantOffer"]["amount"] == "410.00"
    # a new price for new quotes: 350 - 35 - 40 = 275; hidden from the public meanwhile
    question = {
        "organizationSlug": org.slug, "brand": "Google", "model": "Pixel 8 Test", "storage": "256 GB",
        "condition": "GOOD", "carrierLock": "UNKNOWN",
        "conditionAnswers": [{"question": "screen", "answer": "Cracked"}],
    }
    public = await api(INSTANT_QUOTE, {"input": question})
    assert [e["code"] for e in public["instantQuote"]["userErrors"]] == ["NOT_FOUND"]
    # unknown lock priced as locked: 420 less 80 % = 84
    own = await api(INSTANT_QUOTE, {"input": question}, org.owner_token)
    assert own["instantQuote"]["quote"]["offer"]["amount"] == "84.00"
    question["conditionAnswers"] = []
    question["carrierLock"] = "UNLOCKED"
    question["model"] = "iPad Test"
    unpriced = await api(INSTANT_QUOTE, {"input": question}, org.owner_token)
    assert unpriced["instantQuote"] == {"quote": None, "userErrors": []}


async def test_a_floor_holds_the_offer_up(api: Api, org: Org) -> None:
    await dev.stocked(api, org, show_offers=True)
    question = {
        "organizationSlug": org.slug, "brand": "Google", "model": "Pixel 8 Test", "storage": "128 GB",
        "condition": "GOOD", "conditionAnswers": [
            {"question": "screen", "answer": "Cracked"}, {"question": "battery", "answer": "Under 80%"}],
        "carrierLock": "UNLOCKED",
    }
    data = await api(INSTANT_QUOTE, {"input": question})
    # 400 - 320 - 40 = 40, held at the 150.00 floor
    assert data["instantQuote"]["quote"]["offer"]["amount"] == "150.00"


async def test_staff_edit_the_questionnaire(api: Api, org: Org) -> None:
    questions = [
        {"key": "screen", "label": "Screen", "options": ["Perfect", "Cracked"]},
        {"key": "face_id", "label": "Face ID works", "options": ["Yes", "No"]},
    ]
    data = await api(dev.UPDATE_PAGE, {"input": {"conditionQuestions": questions}}, org.owner_token)
    assert data["updateTradeInPage"]["userErrors"] == []
    page = (await api(ORGANIZATION, {"slug": org.slug}))["organization"]
    assert page["conditionQuestions"] == questions
    bad = [{"key": "Face ID", "label": "", "options": []}, {"key": "screen", "label": "S", "options": ["a"]}]
    data = await api(dev.UPDATE_PAGE, {"input": {"conditionQuestions": bad}}, org.owner_token)
    assert [e["field"] for e in data["updateTradeInPage"]["userErrors"]] == [
        ["input", "conditionQuestions", "0", "key"],
        ["input", "conditionQuestions", "0", "label"],
        ["input", "conditionQuestions", "0", "options"],
    ]
    body = await api.raw(dev.UPDATE_PAGE, {"input": {"showsInstantOffers": True}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_trade_in_with_bad_input_changes_nothing(api: Api, org: Org) -> None:
    bad = pixel("490154203237517", quantity=0)
    payload = (
        await api(
            SUBMIT_TRADE_IN,
            {"input": {"organizationSlug": org.slug, "contact": {"name": "", "email": "nope"}, "devices": [bad]}},
        )
    )["submitTradeIn"]
    assert payload["quote"] is None and payload["url"] is None
    assert sorted(e["code"] for e in payload["userErrors"]) == [
        "IMEI_INVALID", "INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT"
    ]
    missing = (
        await api(SUBMIT_TRADE_IN, {"input": {"organizationSlug": "nowhere", "contact": CONTACT, "devices": [bad]}})
    )["submitTradeIn"]
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [("NOT_FOUND", ["input", "organizationSlug"])]


async def test_racing_retries_with_one_key_make_one_quote(api: Api, org: Org) -> None:
    import asyncio

    from models.quote import Quote

    variables = {
        "input": {
            "organizationSlug": org.slug,
            "contact": CONTACT,
            "devices": [pixel(dev.imei(dev.GALAXY_TAC, 900))],
            "idempotencyKey": "double-click",
        }
    }
    results = await asyncio.gather(*(api(SUBMIT_TRADE_IN, variables) for _ in range(4)))
    ids = {r["submitTradeIn"]["quote"]["id"] for r in results}
    assert len(ids) == 1 and all(r["submitTradeIn"]["userErrors"] == [] for r in results)
    assert await Quote.filter(organization_id=org.id, source="TRADE_IN").count() == 1
