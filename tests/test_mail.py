"""Email: every template renders, and the outbox sender delivers to a real SMTP server
(aiosmtpd on 127.0.0.1) exactly once, through outages, with concurrent senders, or into
`.eml` files when no server is configured.

The sender delivers every due row of the shared test database, so each test sends to its own
addresses and looks only at what arrived for them."""

from __future__ import annotations

import asyncio
import time
import base64
import email
import secrets
from collections.abc import Iterator, Mapping
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from graphql_api.mail.attachments import (
    register_attachment_renderer,
    unregister_attachment_renderer,
)
from graphql_api.mail.content import RenderError
from graphql_api.mail.layout import Branding
from graphql_api.mail.sender import OutboxSender, RetryPolicy, utcnow
from graphql_api.mail.templates import TEMPLATES, render_email
from graphql_api.mail.transport import SmtpConfig, parse_smtp_url
from graphql_api.settings import ConfigurationError, Settings
from models.organization import Organization
from models.outbox import OutboxEmail, OutboxStatus, enqueue_email
from tests.mailcatcher import MailCatcher

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
LINK = "https://tq.example/q/tql_abc?x=1&y=2"
MAIL_FROM = "Tradequote <no-reply@tq.example>"


@pytest.fixture
async def organization(database: str) -> Organization:
    token = secrets.token_hex(4)
    return await Organization.create(
        name="Zoë's Phones & Co",
        slug=f"mail-{token}",
        logo=PNG,
        logo_content_type="image/png",
        accent_color="#0a7d5a",
        headline="We buy your old phones",
        footer_text="Zoë's Phones, 1 Harbour Street\nOpen Mon–Sat",
        notification_email="shop@zoe.example",
        receiving_address="Zoë's Phones\n1 Harbour Street\nBristol",
    )


def address(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}@customer.example"


async def queue(organization: Organization, template: str, to: str, **context: Any) -> OutboxEmail:
    base = {
        "quote_id": 42,
        "quote_number": "Q-0042",
        "organization_name": organization.name,
        "customer_name": "Ngọc Ánh",
        "link_url": LINK,
    }
    return await enqueue_email(
        template=template,
        to_address=to,
        to_name="Ngọc Ánh",
        context={**base, **context},
        organization_id=organization.id,
        now=utcnow(),
    )


async def drain(sender: OutboxSender, organization: Organization) -> int:
    """Run the sender until none of this organization's emails is due; return how many it sent
    (other tests' rows included)."""
    sent = 0
    for _ in range(100):
        batch = await sender.run_once()
        sent += batch
        due = OutboxEmail.filter(
            organization_id=organization.id,
            status=OutboxStatus.PENDING,
            next_attempt_at__lte=utcnow(),
        )
        if batch == 0 and not await due.exists():
            return sent
    raise AssertionError("the outbox did not drain")


def smtp_settings(catcher: MailCatcher) -> Settings:
    return Settings(smtp_url=catcher.url, mail_from=MAIL_FROM)


def bodies(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return (
        plain.get_content().replace("\r\n", "\n"),
        html.get_content().replace("\r\n", "\n"),
    )


# Delivery over SMTP


async def test_email_arrives_once_branded(catcher: MailCatcher, organization: Organization) -> None:
    to = address("zoe")
    row = await queue(
        organization,
        "quote_issued",
        to,
        message="Hello!\nPrices <b>include</b> the charger.",
        total_offered="1234.50",
        currency_code="USD",
    )
    sender = OutboxSender(smtp_settings(catcher))

    await drain(sender, organization)
    await drain(sender, organization)

    [message] = catcher.to(to)
    assert message["To"].addresses[0].addr_spec == to
    assert message["To"].addresses[0].display_name == "Ngọc Ánh"
    assert message["From"] == MAIL_FROM
    assert message["Reply-To"] == "shop@zoe.example"
    assert message["Message-ID"] == row.message_id
    assert message["Subject"] == "Your quote Q-0042 from Zoë's Phones & Co is ready: $1,234.50"
    plain, html = bodies(message)
    assert "Hi Ngọc Ánh," in plain
    assert "Total offered: $1,234.50" in plain
    assert LINK in plain
    assert "> Prices <b>include</b> the charger." in plain
    assert "Open Mon–Sat" in plain
    assert "<" not in plain.replace("<b>", "").replace("</b>", "")
    assert 'href="https://tq.example/q/tql_abc?x=1&amp;y=2"' in html
    assert "Prices &lt;b&gt;include&lt;/b&gt; the charger." in html
    assert "Zoë&#x27;s Phones &amp; Co" in html
    assert "#0a7d5a" in html
    assert "We buy your old phones" in html
    assert "Open Mon–Sat" in html
    logo = next(part for part in message.walk() if part.get_content_type() == "image/png")
    assert logo["Content-ID"] == f"<logo.{organization.id}@tradequote>"
    assert f'src="cid:logo.{organization.id}@tradequote"' in html
    assert logo.get_content() == PNG

    await row.refresh_from_db()
    assert row.status is OutboxStatus.SENT
    assert row.sent_at is not None
    assert row.attempts == 1


async def test_organization_without_branding_gets_the_default_look(
    catcher: MailCatcher, database: str
) -> None:
    organization = await Organization.create(
        name="Plain Shop", slug=f"plain-{secrets.token_hex(4)}", accent_color="red; x: y"
    )
    to = address("plain")
    await queue(organization, "quote_expired", to, customer_name=None)

    await drain(OutboxSender(smtp_settings(catcher)), organization)

    [message] = catcher.to(to)
    plain, html = bodies(message)
    assert plain.startswith("Plain Shop\n\nHello,\n")
    assert "cid:" not in html
    assert "red; x: y" not in html
    assert not any(part.get_content_maintype() == "image" for part in message.walk())
    assert message["Reply-To"] is None


async def test_smtp_outage_loses_nothing_and_sends_once(
    catcher: MailCatcher, organization: Organization
) -> None:
    catcher.stop()
    to = address("outage")
    row = await queue(organization, "staff_message", to, message="Your label is ready.")
    policy = RetryPolicy(quick_delays=(), base_delay=0.3, jitter=0.0)
    sender = OutboxSender(smtp_settings(catcher), policy=policy)
    before = utcnow()

    assert await sender.run_once() == 0

    await row.refresh_from_db()
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.last_error and "Connect" in row.last_error
    assert row.next_attempt_at > before
    assert await sender.run_once() == 0  # not due yet: no new attempt
    await row.refresh_from_db()
    assert row.attempts == 1

    catcher.start()
    await asyncio.sleep(0.35)
    await drain(sender, organization)
    await drain(sender, organization)

    assert len(catcher.to(to)) == 1
    delivered = await OutboxEmail.get(id=row.id)
    assert delivered.status is OutboxStatus.SENT
    assert delivered.attempts == 2


async def test_a_few_seconds_of_smtp_outage_delay_mail_by_seconds(
    catcher: MailCatcher, organization: Organization
) -> None:
    """The real catcher down for 4 s: the sender's quick retries (2 s, then 5 s) deliver the
    email a few seconds after it is back, not after the minute-long backoff."""
    catcher.stop()
    to = address("blip")
    row = await queue(organization, "staff_message", to, message="Back in a moment.")
    stop = asyncio.Event()
    sender = OutboxSender(smtp_settings(catcher), policy=RetryPolicy(jitter=0.0))
    task = asyncio.create_task(sender.run_forever(stop, interval=0.1))
    started = time.monotonic()
    try:
        await asyncio.sleep(4.0)
        catcher.start()
        back = time.monotonic()
        while not catcher.to(to) and time.monotonic() - back < 20:
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert len(catcher.to(to)) == 1
    arrived = time.monotonic() - started
    assert arrived < 9.0, f"delivered {arrived:.1f} s after queueing"
    await row.refresh_from_db()
    assert row.status is OutboxStatus.SENT and row.attempts == 3


async def test_concurrent_senders_deliver_each_email_once(
    catcher: MailCatcher, organization: Organization
) -> None:
    recipients = [address(f"buyer{i}") for i in range(24)]
    for to in recipients:
        await queue(organization, "quote_share", to, message=None, recipient_name=None)
    catcher.delay = 0.005
    already = len(catcher.received)
    first, second = OutboxSender(smtp_settings(catcher)), OutboxSender(smtp_settings(catcher))

    async def work(sender: OutboxSender) -> int:
        sent = 0
        for _ in range(100):
            batch = await sender.run_once(limit=3)
            sent += batch
            if batch == 0:
                return sent
        return sent

    counts = await asyncio.gather(work(first), work(second))
    await drain(first, organization)

    for to in recipients:
        assert len(catcher.to(to)) == 1, to
    assert sum(counts) == len(catcher.received) - already
    ids = [m["Message-ID"] for m in catcher.received]
    assert len(ids) == len(set(ids))
    rows = await OutboxEmail.filter(organization_id=organization.id)
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.SENT, 1)}


async def test_run_forever_delivers_until_stopped(
    catcher: MailCatcher, organization: Organization
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(
        OutboxSender(smtp_settings(catcher)).run_forever(stop, interval=0.05)
    )
    to = address("forever")
    await queue(organization, "portal_code", to, code="482913", expires_minutes=10)
    for _ in range(100):
        if catcher.to(to):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)

    [message] = catcher.to(to)
    assert message["Subject"] == "482913 is your sign-in code for Zoë's Phones & Co"


# Errors are recorded on the row and never stop the others


async def test_bad_emails_are_recorded_and_the_others_still_go(
    catcher: MailCatcher, organization: Organization
) -> None:
    good_to = address("good")
    unknown = await queue(organization, "no_such_template", address("unknown"))
    missing = await queue(organization, "quote_issued", address("missing"), currency_code="USD")
    no_renderer = await queue(
        organization, "trade_in_received", address("hologram"), attachments=[{"kind": "hologram"}]
    )
    good = await queue(organization, "trade_in_received", good_to)
    bad = [unknown, missing, no_renderer]

    await drain(OutboxSender(smtp_settings(catcher)), organization)

    assert len(catcher.to(good_to)) == 1
    await good.refresh_from_db()
    assert good.status is OutboxStatus.SENT
    for row in bad:
        await row.refresh_from_db()
        assert row.status is OutboxStatus.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at > utcnow() + timedelta(seconds=30)
    assert unknown.last_error == "unknown email template 'no_such_template'"
    assert missing.last_error == "template 'quote_issued': context key 'total_offered' is missing"
    assert no_renderer.last_error == "no renderer registered for attachment kind 'hologram'"

    # The last allowed attempt fails too: the sender gives up.
    await OutboxEmail.filter(id__in=[row.id for row in bad]).update(next_attempt_at=utcnow())
    await drain(
        OutboxSender(smtp_settings(catcher), policy=RetryPolicy(max_attempts=2)), organization
    )
    for row in bad:
        await row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 2)
    assert len(catcher.to(good_to)) == 1


async def test_refused_and_malformed_recipients_fail_at_once(
    catcher: MailCatcher, organization: Organization
) -> None:
    refused = await queue(organization, "quote_expired", address("bounce"))
    malformed = await queue(organization, "quote_expired", "not-an-address")

    await drain(OutboxSender(smtp_settings(catcher)), organization)

    for row in (refused, malformed):
        await row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert refused.last_error and "550" in refused.last_error
    assert malformed.last_error and "not-an-address" in malformed.last_error


# Without an SMTP server: .eml files


@pytest.fixture
def label_renderer() -> Iterator[None]:
    async def render(item: Mapping[str, Any]) -> tuple[str, str, bytes]:
        return f"label-{item['buy_order_id']}.pdf", "application/pdf", b"%PDF-1.4 test"

    register_attachment_renderer("test_label", render)
    yield
    unregister_attachment_renderer("test_label")


@pytest.mark.usefixtures("label_renderer")
async def test_eml_files_when_no_smtp_server(tmp_path: Path, organization: Organization) -> None:
    mail_dir = tmp_path / "mail"
    first_to, second_to = address("first"), address("second")
    await queue(organization, "quote_request", first_to, message="Bring the box.", expires_at=None)
    await queue(
        organization,
        "quote_converted",
        second_to,
        buy_order_id=7,
        buy_order_number="BO-0007",
        fulfillment="SHIP",
        pickup_instructions=None,
        total="640.00",
        currency_code="EUR",
        attachments=[{"kind": "test_label", "buy_order_id": 7}],
    )

    await drain(OutboxSender(Settings(smtp_url=None, mail_dir=str(mail_dir))), organization)

    files = sorted(mail_dir.glob("*.eml"))
    messages = [email.message_from_bytes(f.read_bytes(), policy=default_policy) for f in files]
    ours = [m for m in messages if first_to in str(m["To"]) or second_to in str(m["To"])]
    assert [str(m["To"]) for m in ours] == [f"Ngọc Ánh <{first_to}>", f"Ngọc Ánh <{second_to}>"]
    request, converted = ours
    assert isinstance(request, EmailMessage) and isinstance(converted, EmailMessage)
    assert (
        request["Subject"] == "Zoë's Phones & Co would like to make you an offer: list your devices"
    )
    plain, html = bodies(request)
    assert LINK in plain and "Bring the box." in plain
    assert "Bring the box." in html
    plain, _ = bodies(converted)
    assert "Total: €640.00" in plain
    assert "Print the attached shipping label" in plain and "1 Harbour Street" in plain
    [label] = list(converted.iter_attachments())
    assert label.get_filename() == "label-7.pdf"
    assert label.get_content() == b"%PDF-1.4 test"
    assert not list(mail_dir.glob("*.part"))


# Rendering


CUSTOMER = {"link_url": LINK, "customer_name": "<Zoë & Co>"}
STAFF = {"customer_name": "<Zoë & Co>", "customer_email": "zoe@customer.example", "link_url": LINK}
SAMPLES: dict[str, dict[str, Any]] = {
    "quote_request": {
        **CUSTOMER,
        "message": "List them <all>",
        "expires_at": "2030-03-14T12:00:00+00:00",
    },
    "quote_share": {**CUSTOMER, "message": None, "recipient_name": "Wei"},
    "quote_issued": {**CUSTOMER, "message": None, "total_offered": "10.00", "currency_code": "GBP"},
    "trade_in_received": CUSTOMER,
    "merchant_response": {**CUSTOMER, "message": "ok", "status": "NEGOTIATING"},
    "staff_message": {**CUSTOMER, "message": "Hello <there>"},
    "quote_accepted_customer": {
        **CUSTOMER,
        "signer_name": "王伟",
        "total_agreed": "99.90",
        "currency_code": "CHF",
        "signature_hash": "ab" * 32,
        "sealed_head": "cd" * 32,
        "sealed_event_count": 7,
        "seal_key_id": "0123456789abcdef",
    },
    "quote_converted": {
        **CUSTOMER,
        "buy_order_number": "BO-1",
        "receipt_url": "https://tq.example/r/1",
        "fulfillment": "PICKUP",
        "pickup_instructions": "Ring the bell",
        "total": "5.00",
        "currency_code": "USD",
    },
    "quote_canceled": {**CUSTOMER, "reason": "Out of stock"},
    "quote_expired": CUSTOMER,
    "quote_recalled": {**CUSTOMER, "reason": "Wrong storage size"},
    "quote_extended": {**CUSTOMER, "expires_at": "2026-12-01T23:00:00+00:00", "message": "Take your time"},
    "portal_code": {**CUSTOMER, "code": "123456", "expires_minutes": 10},
    "staff_quote_submitted": STAFF,
    "staff_customer_responded": STAFF,
    "staff_changes_requested": {**STAFF, "message": "Less scratches"},
    "staff_quote_accepted": {
        **STAFF,
        "signer_name": "Zoë",
        "total_agreed": "1000",
        "currency_code": "USD",
    },
    "staff_acceptance_withdrawn": STAFF,
    "staff_quote_rejected": STAFF,
    "staff_quote_expired": STAFF,
    "staff_quote_tampered": {**STAFF, "problems": "the seal does not verify <at all>"},
    "quote_link_rotated": CUSTOMER,
    "staff_invitation": {
        "code": "654321",
        "expires_days": 7,
        "staff_name": "Sam <Sales>",
        "inviter_name": "Olivia",
        "role": "SALES_REP",
        "email": "sam@acme.example",
        "organization_slug": "acme",
        "sign_in_url": "https://tq.example/graphql",
    },
    "staff_sign_in_code": {"code": "246810", "expires_minutes": 10, "staff_name": "Sam"},
    "payout_paid": {
        **CUSTOMER, "buy_order_number": "BO-3", "method": "CHECK", "currency_code": "USD",
        "paid_amount": "950.00", "declined_amount": "0.00",
    },
    "payout_declined": {**CUSTOMER, "buy_order_number": "BO-3", "reason": "Never <arrived>"},
    "revised_offer": {
        **CUSTOMER, "device": "Apple <iPhone>", "price_before": "600.00", "price": "450.00",
        "currency_code": "USD", "reasons": "Screen <damage>", "reply_by": "2030-03-14",
        "message": "Cracked <glass>",
    },
    "revised_offer_answered": {
        **CUSTOMER, "device": "Apple <iPhone>", "status": "DECLINED", "payout_amount": "500.00",
        "currency_code": "USD", "carrier": "ups", "tracking_number": "1Z<9>",
    },
    "staff_revised_offer_answered": {**STAFF, "device": "Apple <iPhone>", "status": "ACCEPTED"},
    "unit_received": {**CUSTOMER, "device": "Apple <iPhone>", "buy_order_number": "BO-3"},
    "store_credit_spent": {
        **CUSTOMER, "amount": "150.00", "balance": "950.00", "currency_code": "USD",
        "reference": "SALE-42 <till 2>",
    },
    "staff_webhook_disabled": {
        "url": "https://partner.example/hooks", "reason": "failed for a day: HTTP 503",
        "staff_name": "Olivia <Owner>",
    },  # fmt: skip
}
"Emails carrying a code (or an endpoint) instead of a quote: what they must show."
CODES = {
    "portal_code": "123456", "staff_invitation": "654321", "staff_sign_in_code": "246810",
    "staff_webhook_disabled": "https://partner.example/hooks", "store_credit_spent": "SALE-42",
}  # fmt: skip
TEAM = {"staff_invitation", "staff_sign_in_code", "staff_webhook_disabled"}
COMMON = {"quote_id": 1, "quote_number": "Q-7", "organization_name": "Acme"}


def test_every_template_has_a_sample() -> None:
    assert set(SAMPLES) == set(TEMPLATES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_renders_escaped(name: str) -> None:
    branding = Branding(name="Acme <Shop>", reply_to="shop@acme.example")
    rendered = render_email(name, {**COMMON, **SAMPLES[name]}, branding)

    assert rendered.subject and "\n" not in rendered.subject
    assert CODES.get(name, "Q-7") in rendered.text
    assert "<Zoë" not in rendered.html and "<Shop>" not in rendered.html
    assert "<Sales>" not in rendered.html
    assert "Acme &lt;Shop&gt;" in rendered.html
    if name in TEAM:  # to staff, about the team
        assert rendered.reply_to is None
    elif "customer_email" in SAMPLES[name]:  # to staff (staff_message goes to the customer)
        assert rendered.reply_to is None
        assert "zoe@customer.example" in rendered.text
    else:
        assert rendered.reply_to == "shop@acme.example"
    if name not in CODES:
        assert LINK in rendered.text
        assert 'href="https://tq.example/q/tql_abc?x=1&amp;y=2"' in rendered.html


def test_template_errors_name_the_problem() -> None:
    branding = Branding(name="Acme")
    with pytest.raises(RenderError, match="unknown email template 'nope'"):
        render_email("nope", COMMON, branding)
    with pytest.raises(RenderError, match="'signature_hash' is missing"):
        context = {**COMMON, **SAMPLES["quote_accepted_customer"]}
        del context["signature_hash"]
        render_email("quote_accepted_customer", context, branding)
    with pytest.raises(RenderError, match="'link_url' must be an http"):
        render_email("quote_expired", {**COMMON, "link_url": "javascript:alert(1)"}, branding)
    with pytest.raises(RenderError, match="'total' must be a decimal"):
        context = {**COMMON, **SAMPLES["quote_converted"], "total": "lots"}
        render_email("quote_converted", context, branding)


# Configuration and policy


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://mail.example:2525") == SmtpConfig("mail.example", 2525)
    assert parse_smtp_url("smtps://u%40x:p%2Fw@mail.example") == SmtpConfig(
        "mail.example", 465, "u@x", "p/w", use_tls=True
    )
    assert parse_smtp_url("smtp://mail.example?starttls=1") == SmtpConfig(
        "mail.example", 587, start_tls=True
    )
    with pytest.raises(ConfigurationError):
        parse_smtp_url("http://mail.example")


def test_backoff_grows_is_capped_and_gives_up_after_about_a_day() -> None:
    policy = RetryPolicy(jitter=0.0)
    delays = [policy.delay(n).total_seconds() for n in range(1, policy.max_attempts)]
    assert delays[:7] == [2, 5, 15, 30, 60, 120, 240]
    assert max(delays) == policy.max_delay
    assert 16 * 3600 < sum(delays) < 30 * 3600
    jittered = RetryPolicy().delay(7).total_seconds()
    assert 240 * 0.8 <= jittered <= 240 * 1.2
