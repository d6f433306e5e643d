"""The team end to end, as an operator runs it: two `tradequote serve` replicas on one
PostgreSQL database (one SQLite server plays both parts when PostgreSQL is not configured),
email through their own sender to a real SMTP server.

The owner invites a sales rep; the code in the invitation email signs the rep in; the rep
negotiates; the owner demotes them to TECHNICIAN (their next counter offer is FORBIDDEN) and
deactivates them (their session and access tokens read UNAUTHENTICATED at once, on both
replicas); the audit log shows each step."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests import documents as doc
from tests.client import Api
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.flow import CONTACT, PHONE, TABLET, token_of
from tests.live import run_cli, server_env, start_server, ws_connect
from tests.mailcatcher import MailCatcher
from tests.team import (
    AUDIT_LOG,
    CREATE_TOKEN,
    DEACTIVATE,
    INVITE,
    ROTATE_LINK,
    SIGN_IN,
    UPDATE_ROLE,
    WHO,
    audit_actions,
    code_in,
    refused,
)

SECRET = "team-replicas-secret-" + "t" * 32
THREAD = "subscription Thread($id: ID!) { threadMessages(quoteId: $id) { body } }"


async def mail_to(catcher: MailCatcher, address: str, timeout: float = 15.0) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := catcher.to(address):
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no email to {address} within {timeout}s")


@pytest.fixture
async def team_database(tmp_path: Path) -> AsyncIterator[str]:
    if POSTGRES_URL:
        url = await create_postgres_database()
        yield url
        await drop_postgres_database(url)
    else:
        yield f"sqlite://{tmp_path / 'team.db'}"


async def test_invite_sign_in_negotiate_demote_deactivate_on_two_replicas(
    team_database: str, catcher: MailCatcher, tmp_path: Path
) -> None:
    env = server_env(team_database, SECRET, TRADEQUOTE_SMTP_URL=catcher.url)
    created = json.loads(run_cli(
        ["create-organization", "--name", "Acme Phones", "--slug", "acme",
         "--owner-email", "owner@acme.test", "--owner-name", "Olivia Owner", "--json"], env, tmp_path,
    ))  # fmt: skip
    owner = created["ownerToken"]
    first = start_server(env, tmp_path, "first")
    second = start_server(env, tmp_path, "second") if POSTGRES_URL else first
    try:
        async with (
            httpx.AsyncClient(base_url=first.http, timeout=10) as one,
            httpx.AsyncClient(base_url=second.http, timeout=10) as two,
        ):
            on_first, on_second = Api(one), Api(two)
            # 1. the owner invites a sales rep; the invitation email's code signs them in
            invited = await on_first(INVITE, {"input": {"email": "sam@acme.test", "role": "SALES_REP",
                                                        "name": "Sam Sales"}}, owner)  # fmt: skip
            rep_id = invited["inviteStaff"]["staffMember"]["id"]
            code = code_in(await mail_to(catcher, "sam@acme.test"))
            signed = (await on_second(SIGN_IN, {"input": {"organizationSlug": "acme", "email": "sam@acme.test",
                                                          "code": code}}))["signInStaff"]  # fmt: skip
            assert signed["userErrors"] == []
            session = signed["token"]
            pat = (await on_first(CREATE_TOKEN, {"input": {"name": "rep script"}}, session))["createAccessToken"]["token"]

            # 2. the rep negotiates a quote
            request = (await on_first(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë", "customerEmail": "zoe@example.com"}},
                                      session))["createQuoteRequest"]  # fmt: skip
            quote_id, link = request["quote"]["id"], token_of(request["url"])
            quote = (await on_second(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT,
                                                            "devices": [PHONE, TABLET]}}, link))["submitQuote"]["quote"]  # fmt: skip
            lines = [{"lineId": line["id"], "action": "COUNTER", "price": "500"} for line in quote["lines"]]
            countered = (await on_second(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": lines}}, session))["counterOffer"]
            assert countered["userErrors"] == [] and countered["quote"]["awaiting"] == "CUSTOMER"
            back = [{"lineId": line["id"], "action": "COUNTER", "price": "550"} for line in quote["lines"]]
            await on_first(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": back}}, link)

            # 3. demoted to TECHNICIAN: the next counter offer is FORBIDDEN, on either replica
            demoted = await on_first(UPDATE_ROLE, {"input": {"staffId": rep_id, "role": "TECHNICIAN"}}, owner)
            assert demoted["updateStaffRole"]["staffMember"]["role"] == "TECHNICIAN"
            for api in (on_second, on_first):
                error = await refused(api, doc.COUNTER, {"input": {"quoteId": quote_id, "lines": lines}}, session)
                assert error["extensions"]["code"] == "FORBIDDEN"

            # 4. deactivated: session and access token refused at once, on both replicas, and
            #    the sockets they opened are closed
            assert (await on_second(WHO, token=pat))["viewer"]["staff"]["role"] == "TECHNICIAN"
            async with (
                ws_connect(second.ws, session) as session_socket,
                ws_connect(first.ws, pat) as pat_socket,
                ws_connect(second.ws, owner) as owner_socket,
            ):
                op = await owner_socket.subscribe(THREAD, {"id": quote_id})
                gone = await on_first(DEACTIVATE, {"input": {"staffId": rep_id}}, owner)
                assert gone["deactivateStaff"]["staffMember"]["status"] == "DEACTIVATED"
                for api in (on_second, on_first):
                    for token in (session, pat):
                        error = await refused(api, WHO, None, token)
                        assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_REVOKED"}
                assert await session_socket.close_code() == (4401, "Token revoked")
                assert await pat_socket.close_code() == (4401, "Token revoked")
                # the owner's socket stays open and hears the quote
                await on_first(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": "still here"}}, owner)
                assert (await owner_socket.next(op))["threadMessages"]["body"] == "still here"

            # 5. the audit log shows each step, whichever replica reads it
            log = await on_second(AUDIT_LOG, {"first": 20}, owner)
            assert audit_actions(log) == [
                "STAFF_DEACTIVATED", "STAFF_ROLE_CHANGED", "ACCESS_TOKEN_CREATED", "STAFF_SIGNED_IN",
                "STAFF_INVITED",
            ]  # fmt: skip
            nodes = [edge["node"] for edge in log["auditLog"]["edges"]]
            assert nodes[0]["after"]["tokensRevoked"] == 2
            assert [n["actorName"] for n in nodes] == ["Olivia Owner", "Olivia Owner", "Sam Sales", "Sam Sales",
                                                       "Olivia Owner"]  # fmt: skip
            # the quote the rep negotiated stays, with its history
            assert (await on_second(doc.QUOTE, {"id": quote_id}, owner))["quote"]["status"] == "NEGOTIATING"

            # 6. the owner rotates the customer's link: the socket opened with the old link closes
            #    on the other replica; the new link opens the same quote
            async with ws_connect(second.ws, link) as customer_socket:
                await customer_socket.subscribe(THREAD, {"id": quote_id})
                rotated = (await on_first(ROTATE_LINK, {"input": {"quoteId": quote_id, "sendEmail": False}},
                                          owner))["rotateQuoteLink"]  # fmt: skip
                assert await customer_socket.close_code() == (4401, "Token revoked")
            new_link = token_of(rotated["url"])
            async with ws_connect(second.ws, new_link) as customer_socket:
                op = await customer_socket.subscribe(THREAD, {"id": quote_id})
                await on_first(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": "new link"}}, owner)
                assert (await customer_socket.next(op))["threadMessages"]["body"] == "new link"
            error = await refused(on_second, WHO, None, link)
            assert error["extensions"]["reason"] == "LINK_REVOKED"
    finally:
        for server in {id(first): first, id(second): second}.values():
            server.stop()
