"""The device catalog: importing it from CSV, listing it for the entry form, and naming devices
from the type allocation codes of their IMEIs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from models import csv_rows
from models.catalog import CatalogModel, CatalogTac
from models.enums import DeviceType

STARTER_CATALOG = Path(__file__).resolve().parent.parent / "data" / "starter_catalog.csv"


@dataclass
class ImportReport:
    """What an import did: rows added, rows updated, and rows refused with their line numbers."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[csv_rows.Refusal] = field(default_factory=list)

    def lines(self) -> list[str]:
        summary = (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"refused {len(self.refused)}"
        )
        out = [summary]
        out += [f"line {r.line}: {r.reason}" for r in self.refused]
        return out


@dataclass(frozen=True)
class CatalogDevice:
    """A catalog model as the API shows it."""

    id: int
    device_type: DeviceType
    brand: str
    model: str
    storages: tuple[str, ...]
    colors: tuple[str, ...]


def _scope(organization_id: int | None) -> Q:
    return (
        Q(organization_id=organization_id)
        if organization_id is not None
        else Q(organization_id__isnull=True)
    )


def visible(organization_id: int | None) -> Q:
    """The organization's own models, and the shared ones it has not replaced."""
    shared = Q(organization_id__isnull=True)
    if organization_id is None:
        return shared
    own_keys = CatalogModel.filter(organization_id=organization_id).values("key")
    return Q(organization_id=organization_id) | (shared & ~Q(key__in=Subquery(own_keys)))


async def import_catalog(text: str, organization_id: int | None) -> ImportReport:
    """Add the models the file brings, update those it changes (storages, colours, type, and
    the TACs it lists), and refuse malformed rows; one transaction."""
    parsed = csv_rows.catalog(text)
    report = ImportReport(refused=list(parsed.refused))
    rows = [row for _, row in parsed.rows]
    async with in_transaction():
        existing = {
            m.key: m
            for m in await CatalogModel.filter(
                _scope(organization_id), key__in=[r.key for r in rows]
            )
        }
        new = [
            CatalogModel(
                organization_id=organization_id,
                device_type=row.type,
                brand=row.brand,
                model=row.model,
                key=row.key,
                storages=list(row.storages),
                colors=list(row.colors),
            )
            for row in rows
            if row.key not in existing
        ]
        if new:
            await CatalogModel.bulk_create(new)
            report.added = len(new)
        changed_keys = set()
        for row in rows:
            model = existing.get(row.key)
            if model is None:
                continue
            after = (row.type, row.brand, row.model, list(row.storages), list(row.colors))
            before = (model.device_type, model.brand, model.model, model.storages, model.colors)
            if after != before:
                model.device_type, model.brand, model.model = row.type, row.brand, row.model
                model.storages, model.colors = list(row.storages), list(row.colors)
                await model.save()
                changed_keys.add(row.key)
        ids = {
            m["key"]: m["id"]
            for m in await CatalogModel.filter(
                _scope(organization_id), key__in=[r.key for r in rows if r.tacs]
            ).values("key", "id")
        }
        wanted = [tac for row in rows for tac in row.tacs]
        taken = {
            t.tac: t for t in await CatalogTac.filter(_scope(organization_id), tac__in=wanted)
        } if wanted else {}
        fresh = []
        for row in rows:
            for tac in row.tacs:
                model_id = ids[row.key]
                current = taken.get(tac)
                if current is None:
                    fresh.append(
                        CatalogTac(organization_id=organization_id, tac=tac, catalog_model_id=model_id)
                    )
                    if row.key in existing:
                        changed_keys.add(row.key)
                elif current.catalog_model_id != model_id:
                    current.catalog_model_id = model_id
                    await current.save(update_fields=["catalog_model_id"])
                    changed_keys.add(row.key)
        if fresh:
            await CatalogTac.bulk_create(fresh)
        report.updated = len(changed_keys)
        report.unchanged = len(existing) - len(changed_keys)
    return report


STARTER_LOCK = 7_240_011


async def ensure_starter_catalog() -> ImportReport | None:
    """Load the shipped starter catalog once, when the shared catalog is empty. Replicas that
    start together on PostgreSQL take turns (an advisory lock), so it is loaded once."""
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            await connection.execute_query(f"SELECT pg_advisory_xact_lock({STARTER_LOCK})")
        if await CatalogModel.filter(organization_id__isnull=True).exists():
            return None
        return await import_catalog(STARTER_CATALOG.read_text(encoding="utf-8"), None)


async def catalog_page(
    organization_id: int | None,
    *,
    device_type: DeviceType | None,
    brand: str | None,
    search: str | None,
    offset: int,
    first: int,
) -> tuple[list[CatalogDevice], bool, int]:
    """A page of the catalog sorted by type, brand and model: (models, has next, total)."""
    query = CatalogModel.filter(visible(organization_id))
    if device_type is not None:
        query = query.filter(device_type=device_type)
    if brand and brand.strip():
        query = query.filter(brand__iexact=brand.strip()[:100])
    for word in (search or "").split()[:5]:
        query = query.filter(Q(brand__icontains=word[:100]) | Q(model__icontains=word[:100]))
    total = await query.count()
    rows = (
        await query.order_by("device_type", "brand", "model", "id")
        .offset(offset)
        .limit(first + 1)
        .values("id", "device_type", "brand", "model", "storages", "colors")
    )
    devices = [_device(row) for row in rows[:first]]
    return devices, len(rows) > first, total


def _device(row: dict[str, Any]) -> CatalogDevice:
    return CatalogDevice(
        id=row["id"],
        device_type=DeviceType(row["device_type"]),
        brand=row["brand"],
        model=row["model"],
        storages=tuple(row["storages"] or ()),
        colors=tuple(row["colors"] or ()),
    )


async def devices_by_tac(organization_id: int, tacs: Iterable[str]) -> dict[str, CatalogDevice]:
    """What each TAC names, the organization's own entry first; one statement."""
    wanted = sorted(set(tacs))
    if not wanted:
        return {}
    rows = await CatalogTac.filter(
        Q(organization_id=organization_id) | Q(organization_id__isnull=True), tac__in=wanted
    ).values(
        "tac",
        "organization_id",
        id="catalog_model__id",
        device_type="catalog_model__device_type",
        brand="catalog_model__brand",
        model="catalog_model__model",
        storages="catalog_model__storages",
        colors="catalog_model__colors",
    )
    found: dict[str, CatalogDevice] = {}
    for row in sorted(rows, key=lambda r: r["organization_id"] is not None):
        found[row["tac"]] = _device(row)
    return found


async def models_by_key(organization_id: int, keys: Iterable[str]) -> dict[str, CatalogDevice]:
    """Catalog models by model_key, the organization's own first; one statement."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await CatalogModel.filter(
        Q(organization_id=organization_id) | Q(organization_id__isnull=True), key__in=wanted
    ).values("id", "key", "organization_id", "device_type", "brand", "model", "storages", "colors")
    found: dict[str, CatalogDevice] = {}
    for row in sorted(rows, key=lambda r: r["organization_id"] is not None):
        found[row["key"]] = _device(row)
    return found
