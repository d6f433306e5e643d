"""Staff notifications: what creates them, who has read what, the staff emails, and the live feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_api.ids import decode_id, to_global_id
from models.negotiation import StaffRole
from models.organization import Organization, StaffMember
from models.outbox import OutboxEmail
from models.quote import Quote
from models.services.lifecycle import expire_due_quotes
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import CONTACT, PHONE, TABLET, respond, submitted
from tests.live import until_subscribed, ws_connect

NOTIFICATIONS = """
query Notifications($first: Int, $after: String, $unreadOnly: Boolean) {
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    totalCount unreadCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id kind message createdAt readAt quote { id number } } }
  }
}
"""

MARK_READ = """
mutation Mark($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { unreadCount userErrors { code message field } }
}
"""

NOTIFICATION_ADDED = """
subscription { notificationAdded { id kind message readAt quote { number status } } }
"""

NODE = "query Node($id: ID!) { node(id: $id) { id ... on Notification { kind } } }"
STAFF_EMAIL = "query { viewer { staff { email } } }"
SIGNATURE = {"name": "Zoë Łukasiewicz", "email": "zoe@example.com", "consent": True}


async def feed(api: Api, token: str, **variables: Any) -> dict[str, Any]:
    return dict((await api(NOTIFICATIONS, variables, token))["notifications"])


async def latest(api: Api, token: str) -> tuple[str, str]:
    node = (await feed(api, token, first=1))["edges"][0]["node"]
    return node["kind"], node["message"]


async def total(api: Api, token: str) -> int:
    return int((await feed(api, token))["totalCount"])


async def mark(api: Api, token: str, ids: list[str] | None) -> dict[str, Any]:
    return dict((await api(MARK_READ, {"input": {"ids": ids}}, token))["markNotificationsRead"])


async def accept(api: Api, link: str, quote_id: str) -> None:
    data = await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": SIGNATURE}}, link)
    assert data["acceptAllRemaining"]["userErrors"] == []


async def message(api: Api, token: str, quote_id: str, body: str) -> None:
    data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": body}}, token)
    assert data["sendMessage"]["userErrors"] == []


async def test_each_customer_action_notifies_the_staff(api: Api, org: Org) -> None:
    staff = org.owner_token
    quote, link = await submitted(api, org)
    number, who = quote["number"], CONTACT["name"]
    assert await latest(api, staff) == ("QUOTE_SUBMITTED", f"{who} submitted quote {number}.")

    quote = (await respond(api, staff, quote, [("COUNTER", "600"), ("COUNTER", "250")]))["quote"]
    await message(api, staff, quote["id"], "Our best offer.")
    assert await total(api, staff) == 1  # the merchant's own moves notify nobody

    quote = (await respond(api, link, quote, [("COUNTER", "640"), ("ACCEPT", None)], message="Meet me?"))["quote"]
    assert await latest(api, staff) == ("CUSTOMER_RESPONDED", f"{who} answered your offer on quote {number}.")

    await message(api, link, quote["id"], "Could you add the charger?")
    assert await latest(api, staff) == (
        "CHANGES_REQUESTED",
        f"{who} asked for changes on quote {number}: “Could you add the charger?”",
    )

    lines = [quote["lines"][0]]
    quote = (await respond(api, staff, {**quote, "lines": lines}, [("COUNTER", "620")]))["quote"]
    await accept(api, link, quote["id"])
    assert await latest(api, staff) == ("QUOTE_ACCEPTED", f"{who} accepted quote {number} for 1120.00 USD.")

    data = await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link)
    assert data["withdrawAcceptance"]["userErrors"] == []
    assert await latest(api, staff) == ("ACCEPTANCE_WITHDRAWN", f"{who} withdrew the acceptance of quote {number}.")

    data = await api(doc.REJECT_ALL, {"input": {"quoteId": quote["id"]}}, link)
    assert data["rejectAllRemaining"]["userErrors"] == []
    assert await latest(api, staff) == ("QUOTE_REJECTED", f"{who} rejected quote {number}.")

    listed = await feed(api, staff)
    assert [edge["node"]["kind"] for edge in listed["edges"]] == [
        "QUOTE_REJECTED", "ACCEPTANCE_WITHDRAWN", "QUOTE_ACCEPTED", "CHANGES_REQUESTED",
        "CUSTOMER_RESPONDED", "QUOTE_SUBMITTED",
    ]
    assert {edge["node"]["quote"]["number"] for edge in listed["edges"]} == {number}
    assert (listed["totalCount"], listed["unreadCount"]) == (6, 6)


async def test_a_customer_round_that_settles_the_quote_says_how(api: Api, org: Org) -> None:
    staff = org.owner_token
    for answers, kind in ((("DECLINE", None), ("DECLINE", None)), "QUOTE_REJECTED"), (
        (("ACCEPT", None), ("ACCEPT", None)),
        "QUOTE_ACCEPTED",
    ):
        quote, link = await submitted(api, org)
        quote = (await respond(api, staff, quote, [("COUNTER", "600"), ("COUNTER", "250")]))["quote"]
        payload = await respond(api, link, quote, list(answers))
        assert payload["userErrors"] == []
        assert (await latest(api, staff))[0] == kind
    assert (await latest(api, staff))[1].endswith("for 1100.00 USD.")


async def test_expiry_notifies_the_staff(api: Api, org: Org, app: Any) -> None:
    quote, _ = await submitted(api, org)
    pk = decode_id(quote["id"], "Quote")
    await Quote.filter(id=pk).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert await expire_due_quotes(app.state.deps) >= 1
    assert await latest(api, org.owner_token) == (
        "QUOTE_EXPIRED", f"Quote {quote['number']} for {CONTACT['name']} expired."
    )


async def test_a_refused_action_notifies_nobody(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    payload = await respond(api, link, quote, [("COUNTER", "1"), ("COUNTER", "1")])
    assert payload["userErrors"] and payload["quote"] is None
    assert await total(api, org.owner_token) == 1


async def test_each_staff_member_reads_for_themselves(api: Api, org: Org) -> None:
    owner, manager = org.owner_token, await org.staff_token(StaffRole.MANAGER)
    await submitted(api, org)
    await submitted(api, org)
    first, second = [edge["node"]["id"] for edge in (await feed(api, owner))["edges"]]

    assert await mark(api, owner, [second]) == {"unreadCount": 1, "userErrors": []}
    mine, theirs = await feed(api, owner), await feed(api, manager)
    assert [(e["node"]["id"], e["node"]["readAt"] is not None) for e in mine["edges"]] == [
        (first, False), (second, True),
    ]
    assert [e["node"]["readAt"] for e in theirs["edges"]] == [None, None]
    assert (mine["unreadCount"], theirs["unreadCount"]) == (1, 2)
    assert [e["node"]["id"] for e in (await feed(api, owner, unreadOnly=True))["edges"]] == [first]

    assert await mark(api, owner, None) == {"unreadCount": 0, "userErrors": []}
    assert await mark(api, owner, None) == {"unreadCount": 0, "userErrors": []}  # idempotent
    unread = await feed(api, owner, unreadOnly=True)
    assert (unread["edges"], unread["totalCount"], unread["unreadCount"]) == ([], 0, 0)
    assert (await feed(api, manager))["unreadCount"] == 2


async def test_foreign_ids_change_nothing(api: Api, org: Org) -> None:
    other = await make_org(api)
    await submitted(api, org)
    await submitted(api, other)
    mine = (await feed(api, org.owner_token))["edges"][0]["node"]["id"]
    theirs = (await feed(api, other.owner_token))["edges"][0]["node"]["id"]

    payload = await mark(api, org.owner_token, [mine, theirs, "nonsense", to_global_id("Quote", 1)])
    assert payload["unreadCount"] == 1
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_FOUND", ["input", "ids", "1"]),
        ("NOT_FOUND", ["input", "ids", "2"]),
        ("NOT_FOUND", ["input", "ids", "3"]),
    ]
    assert (await feed(api, org.owner_token))["unreadCount"] == 1
    assert (await feed(api, other.owner_token))["unreadCount"] == 1
    assert (await api(NODE, {"id": theirs}, org.owner_token))["node"] is None
    assert (await api(NODE, {"id": mine}, org.owner_token))["node"] == {"id": mine, "kind": "QUOTE_SUBMITTED"}


async def test_notifications_are_for_staff_only(api: Api, org: Org) -> None:
    _, link = await submitted(api, org)
    for token, code in ((link, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        for query, variables in ((NOTIFICATIONS, {}), (MARK_READ, {"input": {"ids": None}})):
            body = await api.raw(query, variables, token)
            assert body["errors"][0]["extensions"]["code"] == code, body


async def test_pages_newest_first(api: Api, org: Org) -> None:
    for _ in range(3):
        await submitted(api, org)
    page = await feed(api, org.owner_token, first=2)
    assert (len(page["edges"]), page["totalCount"], page["pageInfo"]["hasNextPage"]) == (2, 3, True)
    numbers = [e["node"]["quote"]["number"] for e in page["edges"]]
    assert numbers == sorted(numbers, reverse=True)
    rest = await feed(api, org.owner_token, first=2, after=page["pageInfo"]["endCursor"])
    assert (len(rest["edges"]), rest["pageInfo"]["hasNextPage"]) == (1, False)
    assert rest["pageInfo"]["hasPreviousPage"] is True
    assert rest["edges"][0]["node"]["quote"]["number"] < numbers[-1]


# ------------------------------------------------------------------ the staff email


async def outbox(org: Org, template: str) -> list[OutboxEmail]:
    return await OutboxEmail.filter(organization_id=org.id, template=template).order_by("id")


async def submitted_by(api: Api, token: str) -> tuple[dict[str, Any], str]:
    """A quote request put out by the staff member of `token`, submitted by the customer."""
    data = await api(doc.CREATE_REQUEST, {"input": {"customerEmail": "zoe@example.com"}}, token)
    quote_id, link = data["createQuoteRequest"]["quote"]["id"], data["createQuoteRequest"]["url"].rsplit("/", 1)[1]
    data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE, TABLET]}}, link)
    assert data["submitQuote"]["userErrors"] == []
    return data["submitQuote"]["quote"], link


async def test_the_email_goes_to_whoever_put_out_the_quote(api: Api, org: Org) -> None:
    rep = await org.staff_token(StaffRole.SALES_REP)
    rep_email = (await api(STAFF_EMAIL, token=rep))["viewer"]["staff"]["email"]
    quote, link = await submitted_by(api, rep)

    [email] = await outbox(org, "staff_quote_submitted")
    assert email.to_address == rep_email
    organization = await Organization.get(id=org.id)
    assert email.context == {
        "quote_id": decode_id(quote["id"], "Quote"),
        "quote_number": quote["number"],
        "organization_name": organization.name,
        "customer_name": CONTACT["name"],
        "customer_email": CONTACT["email"],
    }

    await message(api, link, quote["id"], "Can I keep the case?")
    [email] = await outbox(org, "staff_changes_requested")
    assert (email.to_address, email.context["message"]) == (rep_email, "Can I keep the case?")

    quote = (await respond(api, rep, quote, [("COUNTER", "600"), ("COUNTER", "250")]))["quote"]
    await accept(api, link, quote["id"])
    [email] = await outbox(org, "staff_quote_accepted")
    assert email.to_address == rep_email
    assert {k: email.context[k] for k in ("signer_name", "total_agreed", "currency_code")} == {
        "signer_name": SIGNATURE["name"], "total_agreed": "1100.00", "currency_code": "USD",
    }
    customer_facing = await OutboxEmail.filter(organization_id=org.id, to_address=CONTACT["email"])
    assert all(not e.template.startswith("staff_") for e in customer_facing)


async def test_the_organizations_notification_address_comes_first(api: Api, org: Org) -> None:
    await Organization.filter(id=org.id).update(notification_email="desk@shop.test")
    await submitted_by(api, await org.staff_token(StaffRole.SALES_REP))
    assert [e.to_address for e in await outbox(org, "staff_quote_submitted")] == ["desk@shop.test"]


async def test_without_a_creator_every_owner_is_told(api: Api, org: Org) -> None:
    rep = await org.staff_token(StaffRole.SALES_REP)
    second = await StaffMember.create(
        organization_id=org.id, name="Second Owner", email=f"second@{org.slug}.test", role=StaffRole.OWNER
    )
    quote, link = await submitted_by(api, rep)
    await StaffMember.filter(organization_id=org.id, role=StaffRole.SALES_REP).update(active=False)
    await message(api, link, quote["id"], "Hello?")
    emails = await outbox(org, "staff_changes_requested")
    assert sorted(e.to_address for e in emails) == sorted([f"owner@{org.slug}.test", second.email])


# ------------------------------------------------------------------ live


async def test_notification_added_reaches_the_organizations_staff_only(
    api: Api, org: Org, app: Any, live_url: str
) -> None:
    other = await make_org(api)
    manager = await org.staff_token(StaffRole.MANAGER)
    async with (
        ws_connect(live_url, org.owner_token) as owner,
        ws_connect(live_url, manager) as colleague,
        ws_connect(live_url, other.owner_token) as outsider,
    ):
        async with until_subscribed(app, f"org:{org.id}:notifications", 2):
            ops = [await owner.subscribe(NOTIFICATION_ADDED), await colleague.subscribe(NOTIFICATION_ADDED)]
            await outsider.subscribe(NOTIFICATION_ADDED)
        quote, link = await submitted(api, org)
        for client, op in zip((owner, colleague), ops, strict=True):
            added = (await client.next(op))["notificationAdded"]
            assert added["kind"] == "QUOTE_SUBMITTED" and added["readAt"] is None
            assert added["quote"] == {"number": quote["number"], "status": "SUBMITTED"}
            assert added["message"] == f"{CONTACT['name']} submitted quote {quote['number']}."

        await message(api, link, quote["id"], "One more thing")
        for client, op in zip((owner, colleague), ops, strict=True):
            assert (await client.next(op))["notificationAdded"]["kind"] == "CHANGES_REQUESTED"
            await client.nothing_more()
        await outsider.nothing_more()
