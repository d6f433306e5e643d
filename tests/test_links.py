"""Customer links: a rotated link stops at once and the new one opens the same quote; a revoked
or expired link reads UNAUTHENTICATED with a reason a customer page can show."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_api.ids import decode_id
from models.negotiation import StaffRole
from models.quote import Quote
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import token_of
from tests.mailcatcher import MailCatcher
from tests.team import REVOKE_LINK, ROTATE_LINK, UPDATE_SETTINGS, WHO, deliver, refused, text_of


async def test_a_rotated_link_stops_and_the_new_one_opens_the_same_quote(
    api: Api, app: Any, catcher: MailCatcher, org: Org
) -> None:
    created = (await api(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë", "customerEmail": "zoe-rot@example.com",
                                                        "sendEmail": False}}, org.owner_token))["createQuoteRequest"]
    quote_id, old = created["quote"]["id"], token_of(created["url"])
    assert (await api(WHO, token=old))["viewer"]["quote"]["id"] == quote_id

    data = (await api(ROTATE_LINK, {"input": {"quoteId": quote_id}}, org.owner_token))["rotateQuoteLink"]
    assert data["userErrors"] == [] and data["quote"]["id"] == quote_id
    new = token_of(data["url"])
    assert new != old

    error = await refused(api, WHO, None, old)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "LINK_REVOKED"}
    assert "Ask them for a new one" in error["message"]
    assert (await api(WHO, token=new))["viewer"]["quote"]["id"] == quote_id
    page = await api.client.get(f"/q/{old}")
    assert "no longer works" in page.text
    forged = await refused(api, WHO, None, old[:-4] + "AAAA")
    assert forged["extensions"] == {"code": "UNAUTHENTICATED", "reason": "INVALID_TOKEN"}

    await deliver(app, catcher)
    (mail,) = catcher.to("zoe-rot@example.com")
    found = re.search(r"https?://\S+/q/(tql_[\w-]+)", text_of(mail))
    assert found and found.group(1) == new

    # rotating without the email sends nothing
    quiet = (await api(ROTATE_LINK, {"input": {"quoteId": quote_id, "sendEmail": False}}, org.owner_token))
    await deliver(app, catcher)
    assert len(catcher.to("zoe-rot@example.com")) == 1
    assert (await api(WHO, token=token_of(quiet["rotateQuoteLink"]["url"])))["viewer"]["quote"]["id"] == quote_id


async def test_a_revoked_link_and_who_may_revoke(api: Api, org: Org) -> None:
    created = (await api(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë", "customerEmail": "zoe@example.com",
                                                        "sendEmail": False}}, org.owner_token))["createQuoteRequest"]
    quote_id, link = created["quote"]["id"], token_of(created["url"])
    technician = await org.staff_token(StaffRole.TECHNICIAN)
    error = await refused(api, REVOKE_LINK, {"input": {"quoteId": quote_id}}, technician)
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await refused(api, REVOKE_LINK, {"input": {"quoteId": quote_id}}, link)
    assert error["extensions"]["code"] == "FORBIDDEN"
    other = await make_org(api)
    foreign = (await api(REVOKE_LINK, {"input": {"quoteId": quote_id}}, other.owner_token))["revokeQuoteLink"]
    assert foreign["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await api(WHO, token=link))["viewer"]["kind"] == "CUSTOMER_LINK"

    rep = await org.staff_token(StaffRole.SALES_REP)
    data = (await api(REVOKE_LINK, {"input": {"quoteId": quote_id}}, rep))["revokeQuoteLink"]
    assert data["userErrors"] == []
    error = await refused(api, WHO, None, link)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "LINK_REVOKED"}
    again = (await api(REVOKE_LINK, {"input": {"quoteId": quote_id}}, rep))["revokeQuoteLink"]
    assert again["userErrors"][0]["code"] == "INVALID_STATE"
    # rotating a revoked link issues a working one
    data = (await api(ROTATE_LINK, {"input": {"quoteId": quote_id, "sendEmail": False}}, rep))["rotateQuoteLink"]
    assert (await api(WHO, token=token_of(data["url"])))["viewer"]["quote"]["id"] == quote_id
    error = await refused(api, WHO, None, link)
    assert error["extensions"]["reason"] == "LINK_REVOKED"


async def test_a_final_quotes_link_expires_after_the_organizations_lifetime(api: Api, org: Org) -> None:
    created = (await api(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë", "customerEmail": "zoe@example.com",
                                                        "sendEmail": False}}, org.owner_token))["createQuoteRequest"]
    quote_id, link = created["quote"]["id"], token_of(created["url"])
    await api(doc.CANCEL, {"input": {"quoteId": quote_id}}, org.owner_token)
    assert (await api(WHO, token=link))["viewer"]["kind"] == "CUSTOMER_LINK"  # still open: the default is long
    # a month later it is still open (the server has just seen it)...
    pk = decode_id(quote_id, "Quote")
    await Quote.filter(id=pk).update(updated_at=datetime.now(UTC) - timedelta(days=31))
    assert (await api(WHO, token=link))["viewer"]["kind"] == "CUSTOMER_LINK"
    # ...until the organization keeps links 30 days: it stops at once
    settings = (await api(UPDATE_SETTINGS, {"input": {"linkLifetimeDays": 30}}, org.owner_token))
    assert settings["updateOrganizationSettings"]["userErrors"] == []
    error = await refused(api, WHO, None, link)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "LINK_EXPIRED"}
    await api(UPDATE_SETTINGS, {"input": {"linkLifetimeDays": 32}}, org.owner_token)
    assert (await api(WHO, token=link))["viewer"]["kind"] == "CUSTOMER_LINK"
    await api(UPDATE_SETTINGS, {"input": {"linkLifetimeDays": 30}}, org.owner_token)
    page = await api.client.get(f"/q/{link}")
    assert "This link has expired" in page.text


async def test_bad_link_input(api: Api, org: Org) -> None:
    draft_like = (await api(ROTATE_LINK, {"input": {"quoteId": "bm9wZQ"}}, org.owner_token))["rotateQuoteLink"]
    assert draft_like["userErrors"][0] == {"code": "NOT_FOUND", "message": "not found", "field": ["input", "quoteId"]}
    error = await refused(api, ROTATE_LINK, {"input": {"quoteId": "x"}}, None)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
