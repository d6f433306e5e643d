"""Branding: staff set the logo, colour and texts the pages, emails and PDFs show."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlsplit

from PIL import Image

from models.negotiation import StaffRole
from tests.client import Api, Org

UPDATE = """mutation($input: UpdateBrandingInput!) { updateBranding(input: $input) {
  organization { slug branding { logoUrl accentColor headline footerText } }
  userErrors { code field } } }"""
PUBLIC = "query($slug: String!) { organization(slug: $slug) { name branding { logoUrl accentColor headline footerText } } }"


def _image(kind: str, size: tuple[int, int] = (40, 20)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 125, 90)).save(buffer, format=kind)
    return base64.b64encode(buffer.getvalue()).decode()


async def test_owner_sets_branding_and_the_logo_is_served(api: Api, org: Org) -> None:
    data = await api(UPDATE, {"input": {"logo": _image("PNG"), "accentColor": "#0a7d5a",
                                        "headline": "We buy phones", "footerText": "1 Market St",
                                        "pickupInstructions": "Ring twice", "receivingAddress": "1 Market St"}},
                     org.owner_token)
    payload = data["updateBranding"]
    assert payload["userErrors"] == []
    branding = (await api(PUBLIC, {"slug": org.slug}))["organization"]["branding"]
    assert branding["accentColor"] == "#0a7d5a" and branding["headline"] == "We buy phones"
    logo = await api.client.get(urlsplit(branding["logoUrl"]).path)
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(logo.content)).size == (40, 20)

    cleared = await api(UPDATE, {"input": {"removeLogo": True, "headline": ""}}, org.owner_token)
    branding = cleared["updateBranding"]["organization"]["branding"]
    assert branding["logoUrl"] is None and branding["headline"] is None
    assert branding["accentColor"] == "#0a7d5a"  # left out: unchanged


async def test_bad_branding_is_refused_and_changes_nothing(api: Api, org: Org) -> None:
    await api(UPDATE, {"input": {"headline": "Before"}}, org.owner_token)
    cases = [
        ({"logo": "not base64!"}, ["input", "logo"]),
        ({"logo": base64.b64encode(b"GIF89a plain text").decode()}, ["input", "logo"]),
        ({"logo": _image("GIF")}, ["input", "logo"]),
        ({"logo": _image("PNG", (5000, 10))}, ["input", "logo"]),
        ({"logo": base64.b64encode(b"\x89PNG" + b"0" * 600_000).decode()}, ["input", "logo"]),
        ({"accentColor": "green; background: url(x)"}, ["input", "accentColor"]),
        ({"headline": "x" * 201}, ["input", "headline"]),
    ]
    for fields, path in cases:
        data = await api(UPDATE, {"input": {"headline": "After", **fields}}, org.owner_token)
        assert data["updateBranding"]["userErrors"] == [{"code": "INVALID_INPUT", "field": path}], fields
    branding = (await api(PUBLIC, {"slug": org.slug}))["organization"]["branding"]
    assert branding["headline"] == "Before" and branding["logoUrl"] is None


async def test_only_owners_and_managers_set_branding(api: Api, org: Org) -> None:
    for role, allowed in ((StaffRole.MANAGER, True), (StaffRole.SALES_REP, False), (StaffRole.FINANCE, False)):
        body = await api.raw(UPDATE, {"input": {"headline": role.value}}, await org.staff_token(role))
        if allowed:
            assert body["data"]["updateBranding"]["userErrors"] == []
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await api.raw(UPDATE, {"input": {"headline": "x"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
