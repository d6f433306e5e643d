"""Instant offers: the price grid applied to a described device, for `instantQuote` and for
every line of a submitted quote (kept as made: later grid changes never alter them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models import pricing
from models.catalog import model_key, storage_key
from models.enums import CarrierLock, DeviceCondition
from models.organization import Organization
from models.price_grid import GridDeduction, GridPrice, InstantOffer
from models.quote import Quote, QuoteLine
from models.services.catalog import models_by_key


@dataclass(frozen=True)
class Described:
    """What the grid needs to know of a device."""

    brand: str
    model: str
    storage: str | None
    condition: DeviceCondition
    carrier_lock: CarrierLock | None
    answers: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Grid:
    """The part of an organization's grid that some devices need."""

    model_ids: dict[str, int]
    prices: dict[tuple[int, str, DeviceCondition, CarrierLock], tuple[Decimal, Decimal | None]]
    deductions: dict[tuple[str, str], pricing.Deduction]

    def offer(self, device: Described, currency_code: str) -> pricing.Offer | None:
        model_id = self.model_ids.get(model_key(device.brand, device.model))
        if model_id is None:
            return None
        lock = pricing.grid_lock(device.carrier_lock)
        price = self.prices.get(
            (model_id, storage_key(device.storage), device.condition, lock)
        ) or self.prices.get((model_id, "", device.condition, lock))
        if price is None:
            return None
        applied = pricing.matching(device.answers, self.deductions)
        return pricing.instant_offer(price[0], price[1], applied, currency_code)


async def load_grid(organization_id: int, devices: Sequence[Described]) -> Grid:
    """Three statements whatever the number of devices."""
    models = await models_by_key(organization_id, {model_key(d.brand, d.model) for d in devices})
    ids = {key: device.id for key, device in models.items()}
    prices = {}
    if ids:
        rows = await GridPrice.filter(
            organization_id=organization_id, catalog_model_id__in=sorted(set(ids.values()))
        ).values_list("catalog_model_id", "storage", "grade", "carrier_lock", "base_price", "floor_price")
        prices = {
            (model_id, storage, DeviceCondition(grade), CarrierLock(lock)): (base, floor)
            for model_id, storage, grade, lock, base, floor in rows
        }
    deductions = {}
    if prices:
        rows = await GridDeduction.filter(organization_id=organization_id).values_list(
            "question", "answer", "kind", "amount"
        )
        deductions = {
            (q, a): pricing.Deduction(q, a, str(kind), amount) for q, a, kind, amount in rows
        }
    return Grid(ids, prices, deductions)


async def quote_device(
    organization: Organization, device: Described
) -> pricing.Offer | None:
    grid = await load_grid(organization.id, [device])
    return grid.offer(device, organization.currency_code)


async def make_offers(quote: Quote, lines: Sequence[QuoteLine], now: datetime) -> list[InstantOffer]:
    """An instant offer for every line the grid prices (inside the submission's transaction),
    shown to the customer when the organization shows instant offers."""
    described = [
        Described(
            brand=line.brand,
            model=line.model,
            storage=line.storage,
            condition=line.condition,
            carrier_lock=line.carrier_lock,
            answers=[(a["question"], a["answer"]) for a in line.condition_answers],
        )
        for line in lines
    ]
    grid = await load_grid(quote.organization_id, described)
    offers = []
    for line, device in zip(lines, described, strict=True):
        offer = grid.offer(device, quote.currency_code)
        if offer is None:
            continue
        offers.append(
            InstantOffer(
                quote_id=quote.id,
                line_id=line.id,
                amount=offer.amount,
                base_price=offer.base_price,
                deductions=[
                    {"question": d.question, "answer": d.answer, "kind": d.kind, "amount": str(d.amount)}
                    for d in offer.applied
                ],
                created_at=now,
            )
        )
    if offers:
        shown = await Organization.filter(id=quote.organization_id).values_list(
            "show_instant_offers", flat=True
        )
        for offer in offers:
            offer.shown_to_customer = bool(shown and shown[0])
        await InstantOffer.bulk_create(offers)
    return offers
