"""`tradequote catalog|registry|grid …`: the device catalog, the IMEI registry and the price
grid from CSV files, each import reporting rows added, updated and refused (with lines)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from graphql_api import db
from graphql_api.settings import Settings
from models.organization import Organization
from models.services import catalog, price_grid, registry


async def _connected(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    await db.connect(settings.database_url)
    try:
        return await work()
    finally:
        await db.close()


async def _organization(slug: str) -> Organization:
    organization = await Organization.get_or_none(slug=slug)
    if organization is None:
        raise SystemExit(f"error: no organization {slug!r}")
    return organization


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SystemExit(f"error: cannot read {path}: {error}") from None


def _report(name: str, report: catalog.ImportReport) -> int:
    for line in report.lines():
        print(f"{name}: {line}")
    return 1 if report.refused else 0


def cmd_catalog_import(settings: Settings, args: argparse.Namespace) -> int:
    text = catalog.STARTER_CATALOG.read_text(encoding="utf-8") if args.starter else None
    if text is None:
        if not args.file:
            raise SystemExit("error: give FILE.csv or --starter")
        text = _read(args.file)

    async def work() -> int:
        organization_id = None
        if args.organization:
            organization_id = (await _organization(args.organization)).id
        return _report("catalog", await catalog.import_catalog(text, organization_id))

    return asyncio.run(_connected(settings, work))


def cmd_registry_import(settings: Settings, args: argparse.Namespace) -> int:
    text = _read(args.file)

    async def work() -> int:
        organization = await _organization(args.organization)
        return _report("registry", await registry.import_registry(organization.id, text))

    return asyncio.run(_connected(settings, work))


def cmd_grid_import(settings: Settings, args: argparse.Namespace) -> int:
    if not (args.prices or args.deductions):
        raise SystemExit("error: give --prices FILE.csv and/or --deductions FILE.csv")
    prices = _read(args.prices) if args.prices else None
    deductions = _read(args.deductions) if args.deductions else None

    async def work() -> int:
        organization = await _organization(args.organization)
        status = 0
        if prices is not None:
            report = await price_grid.import_prices(organization, prices, replace=args.replace)
            status |= _report("prices", report)
        if deductions is not None:
            report = await price_grid.import_deductions(
                organization, deductions, replace=args.replace
            )
            status |= _report("deductions", report)
        return status

    return asyncio.run(_connected(settings, work))


def cmd_grid_export(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        organization = await _organization(args.organization)
        prices = await price_grid.export_prices(organization.id)
        deductions = await price_grid.export_deductions(organization.id)
        for path, text in ((args.prices, prices), (args.deductions, deductions)):
            if path:
                Path(path).write_text(text, encoding="utf-8")
        if not (args.prices or args.deductions):
            sys.stdout.write(prices)
        return 0

    return asyncio.run(_connected(settings, work))


def add_commands(commands: Any) -> None:
    """The catalog, registry and grid commands, under the `tradequote` parser."""
    catalog_parser = commands.add_parser("catalog", help="the device catalog")
    catalog_commands = catalog_parser.add_subparsers(dest="catalog_command", required=True)
    imported = catalog_commands.add_parser(
        "import", help="add or update models from CSV: type,brand,model,storages,colors,tacs"
    )
    imported.add_argument("file", nargs="?", help="the CSV file")
    imported.add_argument(
        "--organization", help="the organization's slug; without it, the shared catalog"
    )
    imported.add_argument("--starter", action="store_true", help="the shipped starter catalog")
    imported.set_defaults(func=cmd_catalog_import)

    registry_parser = commands.add_parser("registry", help="the IMEI registry")
    registry_commands = registry_parser.add_subparsers(dest="registry_command", required=True)
    imported = registry_commands.add_parser("import", help="add IMEIs from CSV: imei,flag,note")
    imported.add_argument("file")
    imported.add_argument("--organization", required=True)
    imported.set_defaults(func=cmd_registry_import)

    grid_parser = commands.add_parser("grid", help="the price grid")
    grid_commands = grid_parser.add_subparsers(dest="grid_command", required=True)
    imported = grid_commands.add_parser("import", help="base prices and deductions from CSV")
    imported.add_argument("--organization", required=True)
    imported.add_argument("--prices", help="brand,model,storage,grade,carrier_lock,base_price,floor_price")
    imported.add_argument("--deductions", help="question,answer,kind,amount")
    imported.add_argument("--replace", action="store_true", help="remove what the files omit")
    imported.set_defaults(func=cmd_grid_import)
    exported = grid_commands.add_parser("export", help="the grid as CSV (prices to stdout)")
    exported.add_argument("--organization", required=True)
    exported.add_argument("--prices", help="write the prices here")
    exported.add_argument("--deductions", help="write the deductions here")
    exported.set_defaults(func=cmd_grid_export)


async def load_starter(settings: Settings) -> None:
    """After migrating: the shipped starter catalog, once. Under the migration lock: on SQLite,
    replicas starting together would otherwise race from reading the catalog to writing it
    (a read transaction that cannot become a write one fails at once, whatever the timeout)."""
    async with db.migration_lock(settings.database_url):
        await db.connect(settings.database_url)
        try:
            await catalog.ensure_starter_catalog()
        finally:
            await db.close()
