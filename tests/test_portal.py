"""The customer portal: a code by email that says nothing about the address, expires, burns
after wrong attempts, and opens every quote of that email in one organization, and nothing
of another."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_api.mail.sender import OutboxSender
from models.outbox import OutboxEmail
from models.portal import PortalCode
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import CONTACT, PHONE, TABLET, request_link, respond
from tests.mailcatcher import MailCatcher
from tests.test_thread_view import count_statements

REQUEST_CODE = """
mutation RequestCode($input: RequestPortalCodeInput!) {
  requestPortalCode(input: $input) { sent %s }
}
""" % doc.USER_ERRORS

SIGN_IN = """
mutation SignIn($input: SignInToPortalInput!) {
  signInToPortal(input: $input) { token expiresAt %s }
}
""" % doc.USER_ERRORS

MY_QUOTES = """
query MyQuotes {
  viewer { kind customerEmail organization { slug } }
  quotes(first: 50) {
    totalCount
    edges { node { id number status awaiting expiresAt availableActions
      totals { offered { amount currencyCode } } lines { id device { model } merchantOffer { amount } } } }
  }
}
"""

THREAD = "query Thread($id: ID!) { thread(quoteId: $id, first: 10) { totalCount edges { node { kind } } } }"

ENGAGEMENT = "query Engagement($id: ID!) { engagement(quoteId: $id) { views } }"


async def submitted_by(api: Api, org: Org, email: str) -> tuple[dict[str, Any], str]:
    quote_id, link = await request_link(api, org)
    data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": {**CONTACT, "email": email},
                                            "devices": [PHONE, TABLET]}}, link)
    assert data["submitQuote"]["userErrors"] == []
    return data["submitQuote"]["quote"], link


async def latest_code(org: Org, email: str) -> str:
    row = await OutboxEmail.filter(template="portal_code", to_address=email).order_by("-id").first()
    assert row is not None and row.organization_id == org.id
    return str(row.context["code"])


async def sign_in(api: Api, org: Org, email: str) -> str:
    sent = await api(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": email}})
    assert sent["requestPortalCode"] == {"sent": True, "userErrors": []}
    code = await latest_code(org, email)
    data = (await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code}}))["signInToPortal"]
    assert data["userErrors"] == []
    assert data["token"].startswith("tqp_")
    return str(data["token"])


async def test_the_answer_is_the_same_whether_or_not_the_email_has_quotes(api: Api, org: Org) -> None:
    known = f"known-{secrets.token_hex(4)}@example.com"
    await submitted_by(api, org, known)
    unknown = f"nobody-{secrets.token_hex(4)}@example.com"
    answers, statements = [], []
    for email in (known, unknown, known.upper(), unknown):
        with count_statements() as counter:
            body = await api.raw(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": email}})
        answers.append(body)
        statements.append([re.sub(r"'[^']*'|\$\d+|\b\d+\b", "?", s) for s in counter.statements])
    assert all(answer == {"data": {"requestPortalCode": {"sent": True, "userErrors": []}}} for answer in answers)
    # the same work, statement for statement: the timing cannot tell the addresses apart
    assert all(s == statements[0] for s in statements)

    bad = (await api(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": "not an email"}}))["requestPortalCode"]
    assert (bad["sent"], [(e["code"], e["field"]) for e in bad["userErrors"]]) == (
        False, [("INVALID_INPUT", ["input", "email"])])


async def test_the_code_arrives_by_email_and_opens_every_quote_of_that_email(
    app: Any, api: Api, org: Org, catcher: MailCatcher
) -> None:
    email = f"zoe-{secrets.token_hex(4)}@example.com"
    first, _ = await submitted_by(api, org, email)
    second, _ = await submitted_by(api, org, email)
    await respond(api, org.owner_token, second, [("COUNTER", "600"), ("COUNTER", "250")])
    other, _ = await submitted_by(api, org, f"someone-{secrets.token_hex(3)}@example.com")

    await api(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": email}})
    sender = OutboxSender(replace(app.state.settings, smtp_url=catcher.url))
    while await sender.run_once(limit=100):
        pass
    (mail,) = [m for m in catcher.to(email) if "sign-in code" in str(m["Subject"])]
    code = re.search(r"\b(\d{6})\b", str(mail["Subject"]))
    assert code is not None
    signed = (await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email.upper(),
                                             "code": code.group(1)}}))["signInToPortal"]
    assert signed["userErrors"] == [] and signed["token"].startswith("tqp_")
    token = signed["token"]
    # a code serves once
    again = (await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code.group(1)}}))["signInToPortal"]
    assert again["token"] is None and [e["code"] for e in again["userErrors"]] == ["INVALID_INPUT"]

    mine = await api(MY_QUOTES, {}, token)
    assert mine["viewer"] == {"kind": "CUSTOMER_PORTAL", "customerEmail": email.lower(), "organization": {"slug": org.slug}}
    listed = {edge["node"]["id"] for edge in mine["quotes"]["edges"]}
    assert listed == {first["id"], second["id"]} and mine["quotes"]["totalCount"] == 2
    assert other["id"] not in listed

    # the quote, its thread and the customer's actions work as through the link
    seen = (await api(doc.THREAD_VIEW, {"id": second["id"]}, token))["quote"]
    assert {"ACCEPT_ALL_REMAINING", "COUNTER_OFFER"} <= set(seen["availableActions"])
    assert seen["thread"]["totalCount"] >= 2
    assert (await api(doc.QUOTE, {"id": other["id"]}, token))["quote"] is None
    accepted = (await api(doc.ACCEPT_ALL, {"input": {"quoteId": second["id"], "signature": {
        "name": CONTACT["name"], "email": email, "consent": True}}}, token))["acceptAllRemaining"]
    assert accepted["userErrors"] == [] and accepted["quote"]["status"] == "ACCEPTED"
    refused = (await api(doc.SEND_MESSAGE, {"input": {"quoteId": other["id"], "body": "hi"}}, token))["sendMessage"]
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    # portal reads are views on the staff's timeline
    views = (await api(ENGAGEMENT, {"id": second["id"]}, org.owner_token))["engagement"]["views"]
    assert views >= 1


async def test_codes_expire_and_burn_after_wrong_attempts(api: Api, org: Org) -> None:
    email = f"zoe-{secrets.token_hex(4)}@example.com"
    await api(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": email}})
    code = await latest_code(org, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    codes = []
    for _ in range(5):
        data = (await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": wrong}}))["signInToPortal"]
        assert data["token"] is None
        codes.append(data["userErrors"][0]["code"])
    assert codes == ["INVALID_INPUT"] * 4 + ["LIMIT_EXCEEDED"]
    burned = (await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code}}))["signInToPortal"]
    assert burned["token"] is None and [e["code"] for e in burned["userErrors"]] == ["INVALID_INPUT"]

    await api(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": email}})
    code = await latest_code(org, email)
    await PortalCode.filter(organization_id=org.id, email=email, closed_at=None).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    late = (await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code}}))["signInToPortal"]
    assert late["token"] is None and [e["code"] for e in late["userErrors"]] == ["EXPIRED"]


async def test_an_address_may_ask_only_a_few_codes_at_a_time(api: Api, org: Org) -> None:
    email = f"zoe-{secrets.token_hex(4)}@example.com"
    answers = [
        (await api(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": email}}))["requestPortalCode"]
        for _ in range(6)
    ]
    assert [a["sent"] for a in answers] == [True] * 5 + [False]
    assert [e["code"] for e in answers[-1]["userErrors"]] == ["LIMIT_EXCEEDED"]
    # only the latest code works: asking again replaced the earlier ones
    rows = await PortalCode.filter(organization_id=org.id, email=email, closed_at=None).count()
    assert rows == 1


async def test_a_portal_token_opens_nothing_of_another_organization(api: Api, org: Org) -> None:
    email = f"zoe-{secrets.token_hex(4)}@example.com"
    mine, _ = await submitted_by(api, org, email)
    elsewhere = await make_org(api)
    theirs, _ = await submitted_by(api, elsewhere, email)
    token = await sign_in(api, org, email)

    listed = (await api(MY_QUOTES, {}, token))["quotes"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [mine["id"]]
    assert (await api(doc.QUOTE, {"id": theirs["id"]}, token))["quote"] is None
    thread = await api.raw(THREAD, {"id": theirs["id"]}, token)
    assert thread["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await api(THREAD, {"id": mine["id"]}, token))["thread"]["totalCount"] >= 1
    sent = (await api(doc.SEND_MESSAGE, {"input": {"quoteId": theirs["id"], "body": "hello"}}, token))["sendMessage"]
    assert [e["code"] for e in sent["userErrors"]] == ["NOT_FOUND"]
    # the code of one organization does not sign in to the other
    await api(REQUEST_CODE, {"input": {"organizationSlug": org.slug, "email": email}})
    code = await latest_code(org, email)
    cross = (await api(SIGN_IN, {"input": {"organizationSlug": elsewhere.slug, "email": email, "code": code}}))["signInToPortal"]
    assert cross["token"] is None


async def test_the_portal_list_costs_the_same_statements_for_2_and_6_quotes(api: Api, org: Org) -> None:
    email = f"zoe-{secrets.token_hex(4)}@example.com"
    for _ in range(2):
        await submitted_by(api, org, email)
    token = await sign_in(api, org, email)
    await api(MY_QUOTES, {}, token)  # warm caches
    with count_statements() as few:
        small = await api(MY_QUOTES, {}, token)
    for _ in range(4):
        await submitted_by(api, org, email)
    with count_statements() as many:
        large = await api(MY_QUOTES, {}, token)
    assert (small["quotes"]["totalCount"], large["quotes"]["totalCount"]) == (2, 6)
    assert len(many.statements) == len(few.statements), many.statements
