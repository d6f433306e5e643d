"""Documents and data the device tests share: a catalog with TACs, a price grid, IMEIs."""

from __future__ import annotations

from stdnum import luhn

from tests import documents as doc
from tests.client import Api, Org

PIXEL_TAC = "35209900"
GALAXY_TAC = "35332211"

CATALOG_CSV = f"""type,brand,model,storages,colors,tacs
PHONE,Google,Pixel 8 Test,128 GB|256 GB,Obsidian|Hazel,{PIXEL_TAC}
PHONE,Samsung,Galaxy Test,128 GB,,{GALAXY_TAC}
TABLET,Apple,iPad Test,64 GB|256 GB,,
"""

PRICES_CSV = """brand,model,storage,grade,carrier_lock,base_price,floor_price
Google,Pixel 8 Test,128 GB,GOOD,UNLOCKED,400.00,150.00
Google,Pixel 8 Test,256 GB,GOOD,UNLOCKED,500.00,200.00
Google,Pixel 8 Test,256 GB,GOOD,LOCKED,420.00,
Samsung,Galaxy Test,,GOOD,UNLOCKED,300,
"""

DEDUCTIONS_CSV = """question,answer,kind,amount
screen,Light scratches,PERCENT,10
battery,Under 80%,FIXED,40.00
screen,Cracked,PERCENT,80
"""

IMPORT_CATALOG = """
mutation ImportCatalog($input: ImportCsvInput!) {
  importDeviceCatalog(input: $input) {
    report { added updated unchanged refused { line reason } } %s
  }
}
""" % doc.USER_ERRORS

IMPORT_REGISTRY = """
mutation ImportRegistry($input: ImportCsvInput!) {
  importImeiRegistry(input: $input) {
    report { added updated unchanged refused { line reason } } %s
  }
}
""" % doc.USER_ERRORS

IMPORT_GRID = """
mutation ImportGrid($input: ImportPriceGridInput!) {
  importPriceGrid(input: $input) {
    prices { added updated unchanged refused { line reason } }
    deductions { added updated unchanged refused { line reason } }
    %s
  }
}
""" % doc.USER_ERRORS

PRICE_GRID = "query { priceGrid { prices deductions } }"

LOOKUP = """
mutation Lookup($input: LookupImeisInput!) {
  lookupImeis(input: $input) {
    results { imei valid flags device { type brand model } }
    remainingLookups %s
  }
}
""" % doc.USER_ERRORS

UPDATE_PAGE = """
mutation UpdatePage($input: UpdateTradeInPageInput!) {
  updateTradeInPage(input: $input) {
    organization { slug showsInstantOffers conditionQuestions { key label options } } %s
  }
}
""" % doc.USER_ERRORS


def imei(tac: str, serial: int) -> str:
    body = f"{tac}{serial:06d}"
    return body + luhn.calc_check_digit(body)


async def stocked(api: Api, org: Org, *, show_offers: bool = False) -> None:
    """The organization's catalog and price grid, as an owner imports them."""
    data = await api(IMPORT_CATALOG, {"input": {"csv": CATALOG_CSV}}, org.owner_token)
    assert data["importDeviceCatalog"]["report"]["refused"] == []
    data = await api(
        IMPORT_GRID,
        {"input": {"prices": PRICES_CSV, "deductions": DEDUCTIONS_CSV}},
        org.owner_token,
    )
    assert data["importPriceGrid"]["prices"]["refused"] == []
    if show_offers:
        data = await api(UPDATE_PAGE, {"input": {"showsInstantOffers": True}}, org.owner_token)
        assert data["updateTradeInPage"]["userErrors"] == []
