"""CSV imports of the catalog, the IMEI registry and the price grid: rows added, updated and
refused with their line numbers, through the API and the `tradequote` command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from models.services.catalog import ensure_starter_catalog
from tests import devices as dev
from tests.client import Api, Org

CATALOG_QUERY = """
query Catalog($type: DeviceType, $brand: String, $search: String, $first: Int, $after: String) {
  deviceCatalog(type: $type, brand: $brand, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { type brand model storages colors } }
  }
}
"""

MALFORMED_CATALOG = f"""type,brand,model,storages,colors,tacs
PHONE,Google,Pixel 8 Test,128 GB|256 GB,,{dev.PIXEL_TAC}
SPACESHIP,Acme,Rocket,,,
PHONE,,Nameless,,,
PHONE,Acme,Tac Typo,,,1234567
PHONE,Acme,Two Fields Too Many,,,,extra,more
PHONE,Google,pixel 8 TEST,64 GB,,
PHONE,Acme,Tac Thief,,,{dev.PIXEL_TAC}

WATCH,Acme,Ticker,,,
"""


async def test_catalog_import_reports_every_malformed_row_with_its_line(api: Api, org: Org) -> None:
    data = await api(dev.IMPORT_CATALOG, {"input": {"csv": MALFORMED_CATALOG}}, org.owner_token)
    report = data["importDeviceCatalog"]["report"]
    assert report["added"] == 1 and report["updated"] == 0
    refused = {r["line"]: r["reason"] for r in report["refused"]}
    assert sorted(refused) == [3, 4, 5, 6, 7, 8, 10]
    assert "SPACESHIP" in refused[3] and "type" in refused[3]
    assert refused[4].startswith("brand")
    assert "not 8 digits" in refused[5]
    assert "more fields" in refused[6]
    assert "listed again on line 2" in refused[7]
    assert "already listed on line 2" in refused[8]
    assert "WATCH" in refused[10]

    # the same file again: nothing new; a changed storage list is an update
    again = await api(dev.IMPORT_CATALOG, {"input": {"csv": MALFORMED_CATALOG}}, org.owner_token)
    assert again["importDeviceCatalog"]["report"]["added"] == 0
    assert again["importDeviceCatalog"]["report"]["unchanged"] == 1
    changed = "type,brand,model,storages\nPHONE,Google,Pixel 8 Test,128 GB|256 GB|512 GB\n"
    data = await api(dev.IMPORT_CATALOG, {"input": {"csv": changed}}, org.owner_token)
    assert data["importDeviceCatalog"]["report"]["updated"] == 1
    page = await api(CATALOG_QUERY, {"search": "pixel 8 test"}, org.owner_token)
    node = page["deviceCatalog"]["edges"][0]["node"]
    assert node["storages"] == ["128 GB", "256 GB", "512 GB"]


async def test_a_header_without_the_needed_columns_is_refused_at_line_1(api: Api, org: Org) -> None:
    data = await api(dev.IMPORT_CATALOG, {"input": {"csv": "kind,maker\nPHONE,Acme\n"}}, org.owner_token)
    report = data["importDeviceCatalog"]["report"]
    assert report["added"] == 0
    assert report["refused"][0]["line"] == 1 and "type" in report["refused"][0]["reason"]


async def test_only_owners_and_managers_import_the_catalog(api: Api, org: Org) -> None:
    from models.negotiation import StaffRole

    token = await org.staff_token(StaffRole.TECHNICIAN)
    body = await api.raw(dev.IMPORT_CATALOG, {"input": {"csv": dev.CATALOG_CSV}}, token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.raw(dev.IMPORT_CATALOG, {"input": {"csv": dev.CATALOG_CSV}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_registry_import_refuses_bad_imeis_and_flags(api: Api, org: Org) -> None:
    good = dev.imei(dev.PIXEL_TAC, 1)
    bad_digit = good[:-1] + str((int(good[-1]) + 1) % 10)
    csv = (
        "imei,flag,note\n"
        f"{good},BLACKLISTED,reported stolen\n"
        f"{bad_digit},BLACKLISTED,\n"
        f"{dev.imei(dev.PIXEL_TAC, 2)},STOLEN,\n"
        f"{dev.imei(dev.PIXEL_TAC, 3)[:7]}-{dev.imei(dev.PIXEL_TAC, 3)[7:]},finance locked,lease\n"
    )
    data = await api(dev.IMPORT_REGISTRY, {"input": {"csv": csv}}, org.owner_token)
    report = data["importImeiRegistry"]["report"]
    assert report["added"] == 2
    assert [(r["line"], "imei" in r["reason"]) for r in report["refused"]] == [(3, True), (4, False)]
    assert "STOLEN" in report["refused"][1]["reason"]
    listing = await api(
        "query { imeiRegistry { totalCount edges { node { imei flag note } } } }", None, org.owner_token
    )
    entries = [e["node"] for e in listing["imeiRegistry"]["edges"]]
    assert listing["imeiRegistry"]["totalCount"] == 2
    assert {"imei": dev.imei(dev.PIXEL_TAC, 3), "flag": "FINANCE_LOCKED", "note": "lease"} in entries


async def test_price_grid_import_refuses_unknown_models_and_bad_amounts_then_exports(
    api: Api, org: Org
) -> None:
    await api(dev.IMPORT_CATALOG, {"input": {"csv": dev.CATALOG_CSV}}, org.owner_token)
    prices = dev.PRICES_CSV + (
        "Nokia,3310,,GOOD,UNLOCKED,20,\n"  # line 6: not in the catalog
        "Google,Pixel 8 Test,1 TB,GOOD,UNLOCKED,900,\n"  # line 7: no such storage
        "Google,Pixel 8 Test,128 GB,MINT,UNLOCKED,410,\n"  # line 8: no such grade
        "Google,Pixel 8 Test,128 GB,FAIR,UNLOCKED,12.345,\n"  # line 9: three decimals
        "Google,Pixel 8 Test,128 GB,POOR,UNLOCKED,100,150\n"  # line 10: floor above base
        "Google,Pixel 8 Test,128GB,GOOD,UNLOCKED,401,\n"  # line 11: repeats line 2
    )
    deductions = dev.DEDUCTIONS_CSV + "body,Dents,PERCENT,120\nbody,Dents,FIXED,abc\n"
    data = await api(
        dev.IMPORT_GRID, {"input": {"prices": prices, "deductions": deductions}}, org.owner_token
    )
    report = data["importPriceGrid"]
    assert report["prices"]["added"] == 4
    assert [r["line"] for r in report["prices"]["refused"]] == [6, 7, 8, 9, 10, 11]
    assert "not in the device catalog" in report["prices"]["refused"][0]["reason"]
    assert "128 GB, 256 GB" in report["prices"]["refused"][1]["reason"]
    assert report["deductions"]["added"] == 3
    assert [r["line"] for r in report["deductions"]["refused"]] == [5, 6]

    exported = (await api(dev.PRICE_GRID, None, org.owner_token))["priceGrid"]
    assert exported["prices"].splitlines()[0] == (
        "brand,model,storage,grade,carrier_lock,base_price,floor_price"
    )
    assert "Google,Pixel 8 Test,256 GB,GOOD,LOCKED,420.00," in exported["prices"]
    assert "screen,light scratches,PERCENT,10" in exported["deductions"]
    # the export imports back unchanged
    data = await api(
        dev.IMPORT_GRID,
        {"input": {"prices": exported["prices"], "deductions": exported["deductions"]}},
        org.owner_token,
    )
    assert data["importPriceGrid"]["prices"]["unchanged"] == 4
    assert data["importPriceGrid"]["deductions"]["unchanged"] == 3
    assert data["importPriceGrid"]["prices"]["refused"] == []


async def test_the_catalog_command_reports_lines(database: str, tmp_path: Path, org: Org) -> None:
    file = tmp_path / "catalog.csv"
    file.write_text(MALFORMED_CATALOG, encoding="utf-8")
    env = {"TRADEQUOTE_DATABASE_URL": database, "TRADEQUOTE_SECRET_KEY": "k" * 40, "PATH": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "graphql_api", "catalog", "import", str(file),
        "--organization", org.slug,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1, stderr.decode()
    lines = stdout.decode().splitlines()
    assert lines[0] == "catalog: added 1, updated 0, unchanged 0, refused 7"
    assert any(line.startswith("catalog: line 5: tacs:") for line in lines)


async def test_the_starter_catalog_lists_by_type_brand_and_search(api: Api, org: Org) -> None:
    await ensure_starter_catalog()
    phones = await api(CATALOG_QUERY, {"type": "PHONE", "brand": "apple", "first": 5}, org.owner_token)
    page = phones["deviceCatalog"]
    assert page["totalCount"] >= 20 and page["pageInfo"]["hasNextPage"] is True
    assert {e["node"]["brand"] for e in page["edges"]} == {"Apple"}
    after = await api(
        CATALOG_QUERY,
        {"type": "PHONE", "brand": "apple", "first": 5, "after": page["pageInfo"]["endCursor"]},
        org.owner_token,
    )
    first_models = {e["node"]["model"] for e in page["edges"]}
    assert not first_models & {e["node"]["model"] for e in after["deviceCatalog"]["edges"]}
    found = await api(CATALOG_QUERY, {"search": "iphone 15 pro max"}, None)
    assert [e["node"]["model"] for e in found["deviceCatalog"]["edges"]] == ["iPhone 15 Pro Max"]
    assert found["deviceCatalog"]["edges"][0]["node"]["storages"] == ["256 GB", "512 GB", "1 TB"]
    # an organization's own model of the same name replaces the shared one for it only
    own = "type,brand,model,storages\nPHONE,Apple,iPhone 15 Pro Max,256 GB\n"
    await api(dev.IMPORT_CATALOG, {"input": {"csv": own}}, org.owner_token)
    mine = await api(CATALOG_QUERY, {"search": "iphone 15 pro max"}, org.owner_token)
    assert [e["node"]["storages"] for e in mine["deviceCatalog"]["edges"]] == [["256 GB"]]
    public = await api(CATALOG_QUERY, {"search": "iphone 15 pro max"}, None)
    assert public["deviceCatalog"]["edges"][0]["node"]["storages"] == ["256 GB", "512 GB", "1 TB"]


async def _tradequote(database: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"TRADEQUOTE_DATABASE_URL": database, "TRADEQUOTE_SECRET_KEY": "k" * 40, "PATH": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "graphql_api", *args,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_the_grid_and_registry_commands(api: Api, org: Org, database: str, tmp_path: Path) -> None:
    await api(dev.IMPORT_CATALOG, {"input": {"csv": dev.CATALOG_CSV}}, org.owner_token)
    (tmp_path / "prices.csv").write_text(dev.PRICES_CSV + "Nokia,3310,,GOOD,,20,\n", encoding="utf-8")
    (tmp_path / "deductions.csv").write_text(dev.DEDUCTIONS_CSV, encoding="utf-8")
    status, output = await _tradequote(
        database, tmp_path, "grid", "import", "--organization", org.slug,
        "--prices", "prices.csv", "--deductions", "deductions.csv",
    )
    assert status == 1, output
    assert output.splitlines() == [
        "prices: added 4, updated 0, unchanged 0, refused 1",
        "prices: line 6: Nokia 3310 is not in the device catalog",
        "deductions: added 3, updated 0, unchanged 0, refused 0",
    ]
    status, output = await _tradequote(
        database, tmp_path, "grid", "export", "--organization", org.slug,
        "--prices", "out-prices.csv", "--deductions", "out-deductions.csv",
    )
    assert status == 0, output
    exported = (tmp_path / "out-prices.csv").read_text(encoding="utf-8").splitlines()
    assert exported[0] == "brand,model,storage,grade,carrier_lock,base_price,floor_price"
    assert "Samsung,Galaxy Test,,GOOD,UNLOCKED,300.00," in exported
    assert len(exported) == 5
    assert "battery,under 80%,FIXED,40.00" in (tmp_path / "out-deductions.csv").read_text()

    stolen = dev.imei(dev.PIXEL_TAC, 31)
    (tmp_path / "registry.csv").write_text(f"imei,flag,note\n{stolen},BLACKLISTED,stolen\n", encoding="utf-8")
    status, output = await _tradequote(
        database, tmp_path, "registry", "import", "registry.csv", "--organization", org.slug
    )
    assert (status, output.strip()) == (0, "registry: added 1, updated 0, unchanged 0, refused 0")
    status, output = await _tradequote(
        database, tmp_path, "registry", "import", "registry.csv", "--organization", "no-such-org"
    )
    assert status == 1 and "no organization 'no-such-org'" in output
