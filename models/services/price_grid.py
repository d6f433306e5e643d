"""The price grid as staff keep it: base prices and deductions, imported and exported as CSV.
Changing the grid never touches the instant offers already made."""

from __future__ import annotations

from decimal import Decimal

from tortoise.transactions import in_transaction

from models import csv_rows
from models.catalog import CatalogModel, storage_key
from models.negotiation import StaffRole
from models.organization import Organization
from models.price_grid import GridDeduction, GridPrice
from models.services.caller import Caller
from models.services.catalog import ImportReport, models_by_key
from models.services.upserts import merge_rows
from models.validation import quantize

GRID_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER})


async def import_prices(organization: Organization, text: str, *, replace: bool = False) -> ImportReport:
    """Add or update base prices; a row whose model is not in the catalog is refused. With
    `replace`, prices the file does not list are removed."""
    parsed = csv_rows.prices(text, organization.currency_code)
    report = ImportReport(refused=list(parsed.refused))
    async with in_transaction():
        models = await models_by_key(organization.id, {row.key for _, row in parsed.rows})
        rows = []
        for line, row in parsed.rows:
            model = models.get(row.key)
            if model is None:
                report.refused.append(
                    csv_rows.Refusal(line, f"{row.brand} {row.model} is not in the device catalog")
                )
                continue
            if row.storage and model.storages and row.storage not in {
                storage_key(name) for name in model.storages
            }:
                report.refused.append(
                    csv_rows.Refusal(
                        line, f"storage: {model.model} comes in {', '.join(model.storages)}"
                    )
                )
                continue
            rows.append((model.id, row))
        existing = {
            (p.catalog_model_id, p.storage, p.grade, p.carrier_lock): p
            for p in await GridPrice.filter(organization_id=organization.id)
        }
        kept = await merge_rows(
            GridPrice,
            existing,
            [((model_id, r.storage, r.grade, r.carrier_lock), (model_id, r)) for model_id, r in rows],
            build=lambda item: GridPrice(
                organization_id=organization.id,
                catalog_model_id=item[0],
                storage=item[1].storage,
                grade=item[1].grade,
                carrier_lock=item[1].carrier_lock,
                base_price=item[1].base_price,
                floor_price=item[1].floor_price,
            ),
            values=lambda item: {"base_price": item[1].base_price, "floor_price": item[1].floor_price},
            report=report,
        )
        if replace:
            gone = [p.id for key, p in existing.items() if key not in kept]
            if gone:
                await GridPrice.filter(id__in=gone).delete()
    report.refused.sort(key=lambda r: r.line)
    return report


async def import_deductions(
    organization: Organization, text: str, *, replace: bool = False
) -> ImportReport:
    parsed = csv_rows.deductions(text, organization.currency_code)
    report = ImportReport(refused=list(parsed.refused))
    async with in_transaction():
        existing = {
            (d.question, d.answer): d
            for d in await GridDeduction.filter(organization_id=organization.id)
        }
        kept = await merge_rows(
            GridDeduction,
            existing,
            [((r.question, r.answer), r) for _, r in parsed.rows],
            build=lambda r: GridDeduction(
                organization_id=organization.id,
                question=r.question,
                answer=r.answer,
                kind=r.kind,
                amount=r.amount,
            ),
            values=lambda r: {"kind": r.kind, "amount": r.amount},
            report=report,
        )
        if replace:
            gone = [d.id for key, d in existing.items() if key not in kept]
            if gone:
                await GridDeduction.filter(id__in=gone).delete()
    return report


async def export_prices(organization_id: int) -> str:
    currency = await _currency(organization_id)
    rows = await GridPrice.filter(organization_id=organization_id).values_list(
        "catalog_model_id", "storage", "grade", "carrier_lock", "base_price", "floor_price"
    )
    names = {
        m["id"]: (m["brand"], m["model"], m["storages"])
        for m in await CatalogModel.filter(id__in=sorted({r[0] for r in rows})).values(
            "id", "brand", "model", "storages"
        )
    } if rows else {}

    def shown(model_id: int, storage: str) -> str:
        """The catalog's spelling of a normalized storage, e.g. 256GB as `256 GB`."""
        for name in names[model_id][2] or []:
            if storage_key(name) == storage:
                return str(name)
        return storage

    out = sorted(
        (
            names[model_id][0],
            names[model_id][1],
            shown(model_id, storage),
            str(grade),
            str(lock),
            quantize(base, currency),
            None if floor is None else quantize(floor, currency),
        )
        for model_id, storage, grade, lock, base, floor in rows
    )
    return csv_rows.write(csv_rows.PRICE_COLUMNS, out)


async def _currency(organization_id: int) -> str:
    codes = await Organization.filter(id=organization_id).values_list("currency_code", flat=True)
    return str(codes[0])


async def export_deductions(organization_id: int) -> str:
    currency = await _currency(organization_id)
    rows = await GridDeduction.filter(organization_id=organization_id).order_by(
        "question", "answer"
    ).values_list("question", "answer", "kind", "amount")
    return csv_rows.write(
        csv_rows.DEDUCTION_COLUMNS,
        [
            (q, a, str(kind), _percent(amount) if str(kind) == "PERCENT" else quantize(amount, currency))
            for q, a, kind, amount in rows
        ],
    )


async def staff_import(
    caller: Caller, prices: str | None, deductions: str | None, replace: bool
) -> tuple[ImportReport | None, ImportReport | None]:
    caller.require_staff(GRID_ROLES)
    organization = await Organization.get(id=caller.organization_id)
    price_report = None if prices is None else await import_prices(organization, prices, replace=replace)
    deduction_report = (
        None if deductions is None else await import_deductions(organization, deductions, replace=replace)
    )
    return price_report, deduction_report


def _percent(amount: Decimal) -> str:
    """12.500 as `12.5`, 10.000 as `10`."""
    text = format(amount.normalize(), "f")
    return text
