"""Staged uploads of evidence photos: JPEG, PNG and HEIC are stored (the type read from the
bytes, never the name); an oversized file, a PHP script named .jpg, an expired URL, a replayed
URL and a forged one are refused, and nothing is stored for them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.photos import MAX_PHOTO_BYTES, content_type
from models.revised_offer import EvidenceUpload
from models.services.caller import Caller
from models.services.evidence_uploads import signed_path, stage_uploads
from models.negotiation import StaffRole
from models.organization import StaffMember
from tests.client import Api, Org
from tests.test_revised_offers import JPEG, PNG, STAGE, put, staged

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 512
PHP = b"<?php system($_GET['cmd']); ?>\n"


def test_types_are_read_from_the_bytes() -> None:
    assert content_type(JPEG) == "image/jpeg"
    assert content_type(PNG) == "image/png"
    assert content_type(HEIC) == "image/heic"
    assert content_type(PHP) is None
    assert content_type(b"GIF89a" + b"\x00" * 10) is None
    assert content_type(b"") is None


@given(st.binary(max_size=64))
def test_arbitrary_bytes_are_an_image_only_with_an_image_signature(data: bytes) -> None:
    found = content_type(data)
    if found is not None:
        assert data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or data[4:8] == b"ftyp"


async def test_jpeg_png_and_heic_are_stored(api: Api, org: Org, app: Any) -> None:
    uploads = await staged(api, org.owner_token, 3)
    for upload, body in zip(uploads, (JPEG, PNG, HEIC), strict=True):
        response = await put(api, upload["url"], body, "application/octet-stream")
        assert response.status_code == 201, response.text
    stored = (
        await EvidenceUpload.filter(organization_id=org.id).exclude(uploaded_at=None).order_by("id")
    )
    assert [s.content_type for s in stored] == ["image/jpeg", "image/png", "image/heic"]
    assert await app.state.deps.storage.get(stored[2].storage_key) == HEIC


async def test_a_phone_sized_photo_is_stored(api: Api, org: Org) -> None:
    """Photos are larger than a GraphQL request may be: the 1 MB request limit leaves them be."""
    (upload,) = await staged(api, org.owner_token, 1)
    body = JPEG + b"\x00" * (4 * 1024 * 1024)
    response = await put(api, upload["url"], body, "image/jpeg")
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (PHP, 415, "UNSUPPORTED_TYPE"),
        (JPEG[:3] + b"\x00" * (MAX_PHOTO_BYTES + 1), 413, "TOO_LARGE"),
        (b"", 415, "UNSUPPORTED_TYPE"),
    ],
    ids=["php-named-jpg", "oversized", "empty"],
)
async def test_what_is_not_a_photo_is_refused(
    api: Api, org: Org, body: bytes, status: int, code: str
) -> None:
    upload = (await staged(api, org.owner_token, 1))[0]
    url = upload["url"].replace("?", "?name=shell.jpg&")  # the name says nothing
    response = await put(api, url, body, "image/jpeg")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    # refused, not used up: the same URL still takes a real photo
    assert (await put(api, upload["url"], JPEG)).status_code == 201


async def test_a_url_works_once(api: Api, org: Org) -> None:
    upload = (await staged(api, org.owner_token, 1))[0]
    assert (await put(api, upload["url"], JPEG)).status_code == 201
    replayed = await put(api, upload["url"], PNG)
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (409, "ALREADY_USED")
    rows = await EvidenceUpload.filter(organization_id=org.id)
    assert [r.content_type for r in rows] == ["image/jpeg"]


async def test_an_expired_or_forged_url_is_refused(api: Api, org: Org, app: Any) -> None:
    owner = await StaffMember.get(organization_id=org.id, role=StaffRole.OWNER)
    caller = Caller(
        organization_id=org.id, staff_id=owner.id, staff_name=owner.name, role=StaffRole.OWNER
    )
    deps = app.state.deps
    long_ago = replace(deps, clock=lambda: deps.clock() - timedelta(minutes=16))
    (old,) = await stage_uploads(long_ago, caller, 1)
    expired = await put(api, old.url, JPEG)
    assert (expired.status_code, expired.json()["error"]["code"]) == (410, "EXPIRED")
    fresh = (await staged(api, org.owner_token, 1))[0]
    forged = fresh["url"].replace("sig=", "sig=x")
    assert (await put(api, forged, JPEG)).status_code == 403
    later = fresh["url"].replace("expires=", "expires=9")  # a longer life is not what was signed
    assert (await put(api, later, JPEG)).status_code == 403
    assert (
        await EvidenceUpload.filter(organization_id=org.id).exclude(uploaded_at=None).count() == 0
    )


async def test_only_the_bench_stages_uploads(api: Api, org: Org) -> None:
    refused = await api.raw(
        STAGE, {"input": {"count": 1}}, await org.staff_token(StaffRole.SALES_REP)
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    too_many = await api(STAGE, {"input": {"count": 11}}, org.owner_token)
    assert [e["code"] for e in too_many["stageEvidenceUploads"]["userErrors"]] == ["INVALID_INPUT"]


async def test_a_photo_url_expires_and_an_upload_url_does_not_open_a_photo(
    api: Api, org: Org, app: Any
) -> None:
    upload = (await staged(api, org.owner_token, 1))[0]
    await put(api, upload["url"], JPEG)
    stored = await EvidenceUpload.get(organization_id=org.id)
    secret = app.state.deps.secret_key
    now = datetime.now(UTC)
    assert (
        await api.client.get(signed_path(secret, "get", stored.id, now + timedelta(minutes=1)))
    ).status_code == 200
    assert (
        await api.client.get(signed_path(secret, "get", stored.id, now - timedelta(seconds=1)))
    ).status_code == 410
    put_signed = signed_path(secret, "put", stored.id, now + timedelta(minutes=1))
    assert (await api.client.get(put_signed.replace("/uploads/", "/evidence/"))).status_code == 403
