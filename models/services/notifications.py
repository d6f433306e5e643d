"""Staff notifications: written in the transaction of the action that causes them, with an email
to staff in the outbox, and pushed live to `notificationAdded` once that transaction commits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from tortoise.expressions import Q, Subquery

from models import negotiation as rules
from models import validation as v
from models.errors import DomainError, DomainErrors, ErrorCode
from models.notification import Notification, NotificationKind, NotificationRead
from models.organization import Organization, StaffMember
from models.outbox import enqueue_coalesced, enqueue_email
from models.quote import Quote, QuoteLine
from models.services.caller import Caller
from models.services.journal import Pending, utcnow
from models.validation import minor_units

__all__ = [
    "NotificationKind",
    "ids_after",
    "mark_read",
    "notify_customer_round",
    "notify_staff",
    "organization_topic",
    "unread_count",
    "unread_filter",
]

TEMPLATES = {
    NotificationKind.QUOTE_SUBMITTED: "staff_quote_submitted",
    NotificationKind.CUSTOMER_RESPONDED: "staff_customer_responded",
    NotificationKind.CHANGES_REQUESTED: "staff_changes_requested",
    NotificationKind.QUOTE_ACCEPTED: "staff_quote_accepted",
    NotificationKind.ACCEPTANCE_WITHDRAWN: "staff_acceptance_withdrawn",
    NotificationKind.QUOTE_REJECTED: "staff_quote_rejected",
    NotificationKind.QUOTE_EXPIRED: "staff_quote_expired",
    NotificationKind.QUOTE_TAMPERED: "staff_quote_tampered",
    NotificationKind.REVISED_OFFER_ANSWERED: "staff_revised_offer_answered",
}
MAX_QUOTED = 120
# Customer messages reach staff by email at most once per quote in this window, all gathered
# in one email (each still makes its own in-app notification).
COALESCED = {NotificationKind.CHANGES_REQUESTED}
COALESCE_WINDOW = timedelta(minutes=5)


def organization_topic(organization_id: int) -> str:
    return f"org:{organization_id}:notifications"


def _customer(quote: Quote) -> str:
    return quote.contact_name or quote.contact_email or "The customer"


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"


def describe(kind: NotificationKind, quote: Quote, context: dict[str, Any]) -> str:
    """The notification's one-line text, naming the quote and its customer."""
    who, number = _customer(quote), quote.number
    match kind:
        case NotificationKind.QUOTE_SUBMITTED:
            return f"{who} submitted quote {number}."
        case NotificationKind.CUSTOMER_RESPONDED:
            return f"{who} answered your offer on quote {number}."
        case NotificationKind.CHANGES_REQUESTED:
            return (
                f"{who} asked for changes on quote {number}: “{_excerpt(context.get('message'))}”"
            )
        case NotificationKind.QUOTE_ACCEPTED:
            currency = context["currency_code"]
            total = Decimal(context["total_agreed"]).quantize(
                Decimal(1).scaleb(-minor_units(currency))
            )
            return f"{who} accepted quote {number} for {total} {currency}."
        case NotificationKind.ACCEPTANCE_WITHDRAWN:
            return f"{who} withdrew the acceptance of quote {number}."
        case NotificationKind.QUOTE_REJECTED:
            return f"{who} rejected quote {number}."
        case NotificationKind.QUOTE_EXPIRED:
            return f"Quote {number} for {who} expired."
        case NotificationKind.QUOTE_TAMPERED:
            return f"The records of quote {number} for {who} were altered: conversion refused."
        case NotificationKind.REVISED_OFFER_ANSWERED:
            answer = str(context.get("status", "")).lower()
            return f"The revised offer on quote {number} for {who} was {answer}."
        case NotificationKind.WEBHOOK_DISABLED:  # about an endpoint: written by the sender
            return "A webhook endpoint was disabled."


async def _owners(organization: Organization) -> list[tuple[str, str | None]]:
    owners = await StaffMember.filter(
        organization_id=organization.id, role=rules.StaffRole.OWNER, active=True
    ).order_by("id")
    return [(owner.email, owner.name) for owner in owners]


async def _recipients(
    organization: Organization, quote: Quote, kind: NotificationKind
) -> list[tuple[str, str | None]]:
    """The organization's notification address; else the quote's creator; else its owners.
    Altered records go to the owners themselves."""
    if kind is NotificationKind.QUOTE_TAMPERED:
        return await _owners(organization)
    if organization.notification_email:
        return [(organization.notification_email, organization.name)]
    if quote.created_by_id is not None:
        creator = await StaffMember.get_or_none(id=quote.created_by_id, active=True)
        if creator is not None:
            return [(creator.email, creator.name)]
    return await _owners(organization)


def coalesce_key(kind: NotificationKind, quote_id: int, address: str) -> str:
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:24]
    return f"{kind.value}:{quote_id}:{digest}"


async def notify_staff(
    pending: Pending, quote: Quote, kind: NotificationKind, now: datetime, **context: Any
) -> Notification:
    """Record the notification and queue its staff email, inside the caller's transaction; it
    reaches `notificationAdded` subscribers once that transaction commits."""
    organization = await Organization.get(id=quote.organization_id)
    notification = await Notification.create(
        organization_id=organization.id,
        quote_id=quote.id,
        kind=kind,
        message=describe(kind, quote, context)[:500],
        created_at=now,
    )
    # The staff templates name the customer by email: without one there is nothing to say.
    if quote.contact_email:
        email_context = {
            "quote_id": quote.id,
            "quote_number": quote.number,
            "organization_name": organization.name,
            "customer_name": quote.contact_name,
            "customer_email": quote.contact_email,
            **context,
        }
        for address, name in await _recipients(organization, quote, kind):
            if kind in COALESCED:
                await enqueue_coalesced(
                    key=coalesce_key(kind, quote.id, address),
                    window=COALESCE_WINDOW,
                    item=context.get("message"),
                    template=TEMPLATES[kind],
                    to_address=address,
                    to_name=name,
                    organization_id=organization.id,
                    context=email_context,
                    now=now,
                )
                continue
            await enqueue_email(
                template=TEMPLATES[kind],
                to_address=address,
                to_name=name,
                organization_id=organization.id,
                context=email_context,
                now=now,
            )
    pending.append(
        (
            organization_topic(organization.id),
            {"type": "notification", "notificationId": notification.id},
        )
    )
    return notification


async def notify_customer_round(
    pending: Pending, quote: Quote, now: datetime, message: str | None
) -> Notification:
    """After the customer's counter-offer round: rejected, accepted, or simply answered."""
    if quote.status is rules.QuoteStatus.REJECTED:
        return await notify_staff(pending, quote, NotificationKind.QUOTE_REJECTED, now)
    if quote.status is rules.QuoteStatus.ACCEPTED:
        lines = await QuoteLine.filter(
            quote_id=quote.id, status=rules.LineStatus.ACCEPTED
        ).values_list("agreed_price", "quantity")
        total = v.total(lines)
        return await notify_staff(
            pending,
            quote,
            NotificationKind.QUOTE_ACCEPTED,
            now,
            signer_name=quote.contact_name or quote.contact_email,
            total_agreed=str(total),
            currency_code=quote.currency_code,
        )
    return await notify_staff(
        pending, quote, NotificationKind.CUSTOMER_RESPONDED, now, message=message
    )


async def ids_after(organization_id: int, after: int, limit: int = 100) -> list[int]:
    """The ids of the organization's newest notifications after `after`, oldest first."""
    ids = (
        await Notification.filter(organization_id=organization_id, id__gt=after)
        .order_by("-id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return sorted(cast(list[int], ids))


# ------------------------------------------------------------------ read state


def unread_filter(caller: Caller) -> Q:
    """The caller's organization's notifications that this staff member has not read."""
    read = NotificationRead.filter(staff_id=caller.staff_id).values("notification_id")
    return Q(organization_id=caller.organization_id) & ~Q(id__in=Subquery(read))


async def unread_count(caller: Caller) -> int:
    caller.require_staff()
    return await Notification.filter(unread_filter(caller)).count()


async def mark_read(caller: Caller, ids: Sequence[int | None] | None) -> int:
    """Mark the given notifications (all when `ids` is None) read for the caller; the unread
    count after. An id that is not one of the organization's notifications changes nothing."""
    caller.require_staff()
    if ids is None:
        targets = await Notification.filter(unread_filter(caller)).values_list("id", flat=True)
    else:
        known = set(
            await Notification.filter(
                organization_id=caller.organization_id,
                id__in=[i for i in ids if i is not None],
            ).values_list("id", flat=True)
        )
        missing = [
            DomainError(ErrorCode.NOT_FOUND, "no such notification", ["input", "ids", index])
            for index, notification_id in enumerate(ids)
            if notification_id not in known
        ]
        if missing:
            raise DomainErrors(missing)
        targets = sorted(known)
    if targets:
        now = utcnow()
        await NotificationRead.bulk_create(
            [
                NotificationRead(notification_id=i, staff_id=caller.staff_id, read_at=now)
                for i in targets
            ],
            ignore_conflicts=True,
        )
    return await unread_count(caller)
