"""Every screen a client draws costs a fixed number of SQL statements, and every statement is
served by an index: none of them reads a growing table from end to end.

Screens: the thread view (staff and customer), the staff queue (a page, and a search), the
portal's list, the engagement timeline and the notifications."""

from __future__ import annotations

import re
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from graphql_api.auth import issue_token
from models.organization import TokenKind
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, PHONE, TABLET, request_link
from tests.test_engagement import TIMELINE
from tests.test_notifications import NOTIFICATIONS
from tests.test_portal import MY_QUOTES
from tests.test_thread_view import _negotiated, count_statements

PORTAL_EMAIL = "returning@example.com"
"Tables that grow with the business; a statement must reach their rows through an index."
GROWING = {
    "quote", "quote_line", "device_unit", "thread_message", "line_change", "quote_event",
    "acceptance", "buy_order", "buy_order_line", "notification", "notification_read",
    "engagement_event", "quote_share", "access_token", "outbox_email", "instant_offer",
    "imei_lookup", "retired_link", "audit_entry", "portal_code", "idempotency_record",
}  # fmt: skip


async def _world(api: Api, org: Org, size: int) -> dict[str, Any]:
    """Quotes with `size` lines and ~`size` messages, a portal customer with `size` quotes,
    views and notifications that grow with `size`."""
    quote_id, link = await _negotiated(api, org, lines=size, messages=size + 3)
    for _ in range(size):
        other, other_link = await request_link(api, org)
        await api(doc.SUBMIT, {"input": {"quoteId": other, "contact": {**CONTACT, "email": PORTAL_EMAIL},
                                         "devices": [PHONE, TABLET]}}, other_link)  # fmt: skip
        await api(doc.QUOTE, {"id": quote_id}, link)  # a view by the customer
    portal, _ = await issue_token(TokenKind.PORTAL, org.id, customer_email=PORTAL_EMAIL)
    return {"quote_id": quote_id, "link": link, "portal": portal}


def _screens(org: Org, world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    staff = org.owner_token
    return [
        ("thread view (staff)", doc.THREAD_VIEW, {"id": world["quote_id"]}, staff),
        ("thread view (customer)", doc.THREAD_VIEW, {"id": world["quote_id"]}, world["link"]),
        ("staff queue", doc.QUOTES, {"first": 50}, staff),
        ("staff search", doc.QUOTES, {"first": 50, "filter": {"search": "łukasiewicz"}}, staff),
        ("portal list", MY_QUOTES, {}, world["portal"]),
        ("engagement timeline", TIMELINE, {"id": world["quote_id"]}, staff),
        ("notifications", NOTIFICATIONS, {"first": 50}, staff),
    ]


async def _costs(api: Api, org: Org, world: dict[str, Any]) -> dict[str, int]:
    costs = {}
    for name, query, variables, token in _screens(org, world):
        await api(query, variables, token)  # first use of a token writes its last use
        with count_statements() as counter:
            await api(query, variables, token)
        costs[name] = len(counter.statements)
    return costs


async def test_no_screen_costs_more_statements_as_the_data_grows(api: Api, org: Org) -> None:
    small = await _costs(api, org, await _world(api, org, 2))
    large = await _costs(api, org, await _world(api, org, 12))
    assert large == small
    assert all(0 < count <= 12 for count in large.values()), large


SQLITE_SCAN = re.compile(r"^SCAN (\w+)")
POSTGRES_SCAN = re.compile(r"Seq Scan on (\w+)")
# A page of a list that spans the organization comes off an index in order, not sorted out of
# all its rows.
ORGANIZATION_LISTS = ("staff queue", "notifications")


async def _plan(sql: str, values: list[Any]) -> list[str]:
    """The planner's lines for the statement. On PostgreSQL, sequential scans and sorts are
    priced out first: what remains has no usable index."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        async with in_transaction() as transaction:
            await transaction.execute_script("SET LOCAL enable_seqscan = off")
            await transaction.execute_script("SET LOCAL enable_sort = off")
            _, rows = await transaction.execute_query("EXPLAIN " + sql, values)
        return [row["QUERY PLAN"].strip().lstrip("-> ").strip() for row in rows]
    _, rows = await connection.execute_query("EXPLAIN QUERY PLAN " + sql, values)
    return [row["detail"] for row in rows]


def _full_scans(plan: list[str]) -> set[str]:
    """The growing tables that the plan reads from end to end."""
    found = {m.group(1) for line in plan for m in (SQLITE_SCAN.match(line), POSTGRES_SCAN.search(line)) if m}
    return found & GROWING


def _sorts(plan: list[str]) -> bool:
    return any(line.startswith(("USE TEMP B-TREE FOR ORDER BY", "Sort ")) for line in plan)


async def test_every_screen_reaches_its_rows_through_an_index(api: Api, org: Org) -> None:
    world = await _world(api, org, 3)
    scans = {}
    for name, query, variables, token in _screens(org, world):
        with count_statements() as counter:
            await api(query, variables, token)
        for sql, values in counter.executed:
            if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                plan = await _plan(sql, values)
                tables = _full_scans(plan)
                if tables:
                    scans[f"{name}: {sql}"] = tables
                if name.startswith(ORGANIZATION_LISTS) and " LIMIT " in sql and _sorts(plan):
                    scans[f"{name}: {sql}"] = {"sorted"}
    assert scans == {}
