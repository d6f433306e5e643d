"""Per-request DataLoaders, named `<things>_by_<key>`. They read rows as plain values and hand
GraphQL frozen records, never ORM instances, so a view costs a fixed number of statements."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.functions import Max
from tortoise.queryset import QuerySet

from models.buy_order import BuyOrder, BuyOrderLine
from models.enums import (
    Author,
    CarrierLock,
    DeviceCondition,
    DeviceType,
    Fulfillment,
    MessageKind,
    PaymentStatus,
    PayoutMethod,
)
from models.negotiation import LineAction, LineStatus, Party, QuoteSource, QuoteStatus, StaffRole
from models.notification import Notification, NotificationKind, NotificationRead
from models.organization import Organization, StaffMember
from models.price_grid import InstantOffer
from models.quote import Acceptance, DeviceUnit, LineChange, Quote, QuoteLine, ThreadMessage
from models.sealing import Keyring
from models.services.journal import chain_is_valid

R = TypeVar("R")
K = TypeVar("K")


def columns(record: type[Any]) -> list[str]:
    return [f.name for f in fields(record) if not f.name.startswith("_") and f.init]


@dataclass(frozen=True, slots=True)
class OrganizationRecord:
    id: int
    name: str
    slug: str
    currency_code: str
    condition_questions: list[dict[str, Any]]
    accent_color: str | None
    headline: str | None
    footer_text: str | None
    logo_content_type: str | None
    show_instant_offers: bool


@dataclass(frozen=True, slots=True)
class StaffRecord:
    id: int
    organization_id: int
    name: str
    email: str
    role: StaffRole
    active: bool
    invitation_pending: bool
    last_active_at: datetime | None


@dataclass(frozen=True, slots=True)
class SettingsRecord:
    """An organization's settings, for its staff."""

    id: int
    quote_validity_days: int
    time_zone: str
    notification_email: str | None
    imei_lookups_per_quote: int | None
    finance_gate: bool
    auto_convert: bool
    link_lifetime_days: int
    payout_methods: list[str] | None
    fulfillment_methods: list[str] | None
    receiving_address: str | None
    revision_reply_days: int


@dataclass(frozen=True, slots=True)
class QuoteRecord:
    id: int
    organization_id: int
    number: str
    status: QuoteStatus
    awaiting: Party | None
    source: QuoteSource
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    currency_code: str
    version: int
    recallable: bool
    expires_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    last_hash: str = ""
    event_count: int = 0
    seal_key_id: str | None = None
    seal_signature: str | None = None


@dataclass(frozen=True, slots=True)
class UnitRecord:
    id: int
    line_id: int
    imei: str | None
    serial: str | None
    check: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class LineRecord:
    id: int
    quote_id: int
    position: int
    device_type: DeviceType
    brand: str
    model: str
    storage: str | None
    color: str | None
    condition: DeviceCondition
    condition_answers: list[dict[str, str]]
    carrier_lock: CarrierLock
    carrier: str | None
    quantity: int
    asking_price: Decimal | None
    customer_price: Decimal | None
    merchant_offer: Decimal | None
    agreed_price: Decimal | None
    status: LineStatus
    awaiting: Party | None
    accepted_by: Party | None


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    id: int
    line_id: int
    quote_id: int
    message_id: int
    by: Party
    action: LineAction
    price: Decimal | None
    at: datetime


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    quote_id: int
    kind: MessageKind
    author: Author
    author_name: str | None
    body: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AcceptanceRecord:
    id: int
    quote_id: int
    signer_name: str
    signer_email: str
    signed_at: datetime
    signature_hash: str
    withdrawn_at: datetime | None
    consent_version: str | None = None
    consent_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class BuyOrderRecord:
    id: int
    organization_id: int
    quote_id: int
    number: str
    currency_code: str
    total: Decimal
    payout_method: PayoutMethod
    fulfillment: Fulfillment
    payment_status: PaymentStatus
    created_at: datetime
    carrier: str | None = None
    tracking_number: str | None = None
    label_url: str | None = None


@dataclass(frozen=True, slots=True)
class BuyOrderLineRecord:
    id: int
    buy_order_id: int
    quote_line_id: int
    position: int
    device_type: DeviceType
    brand: str
    model: str
    storage: str | None
    color: str | None
    quantity: int
    unit_price: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class InstantOfferRecord:
    line_id: int
    amount: Decimal
    shown_to_customer: bool


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: int
    organization_id: int
    quote_id: int | None
    kind: NotificationKind
    message: str
    created_at: datetime


def records(record: type[R], rows: Iterable[dict[str, Any]]) -> list[R]:
    return [record(**row) for row in rows]


async def newest_first(
    query: QuerySet[Any], record: type[R], size: int, after_id: int | None
) -> tuple[list[R], int]:
    """A page of a listing, newest first, after a cursor (ids below it): up to `size` + 1
    records, the one past the page telling that another follows; and how many the whole
    listing holds."""
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(size + 1).values(*columns(record))
    return records(record, rows), total


def by_key(items: Iterable[R], key: Callable[[R], K], keys: Sequence[K]) -> list[R | None]:
    index = {key(item): item for item in items}
    return [index.get(k) for k in keys]


def grouped(items: Iterable[R], key: Callable[[R], K], keys: Sequence[K]) -> list[list[R]]:
    groups: dict[K, list[R]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return [groups.get(k, []) for k in keys]


async def _values(model: Any, record: type[R], **filters: Any) -> list[R]:
    query = model.filter(**filters)
    return records(record, await query.values(*columns(record)))


@dataclass(frozen=True, slots=True)
class ThreadPage:
    messages: list[MessageRecord]
    has_next: bool
    total: int


class Loaders:
    """Created per request in the GraphQL context, never shared between requests."""

    def __init__(self) -> None:
        self.organization_by_id = DataLoader(self._organizations)
        self.staff_by_id = DataLoader(self._staff)
        self.settings_by_organization = DataLoader(self._settings)
        self.quote_by_id = DataLoader(self._quotes)
        self.lines_by_quote = DataLoader(self._lines)
        self.units_by_quote = DataLoader(self._units)
        self.changes_by_quote = DataLoader(self._changes)
        self.thread_by_quote = DataLoader(self._threads)
        self.acceptance_by_quote = DataLoader(self._acceptances)
        self.acceptances_by_quote = DataLoader(self._all_acceptances)
        "Keyed by (quote id, the keyring its seal is checked with)."
        self.chain_valid_by_quote = DataLoader(self._chain_valid)
        self.buy_order_by_quote = DataLoader(self._buy_orders)
        self.buy_order_lines_by_order = DataLoader(self._buy_order_lines)
        self.last_message_id_by_quote = DataLoader(self._last_message_ids)
        self.notification_by_id = DataLoader(self._notifications)
        "Keyed by (staff id, notification id): when that staff member read it, or None."
        self.read_at_by_staff = DataLoader(self._read_at)
        self.last_notification_id_by_organization = DataLoader(self._last_notification_ids)
        self.instant_offers_by_quote = DataLoader(self._instant_offers)
        from graphql_api.loaders_after import AfterLoaders  # imports this module's helpers

        "Payouts, units, revised offers and returns."
        self.after = AfterLoaders()
        "GraphQL objects built once per request: (what, quote id, …) → its future (`quote_parts`)."
        self.built: dict[tuple[Any, ...], asyncio.Future[Any]] = {}

    def forget_quote(self, quote_id: int) -> None:
        """After a write: drop everything cached about the quote."""
        for loader in (
            self.quote_by_id,
            self.lines_by_quote,
            self.units_by_quote,
            self.changes_by_quote,
            self.acceptance_by_quote,
            self.acceptances_by_quote,
            self.buy_order_by_quote,
            self.instant_offers_by_quote,
        ):
            loader.cache_map.cache_map.pop(quote_id, None)
        for key in [key for key in self.built if key[1] == quote_id]:
            del self.built[key]
        for keyed in (self.thread_by_quote, self.chain_valid_by_quote):
            cached = keyed.cache_map.cache_map
            for key in [key for key in cached if key[0] == quote_id]:
                del cached[key]

    async def _organizations(self, ids: Sequence[int]) -> list[OrganizationRecord | None]:
        rows = await _values(Organization, OrganizationRecord, id__in=ids)
        return by_key(rows, lambda r: r.id, ids)

    async def _staff(self, ids: Sequence[int]) -> list[StaffRecord | None]:
        rows = await _values(StaffMember, StaffRecord, id__in=ids)
        return by_key(rows, lambda r: r.id, ids)

    async def _settings(self, ids: Sequence[int]) -> list[SettingsRecord | None]:
        rows = await _values(Organization, SettingsRecord, id__in=ids)
        return by_key(rows, lambda r: r.id, ids)

    async def _quotes(self, ids: Sequence[int]) -> list[QuoteRecord | None]:
        rows = await _values(Quote, QuoteRecord, id__in=ids)
        return by_key(rows, lambda r: r.id, ids)

    async def _lines(self, quote_ids: Sequence[int]) -> list[list[LineRecord]]:
        rows = (
            await QuoteLine.filter(quote_id__in=quote_ids)
            .order_by("quote_id", "position")
            .values(*columns(LineRecord))
        )
        return grouped(records(LineRecord, rows), lambda r: r.quote_id, quote_ids)

    async def _units(self, quote_ids: Sequence[int]) -> list[dict[int, list[UnitRecord]]]:
        rows = await DeviceUnit.filter(quote_id__in=quote_ids).order_by("position").values(
            "quote_id", *columns(UnitRecord)
        )
        out: dict[int, dict[int, list[UnitRecord]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            quote_id = row.pop("quote_id")
            out[quote_id][row["line_id"]].append(UnitRecord(**row))
        return [out.get(k, {}) for k in quote_ids]

    async def _changes(self, quote_ids: Sequence[int]) -> list[list[ChangeRecord]]:
        rows = await LineChange.filter(quote_id__in=quote_ids, voided=False).order_by("id").values(
            *columns(ChangeRecord)
        )
        return grouped(records(ChangeRecord, rows), lambda r: r.quote_id, quote_ids)

    async def _threads(self, keys: Sequence[tuple[int, int | None, int]]) -> list[ThreadPage]:
        pages = []
        for quote_id, after, first in keys:
            query = ThreadMessage.filter(quote_id=quote_id)
            page = query if after is None else query.filter(id__gt=after)
            rows = await page.order_by("id").limit(first + 1).values(*columns(MessageRecord))
            messages = records(MessageRecord, rows)
            has_next = len(messages) > first
            # a first page that holds the whole thread counts it; any other asks the database
            total = len(messages) if after is None and not has_next else await query.count()
            pages.append(ThreadPage(messages[:first], has_next, total))
        return pages

    async def _acceptances(self, quote_ids: Sequence[int]) -> list[AcceptanceRecord | None]:
        every = await self.acceptances_by_quote.load_many(quote_ids)
        return [found[-1] if found else None for found in every]

    async def _all_acceptances(self, quote_ids: Sequence[int]) -> list[list[AcceptanceRecord]]:
        rows = await Acceptance.filter(quote_id__in=quote_ids).order_by("id").values(
            *columns(AcceptanceRecord)
        )
        return grouped(records(AcceptanceRecord, rows), lambda r: r.quote_id, quote_ids)

    async def _chain_valid(self, keys: Sequence[tuple[int, Keyring]]) -> list[bool]:
        return [await chain_is_valid(quote_id, keyring) for quote_id, keyring in keys]

    async def _buy_orders(self, quote_ids: Sequence[int]) -> list[BuyOrderRecord | None]:
        rows = await _values(BuyOrder, BuyOrderRecord, quote_id__in=quote_ids)
        return by_key(rows, lambda r: r.quote_id, quote_ids)

    async def _buy_order_lines(self, order_ids: Sequence[int]) -> list[list[BuyOrderLineRecord]]:
        rows = await BuyOrderLine.filter(buy_order_id__in=order_ids).order_by("position").values(
            *columns(BuyOrderLineRecord)
        )
        return grouped(records(BuyOrderLineRecord, rows), lambda r: r.buy_order_id, order_ids)

    async def _last_message_ids(self, quote_ids: Sequence[int]) -> list[int]:
        rows = (
            await ThreadMessage.filter(quote_id__in=quote_ids)
            .annotate(last=Max("id"))
            .group_by("quote_id")
            .values("quote_id", "last")
        )
        last = {row["quote_id"]: row["last"] for row in rows}
        return [last.get(k, 0) for k in quote_ids]

    async def _instant_offers(self, quote_ids: Sequence[int]) -> list[dict[int, InstantOfferRecord]]:
        rows = await InstantOffer.filter(quote_id__in=quote_ids).values(
            "quote_id", *columns(InstantOfferRecord)
        )
        out: dict[int, dict[int, InstantOfferRecord]] = defaultdict(dict)
        for row in rows:
            quote_id = row.pop("quote_id")
            out[quote_id][row["line_id"]] = InstantOfferRecord(**row)
        return [out.get(k, {}) for k in quote_ids]

    async def _notifications(self, ids: Sequence[int]) -> list[NotificationRecord | None]:
        rows = await _values(Notification, NotificationRecord, id__in=ids)
        return by_key(rows, lambda r: r.id, ids)

    async def _read_at(self, keys: Sequence[tuple[int, int]]) -> list[datetime | None]:
        rows = await NotificationRead.filter(
            staff_id__in={staff for staff, _ in keys},
            notification_id__in=[notification for _, notification in keys],
        ).values("staff_id", "notification_id", "read_at")
        read = {(row["staff_id"], row["notification_id"]): row["read_at"] for row in rows}
        return [read.get(key) for key in keys]

    async def _last_notification_ids(self, organization_ids: Sequence[int]) -> list[int]:
        rows = (
            await Notification.filter(organization_id__in=organization_ids)
            .annotate(last=Max("id"))
            .group_by("organization_id")
            .values("organization_id", "last")
        )
        last = {row["organization_id"]: row["last"] for row in rows}
        return [last.get(k, 0) for k in organization_ids]
