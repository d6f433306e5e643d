"""A customer who writes many messages in a row sends staff one email per quote per few minutes,
gathering the messages, not one email each; every message still makes its own in-app
notification. Delivered by the outbox sender to the real SMTP catcher."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from graphql_api.mail.sender import OutboxSender, utcnow
from models.notification import Notification, NotificationKind
from models.outbox import OutboxEmail, OutboxStatus
from models.services.notifications import COALESCE_WINDOW
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import submitted
from tests.mailcatcher import MailCatcher

MESSAGES = 12


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def _drain(app: Any, catcher: MailCatcher) -> None:
    sender = OutboxSender(replace(app.state.settings, smtp_url=catcher.url))
    while await sender.run_once(limit=100):
        pass


async def _post(api: Api, token: str, quote_id: str, body: str) -> None:
    data = await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": body}}, token)
    assert data["sendMessage"]["userErrors"] == []


async def _come_due(org: Org) -> None:
    """As if the coalescing window had passed."""
    await OutboxEmail.filter(organization_id=org.id, status=OutboxStatus.PENDING).update(
        next_attempt_at=utcnow()
    )


async def test_a_burst_of_customer_messages_makes_two_emails_and_every_notification(
    api: Api, org: Org, app: Any, catcher: MailCatcher
) -> None:
    quote, link = await submitted(api, org)
    owner = f"owner@{org.slug}.test"
    await _drain(app, catcher)
    already = len(catcher.to(owner))

    # The first message is emailed at once (the sender runs every second)...
    await _post(api, link, quote["id"], "message number 0")
    await _drain(app, catcher)
    fresh = catcher.to(owner)[already:]
    assert len(fresh) == 1
    assert "message number 0" in _text(fresh[0])
    # ...the rest wait for the window, gathered in one email.
    for n in range(1, MESSAGES):
        await _post(api, link, quote["id"], f"message number {n}")
    await _drain(app, catcher)
    assert len(catcher.to(owner)[already:]) == 1

    changes = Notification.filter(organization_id=org.id, kind=NotificationKind.CHANGES_REQUESTED)
    assert await changes.count() == MESSAGES
    rows = await OutboxEmail.filter(
        organization_id=org.id, template="staff_changes_requested"
    ).order_by("id")
    assert [row.status for row in rows] == [OutboxStatus.SENT, OutboxStatus.PENDING]
    planned = [datetime.fromisoformat(str(row.context["planned_at"])) for row in rows]
    assert planned[1] - planned[0] == COALESCE_WINDOW
    assert rows[1].next_attempt_at == planned[1]

    await _come_due(org)
    await _drain(app, catcher)
    fresh = catcher.to(owner)[already:]
    assert len(fresh) == 2
    gathered = fresh[1]
    assert gathered["Subject"].endswith(f"sent {MESSAGES - 1} messages on quote {quote['number']}")
    text = _text(gathered)
    for n in range(1, MESSAGES):
        assert f"message number {n}" in text

    # The next message after that email opens the next window: nothing more is lost or doubled.
    await _post(api, link, quote["id"], "one more thing")
    last = (
        await OutboxEmail.filter(organization_id=org.id, template="staff_changes_requested")
        .order_by("-id")
        .first()
    )
    assert last is not None and last.next_attempt_at > utcnow()
    assert datetime.fromisoformat(str(last.context["planned_at"])) == last.next_attempt_at
    await _come_due(org)
    await _drain(app, catcher)
    fresh = catcher.to(owner)[already:]
    assert len(fresh) == 3 and "one more thing" in _text(fresh[2])


async def test_a_burst_before_the_sender_runs_is_one_email(
    api: Api, org: Org, app: Any, catcher: MailCatcher
) -> None:
    quote, link = await submitted(api, org)
    owner = f"owner@{org.slug}.test"
    await _drain(app, catcher)
    already = len(catcher.to(owner))
    for n in range(5):
        await _post(api, link, quote["id"], f"quick {n}")
    await _drain(app, catcher)
    [email] = catcher.to(owner)[already:]
    assert all(f"quick {n}" in _text(email) for n in range(5))


async def test_messages_on_two_quotes_are_emailed_apart(
    api: Api, org: Org, app: Any, catcher: MailCatcher
) -> None:
    first, first_link = await submitted(api, org)
    second, second_link = await submitted(api, org)
    owner = f"owner@{org.slug}.test"
    await _drain(app, catcher)
    already = len(catcher.to(owner))
    await _post(api, first_link, first["id"], "about the first quote")
    await _post(api, second_link, second["id"], "about the second quote")
    await _drain(app, catcher)
    subjects = sorted(m["Subject"] for m in catcher.to(owner)[already:])
    assert len(subjects) == 2
    assert (
        first["number"] in subjects[0] + subjects[1]
        and second["number"] in subjects[0] + subjects[1]
    )


async def test_staff_messages_to_the_customer_are_not_held_back(
    api: Api, org: Org, app: Any, catcher: MailCatcher
) -> None:
    quote, _ = await submitted(api, org)
    await _drain(app, catcher)
    already = len(catcher.to("zoe@example.com"))
    for n in range(3):
        await _post(api, org.owner_token, quote["id"], f"staff note {n}")
    await _drain(app, catcher)
    assert len(catcher.to("zoe@example.com")) - already == 3
