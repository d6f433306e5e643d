"""The audit log: every administrative action with who, when, before, after and a keyed hash of
the client address; filters, pages, a fixed number of SQL statements, OWNER and MANAGER only."""

from __future__ import annotations

import base64
import io
import secrets
from typing import Any

from PIL import Image

from models.negotiation import StaffRole
from tests import documents as doc
from tests.client import Api, Org
from tests.team import (
    AUDIT_LOG,
    CREATE_TOKEN,
    INVITE,
    REVOKE_TOKEN,
    ROTATE_LINK,
    STAFF_MEMBERS,
    UPDATE_ROLE,
    UPDATE_SETTINGS,
    audit_actions,
    refused,
)
from tests.test_thread_view import count_statements

BRANDING = """
mutation Brand($input: UpdateBrandingInput!) {
  updateBranding(input: $input) { organization { branding { accentColor } } userErrors { code field } }
}
"""


def _png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "#0a7d5a").save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def _administer(api: Api, org: Org) -> None:
    """One of each administrative action."""
    invited = (await api(INVITE, {"input": {"email": f"fin@{org.slug}.test", "role": "FINANCE"}}, org.owner_token))
    member = invited["inviteStaff"]["staffMember"]
    await api(UPDATE_ROLE, {"input": {"staffId": member["id"], "role": "TECHNICIAN"}}, org.owner_token)
    token = (await api(CREATE_TOKEN, {"input": {"name": "sync"}}, org.owner_token))["createAccessToken"]
    await api(REVOKE_TOKEN, {"input": {"id": token["accessToken"]["id"]}}, org.owner_token)
    created = await api(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë", "customerEmail": "zoe@example.com",
                                                       "sendEmail": False}}, org.owner_token)  # fmt: skip
    quote_id = created["createQuoteRequest"]["quote"]["id"]
    await api(ROTATE_LINK, {"input": {"quoteId": quote_id, "sendEmail": False}}, org.owner_token)
    await api(UPDATE_SETTINGS, {"input": {"timeZone": "Asia/Tokyo", "financeGate": True}}, org.owner_token)
    await api(BRANDING, {"input": {"accentColor": "#112233", "logo": _png()}}, org.owner_token)


async def test_each_administrative_action_is_recorded(api: Api, org: Org) -> None:
    await _administer(api, org)
    data = await api(AUDIT_LOG, {"first": 20}, org.owner_token)
    assert audit_actions(data) == [
        "BRANDING_CHANGED", "SETTINGS_CHANGED", "QUOTE_LINK_ROTATED", "ACCESS_TOKEN_REVOKED",
        "ACCESS_TOKEN_CREATED", "STAFF_ROLE_CHANGED", "STAFF_INVITED",
    ]  # fmt: skip
    entries = {edge["node"]["action"]: edge["node"] for edge in data["auditLog"]["edges"]}
    role = entries["STAFF_ROLE_CHANGED"]
    assert role["actorName"] == "Olivia Owner" and role["targetLabel"] == f"fin@{org.slug}.test"
    assert role["before"]["role"] == "FINANCE" and role["after"]["role"] == "TECHNICIAN"
    settings = entries["SETTINGS_CHANGED"]
    assert settings["before"] == {"timeZone": "UTC", "financeGate": False}
    assert settings["after"] == {"timeZone": "Asia/Tokyo", "financeGate": True}
    branding = entries["BRANDING_CHANGED"]
    assert branding["after"]["accent_color"] == "#112233" and branding["after"]["logo"].endswith("bytes")
    # the client address is kept only as a keyed hash
    assert all(len(e["node"]["clientHash"]) == 32 for e in data["auditLog"]["edges"])
    assert "203.0.113.7" not in str(data)


async def test_filters_and_pages(api: Api, org: Org) -> None:
    await _administer(api, org)
    rep = await org.staff_token(StaffRole.SALES_REP)
    await api(CREATE_TOKEN, {"input": {"name": "rep's"}}, rep)
    only = await api(AUDIT_LOG, {"filter": {"actions": ["ACCESS_TOKEN_CREATED"]}}, org.owner_token)
    assert audit_actions(only) == ["ACCESS_TOKEN_CREATED", "ACCESS_TOKEN_CREATED"]
    owner_id = only["auditLog"]["edges"][1]["node"]["actorId"]
    by_owner = await api(AUDIT_LOG, {"filter": {"actorId": owner_id, "actions": ["ACCESS_TOKEN_CREATED"]}},
                         org.owner_token)  # fmt: skip
    assert len(by_owner["auditLog"]["edges"]) == 1
    since = only["auditLog"]["edges"][0]["node"]["createdAt"]
    latest = await api(AUDIT_LOG, {"filter": {"since": since}}, org.owner_token)
    assert audit_actions(latest) == ["ACCESS_TOKEN_CREATED"]

    seen: list[str] = []
    after = None
    while True:
        page = (await api(AUDIT_LOG, {"first": 3, "after": after}, org.owner_token))["auditLog"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 8

    error = await refused(api, AUDIT_LOG, {}, rep)
    assert error["extensions"]["code"] == "FORBIDDEN"
    bad = await refused(api, AUDIT_LOG, {"first": 1000}, org.owner_token)
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"
    bad = await refused(api, AUDIT_LOG, {"filter": {"actorId": "nope"}}, org.owner_token)
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"


async def _statements(api: Api, query: str, variables: dict[str, Any], token: str) -> int:
    with count_statements() as counter:
        await api(query, variables, token)
    return len(counter.statements)


async def test_the_team_and_audit_screens_cost_a_fixed_number_of_statements(api: Api, org: Org) -> None:
    await _administer(api, org)
    small_log = await _statements(api, AUDIT_LOG, {"first": 50}, org.owner_token)
    small_team = await _statements(api, STAFF_MEMBERS, {}, org.owner_token)
    for _ in range(3):
        await _administer_more(api, org)
    assert await _statements(api, AUDIT_LOG, {"first": 50}, org.owner_token) == small_log
    assert await _statements(api, STAFF_MEMBERS, {}, org.owner_token) == small_team
    assert small_log <= 4 and small_team <= 4


async def _administer_more(api: Api, org: Org) -> None:
    for role in ("SALES_REP", "FINANCE"):
        data = await api(INVITE, {"input": {"email": f"{role.lower()}-{secrets.token_hex(4)}@{org.slug}.test", "role": role}},
                         org.owner_token)  # fmt: skip
        assert data["inviteStaff"]["userErrors"] == []
