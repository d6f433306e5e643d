"""The whole negotiation loop over GraphQL, as the customer and the merchant live it."""

from __future__ import annotations

from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, request_link, respond, submitted


async def test_request_submit_counter_accept_withdraw_accept_convert(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org, message="Hi Zoë, list your devices here.")

    viewer = await api(doc.VIEWER, token=link)
    assert viewer["viewer"]["kind"] == "CUSTOMER_LINK"
    assert viewer["viewer"]["quote"]["id"] == quote_id

    quote, _ = await submitted(api, org)
    assert quote["status"] == "SUBMITTED"
    assert quote["awaiting"] == "MERCHANT"
    assert quote["contact"] == CONTACT
    assert quote["totals"]["asking"]["amount"] == "1250.00"
    assert [line["askingPrice"]["amount"] for line in quote["lines"]] == ["650.00", "300.00"]
    assert quote["lines"][0]["units"] == [
        {"imei": "490154203237518", "serial": None, "check": None}
    ]


async def test_full_loop(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    staff = org.owner_token

    # the merchant counters the phone and accepts the tablet's asking price
    payload = await respond(api, staff, quote, [("COUNTER", "600"), ("ACCEPT", None)], message="Best I can do")
    assert payload["userErrors"] == []
    quote = payload["quote"]
    assert quote["status"] == "NEGOTIATING" and quote["awaiting"] == "CUSTOMER"
    assert quote["lines"][0]["merchantOffer"]["amount"] == "600.00"
    assert quote["lines"][1]["status"] == "ACCEPTED"
    assert quote["lines"][1]["agreedPrice"]["amount"] == "300.00"

    # the customer counters back on the phone
    payload = await respond(api, link, {**quote, "lines": quote["lines"][:1]}, [("COUNTER", "630")])
    assert payload["userErrors"] == []
    quote = payload["quote"]
    assert quote["awaiting"] == "MERCHANT"
    assert quote["lines"][0]["customerPrice"]["amount"] == "630.00"

    # the merchant counters again, the customer accepts everything
    payload = await respond(api, staff, {**quote, "lines": quote["lines"][:1]}, [("COUNTER", "615")])
    quote = payload["quote"]
    signature = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}
    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": signature}}, link)
    quote = data["acceptAllRemaining"]["quote"]
    assert quote["status"] == "ACCEPTED"
    assert quote["totals"]["agreed"]["amount"] == "1215.00"
    assert quote["acceptance"]["valid"] is True
    assert len(quote["acceptance"]["signatureHash"]) == 64
    assert "WITHDRAW_ACCEPTANCE" in quote["availableActions"]

    # the customer withdraws: their accepted line reopens, the merchant's stays accepted
    data = await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link)
    quote = data["withdrawAcceptance"]["quote"]
    assert quote["status"] == "NEGOTIATING" and quote["awaiting"] == "CUSTOMER"
    assert [line["status"] for line in quote["lines"]] == ["PENDING", "ACCEPTED"]
    assert quote["lines"][0]["merchantOffer"]["amount"] == "615.00"
    assert quote["acceptance"]["withdrawnAt"] is not None

    # accepts again, and the merchant converts
    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": signature}}, link)
    quote = data["acceptAllRemaining"]["quote"]
    assert quote["status"] == "ACCEPTED" and quote["acceptance"]["withdrawnAt"] is None
    data = await api(
        doc.CONVERT,
        {"input": {"quoteId": quote["id"], "payoutMethod": "STRIPE", "fulfillment": "SHIP"}},
        staff,
    )
    payload = data["convertToBuyOrder"]
    assert payload["userErrors"] == []
    assert payload["quote"]["status"] == "CONVERTED"
    order = payload["buyOrder"]
    assert order["number"].startswith("BO-")
    assert order["total"] == {"amount": "1215.00", "currencyCode": "USD"}
    assert [(l["quantity"], l["unitPrice"]["amount"]) for l in order["lines"]] == [(1, "615.00"), (2, "300.00")]
    assert order["payoutMethod"] == "STRIPE" and order["fulfillment"] == "SHIP"

    # the link still opens the converted quote, with the whole story in the thread
    data = await api(doc.THREAD_VIEW, {"id": quote["id"]}, link)
    view = data["quote"]
    assert view["status"] == "CONVERTED"
    kinds = [edge["node"]["kind"] for edge in view["thread"]["edges"]]
    assert kinds == [
        "MESSAGE", "SUBMISSION", "COUNTER_OFFER", "COUNTER_OFFER", "COUNTER_OFFER",
        "ACCEPTANCE", "WITHDRAWAL", "ACCEPTANCE", "CONVERSION",
    ]
    assert view["acceptance"]["valid"] is True
