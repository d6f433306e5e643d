"""IMEIs: Luhn validation with separators, the device named from the TAC, `lookupImeis` for
staff, customers and the public trade-in page, the per-quote limit, and the catalog's
statement count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from models import csv_rows
from models import validation as v
from models.organization import Organization
from models.services.catalog import STARTER_CATALOG, ensure_starter_catalog
from models.services.imei_checks import normalize
from tests import devices as dev
from tests.client import Api, Org
from tests.flow import request_link
from tests.test_thread_view import count_statements

CATALOG_PAGE = """
query Catalog($first: Int) {
  deviceCatalog(first: $first) {
    totalCount edges { cursor node { type brand model storages colors } }
  }
}
"""


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_any_fourteen_digits_with_their_luhn_digit_are_an_imei(body: str) -> None:
    number = body + luhn.calc_check_digit(body)
    assert v.imei_is_valid(number)
    for wrong in set("0123456789") - {number[-1]}:
        assert not v.imei_is_valid(body + wrong)


@given(
    st.text(alphabet="0123456789", min_size=14, max_size=14),
    st.lists(st.sampled_from([" ", "-", "  ", " - "]), min_size=1, max_size=4),
)
def test_spaces_and_dashes_do_not_matter(body: str, separators: list[str]) -> None:
    number = body + luhn.calc_check_digit(body)
    spaced = number[:2] + separators[0] + number[2:8]
    for i, sep in enumerate(separators[1:]):
        spaced += sep + number[8 + i * 2 : 10 + i * 2]
    spaced += number[8 + 2 * (len(separators) - 1) :]
    assert normalize(spaced) == number
    assert v.imei(spaced, ["imei"]) == number


def test_luhn_edge_cases() -> None:
    assert v.imei_is_valid("000000000000000")  # all zeros pass Luhn
    assert not v.imei_is_valid("00000000000000")  # 14 digits
    assert not v.imei_is_valid("0000000000000000")  # 16 digits
    assert not v.imei_is_valid("49015420323751A")
    assert not v.imei_is_valid("")
    assert v.imei_is_valid("490154203237518")
    assert not v.imei_is_valid("490154203237517")  # one off in the check digit
    assert not v.imei_is_valid("490154203237581")  # two digits swapped
    assert v.imei_is_valid("49-015420-323751-8")
    assert v.imei_is_valid(" 490154 203237518 ")


async def test_a_starter_tac_names_its_model_on_a_fresh_organization(api: Api, org: Org) -> None:
    await ensure_starter_catalog()
    # 35104463 is an iPhone 13 TAC shipped in the starter; 7 is the Luhn digit of 35104463123456
    iphone = "351044631234567"
    assert v.imei_is_valid(iphone)
    data = await api(dev.LOOKUP, {"input": {"imeis": [iphone]}}, org.owner_token)
    assert data["lookupImeis"]["userErrors"] == []
    [result] = data["lookupImeis"]["results"]
    assert result["device"] == {"type": "PHONE", "brand": "Apple", "model": "iPhone 13"}
    assert "UNKNOWN_TAC" not in result["flags"]
    # every TAC the starter ships names its own row, on the public page too
    shipped = csv_rows.catalog(STARTER_CATALOG.read_text(encoding="utf-8"))
    assert shipped.refused == []
    expected = {
        dev.imei(tac, 1): {"type": row.type.value, "brand": row.brand, "model": row.model}
        for _, row in shipped.rows
        for tac in row.tacs
    }
    assert len(expected) >= 3
    lookup = {"input": {"organizationSlug": org.slug, "imeis": list(expected)}}
    public = await api(dev.LOOKUP, lookup)
    assert {r["imei"]: r["device"] for r in public["lookupImeis"]["results"]} == expected


async def test_staff_see_flags_and_the_device_customers_only_validity(api: Api, org: Org) -> None:
    await dev.stocked(api, org)
    stolen = dev.imei(dev.PIXEL_TAC, 7)
    await api(
        dev.IMPORT_REGISTRY, {"input": {"csv": f"imei,flag\n{stolen},BLACKLISTED\n"}}, org.owner_token
    )
    unknown = dev.imei("99999999", 1)
    spaced = f"{stolen[:2]} {stolen[2:8]} {stolen[8:]}"
    bad_digit = stolen[:-1] + str((int(stolen[-1]) + 1) % 10)
    imeis = [spaced, unknown, bad_digit, "12345"]

    staff = (await api(dev.LOOKUP, {"input": {"imeis": imeis}}, org.owner_token))["lookupImeis"]
    assert staff["userErrors"] == []
    first, second, third, fourth = staff["results"]
    assert first == {
        "imei": stolen,
        "valid": True,
        "flags": ["BLACKLISTED"],
        "device": {"type": "PHONE", "brand": "Google", "model": "Pixel 8 Test"},
    }
    assert second["valid"] is True and second["device"] is None
    assert second["flags"] == ["UNKNOWN_TAC"]
    assert third["valid"] is False and third["flags"] == ["INVALID"] and third["device"] is None
    assert fourth == {"imei": "12345", "valid": False, "flags": ["INVALID"], "device": None}

    public = await api(dev.LOOKUP, {"input": {"organizationSlug": org.slug, "imeis": imeis}})
    results = public["lookupImeis"]["results"]
    assert [r["valid"] for r in results] == [True, True, False, False]
    assert [r["flags"] for r in results] == [None, None, None, None]
    assert results[0]["device"]["model"] == "Pixel 8 Test"
    assert public["lookupImeis"]["remainingLookups"] is None

    missing = await api(dev.LOOKUP, {"input": {"organizationSlug": "no-such-shop", "imeis": imeis}})
    assert [e["code"] for e in missing["lookupImeis"]["userErrors"]] == ["NOT_FOUND"]
    nothing = await api(dev.LOOKUP, {"input": {"organizationSlug": org.slug, "imeis": []}})
    assert [e["code"] for e in nothing["lookupImeis"]["userErrors"]] == ["INVALID_INPUT"]
    too_many = [dev.imei(dev.PIXEL_TAC, i) for i in range(201)]
    over = await api(dev.LOOKUP, {"input": {"organizationSlug": org.slug, "imeis": too_many}})
    assert [e["code"] for e in over["lookupImeis"]["userErrors"]] == ["LIMIT_EXCEEDED"]


async def test_the_per_quote_limit_counts_the_customers_lookups(api: Api, org: Org) -> None:
    await Organization.filter(id=org.id).update(imei_lookups_per_quote=3)
    quote_id, link = await request_link(api, org)
    imeis = [dev.imei(dev.GALAXY_TAC, i) for i in range(3)]

    first = await api(dev.LOOKUP, {"input": {"quoteId": quote_id, "imeis": imeis[:2]}}, link)
    assert first["lookupImeis"]["remainingLookups"] == 1
    assert [r["flags"] for r in first["lookupImeis"]["results"]] == [None, None]
    refused = await api(dev.LOOKUP, {"input": {"quoteId": quote_id, "imeis": imeis[1:]}}, link)
    payload = refused["lookupImeis"]
    assert [e["code"] for e in payload["userErrors"]] == ["LIMIT_EXCEEDED"]
    assert payload["userErrors"][0]["field"] == ["input", "imeis"]
    last = await api(dev.LOOKUP, {"input": {"quoteId": quote_id, "imeis": imeis[2:]}}, link)
    assert last["lookupImeis"]["remainingLookups"] == 0
    # staff are not held to the customer's limit, and see what is left of it
    staff = await api(dev.LOOKUP, {"input": {"quoteId": quote_id, "imeis": imeis}}, org.owner_token)
    assert staff["lookupImeis"]["userErrors"] == []
    assert staff["lookupImeis"]["remainingLookups"] == 0
    assert staff["lookupImeis"]["results"][0]["flags"] == ["UNKNOWN_TAC"]
    # another organization's quote does not exist for this staff member
    other = await api(dev.LOOKUP, {"input": {"quoteId": quote_id, "imeis": imeis}}, (await _other(api)).owner_token)
    assert [e["code"] for e in other["lookupImeis"]["userErrors"]] == ["NOT_FOUND"]


async def _other(api: Api) -> Org:
    from tests.client import make_org

    return await make_org(api)


async def test_device_catalog_costs_the_same_statements_for_any_page(api: Api, org: Org) -> None:
    rows = "\n".join(f"PHONE,Bulk,Model {i},64 GB|128 GB,Black,{90000000 + i}" for i in range(60))
    await api(dev.IMPORT_CATALOG, {"input": {"csv": "type,brand,model,storages,colors,tacs\n" + rows}}, org.owner_token)
    counts = []
    for first in (2, 60):
        with count_statements() as counter:
            data = await api(CATALOG_PAGE, {"first": first}, org.owner_token)
        assert len(data["deviceCatalog"]["edges"]) == first
        counts.append(len(counter.statements))
    assert counts[0] == counts[1] and counts[0] <= 4, counts


async def test_lookups_follow_the_quote_and_the_role(api: Api, org: Org) -> None:
    from models.negotiation import StaffRole

    quote_id, link = await request_link(api, org)
    imeis = [dev.imei(dev.GALAXY_TAC, 9)]
    finance = await org.staff_token(StaffRole.FINANCE)
    body = await api.raw(dev.LOOKUP, {"input": {"imeis": imeis}}, finance)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    technician = await org.staff_token(StaffRole.TECHNICIAN)
    data = await api(dev.LOOKUP, {"input": {"imeis": imeis}}, technician)
    assert data["lookupImeis"]["results"][0]["flags"] == ["UNKNOWN_TAC"]
    await api(
        "mutation($input: CancelQuoteInput!) { cancelQuote(input: $input) { userErrors { code } } }",
        {"input": {"quoteId": quote_id}},
        org.owner_token,
    )
    closed = await api(dev.LOOKUP, {"input": {"quoteId": quote_id, "imeis": imeis}}, link)
    assert [e["code"] for e in closed["lookupImeis"]["userErrors"]] == ["INVALID_STATE"]
    await Organization.filter(id=org.id).update(accepts_trade_ins=False)
    public = await api(dev.LOOKUP, {"input": {"organizationSlug": org.slug, "imeis": imeis}})
    assert [e["code"] for e in public["lookupImeis"]["userErrors"]] == ["NOT_FOUND"]
