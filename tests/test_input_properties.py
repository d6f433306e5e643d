"""Property: whatever a client sends to any query or mutation of the schema (arbitrary strings
with surrogates, controls and NULs, huge and tiny numbers, NaN-like strings, IDs and cursors
near and past the integer range, date-times with and without offsets), the answer is never an
unexpected error (every error carries `extensions.code`, every userError a code), and a refused
call changes nothing (quote versions and row counts stay as they were).

The variables are generated from the schema itself: each root field's arguments, walking its
input types, so a new field or input is covered without touching this module."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphql_api.ids import to_cursor, to_global_id
from graphql_api.schema import schema
from models.buy_order import BuyOrder
from models.notification import Notification
from models.organization import Organization
from models.outbox import OutboxEmail
from models.payout import StoreCreditEntry
from models.quote import IdempotencyRecord, Quote, QuoteLine, ThreadMessage
from tests.client import Api, Org, make_org
from tests.flow import accepted, respond, submitted

GRAPHQL = schema._schema
EXAMPLES = 30

# ------------------------------------------------------------------ values


NASTY_TEXT = [
    "",
    " ",
    "a\ud800b",
    "\udfff",
    "\x00",
    "nul\x00inside",
    "\x1b[31mred",
    "\u0085\u009f",
    "Zoë\u202eecilA",
    "\u2066isolate\u2069",
    "\r\n\t",
    "ﬁ ﬂ ß İ",
    "😀" * 50,
    "x" * 5001,
    "y" * 20_000,
    "' OR 1=1 --",
    "%_%",
    "\\",
]
NUMBERS = [
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e-999999999",
    "1e999999999",
    "-0",
    "0",
    "0.001",
    "0.005",
    "1E+3",
    "99999999999999999999999999",
    "650.00",
    "1" * 70,
    " 12 ",
    "0x10",
]
DATE_TIMES = [
    "2030-01-01T00:00:00",
    "2030-01-01T00:00:00Z",
    "2030-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59-12:00",
    "2030-02-30T00:00:00Z",
    "2030-01-01",
    "yesterday",
    "",
]
BIG_NUMBERS = [0, 1, -1, 2**31 - 1, 2**31, 2**63, 10**30]
TYPE_NAMES = ["Quote", "QuoteLine", "ThreadMessage", "Notification", "BuyOrder", "cursor", "Nope"]


def text() -> st.SearchStrategy[str]:
    """Short text drawn from all of Unicode, lone surrogates and controls included."""
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.text(st.characters(codec=None, categories=None), max_size=40),
    )


@dataclass(frozen=True)
class World:
    """An organization with quotes in several states, and who may act on them."""

    org: Org
    ids: list[str]
    tokens: list[str | None]
    "Emails that mean something here: a customer with store credit, and others."
    emails: list[str]


def ids(world: World) -> st.SearchStrategy[str]:
    """Real IDs of the world, forged ones near and past the integer range, cursors, junk."""
    forged = st.builds(to_global_id, st.sampled_from(TYPE_NAMES), st.sampled_from(BIG_NUMBERS))
    cursors = st.builds(to_cursor, st.sampled_from(BIG_NUMBERS))
    return st.one_of(st.sampled_from(world.ids), forged, cursors, text())


def value_of(kind: GraphQLInputType, world: World, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for an input type: mostly of the right shape, sometimes not at all."""
    nullable = not isinstance(kind, GraphQLNonNull)
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    shaped = _shaped(inner, world, depth)
    wrong = st.sampled_from([None, 7, "", [], {}]) if depth < 2 else st.none()
    choices = [shaped, shaped, shaped, wrong]
    if nullable:
        choices.append(st.none())
    return st.one_of(*choices)


def _shaped(kind: Any, world: World, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLList):
        return st.lists(value_of(kind.of_type, world, depth + 1), max_size=3 if depth < 2 else 1)
    if isinstance(kind, GraphQLInputObjectType):
        required = {
            name: value_of(field.type, world, depth + 1)
            for name, field in kind.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
        optional = {
            name: value_of(field.type, world, depth + 1)
            for name, field in kind.fields.items()
            if not isinstance(field.type, GraphQLNonNull)
        }
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(kind, GraphQLEnumType):
        return st.one_of(st.sampled_from(list(kind.values)), text())
    assert isinstance(kind, GraphQLScalarType), kind
    match kind.name:
        case "ID":
            return ids(world)
        case "String":
            return st.one_of(text(), ids(world), st.sampled_from(world.emails))
        case "Int":
            return st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from(BIG_NUMBERS))
        case "Boolean":
            return st.one_of(st.booleans(), st.sampled_from(["true", 1]))
        case "Decimal":
            return st.one_of(
                st.sampled_from(NUMBERS),
                st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
                st.floats(allow_nan=False, allow_infinity=False),
                text(),
            )
        case "DateTime":
            return st.one_of(
                st.sampled_from(DATE_TIMES),
                st.datetimes(timezones=st.sampled_from([None, *_zones()])).map(
                    lambda d: d.isoformat()
                ),
                text(),
            )
        case "JSON":
            leaves = st.one_of(st.none(), st.booleans(), st.integers(), text(), st.sampled_from(NUMBERS))
            return st.recursive(
                leaves,
                lambda inner: st.one_of(
                    st.lists(inner, max_size=3), st.dictionaries(text(), inner, max_size=3)
                ),
                max_leaves=8,
            )
    raise AssertionError(f"no strategy for scalar {kind.name}")


def _zones() -> list[Any]:
    return [UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]


# ------------------------------------------------------------------ documents


def selection(kind: Any, depth: int = 0) -> str:
    """`__typename` and the argument-free leaf fields, two levels deep."""
    named = get_named_type(kind)
    if is_leaf_type(named):
        return ""
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    parts = ["__typename"]
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        child = get_named_type(field.type)
        if is_leaf_type(child):
            parts.append(name)
        elif depth < 1:
            parts.append(f"{name} {selection(field.type, depth + 1)}")
    return "{ " + " ".join(parts) + " }"


def document(operation: str, name: str, field: GraphQLField) -> str:
    declared = ", ".join(f"${arg}: {kind.type}" for arg, kind in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    head = f"{operation} Probe({declared})" if declared else f"{operation} Probe"
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {selection(field.type)} }}"


ROOT_FIELDS = [
    (operation, name, field)
    for operation, root in (("query", GRAPHQL.query_type), ("mutation", GRAPHQL.mutation_type))
    if root is not None
    for name, field in root.fields.items()
]


# ------------------------------------------------------------------ the world and its state


@pytest.fixture(scope="module")
async def world(api: Api) -> World:
    org = await make_org(api)
    open_quote, link = await submitted(api, org)
    countered, other_link = await submitted(api, org)
    await respond(api, org.owner_token, countered, [("COUNTER", "600"), ("COUNTER", "250")])
    done, done_link = await accepted(api, org)
    quote_ids = [open_quote["id"], countered["id"], done["id"]]
    line_ids = [line["id"] for quote in (open_quote, countered, done) for line in quote["lines"]]
    await StoreCreditEntry.create(
        organization_id=org.id, customer_email="zoe@example.com", currency_code="USD",
        amount="500.00", note="opening balance", created_at=datetime.now(UTC),
    )  # fmt: skip
    notifications = cast(
        list[int], await Notification.filter(organization_id=org.id).values_list("id", flat=True)
    )
    return World(
        org=org,
        ids=quote_ids + line_ids + [to_global_id("Notification", n) for n in notifications],
        tokens=[org.owner_token, link, other_link, done_link, None],
        emails=["zoe@example.com", "ZOE@example.com", "nobody@example.com"],
    )


async def footprint(org: Org) -> tuple[Any, ...]:
    """What no refused call may change."""
    quotes = (
        await Quote.filter(organization_id=org.id)
        .order_by("id")
        .values_list("id", "version", "status")
    )
    return (
        tuple(quotes),
        await QuoteLine.filter(quote__organization_id=org.id).count(),
        await ThreadMessage.filter(quote__organization_id=org.id).count(),
        await BuyOrder.filter(organization_id=org.id).count(),
        await OutboxEmail.filter(organization_id=org.id).count(),
        await IdempotencyRecord.filter(organization_id=org.id).count(),
        await Notification.filter(organization_id=org.id).count(),
        tuple(await StoreCreditEntry.filter(organization_id=org.id).values_list("amount", flat=True)),
        await Organization.filter(id=org.id).values_list(
            "fulfillment_methods", "receiving_address", "payout_methods", flat=False
        ),
    )


def refused(body: dict[str, Any], name: str) -> bool:
    if body.get("errors"):
        return True
    payload = (body.get("data") or {}).get(name)
    return isinstance(payload, dict) and bool(payload.get("userErrors"))


@pytest.mark.parametrize(
    ("operation", "name", "field"), ROOT_FIELDS, ids=[name for _, name, _ in ROOT_FIELDS]
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
async def test_any_input_gets_a_coded_answer_and_a_refusal_changes_nothing(
    api: Api, world: World, operation: str, name: str, field: GraphQLField, data: st.DataObject
) -> None:
    variables = {
        arg: data.draw(value_of(kind.type, world), label=arg) for arg, kind in field.args.items()
    }
    token = data.draw(st.sampled_from(world.tokens), label="token")
    before = await footprint(world.org)
    response = await api.client.post(
        "/graphql",
        content=json.dumps({"query": document(operation, name, field), "variables": variables}),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    for error in body.get("errors") or []:
        assert "Unexpected error" not in error["message"], error
        assert (error.get("extensions") or {}).get("code"), error
    payload = (body.get("data") or {}).get(name)
    if isinstance(payload, dict):
        assert all(e["code"] for e in payload.get("userErrors") or [])
    if refused(body, name):
        assert await footprint(world.org) == before, body
