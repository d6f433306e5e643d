"""Engagement over a scripted sequence of views, downloads, shares and emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from graphql_api.ids import decode_id
from graphql_api.mail.sender import OutboxSender
from models.engagement import EngagementEvent, EngagementKind, QuoteShare
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import submitted

TIMELINE = """query($id: ID!) { engagement(quoteId: $id) {
  views pdfDownloads firstViewedAt lastViewedAt strongBuyingSignal quote { number }
  events(first: 20) { totalCount edges { node { kind occurredAt recipientEmail userAgent } } } } }"""
ON_QUOTE = "query($id: ID!) { quote(id: $id) { number pdfUrl engagement { views pdfDownloads } } }"
SUMMARY = """query($since: DateTime, $until: DateTime) { engagementSummary(since: $since, until: $until) {
  since until quotesShared quotesViewed views pdfDownloads unseenAfterAWeek medianSecondsToFirstView } }"""
SHARE = """mutation($input: ShareQuoteInput!) { shareQuote(input: $input) {
  url quote { id thread(first: 50) { edges { node { kind body } } } } userErrors { code field } } }"""


async def _age_views(quote_pk: int, minutes: int) -> None:
    """Move the quote's views back in time, as if the customer had come earlier."""
    for event in await EngagementEvent.filter(quote_id=quote_pk, kind=EngagementKind.VIEW):
        event.occurred_at = event.occurred_at - timedelta(minutes=minutes)
        await event.save(update_fields=["occurred_at"])


async def test_views_downloads_and_the_buying_signal(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    quote_pk = decode_id(quote["id"], "Quote")
    assert quote_pk is not None

    for _ in range(3):  # three reads within 30 minutes: one view
        data = await api(ON_QUOTE, {"id": quote["id"]}, link)
    assert data["quote"]["engagement"] is None  # customers never see engagement
    await api(ON_QUOTE, {"id": quote["id"]}, org.owner_token)  # staff reads never count
    timeline = (await api(TIMELINE, {"id": quote["id"]}, org.owner_token))["engagement"]
    assert timeline["views"] == 1 and timeline["strongBuyingSignal"] is False

    await _age_views(quote_pk, 31)
    data = await api(ON_QUOTE, {"id": quote["id"]}, link)  # a new visit
    pdf = urlsplit(data["quote"]["pdfUrl"])
    assert (await api.client.get(f"{pdf.path}?{pdf.query}")).status_code == 200
    await _age_views(quote_pk, 31)
    await api(ON_QUOTE, {"id": quote["id"]}, link)

    timeline = (await api(TIMELINE, {"id": quote["id"]}, org.owner_token))["engagement"]
    assert timeline["views"] == 3
    assert timeline["pdfDownloads"] == 1
    assert timeline["strongBuyingSignal"] is True
    assert timeline["firstViewedAt"] < timeline["lastViewedAt"]
    assert timeline["quote"]["number"] == quote["number"]
    kinds = [edge["node"]["kind"] for edge in timeline["events"]["edges"]]
    assert kinds[:2] == ["VIEW", "PDF_DOWNLOAD"]  # newest first
    assert timeline["events"]["totalCount"] == 4
    first = timeline["events"]["edges"][0]["node"]
    assert first["recipientEmail"] == "zoe@example.com"
    assert first["userAgent"].startswith("python-httpx")
    stored = await EngagementEvent.filter(quote_id=quote_pk).values_list("client_hash", flat=True)
    assert all(value and "203.0.113.7" not in value for value in stored)  # never the raw address


async def test_engagement_is_for_staff_of_the_organization(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    customer = await api.raw(TIMELINE, {"id": quote["id"]}, link)
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stranger = await api.raw(TIMELINE, {"id": quote["id"]}, (await _other_org(api)).owner_token)
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    anonymous = await api.raw(SUMMARY, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def _other_org(api: Api) -> Org:
    from tests.client import make_org

    return await make_org(api)


async def test_share_sends_the_same_link_again_and_is_logged(api: Api, org: Org) -> None:
    data = await api(doc.CREATE_REQUEST, {"input": {"customerEmail": "zoe@example.com"}}, org.owner_token)
    first_url = data["createQuoteRequest"]["url"]
    quote_id = data["createQuoteRequest"]["quote"]["id"]
    shared = (await api(SHARE, {"input": {"quoteId": quote_id, "recipientEmail": "zoe@example.com",
                                          "message": "A reminder"}}, org.owner_token))["shareQuote"]
    assert shared["userErrors"] == [] and shared["url"] == first_url
    kinds = [(e["node"]["kind"], e["node"]["body"]) for e in shared["quote"]["thread"]["edges"]]
    assert kinds[-1] == ("SHARE", "A reminder")
    quote_pk = decode_id(quote_id, "Quote")
    assert await QuoteShare.filter(quote_id=quote_pk).count() == 2  # the request and the share

    bad = (await api(SHARE, {"input": {"quoteId": quote_id, "recipientEmail": "nope"}}, org.owner_token))
    assert bad["shareQuote"]["userErrors"] == [{"code": "INVALID_INPUT", "field": ["input", "recipientEmail"]}]


async def test_summary_over_a_scripted_period(api: Api, org: Org, app) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    viewed, link = await submitted(api, org)
    unseen, _ = await submitted(api, org)
    viewed_pk, unseen_pk = decode_id(viewed["id"], "Quote"), decode_id(unseen["id"], "Quote")
    # shared 9 days ago; the first one first viewed 4 minutes after sharing
    await QuoteShare.filter(quote_id__in=[viewed_pk, unseen_pk]).update(shared_at=now - timedelta(days=9))
    await api(ON_QUOTE, {"id": viewed["id"]}, link)
    await EngagementEvent.filter(quote_id=viewed_pk).update(
        occurred_at=now - timedelta(days=9) + timedelta(minutes=4)
    )
    summary = (await api(SUMMARY, {"since": (now - timedelta(days=10)).isoformat()}, org.owner_token))[
        "engagementSummary"
    ]
    assert summary["quotesShared"] == 2
    assert summary["quotesViewed"] == 1
    assert summary["views"] == 1
    assert summary["pdfDownloads"] == 0
    assert summary["unseenAfterAWeek"] == 1
    assert summary["medianSecondsToFirstView"] == 240

    narrow = (await api(SUMMARY, {"since": (now - timedelta(days=1)).isoformat()}, org.owner_token))[
        "engagementSummary"
    ]
    assert narrow["quotesShared"] == 0 and narrow["views"] == 0

    # the request emails go out: each one leaves an EMAIL_SENT on its quote
    sender = OutboxSender(app.state.settings)
    while await sender.run_once(limit=100):
        pass
    assert await EngagementEvent.filter(quote_id=viewed_pk, kind=EngagementKind.EMAIL_SENT).exists()
