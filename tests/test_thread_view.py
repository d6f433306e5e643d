"""The thread view costs a fixed number of SQL statements, and its signature is tamper-evident."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from models.quote import LineChange, QuoteEvent, ThreadMessage
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, PHONE, accepted, request_link

STATEMENT_PREFIXES = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []
        "Each statement with its parameters, as sent (for EXPLAIN)."
        self.executed: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = str(record.msg % record.args if record.args else record.msg).lstrip()
        if text.upper().startswith(STATEMENT_PREFIXES):
            self.statements.append(text)
            if isinstance(record.args, tuple) and len(record.args) == 2:
                self.executed.append((str(record.args[0]), list(record.args[1] or [])))


@contextmanager
def count_statements() -> Iterator[_Counter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = _Counter()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


async def _negotiated(api: Api, org: Org, lines: int, messages: int) -> tuple[str, str]:
    """A quote with `lines` lines, a merchant counter on each, and `messages` thread entries."""
    quote_id, link = await request_link(api, org)
    devices = [{**PHONE, "model": f"Model {i}", "imeis": []} for i in range(lines)]
    data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": devices}}, link)
    quote = data["submitQuote"]["quote"]
    answers = [{"lineId": line["id"], "action": "COUNTER", "price": "500"} for line in quote["lines"]]
    await api(doc.COUNTER, {"input": {"quoteId": quote_id, "lines": answers}}, org.owner_token)
    for i in range(messages - 3):
        token = link if i % 2 else org.owner_token
        await api(doc.SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": f"note {i}"}}, token)
    return quote_id, link


async def _view(api: Api, quote_id: str, token: str) -> tuple[dict[str, Any], int]:
    with count_statements() as counter:
        data = await api(doc.THREAD_VIEW, {"id": quote_id}, token)
    return data["quote"], len(counter.statements)


async def test_thread_view_statement_count_does_not_grow(api: Api, org: Org) -> None:
    small_id, small_link = await _negotiated(api, org, lines=2, messages=5)
    large_id, large_link = await _negotiated(api, org, lines=20, messages=50)

    small, small_count = await _view(api, small_id, org.owner_token)
    large, large_count = await _view(api, large_id, org.owner_token)
    assert len(small["lines"]) == 2 and small["thread"]["totalCount"] == 5
    assert len(large["lines"]) == 20 and large["thread"]["totalCount"] == 50
    assert all(len(line["history"]) == 1 for line in large["lines"])
    assert small_count == large_count
    assert 0 < large_count <= 12, large_count

    _, customer_count = await _view(api, large_id, large_link)
    assert customer_count <= large_count + 2  # resolving the link token, recording the view


PAGE = """
query($id: ID!, $first: Int, $after: String) {
  quote(id: $id) { thread(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }
}
"""


async def test_every_page_of_the_thread_counts_all_of_it(api: Api, org: Org) -> None:
    """The whole thread on the first page is counted from the page (no COUNT statement); a
    partial page, or one after a cursor, asks the database: the total is the same."""
    quote_id, _ = await _negotiated(api, org, lines=1, messages=7)

    async def page(first: int, after: str | None = None) -> tuple[dict[str, Any], list[str]]:
        with count_statements() as counter:
            data = await api(PAGE, {"id": quote_id, "first": first, "after": after}, org.owner_token)
        return data["quote"]["thread"], [s for s in counter.statements if "COUNT(" in s.upper()]

    whole, counts = await page(50)
    assert whole["totalCount"] == 7 and len(whole["edges"]) == 7 and counts == []
    exact, counts = await page(7)
    assert exact["totalCount"] == 7 and exact["pageInfo"]["hasNextPage"] is False and counts == []
    first, counts = await page(3)
    assert first["totalCount"] == 7 and first["pageInfo"]["hasNextPage"] is True and len(counts) == 1
    rest, counts = await page(50, first["pageInfo"]["endCursor"])
    assert rest["totalCount"] == 7 and len(rest["edges"]) == 4 and len(counts) == 1


async def test_a_quote_not_converted_reads_no_buy_order(api: Api, org: Org) -> None:
    quote_id, _ = await _negotiated(api, org, lines=2, messages=4)
    with count_statements() as counter:
        data = await api(doc.THREAD_VIEW, {"id": quote_id}, org.owner_token)
    assert data["quote"]["buyOrder"] is None
    assert not [s for s in counter.statements if 'FROM "buy_order"' in s], counter.statements


async def test_editing_any_event_row_breaks_the_signature(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    assert quote["acceptance"]["valid"] is True
    from graphql_api.ids import decode_id

    quote_pk = decode_id(quote["id"], "Quote")
    view = 'query($id: ID!) { quote(id: $id) { acceptance { valid } } }'

    async def valid() -> bool:
        data = await api(view, {"id": quote["id"]}, link)
        return data["quote"]["acceptance"]["valid"]

    # a price in a line change, edited behind the server's back
    change = await LineChange.filter(quote_id=quote_pk).order_by("id").first()
    assert change is not None
    original = change.price
    await LineChange.filter(id=change.id).update(price=original + 1)
    assert await valid() is False
    await LineChange.filter(id=change.id).update(price=original)
    assert await valid() is True

    # a thread message's body
    message = await ThreadMessage.filter(quote_id=quote_pk).order_by("id").first()
    assert message is not None
    await ThreadMessage.filter(id=message.id).update(body="something else")
    assert await valid() is False
    await ThreadMessage.filter(id=message.id).update(body=message.body)
    assert await valid() is True

    # the event log itself: the signed terms inside the acceptance event
    event = await QuoteEvent.filter(quote_id=quote_pk).order_by("-seq").first()
    assert event is not None
    payload = dict(event.payload)
    payload["signature"] = {**payload["signature"], "name": "Somebody Else"}
    await QuoteEvent.filter(id=event.id).update(payload=payload)
    assert await valid() is False
