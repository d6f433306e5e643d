"""Expiry by the clock: the end of the last valid day in the organization's zone (also across
a daylight-saving change), the sweep (once, even with sweepers racing), extension, copying an
expired quote, and no withdrawal reopening a quote past its date. The clock is moved, never
slept on: use cases and the sweeper take "now" from `Deps.clock`."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from graphql_api.ids import decode_id
from graphql_api.mail.sender import OutboxSender
from models.enums import MessageKind
from models.expiry import end_of_day, valid_until
from models.negotiation import QuoteStatus, StaffRole
from models.notification import Notification
from models.organization import Organization, StaffMember
from models.outbox import OutboxEmail
from models.quote import Quote, ThreadMessage
from models.services.caller import Caller, Deps
from models.services.journal import chain_is_valid
from models.services.lifecycle import expire_due_quotes
from models.services.requests import QuoteRequestIn, create_quote_request
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import accepted, submitted
from tests.mailcatcher import MailCatcher

EXTEND = """
mutation Extend($input: ExtendQuoteInput!) {
  extendQuote(input: $input) { quote { id status expiresAt version thread(first: 50) { edges { node { kind } } } } %s }
}
""" % doc.USER_ERRORS

COPY = """
mutation Copy($input: CopyQuoteInput!) {
  copyQuote(input: $input) { quote { id status source contact { email } lines { device { model } merchantOffer { amount } } availableActions } %s }
}
""" % doc.USER_ERRORS

BRIEF = "query Brief($id: ID!) { quote(id: $id) { status expiresAt availableActions } }"

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# ------------------------------------------------------------------ the date, pure


def test_the_last_valid_day_ends_at_midnight_where_the_merchant_is() -> None:
    # 2 June 2026, 20:00 in New York is already 3 June in UTC: the day counts from New York's.
    now = at("2026-06-03T00:00:00+00:00")
    assert valid_until(now, 14, "America/New_York") == at("2026-06-17T00:00:00-04:00")
    assert valid_until(now, 14, "UTC") == at("2026-06-18T00:00:00+00:00")
    assert valid_until(now, 0, "Asia/Tokyo") == at("2026-06-04T00:00:00+09:00")


def test_a_daylight_saving_change_in_between_moves_nothing() -> None:
    # Berlin goes to summer time on 29 March 2026: fourteen days from 20 March end at
    # midnight CEST, 22:00 UTC, not 23:00 as adding 14 × 24 hours would give.
    assert valid_until(at("2026-03-20T12:00:00+00:00"), 14, "Europe/Berlin") == at("2026-04-03T22:00:00+00:00")
    # New York goes back on 1 November 2026.
    assert valid_until(at("2026-10-25T15:00:00+00:00"), 14, "America/New_York") == at("2026-11-09T05:00:00+00:00")
    # Santiago skips midnight on 6 September 2026: the day starts at 01:00 local, 04:00 UTC.
    assert end_of_day(date(2026, 9, 5), "America/Santiago") == at("2026-09-06T04:00:00+00:00")


def test_an_unknown_zone_counts_as_utc() -> None:
    assert valid_until(at("2026-06-03T10:00:00+00:00"), 1, "Mars/Olympus") == at("2026-06-05T00:00:00+00:00")


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)),
    days=st.integers(min_value=0, max_value=365),
    zone=st.sampled_from(ZONES),
)
def test_expiry_is_the_first_instant_after_the_last_valid_day(now: datetime, days: int, zone: str) -> None:
    tz = ZoneInfo(zone)
    expires = valid_until(now, days, zone)
    last_day = now.astimezone(tz).date() + timedelta(days=days)
    assert (expires - timedelta(microseconds=1)).astimezone(tz).date() == last_day
    assert expires.astimezone(tz).date() == last_day + timedelta(days=1)


# ------------------------------------------------------------------ the sweep, with a moved clock


async def _owner(org: Org) -> Caller:
    owner = await StaffMember.get(organization_id=org.id, role=StaffRole.OWNER)
    return Caller(organization_id=org.id, staff_id=owner.id, staff_name=owner.name, role=owner.role)


def _clock(app: Any, now: datetime) -> Deps:
    deps: Deps = app.state.deps
    return replace(deps, clock=lambda: now)


async def _request_at(app: Any, org: Org, now: datetime, zone: str, email: str) -> Quote:
    await Organization.filter(id=org.id).update(time_zone=zone)
    quote, _ = await create_quote_request(
        _clock(app, now), await _owner(org), QuoteRequestIn(customer_name="Zoë", customer_email=email)
    )
    return quote


async def test_a_quote_expires_at_the_end_of_its_last_day_in_the_organizations_zone(app: Any, org: Org) -> None:
    email = f"zoe-{secrets.token_hex(4)}@example.com"
    created = at("2026-06-02T23:30:00-04:00")  # 3 June in UTC already
    quote = await _request_at(app, org, created, "America/New_York", email)
    expected = at("2026-06-17T00:00:00-04:00")
    assert quote.expires_at == expected

    deps = _clock(app, expected)
    assert await expire_due_quotes(deps, now=expected - timedelta(microseconds=1)) == 0
    assert (await Quote.get(id=quote.id)).status is QuoteStatus.REQUESTED
    assert await expire_due_quotes(deps, now=expected) == 1
    assert await expire_due_quotes(deps, now=expected + timedelta(hours=1)) == 0

    expired = await Quote.get(id=quote.id)
    assert expired.status is QuoteStatus.EXPIRED
    kinds = await ThreadMessage.filter(quote_id=quote.id).values_list("kind", flat=True)
    assert kinds.count(MessageKind.EXPIRY) == 1
    assert await OutboxEmail.filter(to_address=email, template="quote_expired").count() == 1
    assert await Notification.filter(quote_id=quote.id).count() == 1
    assert await chain_is_valid(quote.id, app.state.deps.keys)


async def test_expiry_across_a_daylight_saving_change(app: Any, org: Org) -> None:
    quote = await _request_at(
        app, org, at("2026-03-20T12:00:00+00:00"), "Europe/Berlin", f"a-{secrets.token_hex(3)}@example.com"
    )
    end = at("2026-04-04T00:00:00+02:00")
    assert quote.expires_at == end
    deps = _clock(app, end)
    assert await expire_due_quotes(deps, now=end - timedelta(microseconds=1)) == 0
    assert await expire_due_quotes(deps, now=end) == 1


async def test_racing_sweepers_expire_each_quote_once_and_send_one_email(
    app: Any, org: Org, catcher: MailCatcher
) -> None:
    """Three sweepers at once (on PostgreSQL each in its own connection, rows locked with
    SKIP LOCKED), then two outbox senders at once: one EXPIRY, one email per quote."""
    created = datetime.now(UTC) - timedelta(days=30)
    emails = [f"race-{secrets.token_hex(4)}@example.com" for _ in range(4)]
    quotes = [await _request_at(app, org, created, "UTC", email) for email in emails]
    now = max(q.expires_at for q in quotes if q.expires_at) + timedelta(seconds=1)
    deps = _clock(app, now)
    counts = await asyncio.gather(*(expire_due_quotes(deps, now=now) for _ in range(3)))
    assert sum(counts) >= len(quotes)  # other tests' overdue quotes may be swept too
    for quote, email in zip(quotes, emails, strict=True):
        assert (await Quote.get(id=quote.id)).status is QuoteStatus.EXPIRED
        assert await ThreadMessage.filter(quote_id=quote.id, kind=MessageKind.EXPIRY).count() == 1
        assert await OutboxEmail.filter(to_address=email, template="quote_expired").count() == 1

    senders = [OutboxSender(replace(app.state.settings, smtp_url=catcher.url)) for _ in range(2)]
    for _ in range(5):
        if sum(await asyncio.gather(*(s.run_once(limit=100) for s in senders))) == 0:
            break
    for email in emails:
        subjects = [str(m["Subject"]) for m in catcher.to(email)]
        assert sum("expired" in s for s in subjects) == 1, subjects


# ------------------------------------------------------------------ through the API


async def _past_date(quote_id: str) -> None:
    pk = decode_id(quote_id, "Quote")
    await Quote.filter(id=pk).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))


async def test_staff_extend_an_open_quote_but_not_one_past_its_date(app: Any, api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    before = (await api(BRIEF, {"id": quote["id"]}, org.owner_token))["quote"]
    assert "EXTEND" in before["availableActions"]

    earlier = (await api(EXTEND, {"input": {"quoteId": quote["id"], "expiresAt": "2020-01-01T00:00:00+00:00"}},
                         org.owner_token))["extendQuote"]
    assert [(e["code"], e["field"]) for e in earlier["userErrors"]] == [("INVALID_INPUT", ["input", "expiresAt"])]

    later = (datetime.fromisoformat(before["expiresAt"]) + timedelta(days=7)).isoformat()
    extended = (await api(EXTEND, {"input": {"quoteId": quote["id"], "expiresAt": later, "message": "One more week"}},
                          org.owner_token))["extendQuote"]
    assert extended["userErrors"] == []
    assert datetime.fromisoformat(extended["quote"]["expiresAt"]) == datetime.fromisoformat(later)
    assert extended["quote"]["thread"]["edges"][-1]["node"]["kind"] == "EXTENSION"
    assert await chain_is_valid(decode_id(quote["id"], "Quote") or 0, app.state.deps.keys)

    # without a date: the validity days (14) once more, from the current last day
    again = (await api(EXTEND, {"input": {"quoteId": quote["id"]}}, org.owner_token))["extendQuote"]
    assert again["userErrors"] == []
    assert datetime.fromisoformat(again["quote"]["expiresAt"]) == datetime.fromisoformat(later) + timedelta(days=14)

    customer = await api.raw(EXTEND, {"input": {"quoteId": quote["id"]}}, link)
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    await _past_date(quote["id"])  # the sweeper has not passed yet
    too_late = (await api(EXTEND, {"input": {"quoteId": quote["id"]}}, org.owner_token))["extendQuote"]
    assert [e["code"] for e in too_late["userErrors"]] == ["EXPIRED"]
    view = (await api(BRIEF, {"id": quote["id"]}, org.owner_token))["quote"]
    assert view["availableActions"] == ["DOWNLOAD_PDF", "COPY"]


async def test_an_expired_quote_is_copied_into_a_new_draft_never_revived(app: Any, api: Api, org: Org) -> None:
    quote, _ = await submitted(api, org)
    await api(doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": [
        {"lineId": quote["lines"][0]["id"], "action": "COUNTER", "price": "600"},
        {"lineId": quote["lines"][1]["id"], "action": "COUNTER", "price": "250"}]}}, org.owner_token)
    await _past_date(quote["id"])
    await expire_due_quotes(app.state.deps)
    copied = (await api(COPY, {"input": {"quoteId": quote["id"]}}, org.owner_token))["copyQuote"]
    assert copied["userErrors"] == []
    draft = copied["quote"]
    assert (draft["status"], draft["source"]) == ("DRAFT", "MERCHANT")
    assert draft["id"] != quote["id"]
    assert [line["merchantOffer"]["amount"] for line in draft["lines"]] == ["600.00", "250.00"]
    assert "ISSUE" in draft["availableActions"]
    original = (await api(BRIEF, {"id": quote["id"]}, org.owner_token))["quote"]
    assert original["status"] == "EXPIRED"


async def test_a_withdrawal_cannot_reopen_a_quote_past_its_date(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    await _past_date(quote["id"])
    data = await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link)
    assert [e["code"] for e in data["withdrawAcceptance"]["userErrors"]] == ["EXPIRED"]
    view = (await api(BRIEF, {"id": quote["id"]}, link))["quote"]
    assert view["status"] == "ACCEPTED" and "WITHDRAW_ACCEPTANCE" not in view["availableActions"]


async def test_the_rules_refuse_at_the_expiry_instant_not_a_microsecond_before(app: Any, api: Api, org: Org) -> None:
    """No sweeper runs here: the use case alone refuses, by the clock it is given."""
    from models.errors import DomainError
    from models.negotiation import LineAction, LineResponse
    from models.services.rounds import counter_offer

    quote, _ = await submitted(api, org)
    row = await Quote.get(id=decode_id(quote["id"], "Quote"))
    assert row.expires_at is not None
    answers = [LineResponse(decode_id(line["id"], "QuoteLine") or 0, LineAction.COUNTER, Decimal(100))
               for line in quote["lines"]]
    owner = await _owner(org)
    try:
        await counter_offer(_clock(app, row.expires_at), owner, row.id, answers)
    except DomainError as refused:
        assert refused.code == "EXPIRED"
    else:
        raise AssertionError("a round at the expiry instant was taken")
    assert (await Quote.get(id=row.id)).version == row.version
    done = await counter_offer(_clock(app, row.expires_at - timedelta(microseconds=1)), owner, row.id, answers)
    assert done.status is QuoteStatus.NEGOTIATING
