"""The emails a negotiation sends, delivered by the outbox sender to a real SMTP server."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from graphql_api.mail.sender import OutboxSender
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import PHONE, TABLET, token_of
from tests.mailcatcher import MailCatcher


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def _drain(app: Any, catcher: MailCatcher) -> None:
    sender = OutboxSender(replace(app.state.settings, smtp_url=catcher.url))
    while await sender.run_once(limit=100):
        pass


async def test_each_email_arrives_once_with_a_working_link(
    api: Api, org: Org, app: Any, catcher: MailCatcher
) -> None:
    customer = f"zoe-{secrets.token_hex(4)}@example.com"
    created = (await api(doc.CREATE_REQUEST, {"input": {"customerName": "Zoë", "customerEmail": customer,
                                                        "message": "List your devices"}}, org.owner_token))
    quote_id = created["createQuoteRequest"]["quote"]["id"]
    url = created["createQuoteRequest"]["url"]
    link = token_of(url)
    contact = {"name": "Zoë Łukasiewicz", "email": customer}
    submitted = (await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": contact,
                                                  "devices": [PHONE, TABLET]}}, link))["submitQuote"]["quote"]
    lines = [{"lineId": line["id"], "action": "COUNTER", "price": "500"} for line in submitted["lines"]]
    await api(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": lines}}, org.owner_token)
    signature = {"name": "Zoë Łukasiewicz", "email": customer, "consent": True}
    await api(doc.ACCEPT_ALL, {"input": {"quoteId": quote_id, "signature": signature}}, link)
    converted = await api(doc.CONVERT, {"input": {"quoteId": quote_id, "payoutMethod": "CHECK",
                                                  "fulfillment": "SHIP"}}, org.owner_token)
    number = converted["convertToBuyOrder"]["buyOrder"]["number"]

    await _drain(app, catcher)
    await _drain(app, catcher)  # a second pass sends nothing again
    received = catcher.to(customer)
    subjects = [str(m["Subject"]) for m in received]
    assert len(received) == 4, subjects
    assert len({m["Message-ID"] for m in received}) == 4
    request, response, accepted, conversion = received
    assert "Zoë" in str(request["To"])

    # the link in the request email opens the customer's page
    found = re.search(r"https?://\S+/q/tql_[\w-]+", _text(request))
    assert found and found.group(0) == url
    page = await api.client.get(urlsplit(found.group(0)).path)
    assert page.status_code == 200
    # the page is the customer's app, which reads the quote through the API (test_customer_pages)
    assert '<script type="module" src="/customer/app.js">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]

    assert submitted["number"] in str(response["Subject"]) + _text(response)
    assert "1,500.00" in _text(accepted)
    attachments = [part.get_filename() for part in conversion.iter_attachments()]
    assert f"shipping-label-{number}.pdf" in attachments

    # the staff were told of the submission and the acceptance
    staff = [str(m["Subject"]) for m in catcher.to(f"owner@{org.slug}.test")]
    assert len(staff) >= 2, staff


async def test_an_invalid_link_page_says_so(api: Api) -> None:
    page = await api.client.get("/q/tql_1_forged")
    assert page.status_code == 200 and "not valid" in page.text
