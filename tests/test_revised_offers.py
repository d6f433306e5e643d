"""Revised offers with evidence, end to end through the API: convert → scan the IMEI → grade →
revised offer with two photos → the customer accepts through their link → the payout is
lowered → approved → settled; the same declined (a return with its label, that part of the
payout declined) and left to lapse on a moved clock. Everything sealed in the quote's chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from graphql_api.ids import decode_id
from models.organization import Organization
from models.outbox import OutboxEmail
from models.quote import QuoteEvent
from models.revised_offer import RevisedOffer
from models.services.journal import chain_is_valid
from models.services.revised_offers import lapse_revised_offers
from tests.after_flow import APPROVE, SETTLE, USER_ERRORS, codes, converted, order_of
from tests.client import Api, Org
from tests.test_receiving import GRADE, PHONE_IMEI, scan

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2048
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048

STAGE = (
    """
mutation Stage($input: StageEvidenceUploadsInput!) {
  stageEvidenceUploads(input: $input) { uploads { id url expiresAt } %s }
}
"""
    % USER_ERRORS
)

REVISE = (
    """
mutation Revise($input: ReviseOfferInput!) {
  reviseOffer(input: $input) {
    revisedOffer { id status price { amount } priceBefore { amount } replyBy reasons { code category }
                   photos { contentType size sha256 } }
    %s
  }
}
"""
    % USER_ERRORS
)

ANSWER = (
    """
mutation Answer($input: AnswerRevisedOfferInput!) {
  answerRevisedOffer(input: $input) { revisedOffer { id status answeredAt returnShipment { carrier trackingNumber } } %s }
}
"""
    % USER_ERRORS
)

REASONS = "query Reasons { revisionReasons { code category label } }"


def path_of(url: str) -> str:
    return url[url.index("/", len("http://")) :]


async def staged(api: Api, token: str, count: int) -> list[dict[str, Any]]:
    data = await api(STAGE, {"input": {"count": count}}, token)
    assert data["stageEvidenceUploads"]["userErrors"] == []
    return data["stageEvidenceUploads"]["uploads"]


async def put(api: Api, url: str, body: bytes, content_type: str = "image/jpeg") -> Any:
    return await api.client.put(path_of(url), content=body, headers={"Content-Type": content_type})


async def received_and_revised(
    api: Api, org: Org, *, finance_gate: bool = True
) -> tuple[str, str, dict[str, Any]]:
    """(quote id, link, the revised offer): the phone received, graded C, revised from 600 to
    450 with two photos."""
    quote_id, link = await converted(api, org, "CHECK", finance_gate=finance_gate)
    unit = (await scan(api, org.owner_token, PHONE_IMEI))["unit"]
    graded = await api(
        GRADE,
        {"input": {"unitId": unit["id"], "grade": "C", "notes": "Cracked back"}},
        org.owner_token,
    )
    assert graded["gradeUnit"]["userErrors"] == []
    uploads = await staged(api, org.owner_token, 2)
    assert (await put(api, uploads[0]["url"], JPEG)).status_code == 201
    assert (await put(api, uploads[1]["url"], PNG, "image/png")).status_code == 201
    data = await api(
        REVISE,
        {
            "input": {
                "unitId": unit["id"],
                "price": "450",
                "reasons": ["BODY_DAMAGE", "BATTERY_HEALTH"],
                "photoIds": [u["id"] for u in uploads],
                "note": "The back glass is cracked and the battery is at 71%.",
            }
        },
        org.owner_token,
    )
    payload = data["reviseOffer"]
    assert payload["userErrors"] == []
    return quote_id, link, payload["revisedOffer"]


async def templates_sent(quote_id: str) -> list[str]:
    pk = decode_id(quote_id, "Quote")
    emails = await OutboxEmail.filter(organization_id__isnull=False).order_by("id")
    return [e.template for e in emails if e.context.get("quote_id") == pk]


async def chain_ok(app: Any, quote_id: str) -> bool:
    pk = decode_id(quote_id, "Quote")
    assert pk is not None
    return await chain_is_valid(pk, app.state.deps.keys)


async def test_accepted_through_the_link_lowers_the_payout(api: Api, org: Org, app: Any) -> None:
    quote_id, link, revision = await received_and_revised(api, org)
    assert (revision["status"], revision["price"]["amount"], revision["priceBefore"]["amount"]) == (
        "OPEN",
        "450.00",
        "600.00",
    )
    assert [p["contentType"] for p in revision["photos"]] == ["image/jpeg", "image/png"]
    seen = await order_of(api, quote_id, link)
    assert seen["buyOrder"]["paymentStatus"] == "UNDER_REVIEW"
    offer = seen["revisedOffers"][0]
    assert {r["category"] for r in offer["reasons"]} == {"COSMETIC", "FUNCTIONAL"}
    photo = await api.client.get(path_of(offer["photos"][0]["url"]))
    assert (photo.status_code, photo.content, photo.headers["content-type"]) == (
        200,
        JPEG,
        "image/jpeg",
    )
    # settling waits for the customer's answer
    payout_id = seen["buyOrder"]["payout"]["id"]
    await api(APPROVE, {"input": {"payoutId": payout_id}}, org.owner_token)
    data = await api(
        SETTLE, {"input": {"payoutId": payout_id, "reference": "CHK-9"}}, org.owner_token
    )
    assert codes(data["settlePayout"]) == ["INVALID_STATE"]
    # staff cannot answer for the customer
    refused = await api.raw(
        ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": True}}, org.owner_token
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    answered = await api(
        ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": True}}, link
    )
    assert answered["answerRevisedOffer"]["revisedOffer"]["status"] == "ACCEPTED"
    again = await api(ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": False}}, link)
    assert codes(again["answerRevisedOffer"]) == ["INVALID_STATE"]
    order = (await order_of(api, quote_id, link))["buyOrder"]
    assert (order["payout"]["amount"]["amount"], order["payout"]["declinedAmount"]["amount"]) == (
        "950.00",
        "0.00",
    )
    data = await api(
        SETTLE, {"input": {"payoutId": payout_id, "reference": "CHK-9"}}, org.owner_token
    )
    assert (
        data["settlePayout"]["payout"]["status"],
        data["settlePayout"]["payout"]["paidAmount"]["amount"],
    ) == ("PAID", "950.00")
    assert await chain_ok(app, quote_id)
    events = await QuoteEvent.filter(quote_id=decode_id(quote_id, "Quote")).order_by("seq")
    sealed = [e.payload.get("extra", {}) for e in events]
    revised = next(x["revisedOffer"] for x in sealed if "revisedOffer" in x)
    assert len(revised["photos"]) == 2 and revised["price"] == "450.00"
    assert PHONE_IMEI not in str([e.payload for e in events])  # the chain names units, not IMEIs
    sent = set(await templates_sent(quote_id))
    assert {"unit_received", "revised_offer", "revised_offer_answered", "payout_paid"} <= sent
    received = next(x["unitReceived"] for x in sealed if "unitReceived" in x)
    assert received["unitId"] == revised["unitId"] and "BLACKLISTED" not in received["flags"]


async def test_declined_goes_back_on_a_free_label_and_that_part_is_declined(
    api: Api, org: Org, app: Any
) -> None:
    quote_id, link, revision = await received_and_revised(api, org, finance_gate=False)
    answered = await api(
        ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": False}}, link
    )
    shipment = answered["answerRevisedOffer"]["revisedOffer"]["returnShipment"]
    assert shipment["carrier"] == "Tradequote" and shipment["trackingNumber"].startswith("TQ")
    order = (await order_of(api, quote_id, link))["buyOrder"]
    assert order["returns"] == [
        {
            "carrier": "Tradequote",
            "trackingNumber": shipment["trackingNumber"],
            "reason": "DECLINED",
        }
    ]
    payout = order["payout"]
    assert (payout["amount"]["amount"], payout["declinedAmount"]["amount"]) == ("500.00", "600.00")
    data = await api(
        SETTLE, {"input": {"payoutId": payout["id"], "reference": "CHK-10"}}, org.owner_token
    )
    assert data["settlePayout"]["payout"]["paidAmount"]["amount"] == "500.00"  # paid in part
    assert await chain_ok(app, quote_id)


async def test_silence_past_the_window_returns_the_unit(api: Api, org: Org, app: Any) -> None:
    quote_id, link, revision = await received_and_revised(api, org)
    deps = app.state.deps
    reply_by = (await order_of(api, quote_id, link))["revisedOffers"][0]["replyBy"]
    deadline = datetime.fromisoformat(reply_by)
    # the sweep covers every organization: other tests' revised offers may lapse with this one
    await lapse_revised_offers(replace(deps, clock=lambda: deadline - timedelta(seconds=1)))
    assert (await order_of(api, quote_id, link))["revisedOffers"][0]["status"] == "OPEN"
    later = replace(deps, clock=lambda: deadline + timedelta(minutes=1))
    assert await lapse_revised_offers(later) >= 1
    assert await lapse_revised_offers(later) == 0  # once only
    seen = await order_of(api, quote_id, link)
    assert seen["revisedOffers"][0]["status"] == "LAPSED"
    assert seen["buyOrder"]["returns"][0]["reason"] == "LAPSED"
    assert seen["buyOrder"]["payout"]["declinedAmount"]["amount"] == "600.00"
    late = await api(ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": True}}, link)
    assert codes(late["answerRevisedOffer"]) == ["INVALID_STATE"]
    assert await chain_ok(app, quote_id)


async def test_an_answer_after_the_window_but_before_the_sweep_is_expired(
    api: Api, org: Org, app: Any
) -> None:
    quote_id, link, revision = await received_and_revised(api, org)
    pk = decode_id(revision["id"], "RevisedOffer")
    row = await RevisedOffer.get(id=pk)
    await RevisedOffer.filter(id=pk).update(reply_by=row.created_at)  # the window already closed
    late = await api(ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": True}}, link)
    assert codes(late["answerRevisedOffer"]) == ["EXPIRED"]


async def test_a_revision_needs_reasons_photos_a_lower_price_and_an_address(
    api: Api, org: Org
) -> None:
    quote_id, link = await converted(api, org, "CHECK", address=None, fulfillment="PICKUP")
    unit = (await scan(api, org.owner_token, PHONE_IMEI))["unit"]
    uploads = await staged(api, org.owner_token, 1)
    await put(api, uploads[0]["url"], JPEG)
    base = {
        "unitId": unit["id"],
        "price": "450",
        "reasons": ["SCREEN_DAMAGE"],
        "photoIds": [uploads[0]["id"]],
    }
    no_address = await api(REVISE, {"input": base}, org.owner_token)
    assert codes(no_address["reviseOffer"]) == ["INVALID_STATE"]
    assert "receiving address" in no_address["reviseOffer"]["userErrors"][0]["message"]
    await Organization.filter(id=org.id).update(receiving_address="1 Bench Street")
    bad = await api(
        REVISE, {"input": {**base, "price": "600", "reasons": [], "photoIds": []}}, org.owner_token
    )
    assert sorted(e["field"][-1] for e in bad["reviseOffer"]["userErrors"]) == [
        "photoIds",
        "price",
        "reasons",
    ]
    other = await api(REVISE, {"input": {**base, "reasons": ["OTHER"]}}, org.owner_token)
    assert [e["field"] for e in other["reviseOffer"]["userErrors"]] == [["input", "note"]]
    not_uploaded = (await staged(api, org.owner_token, 1))[0]
    missing = await api(
        REVISE, {"input": {**base, "photoIds": [not_uploaded["id"]]}}, org.owner_token
    )
    assert codes(missing["reviseOffer"]) == ["NOT_FOUND"]
    ok = await api(REVISE, {"input": base}, org.owner_token)
    assert ok["reviseOffer"]["userErrors"] == []
    twice = await api(REVISE, {"input": base}, org.owner_token)
    assert codes(twice["reviseOffer"]) == ["NOT_FOUND"]  # that photo belongs to the first one now


async def test_reason_codes_are_listed(api: Api) -> None:
    reasons = (await api(REASONS))["revisionReasons"]
    assert {r["category"] for r in reasons} == {"FUNCTIONAL", "COSMETIC", "OTHER"}
    assert "OTHER" in [r["code"] for r in reasons]


async def test_the_reply_window_is_an_organization_setting(api: Api, org: Org) -> None:
    from tests.team import UPDATE_SETTINGS

    refused = await api(UPDATE_SETTINGS, {"input": {"revisionReplyDays": 0}}, org.owner_token)
    assert [e["field"] for e in refused["updateOrganizationSettings"]["userErrors"]] == [
        ["input", "revisionReplyDays"]
    ]
    changed = await api(UPDATE_SETTINGS, {"input": {"revisionReplyDays": 3}}, org.owner_token)
    assert changed["updateOrganizationSettings"]["userErrors"] == []
    _, _, revision = await received_and_revised(api, org)
    row = await RevisedOffer.get(id=decode_id(revision["id"], "RevisedOffer"))
    assert row.reply_by - row.created_at == timedelta(days=3)


NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on RevisedOffer { revisionStatus: status }
    ... on Payout { payoutStatus: status }
    ... on InventoryUnit { unitStatus: status }
  }
}
"""


async def test_node_ids_open_what_the_viewer_may_see(api: Api, org: Org) -> None:
    from tests.client import make_org

    quote_id, link, revision = await received_and_revised(api, org)
    payout_id = (await order_of(api, quote_id, link))["buyOrder"]["payout"]["id"]
    units = await api(
        "query Q($id: ID!) { quote(id: $id) { buyOrder { units { id } } } }",
        {"id": quote_id},
        org.owner_token,
    )
    unit_id = units["quote"]["buyOrder"]["units"][0]["id"]
    for token in (org.owner_token, link):
        assert (await api(NODE, {"id": revision["id"]}, token))["node"]["revisionStatus"] == "OPEN"
        assert (await api(NODE, {"id": payout_id}, token))["node"]["payoutStatus"] == "PENDING"
    assert (await api(NODE, {"id": unit_id}, org.owner_token))["node"]["unitStatus"] == "RECEIVED"
    assert (await api(NODE, {"id": unit_id}, link))["node"] is None
    stranger = await make_org(api)
    for node_id in (revision["id"], payout_id, unit_id):
        assert (await api(NODE, {"id": node_id}, stranger.owner_token))["node"] is None


async def test_staff_are_notified_of_the_answer(api: Api, org: Org) -> None:
    from models.notification import Notification, NotificationKind

    quote_id, link, revision = await received_and_revised(api, org)
    await api(ANSWER, {"input": {"revisedOfferId": revision["id"], "accept": False}}, link)
    notices = await Notification.filter(
        organization_id=org.id, kind=NotificationKind.REVISED_OFFER_ANSWERED
    )
    assert len(notices) == 1
    assert notices[0].message.startswith("The revised offer on quote Q-")
    assert notices[0].message.endswith(" for Zoë Łukasiewicz was declined.")
    assert "staff_revised_offer_answered" in await templates_sent(quote_id)
