"""Per-request DataLoaders of what follows a buy order: payouts, units at the bench, revised
offers with their photos, and returns. Frozen records, never ORM instances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from strawberry.dataloader import DataLoader

from graphql_api.loaders import _values, by_key, columns, grouped, records
from models.enums import PayoutMethod, PayoutStatus, RevisionStatus, UnitGrade, UnitStatus
from models.inventory import InventoryUnit, ReturnShipment
from models.payout import Payout, PayoutEntry
from models.revised_offer import EvidenceUpload, RevisedOffer


@dataclass(frozen=True, slots=True)
class PayoutRecord:
    id: int
    organization_id: int
    buy_order_id: int
    currency_code: str
    method: PayoutMethod
    status: PayoutStatus
    total: Decimal
    amount: Decimal
    declined_amount: Decimal
    paid_amount: Decimal
    reference: str | None
    decline_reason: str | None
    approved_at: datetime | None
    settled_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PayoutEntryRecord:
    id: int
    payout_id: int
    action: str
    status: PayoutStatus
    amount: Decimal
    note: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UnitRecord:
    id: int
    organization_id: int
    buy_order_id: int
    brand: str
    model: str
    storage: str | None
    imei: str | None
    serial: str | None
    status: UnitStatus
    price: Decimal
    grade: UnitGrade | None
    notes: str | None
    check: dict[str, Any] | None
    received_at: datetime | None
    graded_at: datetime | None


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    id: int
    quote_id: int
    buy_order_id: int
    unit_id: int
    currency_code: str
    price_before: Decimal
    price: Decimal
    reasons: list[str]
    note: str | None
    status: RevisionStatus
    reply_by: datetime
    answered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    id: int
    revised_offer_id: int
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    id: int
    unit_id: int
    buy_order_id: int
    carrier: str
    tracking_number: str
    label_url: str | None
    reason: str
    created_at: datetime


class AfterLoaders:
    """Created per request with the other loaders (`loaders.after`)."""

    def __init__(self) -> None:
        self.payout_by_order = DataLoader(self._payouts)
        self.payout_entries_by_payout = DataLoader(self._entries)
        self.units_by_order = DataLoader(self._units)
        self.unit_by_id = DataLoader(self._unit)
        self.revisions_by_quote = DataLoader(self._revisions)
        self.photos_by_revision = DataLoader(self._photos)
        self.returns_by_order = DataLoader(self._returns)

    async def _payouts(self, order_ids: Sequence[int]) -> list[PayoutRecord | None]:
        rows = await _values(Payout, PayoutRecord, buy_order_id__in=order_ids)
        return by_key(rows, lambda r: r.buy_order_id, order_ids)

    async def _entries(self, payout_ids: Sequence[int]) -> list[list[PayoutEntryRecord]]:
        rows = (
            await PayoutEntry.filter(payout_id__in=payout_ids)
            .order_by("id")
            .values(*columns(PayoutEntryRecord))
        )
        return grouped(records(PayoutEntryRecord, rows), lambda r: r.payout_id, payout_ids)

    async def _units(self, order_ids: Sequence[int]) -> list[list[UnitRecord]]:
        rows = (
            await InventoryUnit.filter(buy_order_id__in=order_ids)
            .order_by("id")
            .values(*columns(UnitRecord))
        )
        return grouped(records(UnitRecord, rows), lambda r: r.buy_order_id, order_ids)

    async def _unit(self, ids: Sequence[int]) -> list[UnitRecord | None]:
        rows = await _values(InventoryUnit, UnitRecord, id__in=ids)
        return by_key(rows, lambda r: r.id, ids)

    async def _revisions(self, quote_ids: Sequence[int]) -> list[list[RevisionRecord]]:
        rows = (
            await RevisedOffer.filter(quote_id__in=quote_ids)
            .order_by("id")
            .values(*columns(RevisionRecord))
        )
        return grouped(records(RevisionRecord, rows), lambda r: r.quote_id, quote_ids)

    async def _photos(self, revision_ids: Sequence[int]) -> list[list[PhotoRecord]]:
        rows = (
            await EvidenceUpload.filter(revised_offer_id__in=revision_ids)
            .order_by("id")
            .values(*columns(PhotoRecord))
        )
        return grouped(records(PhotoRecord, rows), lambda r: r.revised_offer_id, revision_ids)

    async def _returns(self, order_ids: Sequence[int]) -> list[list[ReturnRecord]]:
        rows = (
            await ReturnShipment.filter(buy_order_id__in=order_ids)
            .order_by("id")
            .values(*columns(ReturnRecord))
        )
        return grouped(records(ReturnRecord, rows), lambda r: r.buy_order_id, order_ids)


async def fresh_payout(payout_id: int) -> PayoutRecord:
    """A payout as it is now (after a write)."""
    return (await _values(Payout, PayoutRecord, id=payout_id))[0]


async def fresh_unit(unit_id: int) -> UnitRecord:
    return (await _values(InventoryUnit, UnitRecord, id=unit_id))[0]


async def fresh_revision(revision_id: int) -> RevisionRecord:
    return (await _values(RevisedOffer, RevisionRecord, id=revision_id))[0]
