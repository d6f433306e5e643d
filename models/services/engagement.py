"""Engagement: recording what the customer does with their quote, sharing the link, and the
figures staff read (a quote's timeline, the organization's summary)."""

from __future__ import annotations

import hashlib
import hmac
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from models import negotiation as rules
from models import validation as v
from models.engagement import DOWNLOADS, EngagementEvent, EngagementKind, QuoteShare
from models.enums import MessageKind
from models.quote import Quote
from models.services.caller import Caller, Deps
from models.services.journal import (
    lock_quote,
    quote_lines,
    quote_state,
    record,
    unit_of_work,
    utcnow,
)
from models.services.mailing import customer_link, email_customer

VIEW_WINDOW = timedelta(minutes=30)
UNSEEN_AFTER = timedelta(days=7)
STRONG_SIGNAL_VIEWS = 3


def client_hash(secret_key: str, address: str | None) -> str | None:
    """A keyed hash of the client address: enough to tell visitors apart, not to find them."""
    if not address:
        return None
    return hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def viewer_key(caller: Caller) -> str | None:
    if caller.quote_id is not None:
        return f"link:{caller.quote_id}"
    if caller.customer_email is not None:
        return f"portal:{caller.organization_id}:{caller.customer_email.lower()}"
    return None


async def record_view(deps: Deps, caller: Caller, quote_id: int, organization_id: int) -> None:
    """A customer opened the quote; reads by the same viewer within 30 minutes count once."""
    key = viewer_key(caller)
    if caller.is_staff or key is None:
        return
    now = utcnow()
    recent = await EngagementEvent.filter(
        quote_id=quote_id, kind=EngagementKind.VIEW, viewer_key=key, occurred_at__gt=now - VIEW_WINDOW
    ).exists()
    if recent:
        return
    await EngagementEvent.create(
        organization_id=organization_id,
        quote_id=quote_id,
        kind=EngagementKind.VIEW,
        viewer_key=key,
        recipient_email=caller.customer_email,
        user_agent=(caller.user_agent or "")[:500] or None,
        client_hash=client_hash(deps.secret_key, caller.client_ip),
        occurred_at=now,
    )


async def record_download(
    secret_key: str,
    kind: EngagementKind,
    quote: Quote,
    *,
    client_ip: str | None,
    user_agent: str | None,
) -> None:
    """A customer's download of the quote PDF or the receipt through a signed URL."""
    await EngagementEvent.create(
        organization_id=quote.organization_id,
        quote_id=quote.id,
        kind=kind,
        recipient_email=quote.contact_email,
        user_agent=(user_agent or "")[:500] or None,
        client_hash=client_hash(secret_key, client_ip),
        occurred_at=utcnow(),
    )


async def record_email_sent(quote_id: int, recipient: str, sent_at: datetime) -> None:
    quote = await Quote.get_or_none(id=quote_id)
    if quote is None:
        return
    await EngagementEvent.create(
        organization_id=quote.organization_id,
        quote_id=quote.id,
        kind=EngagementKind.EMAIL_SENT,
        recipient_email=recipient,
        occurred_at=sent_at,
    )


async def log_share(
    quote: Quote,
    recipient_email: str,
    recipient_name: str | None,
    message: str | None,
    staff_id: int | None,
    now: datetime,
) -> None:
    await QuoteShare.create(
        organization_id=quote.organization_id,
        quote_id=quote.id,
        recipient_email=recipient_email,
        recipient_name=recipient_name,
        message=message,
        staff_id=staff_id,
        shared_at=now,
    )


@dataclass(frozen=True)
class ShareIn:
    recipient_email: str
    recipient_name: str | None = None
    message: str | None = None


async def share_quote(deps: Deps, caller: Caller, quote_id: int, data: ShareIn) -> tuple[Quote, str]:
    """Email the quote's link (the same link) to a recipient, again if need be; logged."""
    now = utcnow()
    email = v.email(data.recipient_email, ["input", "recipientEmail"])
    name = v.text(data.recipient_name, ["input", "recipientName"], limit=v.MAX_NAME, name=True)
    message = v.text(data.message, ["input", "message"], limit=v.MAX_MESSAGE)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        lines = await quote_lines(quote)
        rules.check(quote_state(quote, lines), rules.QuoteAction.SHARE, caller.actor, now)
        await record(
            quote,
            pending,
            kind=MessageKind.SHARE,
            by=caller,
            body=message,
            now=now,
            status_from=quote.status,
            extra={"recipient": email},
        )
        await log_share(quote, email, name, message, caller.staff_id, now)
        await email_customer(
            deps,
            quote,
            "quote_share",
            now,
            to_address=email,
            to_name=name,
            message=message,
            recipient_name=name,
        )
    return quote, customer_link(deps, quote)


# ------------------------------------------------------------------ what staff read


@dataclass(frozen=True)
class Timeline:
    views: int
    pdf_downloads: int
    first_viewed_at: datetime | None
    last_viewed_at: datetime | None
    strong_buying_signal: bool


def timeline_of(events: list[tuple[EngagementKind, datetime]]) -> Timeline:
    views = sorted(at for kind, at in events if kind is EngagementKind.VIEW)
    downloads = sum(1 for kind, _ in events if kind in DOWNLOADS)
    return Timeline(
        views=len(views),
        pdf_downloads=downloads,
        first_viewed_at=views[0] if views else None,
        last_viewed_at=views[-1] if views else None,
        strong_buying_signal=len(views) >= STRONG_SIGNAL_VIEWS and downloads >= 1,
    )


@dataclass(frozen=True)
class Summary:
    since: datetime
    until: datetime
    quotes_shared: int
    quotes_viewed: int
    views: int
    pdf_downloads: int
    unseen_after_a_week: int
    median_seconds_to_first_view: int | None


async def summary(organization_id: int, since: datetime | None, until: datetime | None) -> Summary:
    """The organization's portal activity between `since` and `until` (default: last 30 days)."""
    until = until or utcnow()
    since = since or until - timedelta(days=30)
    shares = await QuoteShare.filter(
        organization_id=organization_id, shared_at__gte=since, shared_at__lte=until
    ).values_list("quote_id", "shared_at")
    events = await EngagementEvent.filter(
        organization_id=organization_id,
        kind__in=[EngagementKind.VIEW, *DOWNLOADS],
        occurred_at__lte=until,
    ).values_list("quote_id", "kind", "occurred_at")
    first_share: dict[int, datetime] = {}
    for quote_id, at in shares:
        first_share[quote_id] = min(at, first_share.get(quote_id, at))
    first_view: dict[int, datetime] = {}
    views = downloads = 0
    viewed_in_period: set[int] = set()
    for quote_id, kind, at in events:
        if kind is EngagementKind.VIEW:
            first_view[quote_id] = min(at, first_view.get(quote_id, at))
        if at < since:
            continue
        if kind is EngagementKind.VIEW:
            views += 1
            viewed_in_period.add(quote_id)
        else:
            downloads += 1
    unseen = sum(
        1 for quote_id, at in first_share.items() if until - at > UNSEEN_AFTER and quote_id not in first_view
    )
    delays = [
        (first_view[quote_id] - at).total_seconds()
        for quote_id, at in first_share.items()
        if quote_id in first_view and first_view[quote_id] >= at
    ]
    return Summary(
        since=since,
        until=until,
        quotes_shared=len(first_share),
        quotes_viewed=len(viewed_in_period),
        views=views,
        pdf_downloads=downloads,
        unseen_after_a_week=unseen,
        median_seconds_to_first_view=round(statistics.median(delays)) if delays else None,
    )
