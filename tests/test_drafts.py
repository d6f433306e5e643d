"""Merchant-written quotes through the API: draft, issue, recall, edit, issue again, negotiate,
accept, convert; a recall refused once the customer answered; the log keeps every round."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql_api.ids import decode_id
from models.outbox import OutboxEmail
from models.quote import QuoteEvent
from models.services.journal import chain_is_valid
from tests import documents as doc
from tests.client import Api, GraphQLFailure, Org
from tests.flow import CONTACT, respond, submitted, token_of

FIELDS = "id status awaiting source version expiresAt availableActions " \
    "contact { name email } lines { id status awaiting merchantOffer { amount } customerPrice { amount } device { model } } " \
    "thread(first: 50) { edges { node { kind author body } } }"

CREATE_DRAFT = """
mutation CreateDraft($input: CreateDraftQuoteInput!) {
  createDraftQuote(input: $input) { quote { %s } %s }
}
""" % (FIELDS, doc.USER_ERRORS)

UPDATE_DRAFT = """
mutation UpdateDraft($input: UpdateDraftQuoteInput!) {
  updateDraftQuote(input: $input) { quote { %s } %s }
}
""" % (FIELDS, doc.USER_ERRORS)

ISSUE = """
mutation Issue($input: IssueQuoteInput!) {
  issueQuote(input: $input) { url quote { %s } %s }
}
""" % (FIELDS, doc.USER_ERRORS)

RECALL = """
mutation Recall($input: RecallQuoteInput!) {
  recallQuote(input: $input) { quote { %s } %s }
}
""" % (FIELDS, doc.USER_ERRORS)

READ = "query Read($id: ID!) { quote(id: $id) { %s } }" % FIELDS

IPHONE = {
    "type": "PHONE", "brand": "Apple", "model": "iPhone 13", "storage": "128 GB",
    "condition": "GOOD", "quantity": 1, "offer": "410.00", "imeis": ["356938035643809"],
}
PIXEL = {"type": "PHONE", "brand": "Google", "model": "Pixel 7", "condition": "FAIR", "quantity": 2, "offer": "150"}
WATCH = {"type": "SMARTWATCH", "brand": "Apple", "model": "Watch SE", "condition": "LIKE_NEW", "quantity": 1, "offer": "90"}


def pk(global_id: str) -> int:
    value = decode_id(global_id, "Quote")
    assert value is not None
    return value


def kinds(quote: dict[str, Any]) -> list[str]:
    return [edge["node"]["kind"] for edge in quote["thread"]["edges"]]


async def draft(api: Api, org: Org, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data = await api(
        CREATE_DRAFT,
        {"input": {"contact": CONTACT, "lines": [IPHONE, PIXEL] if lines is None else lines, "message": "As discussed"}},
        org.owner_token,
    )
    payload = data["createDraftQuote"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["quote"]


async def test_draft_issue_recall_edit_issue_counter_accept_convert(app: Any, api: Api, org: Org) -> None:
    quote = await draft(api, org)
    assert (quote["status"], quote["source"], quote["awaiting"]) == ("DRAFT", "MERCHANT", None)
    assert quote["expiresAt"] is None  # set when issued
    assert [line["merchantOffer"]["amount"] for line in quote["lines"]] == ["410.00", "150.00"]
    assert {"EDIT", "ISSUE", "CANCEL", "COPY"} <= set(quote["availableActions"])
    assert "RECALL" not in quote["availableActions"]

    issued = (await api(ISSUE, {"input": {"quoteId": quote["id"], "message": "Here you go"}}, org.owner_token))["issueQuote"]
    assert issued["userErrors"] == []
    link = token_of(issued["url"])
    quote = issued["quote"]
    assert (quote["status"], quote["awaiting"]) == ("NEGOTIATING", "CUSTOMER")
    assert quote["expiresAt"] is not None
    assert "RECALL" in quote["availableActions"] and "EDIT" not in quote["availableActions"]
    seen = (await api(READ, {"id": quote["id"]}, link))["quote"]
    assert {"ACCEPT_ALL_REMAINING", "COUNTER_OFFER"} <= set(seen["availableActions"])

    # an issued quote cannot be edited
    refused = (await api(UPDATE_DRAFT, {"input": {"quoteId": quote["id"], "lines": [WATCH]}}, org.owner_token))["updateDraftQuote"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATE"]

    events_before = await QuoteEvent.filter(quote_id=pk(quote["id"])).order_by("seq").values("seq", "hash", "payload")
    recalled = (await api(RECALL, {"input": {"quoteId": quote["id"], "reason": "Wrong model"}}, org.owner_token))["recallQuote"]
    assert recalled["userErrors"] == []
    quote = recalled["quote"]
    assert (quote["status"], quote["awaiting"]) == ("DRAFT", None)
    assert kinds(quote)[-2:] == ["ISSUE", "RECALL"]
    # nothing rewritten: the earlier events stand as they were, one entry voids the issue
    events_after = await QuoteEvent.filter(quote_id=pk(quote["id"])).order_by("seq").values("seq", "hash", "payload")
    assert events_after[: len(events_before)] == events_before
    (voiding,) = events_after[len(events_before):]
    issue_event = events_before[-1]
    assert issue_event["payload"]["message"]["kind"] == "ISSUE"
    assert voiding["payload"]["extra"]["voids"]["seq"] == issue_event["seq"]
    # the customer, who had the offer by email, is told it is being revised
    told = await OutboxEmail.filter(organization_id=org.id, template="quote_recalled").values_list("context", flat=True)
    assert [context["reason"] for context in told] == ["Wrong model"]
    assert "RECALL" not in quote["availableActions"]
    # the customer's link does not open a draft
    assert "errors" in await api.raw(READ, {"id": quote["id"]}, link)
    assert await chain_is_valid(pk(quote["id"]), app.state.deps.keys)

    stale = (await api(UPDATE_DRAFT, {"input": {"quoteId": quote["id"], "lines": [WATCH], "expectedVersion": 1}}, org.owner_token))["updateDraftQuote"]
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    edited = (await api(UPDATE_DRAFT, {"input": {"quoteId": quote["id"], "lines": [IPHONE, WATCH],
                                                 "expectedVersion": quote["version"]}}, org.owner_token))["updateDraftQuote"]
    assert edited["userErrors"] == []
    quote = edited["quote"]
    assert [line["device"]["model"] for line in quote["lines"]] == ["iPhone 13", "Watch SE"]
    assert quote["version"] > recalled["quote"]["version"]

    issued = (await api(ISSUE, {"input": {"quoteId": quote["id"], "sendEmail": False}}, org.owner_token))["issueQuote"]
    assert issued["userErrors"] == [] and token_of(issued["url"]) == link  # the same link
    quote = issued["quote"]
    countered = await respond(api, link, quote, [("COUNTER", "450"), ("ACCEPT", None)])
    assert countered["userErrors"] == []
    quote = (await api(READ, {"id": quote["id"]}, org.owner_token))["quote"]
    assert (quote["status"], quote["awaiting"]) == ("NEGOTIATING", "MERCHANT")
    assert "RECALL" not in quote["availableActions"]

    answer = [{"lineId": quote["lines"][0]["id"], "action": "COUNTER", "price": "430"}]
    merchant = (await api(doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": answer}}, org.owner_token))["counterOffer"]
    assert merchant["userErrors"] == []
    accepted = (await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": {
        "name": CONTACT["name"], "email": CONTACT["email"], "consent": True}}}, link))["acceptAllRemaining"]
    assert accepted["userErrors"] == []
    assert accepted["quote"]["status"] == "ACCEPTED"
    assert accepted["quote"]["totals"]["agreed"]["amount"] == "520.00"
    assert accepted["quote"]["acceptance"]["valid"] is True
    converted = (await api(doc.CONVERT, {"input": {"quoteId": quote["id"], "payoutMethod": "CHECK",
                                                   "fulfillment": "SHIP"}}, org.owner_token))["convertToBuyOrder"]
    assert converted["userErrors"] == []
    assert converted["quote"]["status"] == "CONVERTED"
    assert converted["buyOrder"]["total"]["amount"] == "520.00"
    assert await chain_is_valid(pk(quote["id"]), app.state.deps.keys)


async def test_recall_is_refused_once_the_customer_answered(api: Api, org: Org) -> None:
    quote = await draft(api, org)
    issued = (await api(ISSUE, {"input": {"quoteId": quote["id"], "sendEmail": False}}, org.owner_token))["issueQuote"]
    link = token_of(issued["url"])
    await respond(api, link, issued["quote"], [("COUNTER", "450"), ("ACCEPT", None)])
    refused = (await api(RECALL, {"input": {"quoteId": quote["id"]}}, org.owner_token))["recallQuote"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATE"]
    assert refused["quote"] is None
    after = (await api(READ, {"id": quote["id"]}, org.owner_token))["quote"]
    assert (after["status"], after["awaiting"]) == ("NEGOTIATING", "MERCHANT")
    assert "RECALL" not in kinds(after)


async def test_recalling_a_counter_returns_the_turn_with_the_lines_as_they_were(app: Any, api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    payload = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("ACCEPT", None)])
    assert payload["userErrors"] == []
    assert "RECALL" in payload["quote"]["availableActions"]
    recalled = (await api(RECALL, {"input": {"quoteId": quote["id"]}}, org.owner_token))["recallQuote"]
    assert recalled["userErrors"] == []
    after = recalled["quote"]
    assert (after["status"], after["awaiting"]) == ("SUBMITTED", "MERCHANT")
    assert [(line["status"], line["awaiting"], line["merchantOffer"]) for line in after["lines"]] == [
        ("PENDING", "MERCHANT", None), ("PENDING", "MERCHANT", None)]
    assert kinds(after)[-2:] == ["COUNTER_OFFER", "RECALL"]  # the round stays in the log
    assert await chain_is_valid(pk(quote["id"]), app.state.deps.keys)
    # the customer still follows the quote, and it is the merchant's turn again
    seen = (await api(READ, {"id": quote["id"]}, link))["quote"]
    assert "COUNTER_OFFER" not in seen["availableActions"]
    again = await respond(api, org.owner_token, quote, [("COUNTER", "610"), ("COUNTER", "240")])
    assert again["userErrors"] == []


async def test_drafts_are_for_negotiating_staff_and_need_valid_lines(api: Api, org: Org) -> None:
    from models.negotiation import StaffRole

    finance = await org.staff_token(StaffRole.FINANCE)
    body = await api.raw(CREATE_DRAFT, {"input": {"contact": CONTACT, "lines": [IPHONE]}}, finance)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = (await api(CREATE_DRAFT, {"input": {"contact": CONTACT, "lines": [{**IPHONE, "offer": "-1"}, {**PIXEL, "quantity": 0}]}},
                     org.owner_token))["createDraftQuote"]
    assert {(e["code"], tuple(e["field"])) for e in bad["userErrors"]} >= {
        ("INVALID_INPUT", ("input", "lines", "0", "offer")),
        ("INVALID_INPUT", ("input", "lines", "1", "quantity")),
    }
    empty = await draft(api, org, lines=[])
    assert "ISSUE" not in empty["availableActions"]
    refused = (await api(ISSUE, {"input": {"quoteId": empty["id"]}}, org.owner_token))["issueQuote"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATE"]
    try:
        await api(READ, {"id": empty["id"]}, "tql_1_forged")
    except GraphQLFailure:
        pass
    else:
        raise AssertionError("a forged link opened a draft")


async def test_a_recall_racing_the_customers_answer_lets_exactly_one_through(app: Any, api: Api, org: Org) -> None:
    quote = await draft(api, org)
    issued = (await api(ISSUE, {"input": {"quoteId": quote["id"], "sendEmail": False}}, org.owner_token))["issueQuote"]
    link = token_of(issued["url"])
    lines = [{"lineId": line["id"], "action": "ACCEPT"} for line in issued["quote"]["lines"]]
    recall, answer = await asyncio.gather(
        api.raw(RECALL, {"input": {"quoteId": quote["id"]}}, org.owner_token),
        api.raw(doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": lines}}, link),
    )
    recalled = not recall["data"]["recallQuote"]["userErrors"]
    answered = "errors" not in answer and not answer["data"]["counterOffer"]["userErrors"]
    assert recalled != answered, (recall, answer)
    final = (await api(READ, {"id": quote["id"]}, org.owner_token))["quote"]
    assert final["status"] == ("DRAFT" if recalled else "ACCEPTED")
    assert await chain_is_valid(pk(quote["id"]), app.state.deps.keys)
    # no email about a recall that never reached the customer by email
    assert not await OutboxEmail.filter(organization_id=org.id, template="quote_recalled").exists()
