"""Who may see and do what: tokens, organizations, quote links, staff roles, and the lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graphql_api.auth import hash_token, issue_token
from graphql_api.ids import decode_id, to_global_id
from models.negotiation import StaffRole
from models.organization import AccessToken, StaffMember, TokenKind
from models.quote import Quote
from models.services.documents import import_trusted, sha256_hex
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import CONTACT, PHONE, TABLET, accepted, request_link, respond, submitted, token_of

IMEI_B = "353325091234561"
SIGNATURE = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}

NODE = """
query Node($id: ID!) { node(id: $id) { __typename id } }
"""

QUOTE_BRIEF = """
query Quote($id: ID!) {
  quote(id: $id) { id status version availableActions thread(first: 1) { totalCount } }
}
"""

THREAD = """
query Thread($id: ID!) { thread(quoteId: $id) { totalCount } }
"""

STAFF_ONLY_QUOTES = "query { quotes(first: 5) { totalCount } }"

CONVERT = {"payoutMethod": "CHECK", "fulfillment": "PICKUP"}


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


def user_errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


NOT_FOUND = [("NOT_FOUND", ["input", "quoteId"])]


async def brief(api: Api, token: str, quote_id: str) -> tuple[Any, ...]:
    quote = (await api(QUOTE_BRIEF, {"id": quote_id}, token))["quote"]
    assert quote is not None
    return quote["version"], quote["status"], quote["thread"]["totalCount"]


async def with_header(api: Api, header: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers={"Authorization": header}
    )
    return response.json()


def pk(global_id: str) -> int:
    value = decode_id(global_id, "Quote")
    assert value is not None
    return value


def tamper(token: str, at: int) -> str:
    replacement = "A" if token[at] != "A" else "B"
    return token[:at] + replacement + token[at + 1 :]


def lines_input(quote: dict[str, Any], answers: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    return [
        {"lineId": line["id"], "action": action, **({"price": price} if price else {})}
        for line, (action, price) in zip(quote["lines"], answers, strict=True)
    ]


# ------------------------------------------------------------------ authentication


async def test_no_token_on_staff_operations(api: Api, org: Org) -> None:
    quote, _ = await submitted(api, org)
    before = await brief(api, org.owner_token, quote["id"])

    assert error_code(await api.raw(STAFF_ONLY_QUOTES)) == "UNAUTHENTICATED"
    body = await api.raw(doc.CREATE_REQUEST, {"input": {"customerName": "Nobody"}})
    assert error_code(body) == "UNAUTHENTICATED"
    body = await api.raw(doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": lines_input(quote, [("ACCEPT", None), ("ACCEPT", None)])}})
    assert error_code(body) == "UNAUTHENTICATED"
    body = await api.raw(doc.CONVERT, {"input": {"quoteId": quote["id"], **CONVERT}})
    assert error_code(body) == "UNAUTHENTICATED"
    body = await api.raw(doc.CANCEL, {"input": {"quoteId": quote["id"]}})
    assert error_code(body) == "UNAUTHENTICATED"
    body = await api.raw(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "hi"}})
    assert error_code(body) == "UNAUTHENTICATED"
    # reading a quote anonymously finds nothing: a missing and a hidden quote look the same
    assert (await api(QUOTE_BRIEF, {"id": quote["id"]}))["quote"] is None
    assert (await api(NODE, {"id": quote["id"]}))["node"] is None

    assert await brief(api, org.owner_token, quote["id"]) == before


async def test_refused_tokens_fail_the_whole_request(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    other_id, other_link = await request_link(api, org)
    before = await brief(api, org.owner_token, quote["id"])

    revoked = await org.staff_token(StaffRole.SALES_REP)
    await AccessToken.filter(token_hash=hash_token(revoked)).update(revoked_at=datetime.now(UTC))
    expired = await org.staff_token(StaffRole.SALES_REP)
    await AccessToken.filter(token_hash=hash_token(expired)).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    inactive = await org.staff_token(StaffRole.MANAGER)
    row = await AccessToken.get(token_hash=hash_token(inactive))
    await StaffMember.filter(id=row.staff_id).update(active=False)
    link_id, _, mac = link[len("tql_") :].partition("_")
    other_head = token_of_id(other_link)
    revoked_link_quote, revoked_link = await request_link(api, org)
    await Quote.filter(id=pk(revoked_link_quote)).update(link_revoked=True)

    headers = {
        "no scheme": link,
        "basic scheme": f"Basic {org.owner_token}",
        "bearer without token": "Bearer",
        "unknown prefix": "Bearer abc_" + "x" * 40,
        "unknown staff token": "Bearer tqs_" + "x" * 43,
        "unknown portal token": "Bearer tqp_" + "x" * 43,
        "unknown partner token": "Bearer tqk_" + "x" * 43,
        "revoked staff token": f"Bearer {revoked}",
        "expired staff token": f"Bearer {expired}",
        "deactivated staff member": f"Bearer {inactive}",
        "tampered staff token": f"Bearer {tamper(org.owner_token, 10)}",
        "tampered link": f"Bearer {tamper(link, len(link) - 5)}",
        "link with another quote's id": f"Bearer tql_{other_head}_{mac}",
        "malformed link": "Bearer tql_",
        "link without mac": f"Bearer tql_{link_id}_",
        "revoked link": f"Bearer {revoked_link}",
    }
    for name, header in headers.items():
        body = await with_header(api, header, doc.VIEWER)
        assert error_code(body) == "UNAUTHENTICATED", name
        assert body["data"] is None, name
        body = await with_header(api, header, doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "hi"}})
        assert error_code(body) == "UNAUTHENTICATED", name
        body = await with_header(api, header, doc.CANCEL, {"input": {"quoteId": other_id}})
        assert error_code(body) == "UNAUTHENTICATED", name

    assert await brief(api, org.owner_token, quote["id"]) == before
    assert (await brief(api, org.owner_token, other_id))[1] == "REQUESTED"
    # the untouched tokens still work
    assert (await api(doc.VIEWER, token=link))["viewer"]["kind"] == "CUSTOMER_LINK"
    assert (await api(doc.VIEWER, token=org.owner_token))["viewer"]["kind"] == "STAFF"


def token_of_id(link: str) -> str:
    return link[len("tql_") :].partition("_")[0]


# ------------------------------------------------------------------ a link opens one quote


async def test_a_link_opens_only_its_quote(api: Api, org: Org) -> None:
    mine, link = await submitted(api, org)
    theirs, their_link = await submitted(api, org)
    payload = await respond(api, org.owner_token, theirs, [("COUNTER", "600"), ("COUNTER", "250")])
    theirs = payload["quote"]
    requested_id, _ = await request_link(api, org)
    before = await brief(api, org.owner_token, theirs["id"])

    assert (await api(QUOTE_BRIEF, {"id": mine["id"]}, link))["quote"]["id"] == mine["id"]
    assert (await api(QUOTE_BRIEF, {"id": theirs["id"]}, link))["quote"] is None
    assert (await api(NODE, {"id": theirs["id"]}, link))["node"] is None
    assert error_code(await api.raw(THREAD, {"id": theirs["id"]}, link)) == "NOT_FOUND"
    listed = (await api(doc.QUOTES, {}, link))["quotes"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [mine["id"]]
    assert listed["totalCount"] == 1

    data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": theirs["id"], "body": "Mine now"}}, link)
    assert user_errors(data["sendMessage"]) == NOT_FOUND
    payload = await respond(api, link, theirs, [("ACCEPT", None), ("ACCEPT", None)])
    assert user_errors(payload) == NOT_FOUND
    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": theirs["id"], "signature": SIGNATURE}}, link)
    assert user_errors(data["acceptAllRemaining"]) == NOT_FOUND
    data = await api(doc.REJECT_ALL, {"input": {"quoteId": theirs["id"]}}, link)
    assert user_errors(data["rejectAllRemaining"]) == NOT_FOUND
    data = await api(
        doc.SUBMIT, {"input": {"quoteId": requested_id, "contact": CONTACT, "devices": [PHONE]}}, link
    )
    assert user_errors(data["submitQuote"]) == NOT_FOUND

    assert await brief(api, org.owner_token, theirs["id"]) == before
    assert (await brief(api, org.owner_token, requested_id))[1] == "REQUESTED"
    # and the rightful holder is still welcome
    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": theirs["id"], "signature": SIGNATURE}}, their_link)
    assert data["acceptAllRemaining"]["userErrors"] == []


async def test_a_link_still_opens_its_converted_quote(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    data = await api(doc.CONVERT, {"input": {"quoteId": quote["id"], **CONVERT}}, org.owner_token)
    assert data["convertToBuyOrder"]["userErrors"] == []
    view = (await api(doc.QUOTE, {"id": quote["id"]}, link))["quote"]
    assert view["status"] == "CONVERTED"
    assert view["buyOrder"]["number"].startswith("BO-")


# ------------------------------------------------------------------ organizations keep apart


async def test_staff_of_one_organization_cannot_see_or_touch_another(api: Api, org: Org) -> None:
    other = await make_org(api)
    theirs, _ = await submitted(api, other)
    mine, _ = await submitted(api, org)
    before = await brief(api, other.owner_token, theirs["id"])
    intruders = [org.owner_token, await org.staff_token(StaffRole.SALES_REP), await org.staff_token(StaffRole.FINANCE)]

    for token in intruders:
        assert (await api(QUOTE_BRIEF, {"id": theirs["id"]}, token))["quote"] is None
        assert (await api(NODE, {"id": theirs["id"]}, token))["node"] is None
        assert error_code(await api.raw(THREAD, {"id": theirs["id"]}, token)) == "NOT_FOUND"
        payload = await respond(api, token, theirs, [("COUNTER", "1"), ("COUNTER", "1")])
        assert user_errors(payload) == NOT_FOUND
        data = await api(doc.CANCEL, {"input": {"quoteId": theirs["id"]}}, token)
        assert user_errors(data["cancelQuote"]) == NOT_FOUND
        data = await api(doc.CONVERT, {"input": {"quoteId": theirs["id"], **CONVERT}}, token)
        assert user_errors(data["convertToBuyOrder"]) == NOT_FOUND
        data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": theirs["id"], "body": "psst"}}, token)
        assert user_errors(data["sendMessage"]) == NOT_FOUND

    listed = (await api(doc.QUOTES, {"first": 100}, org.owner_token))["quotes"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [mine["id"]]
    assert listed["totalCount"] == 1
    # their search finds nothing of ours, even by an IMEI both organizations hold
    data = await api(doc.QUOTES, {"filter": {"search": PHONE["imeis"][0]}}, other.owner_token)
    assert [edge["node"]["id"] for edge in data["quotes"]["edges"]] == [theirs["id"]]

    assert await brief(api, other.owner_token, theirs["id"]) == before


async def test_node_is_scoped_like_everything_else(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    data = await api(doc.CONVERT, {"input": {"quoteId": quote["id"], **CONVERT}}, org.owner_token)
    order_id = data["convertToBuyOrder"]["buyOrder"]["id"]
    view = (await api(doc.THREAD_VIEW, {"id": quote["id"]}, org.owner_token))["quote"]
    owner = (await api(doc.VIEWER, token=org.owner_token))["viewer"]
    ids = {
        "Quote": quote["id"],
        "QuoteLine": view["lines"][1]["id"],
        "ThreadMessage": view["thread"]["edges"][2]["node"]["id"],
        "BuyOrder": order_id,
        "StaffMember": owner["staff"]["id"],
        "Organization": owner["organization"]["id"],
    }
    other_org = await make_org(api)
    _, neighbour_link = await submitted(api, org)

    async def visible(token: str | None) -> set[str]:
        seen = set()
        for type_name, global_id in ids.items():
            node = (await api(NODE, {"id": global_id}, token))["node"]
            if node is not None:
                assert node == {"__typename": type_name, "id": global_id}
                seen.add(type_name)
        return seen

    everything = set(ids)
    assert await visible(org.owner_token) == everything
    assert await visible(await org.staff_token(StaffRole.TECHNICIAN)) == everything
    assert await visible(link) == everything - {"StaffMember"}
    assert await visible(neighbour_link) == {"Organization"}
    assert await visible(other_org.owner_token) == set()
    assert await visible(None) == set()
    # ids that are not ours, or of nothing, are simply null
    for junk in ["", "nope", to_global_id("Quote", 10**9), to_global_id("Widget", 1)]:
        assert (await api(NODE, {"id": junk}, org.owner_token))["node"] is None


# ------------------------------------------------------------------ staff roles


@pytest.mark.parametrize("role", [StaffRole.FINANCE, StaffRole.TECHNICIAN])
async def test_roles_that_do_not_negotiate(api: Api, org: Org, role: StaffRole) -> None:
    token = await org.staff_token(role)
    quote, _ = await submitted(api, org)
    ready, _ = await accepted(api, org)
    before = [await brief(api, org.owner_token, q["id"]) for q in (quote, ready)]

    body = await api.raw(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë"}}, token)
    assert error_code(body) == "FORBIDDEN"
    body = await api.raw(doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": lines_input(quote, [("COUNTER", "600"), ("ACCEPT", None)])}}, token)
    assert error_code(body) == "FORBIDDEN"
    body = await api.raw(doc.CONVERT, {"input": {"quoteId": ready["id"], **CONVERT}}, token)
    assert error_code(body) == "FORBIDDEN"
    body = await api.raw(doc.CANCEL, {"input": {"quoteId": quote["id"]}}, token)
    assert error_code(body) == "FORBIDDEN"
    # a retry key of an earlier conversion is no way around the role either
    data = await api(doc.CONVERT, {"input": {"quoteId": ready["id"], **CONVERT, "idempotencyKey": "k"}}, org.owner_token)
    assert data["convertToBuyOrder"]["userErrors"] == []
    body = await api.raw(doc.CONVERT, {"input": {"quoteId": ready["id"], **CONVERT, "idempotencyKey": "k"}}, token)
    assert error_code(body) == "FORBIDDEN"

    assert await brief(api, org.owner_token, quote["id"]) == before[0]
    assert (await brief(api, org.owner_token, ready["id"]))[1] == "CONVERTED"
    # they still read the organization's quotes
    assert (await api(doc.QUOTES, {}, token))["quotes"]["totalCount"] == 2


async def test_finance_may_write_in_the_thread(api: Api, org: Org) -> None:
    token = await org.staff_token(StaffRole.FINANCE)
    quote, _ = await submitted(api, org)
    data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "Payout goes out Friday."}}, token)
    assert data["sendMessage"]["userErrors"] == []
    assert data["sendMessage"]["message"]["author"] == "STAFF"
    assert data["sendMessage"]["message"]["authorName"] == "Finance Member"


@pytest.mark.parametrize("role", [StaffRole.SALES_REP, StaffRole.MANAGER])
async def test_negotiating_roles_do_the_whole_loop(api: Api, org: Org, role: StaffRole) -> None:
    token = await org.staff_token(role)
    data = await api(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë", "sendEmail": False}}, token)
    assert data["createQuoteRequest"]["userErrors"] == []
    quote_id = data["createQuoteRequest"]["quote"]["id"]
    link = token_of(data["createQuoteRequest"]["url"])
    data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE, TABLET]}}, link)
    quote = data["submitQuote"]["quote"]
    payload = await respond(api, token, quote, [("ACCEPT", None), ("COUNTER", "250")])
    assert payload["userErrors"] == []
    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": SIGNATURE}}, link)
    assert data["acceptAllRemaining"]["quote"]["status"] == "ACCEPTED"
    data = await api(doc.CONVERT, {"input": {"quoteId": quote_id, **CONVERT}}, token)
    assert data["convertToBuyOrder"]["userErrors"] == []
    assert data["convertToBuyOrder"]["buyOrder"]["total"]["amount"] == "1150.00"

    other, _ = await submitted(api, org)
    data = await api(doc.CANCEL, {"input": {"quoteId": other["id"]}}, token)
    assert data["cancelQuote"]["quote"]["status"] == "CANCELED"


async def test_a_customer_cannot_convert_or_cancel(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    before = await brief(api, org.owner_token, quote["id"])
    body = await api.raw(doc.CONVERT, {"input": {"quoteId": quote["id"], **CONVERT}}, link)
    assert error_code(body) == "FORBIDDEN"
    body = await api.raw(doc.CANCEL, {"input": {"quoteId": quote["id"]}}, link)
    assert error_code(body) == "FORBIDDEN"
    assert await brief(api, org.owner_token, quote["id"]) == before

    # nor by replaying the merchant's retry key
    data = await api(doc.CONVERT, {"input": {"quoteId": quote["id"], **CONVERT, "idempotencyKey": "k"}}, org.owner_token)
    assert data["convertToBuyOrder"]["userErrors"] == []
    body = await api.raw(doc.CONVERT, {"input": {"quoteId": quote["id"], **CONVERT, "idempotencyKey": "k"}}, link)
    assert error_code(body) == "FORBIDDEN"


async def test_staff_cannot_submit_the_customers_form(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org)
    submission = {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE], "idempotencyKey": "form"}
    body = await api.raw(doc.SUBMIT, {"input": submission}, org.owner_token)
    assert error_code(body) == "FORBIDDEN"
    data = await api(doc.SUBMIT, {"input": submission}, link)
    assert data["submitQuote"]["userErrors"] == []
    body = await api.raw(doc.SUBMIT, {"input": submission}, org.owner_token)
    assert error_code(body) == "FORBIDDEN"


# ------------------------------------------------------------------ what each viewer may do


async def actions(api: Api, token: str, quote_id: str) -> list[str]:
    return (await api(QUOTE_BRIEF, {"id": quote_id}, token))["quote"]["availableActions"]


async def test_available_actions_depend_on_the_viewer(api: Api, org: Org) -> None:
    finance = await org.staff_token(StaffRole.FINANCE)
    technician = await org.staff_token(StaffRole.TECHNICIAN)
    sales = await org.staff_token(StaffRole.SALES_REP)

    requested_id, requested_link = await request_link(api, org)
    assert await actions(api, requested_link, requested_id) == ["SUBMIT", "LOOKUP_IMEIS", "SEND_MESSAGE"]
    assert await actions(api, org.owner_token, requested_id) == ["LOOKUP_IMEIS", "SEND_MESSAGE", "SHARE", "CANCEL", "EXTEND"]

    quote, link = await submitted(api, org)
    assert await actions(api, link, quote["id"]) == ["LOOKUP_IMEIS", "SEND_MESSAGE", "DOWNLOAD_PDF"]
    staff_submitted = ["LOOKUP_IMEIS", "SEND_MESSAGE", "COUNTER_OFFER", "SHARE", "CANCEL", "DOWNLOAD_PDF", "EXTEND", "COPY"]
    assert await actions(api, org.owner_token, quote["id"]) == staff_submitted
    assert await actions(api, sales, quote["id"]) == staff_submitted
    assert await actions(api, finance, quote["id"]) == ["SEND_MESSAGE", "DOWNLOAD_PDF"]
    assert await actions(api, technician, quote["id"]) == ["LOOKUP_IMEIS", "DOWNLOAD_PDF"]

    payload = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
    assert payload["quote"]["awaiting"] == "CUSTOMER"
    assert await actions(api, link, quote["id"]) == [
        "LOOKUP_IMEIS", "SEND_MESSAGE", "COUNTER_OFFER", "ACCEPT_ALL_REMAINING", "REJECT_ALL_REMAINING", "DOWNLOAD_PDF",
    ]
    assert await actions(api, org.owner_token, quote["id"]) == [
        "LOOKUP_IMEIS", "SEND_MESSAGE", "RECALL", "SHARE", "CANCEL", "DOWNLOAD_PDF", "EXTEND", "COPY",
    ]
    assert await actions(api, finance, quote["id"]) == ["SEND_MESSAGE", "DOWNLOAD_PDF"]

    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": SIGNATURE}}, link)
    assert data["acceptAllRemaining"]["quote"]["status"] == "ACCEPTED"
    assert await actions(api, link, quote["id"]) == ["SEND_MESSAGE", "WITHDRAW_ACCEPTANCE", "DOWNLOAD_PDF"]
    assert await actions(api, org.owner_token, quote["id"]) == [
        "SEND_MESSAGE", "CONVERT_TO_BUY_ORDER", "SHARE", "CANCEL", "DOWNLOAD_PDF", "COPY",
    ]
    assert await actions(api, finance, quote["id"]) == ["SEND_MESSAGE", "DOWNLOAD_PDF"]

    data = await api(doc.CONVERT, {"input": {"quoteId": quote["id"], **CONVERT}}, org.owner_token)
    assert data["convertToBuyOrder"]["quote"]["status"] == "CONVERTED"
    assert await actions(api, link, quote["id"]) == ["SEND_MESSAGE", "DOWNLOAD_PDF"]
    assert await actions(api, org.owner_token, quote["id"]) == ["SEND_MESSAGE", "SHARE", "DOWNLOAD_PDF", "COPY"]

    data = await api(doc.CANCEL, {"input": {"quoteId": requested_id}}, org.owner_token)
    assert data["cancelQuote"]["quote"]["availableActions"] == []
    assert await actions(api, requested_link, requested_id) == []


# ------------------------------------------------------------------ viewer


async def test_viewer_of_each_kind(api: Api, org: Org) -> None:
    anonymous = (await api(doc.VIEWER))["viewer"]
    assert anonymous == {"kind": "ANONYMOUS", "customerEmail": None, "organization": None, "staff": None, "quote": None}

    staff = (await api(doc.VIEWER, token=org.owner_token))["viewer"]
    assert staff["kind"] == "STAFF"
    assert staff["organization"]["slug"] == org.slug
    assert staff["staff"]["name"] == "Olivia Owner" and staff["staff"]["role"] == "OWNER"
    assert staff["customerEmail"] is None and staff["quote"] is None

    finance = (await api(doc.VIEWER, token=await org.staff_token(StaffRole.FINANCE)))["viewer"]
    assert finance["kind"] == "STAFF" and finance["staff"]["role"] == "FINANCE"
    assert finance["staff"]["id"] != staff["staff"]["id"]

    quote_id, link = await request_link(api, org)
    customer = (await api(doc.VIEWER, token=link))["viewer"]
    assert customer["kind"] == "CUSTOMER_LINK"
    assert customer["quote"]["id"] == quote_id
    assert customer["customerEmail"] == "zoe@example.com"
    assert customer["organization"]["slug"] == org.slug
    assert customer["staff"] is None

    portal_token, _ = await issue_token(TokenKind.PORTAL, org.id, customer_email="zoe@example.com")
    portal = (await api(doc.VIEWER, token=portal_token))["viewer"]
    assert portal["kind"] == "CUSTOMER_PORTAL"
    assert portal["customerEmail"] == "zoe@example.com"
    assert portal["organization"]["slug"] == org.slug
    assert portal["staff"] is None and portal["quote"] is None

    partner_token, _ = await issue_token(TokenKind.PARTNER, org.id, label="Integration")
    # a partner key runs trusted documents only (see tests/test_partners.py)
    await import_trusted("access-tests", [("viewer", doc.VIEWER)], datetime.now(UTC))
    response = await api.client.post(
        "/graphql",
        json={"documentId": f"sha256:{sha256_hex(doc.VIEWER)}"},
        headers={"Authorization": f"Bearer {partner_token}"},
    )
    partner = response.json()["data"]["viewer"]
    assert partner["kind"] == "PARTNER"
    assert partner["organization"]["slug"] == org.slug
    assert partner["staff"] is None and partner["quote"] is None and partner["customerEmail"] is None


# ------------------------------------------------------------------ the quote list


BOB = {"name": "Bob Builder", "email": "bob@builders.test", "phone": None}


async def five_quotes(api: Api, org: Org) -> list[dict[str, Any]]:
    """REQUESTED (Alice), SUBMITTED (Bob), NEGOTIATING, ACCEPTED, CANCELED: oldest first."""
    data = await api(
        doc.CREATE_REQUEST,
        {"input": {"customerName": "Alice Archer", "customerEmail": "alice@example.com", "sendEmail": False}},
        org.owner_token,
    )
    requested = data["createQuoteRequest"]["quote"]
    bob, _ = await submitted_as(api, org, BOB, [{**TABLET, "quantity": 1, "imeis": [IMEI_B]}])
    negotiating, _ = await submitted(api, org)
    payload = await respond(api, org.owner_token, negotiating, [("COUNTER", "600"), ("COUNTER", "250")])
    negotiating = payload["quote"]
    done, _ = await accepted(api, org)
    canceled, _ = await submitted(api, org)
    data = await api(doc.CANCEL, {"input": {"quoteId": canceled["id"]}}, org.owner_token)
    canceled = data["cancelQuote"]["quote"]
    return [requested, bob, negotiating, done, canceled]


async def submitted_as(
    api: Api, org: Org, contact: dict[str, Any], devices: list[dict[str, Any]]
) -> tuple[dict[str, Any], str]:
    quote_id, link = await request_link(api, org)
    data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": contact, "devices": devices}}, link)
    assert data["submitQuote"]["userErrors"] == []
    return data["submitQuote"]["quote"], link


async def listing(api: Api, org: Org, **variables: Any) -> dict[str, Any]:
    return (await api(doc.QUOTES, variables, org.owner_token))["quotes"]


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def test_quotes_are_listed_newest_first_a_page_at_a_time(api: Api, org: Org) -> None:
    quotes = await five_quotes(api, org)
    newest_first = [q["id"] for q in reversed(quotes)]

    page = await listing(api, org, first=2)
    assert ids(page) == newest_first[:2]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is True and page["pageInfo"]["hasPreviousPage"] is False
    assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    assert [edge["node"]["number"] for edge in page["edges"]] == ["Q-000005", "Q-000004"]

    page = await listing(api, org, first=2, after=page["pageInfo"]["endCursor"])
    assert ids(page) == newest_first[2:4]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is True and page["pageInfo"]["hasPreviousPage"] is True

    page = await listing(api, org, first=2, after=page["pageInfo"]["endCursor"])
    assert ids(page) == newest_first[4:]
    assert page["pageInfo"]["hasNextPage"] is False

    everything = await listing(api, org)
    assert ids(everything) == newest_first and everything["pageInfo"]["hasNextPage"] is False

    assert error_code(await api.raw(doc.QUOTES, {"first": 101}, org.owner_token)) == "BAD_USER_INPUT"
    assert error_code(await api.raw(doc.QUOTES, {"first": -1}, org.owner_token)) == "BAD_USER_INPUT"
    assert error_code(await api.raw(doc.QUOTES, {"after": "not-a-cursor"}, org.owner_token)) == "BAD_USER_INPUT"


async def test_quote_filters(api: Api, org: Org) -> None:
    requested, bob, negotiating, done, canceled = await five_quotes(api, org)

    async def found(**filter: Any) -> list[str]:
        page = await listing(api, org, filter=filter)
        assert page["totalCount"] == len(page["edges"])
        return ids(page)

    assert await found(status=["SUBMITTED", "NEGOTIATING"]) == [negotiating["id"], bob["id"]]
    assert await found(status=["CANCELED"]) == [canceled["id"]]
    assert await found(status=["EXPIRED"]) == []
    assert await found(awaiting="CUSTOMER") == [negotiating["id"]]
    assert await found(awaiting="MERCHANT") == [bob["id"]]
    assert await found(status=["NEGOTIATING"], awaiting="MERCHANT") == []

    assert await found(search=bob["number"]) == [bob["id"]]
    assert await found(search=bob["number"].lower()) == [bob["id"]]
    assert await found(search="bob builder") == [bob["id"]]
    assert await found(search="ARCHER") == [requested["id"]]
    assert await found(search="BUILDERS.test") == [bob["id"]]
    assert await found(search="alice@example.com") == [requested["id"]]
    assert await found(search="zoe@example.com") == [canceled["id"], done["id"], negotiating["id"]]
    assert await found(search="zoe@example.com", status=["ACCEPTED"]) == [done["id"]]
    assert await found(search=IMEI_B) == [bob["id"]]
    assert await found(search=IMEI_B[-6:]) == [bob["id"]]
    assert await found(search="35 332509 123456 1") == [bob["id"]]
    assert await found(search=PHONE["imeis"][0]) == [canceled["id"], done["id"], negotiating["id"]]
    assert await found(search="nobody-by-that-name") == []
    assert await found(search="%") == []
    assert await found(search="_") == []
    assert await found(search="   ") == ids(await listing(api, org))


async def test_the_search_finds_names_as_written_and_follows_changes(api: Api, org: Org) -> None:
    """Quotes, double quotes and letters beyond ASCII in names; two-letter searches; a quote
    found under the name it has now, not the one it was requested with."""
    irish, _ = await submitted_as(api, org, {**CONTACT, "name": "Seán O'Brien", "email": "sean@obrien.test"}, [PHONE])
    polish, _ = await submitted_as(
        api, org, {**CONTACT, "name": 'Zoë "Zed" Łukasiewicz', "email": "zed@example.com"}, [PHONE]
    )
    data = await api(
        doc.CREATE_REQUEST, {"input": {"customerName": "Provisional Name", "sendEmail": False}}, org.owner_token
    )
    renamed_id = data["createQuoteRequest"]["quote"]["id"]
    link = token_of(data["createQuoteRequest"]["url"])
    data = await api(doc.SUBMIT, {"input": {"quoteId": renamed_id, "contact": {**CONTACT, "name": "Final Name"},
                                            "devices": [PHONE]}}, link)  # fmt: skip
    assert data["submitQuote"]["userErrors"] == []

    async def found(search: str) -> list[str]:
        page = await listing(api, org, filter={"search": search})
        assert page["totalCount"] == len(page["edges"])
        return ids(page)

    assert await found("o'brien") == [irish["id"]]
    assert await found("SEÁN") == [irish["id"]]
    assert await found('"zed"') == [polish["id"]]
    assert await found('"') == [polish["id"]]
    assert await found("ŁUKASIEWICZ") == [polish["id"]]
    assert await found("ob") == [irish["id"]]
    assert await found("Final name") == [renamed_id]
    assert await found("Provisional") == []
    assert await found("' OR 1=1 --") == []


async def test_a_portal_session_lists_only_its_customers_quotes(api: Api, org: Org) -> None:
    requested, bob, negotiating, done, canceled = await five_quotes(api, org)
    draft_free = [canceled["id"], done["id"], negotiating["id"]]
    token, _ = await issue_token(TokenKind.PORTAL, org.id, customer_email="zoe@example.com")
    page = (await api(doc.QUOTES, {}, token))["quotes"]
    assert ids(page) == draft_free and page["totalCount"] == 3
    assert (await api(QUOTE_BRIEF, {"id": bob["id"]}, token))["quote"] is None
    assert (await api(QUOTE_BRIEF, {"id": done["id"]}, token))["quote"]["status"] == "ACCEPTED"

    other = await make_org(api)
    stranger, _ = await issue_token(TokenKind.PORTAL, other.id, customer_email="zoe@example.com")
    assert (await api(doc.QUOTES, {}, stranger))["quotes"]["totalCount"] == 0
    assert (await api(QUOTE_BRIEF, {"id": done["id"]}, stranger))["quote"] is None
