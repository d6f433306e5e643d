"""The gateway in the application: every real client screen stays well under the limits, the
limits refuse with readable coded errors, validation runs once per document, long documents
stay out of the caches, customer messages and public mutations are rate limited, production
hides the schema from everyone but staff, and the rate-limit counters are shared by every
process that uses the same database or Redis."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import parse, validate

from graphql_api.app import create_app
from graphql_api.gateway.config import Limits, Rate, RateLimits
from graphql_api.gateway.guard import (
    SPECIFIED_RULES,
    _analysis,
    _cached_parse,
    validation_cache_info,
)
from graphql_api.gateway.rate_limits import RateLimited, RateLimiter, RedisStore
from graphql_api.gateway.rules import rules_for
from graphql_api.gateway.secrets import weak_secret
from graphql_api.schema import schema
from graphql_api.settings import ConfigurationError, Settings
from models.validation import MAX_DEVICES
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, TABLET, request_link, submitted
from tests.live import ws_connect
from tests.test_readme import readme_steps

LIMITS = Limits()
REDIS_URL = os.environ.get("TRADEQUOTE_TEST_REDIS_URL", "")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def screens() -> dict[str, str]:
    """Every document a real client sends: the README's worked example and the test client's."""
    found = {f"README step {n}": query for n, (_, query, _) in enumerate(readme_steps(), 1)}
    for name in dir(doc):
        value = getattr(doc, name)
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation", "subscription")):
            found[f"tests/documents.py {name}"] = value
    return found


def cost_of(document: str, variables: dict[str, int] | None = None) -> int:
    return _analysis(schema._schema).document_cost(parse(document), None, variables or {})


def test_every_client_screen_is_well_under_every_limit() -> None:
    documents = screens()
    assert "tests/documents.py THREAD_VIEW" in documents and len(documents) > 15
    staff_rules = SPECIFIED_RULES + rules_for(LIMITS.max_depth, LIMITS.max_aliases, LIMITS.max_directives, True)
    for name, document in documents.items():
        parsed = parse(document, max_tokens=LIMITS.max_tokens // 2)  # half the token limit
        assert validate(schema._schema, parsed, staff_rules) == [], name
        assert cost_of(document) <= LIMITS.max_cost // 4, (name, cost_of(document))
    # the heaviest screen, the thread view: its lines counted at the most a quote may have
    assert 5_000 < cost_of(doc.THREAD_VIEW) < LIMITS.max_cost // 4


def test_cost_counts_pages_and_lists() -> None:
    one_line = "query { quote(id: 1) { lines { id } } }"
    assert cost_of(one_line) == 1 + MAX_DEVICES  # lines count at the most a quote may have
    page = "query($n: Int) { quotes(first: $n) { edges { node { id contact { name } } } } }"
    assert cost_of(page, {"n": 10}) == 1 + 10 * (1 + 1 + 1)
    assert cost_of(page) == 1 + 100 * 3  # no page size given: the largest page
    nested = "{ quotes(first: 100) { edges { node { lines { history { at } } } } } }"
    assert cost_of(nested) > LIMITS.max_cost


BOMB = "query Bomb { %s }" % " ".join(
    f"q{i}: quotes(first: 100) {{ edges {{ node {{ lines {{ history {{ at price {{ amount }} }} }} }} }} }}"
    for i in range(15)
)
DEEP = "query Deep { quote(id: \"x\") { thread { edges { node { lineChanges { %s } } } } } }" % (
    "line { history { " * 3 + "at" + " } }" * 3
)
ALIASES = "query Aliases { %s }" % " ".join(f"a{i}: viewer {{ kind }}" for i in range(16))
DIRECTIVES = "query Directives { viewer { %s } }" % " ".join(["... @include(if: true) { kind }"] * 51)
TOKENS = "query Tokens { viewer { %s } }" % " ".join(["kind"] * 2_100)


async def post(api: Api, body: object, token: str | None = None, **headers: str) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await api.client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (BOMB, "COST_LIMIT_EXCEEDED"),
        (DEEP, "DEPTH_LIMIT_EXCEEDED"),
        (ALIASES, "ALIAS_LIMIT_EXCEEDED"),
        (DIRECTIVES, "DIRECTIVE_LIMIT_EXCEEDED"),
        (TOKENS, "TOKEN_LIMIT_EXCEEDED"),
    ],
)
async def test_limits_refuse_with_a_code_and_a_readable_message(
    api: Api, org: Org, document: str, code: str
) -> None:
    response = await post(api, {"query": document}, org.owner_token)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    assert "at most" in body["errors"][0]["message"]
    # with the GraphQL-over-HTTP media type, a request error is a 400 without data
    response = await post(api, {"query": document}, org.owner_token, Accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in response.json()


async def test_the_cost_is_reported_when_asked(api: Api, org: Org) -> None:
    quote, link = await submitted(api, org)
    body = (await post(api, {"query": doc.THREAD_VIEW, "variables": {"id": quote["id"]}, "extensions": {"cost": True}}, link)).json()
    assert body["data"]["quote"]["id"] == quote["id"]
    assert body["extensions"]["cost"] == {"requested": cost_of(doc.THREAD_VIEW), "maximum": LIMITS.max_cost}
    by_header = (await post(api, {"query": doc.VIEWER}, link, **{"Tradequote-Cost": "1"})).json()
    assert by_header["extensions"]["cost"]["requested"] == cost_of(doc.VIEWER)
    unasked = (await post(api, {"query": doc.VIEWER}, link)).json()
    assert "extensions" not in unasked


async def test_five_identical_requests_validate_once(api: Api, org: Org) -> None:
    document = "query Five { viewer { kind } } # %s" % secrets.token_hex(8)
    before = validation_cache_info()
    for _ in range(5):
        body = (await post(api, {"query": document}, org.owner_token)).json()
        assert body == {"data": {"viewer": {"kind": "STAFF"}}}
    after = validation_cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 4)


async def test_long_documents_stay_out_of_the_caches(api: Api, org: Org) -> None:
    document = "query Long { viewer { kind } } #" + "x" * LIMITS.max_cached_document_bytes
    parsed, validated = _cached_parse.cache_info(), validation_cache_info()
    for _ in range(2):
        body = (await post(api, {"query": document}, org.owner_token)).json()
        assert body == {"data": {"viewer": {"kind": "STAFF"}}}
    assert _cached_parse.cache_info().misses == parsed.misses
    assert _cached_parse.cache_info().currsize == parsed.currsize
    assert validation_cache_info().currsize == validated.currsize


async def test_batches_and_get_mutations_are_refused(api: Api, org: Org) -> None:
    response = await post(api, [{"query": doc.VIEWER}, {"query": doc.VIEWER}], org.owner_token)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    response = await api.client.get(
        "/graphql", params={"query": "mutation { __typename }"},
        headers={"Authorization": f"Bearer {org.owner_token}", "Accept": GRAPHQL_RESPONSE},
    )  # fmt: skip
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@contextlib.asynccontextmanager
async def variant(app: Any, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The application with other settings, on the session's database and secret."""
    settings = dataclasses.replace(app.state.settings, **changes)
    transport = httpx.ASGITransport(
        app=create_app(settings, background=False), client=(f"198.51.100.{secrets.randbelow(250)}", 4000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_a_customer_link_posts_a_limited_number_of_messages(api: Api, org: Org, app: Any) -> None:
    quote, link = await submitted(api, org)
    most = 5
    limits = dataclasses.replace(LIMITS, rates=RateLimits(customer_message=Rate(most, 600)))

    async def messages() -> int:
        return int((await api(doc.THREAD_VIEW, {"id": quote["id"]}, org.owner_token))["quote"]["thread"]["totalCount"])

    before = await messages()
    async with variant(app, limits=limits) as client:
        tight = Api(client)
        for n in range(most):
            data = await tight(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": f"message {n}"}}, link)
            assert data["sendMessage"]["userErrors"] == []
        body = await tight.raw(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "one more"}}, link)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < error["extensions"]["retryAfter"] <= 600
        assert await messages() == before + most  # the refused one changed nothing
        # the merchant still answers
        data = await tight(doc.SEND_MESSAGE, {"input": {"quoteId": quote["id"], "body": "We read you"}}, org.owner_token)
        assert data["sendMessage"]["userErrors"] == []


# ------------------------------------------------------------------ production, in process


@pytest.fixture
async def production(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with variant(app, env="production", graphiql=False) as client:
        yield client


INTROSPECTION = "query { __schema { queryType { name } types { name fields { name } } } }"


async def test_production_hides_the_schema_from_all_but_staff(
    production: httpx.AsyncClient, api: Api, org: Org
) -> None:
    _, link = await submitted(api, org)
    for token in (None, link):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = (await production.post("/graphql", json={"query": INTROSPECTION}, headers=headers)).json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        typo = (await production.post("/graphql", json={"query": "{ quotez viewer { kindd } }"}, headers=headers)).json()
        messages = " ".join(e["message"] for e in typo["errors"])
        assert "Cannot query field 'quotez'" in messages and "kindd" in messages
        assert "Did you mean" not in messages and "'quotes'" not in messages
        assert (await production.post("/graphql", json={"query": "{ __typename }"}, headers=headers)).json() == {
            "data": {"__typename": "Query"}
        }
    staff = {"Authorization": f"Bearer {org.owner_token}"}
    body = (await production.post("/graphql", json={"query": INTROSPECTION}, headers=staff)).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert any(t["name"] == "Quote" for t in body["data"]["__schema"]["types"])
    # enum values refused at execution lose their suggestions too
    bad_enum = 'query { quotes(filter: {status: [SUBMITED]}) { totalCount } }'
    messages = str((await production.post("/graphql", json={"query": bad_enum}, headers=staff)).json())
    assert "SUBMITED" in messages and "Did you mean" not in messages
    # limit refusals stay readable
    body = (await production.post("/graphql", json={"query": BOMB}, headers=staff)).json()
    assert body["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert body["errors"][0]["message"].startswith("The query may cost")
    # and no GraphiQL for browsers
    page = await production.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404


def test_production_refuses_weak_secrets() -> None:
    for weak in ("changeme" * 5, "a" * 40, "short-but-random-Zq81", "change-me-to-48-random-characters-before-real-use",
                 "0123456789" * 4, "my-super-secret-key-for-production-use-1234"):  # fmt: skip
        assert weak_secret(weak), weak
        with pytest.raises(ConfigurationError):
            Settings.from_env({"TRADEQUOTE_ENV": "production", "TRADEQUOTE_SECRET_KEY": weak})
    strong = secrets.token_urlsafe(48)
    assert weak_secret(strong) is None
    settings = Settings.from_env({"TRADEQUOTE_ENV": "production", "TRADEQUOTE_SECRET_KEY": strong})
    assert settings.graphiql is False
    development = Settings.from_env({"TRADEQUOTE_SECRET_KEY": strong})
    assert development.graphiql is True and development.limits == Limits()


def test_limits_are_configurable() -> None:
    settings = Settings.from_env({
        "TRADEQUOTE_SECRET_KEY": secrets.token_urlsafe(48), "TRADEQUOTE_MAX_COST": "2000",
        "TRADEQUOTE_MAX_BODY_BYTES": "4096", "TRADEQUOTE_RATE_ANONYMOUS": "10/5",
        "TRADEQUOTE_RATE_LIMITS": "off", "TRADEQUOTE_GRAPHIQL": "off",
    })  # fmt: skip
    assert settings.limits.max_cost == 2000 and settings.limits.max_body_bytes == 4096
    assert settings.limits.rates.anonymous == Rate(10, 5) and not settings.limits.rate_limits
    assert settings.graphiql is False
    for bad in ({"TRADEQUOTE_MAX_DEPTH": "deep"}, {"TRADEQUOTE_MAX_ALIASES": "0"}, {"TRADEQUOTE_RATE_FAILED_AUTH": "x/y"}):
        with pytest.raises(ConfigurationError):
            Settings.from_env({"TRADEQUOTE_SECRET_KEY": secrets.token_urlsafe(48), **bad})


# ------------------------------------------------------------------ shared counters


TIGHT = Limits(rates=RateLimits(anonymous=Rate(5, 60)))


async def two_processes_share(first: RateLimiter, second: RateLimiter) -> None:
    key = f"203.0.113.{secrets.randbelow(250)}-{secrets.token_hex(4)}"
    allowed = 0
    for n in range(8):
        try:
            await (first if n % 2 else second).hit("anonymous", key)
            allowed += 1
        except RateLimited as refused:
            assert 1 <= refused.retry_after <= 60
    assert allowed == 5


async def test_database_counters_are_shared(database: str) -> None:
    await two_processes_share(RateLimiter(TIGHT), RateLimiter(TIGHT))


@pytest.mark.skipif(not REDIS_URL, reason="counters in Redis: set TRADEQUOTE_TEST_REDIS_URL")
async def test_redis_counters_are_shared() -> None:
    limits = Limits(rates=TIGHT.rates, redis_url=REDIS_URL)
    first, second = RateLimiter(limits), RateLimiter(limits)
    assert isinstance(first.store, RedisStore)
    try:
        await two_processes_share(first, second)
    finally:
        for limiter in (first, second):
            await limiter.store.client.aclose()  # type: ignore[attr-defined]


async def test_public_mutations_count_per_address(app: Any, org: Org) -> None:
    async with variant(app, limits=LIMITS) as client:
        codes = []
        for _ in range(LIMITS.rates.public_mutation.requests + 1):
            response = await client.post("/graphql", json={"query": doc.CREATE_REQUEST, "variables": {"input": {"customerName": "N"}}})
            codes.append((response.status_code, response.json()["errors"][0]["extensions"]["code"]))
    assert codes[:-1] == [(200, "UNAUTHENTICATED")] * LIMITS.rates.public_mutation.requests
    assert codes[-1] == (429, "RATE_LIMITED")
    assert int(response.headers["retry-after"]) >= 1


async def test_a_quote_holds_at_most_the_lines_the_cost_counts(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org)
    devices = [TABLET] * (MAX_DEVICES + 1)
    data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": devices}}, link)
    assert [e["code"] for e in data["submitQuote"]["userErrors"]] == ["LIMIT_EXCEEDED"]


async def test_parse_and_validation_errors_carry_codes(api: Api, org: Org) -> None:
    for document, code in (("{ viewer { kind ", "GRAPHQL_PARSE_FAILED"), ("{ viewer { kindd } }", "GRAPHQL_VALIDATION_FAILED")):
        body = (await post(api, {"query": document}, org.owner_token)).json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    # in development, suggestions stay: they help whoever writes the query
    body = (await post(api, {"query": "{ viewer { kindd } }"}, org.owner_token)).json()
    assert "Did you mean 'kind'?" in body["errors"][0]["message"]


THREAD_MESSAGES = "subscription($id: ID!) { threadMessages(quoteId: $id) { id } }"


async def test_a_connection_holds_a_limited_number_of_subscriptions(api: Api, org: Org, live_url: str) -> None:
    quote, _ = await submitted(api, org)
    async with ws_connect(live_url, org.owner_token) as client:
        for _ in range(LIMITS.max_subscriptions):
            await client.subscribe(THREAD_MESSAGES, {"id": quote["id"]})
        await client.nothing_more()
        op = await client.subscribe(THREAD_MESSAGES, {"id": quote["id"]})
        refused = await client.receive()
        assert refused["id"] == op and refused["type"] == "error"
        assert "limit" in refused["payload"][0]["message"]
        # the connection and its subscriptions carry on
        await client.send({"id": "1", "type": "complete"})
        await client.subscribe(THREAD_MESSAGES, {"id": quote["id"]})
        await client.nothing_more()


async def test_unreachable_counters_let_requests_through() -> None:
    """Redis down (nothing listens on port 1): the limit gives way rather than the API."""
    limiter = RateLimiter(Limits(rates=TIGHT.rates, redis_url="redis://127.0.0.1:1/0"))
    try:
        for _ in range(TIGHT.rates.anonymous.requests * 2):
            await limiter.hit("anonymous", "203.0.113.99")
    finally:
        await limiter.store.client.aclose()  # type: ignore[attr-defined]
