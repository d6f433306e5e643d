"""The cache of resolved viewers: a token seen a moment ago costs no statement; expiry, the TTL
and the bound hold on cached entries; every published change evicts what it concerns; garbage
never takes a place and is refused as before. (Across two real replicas:
`tests/test_viewer_cache_replicas.py`.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphql_api.auth import BadToken, Viewer, ViewerKind, issue_token, resolve_viewer
from graphql_api.gateway.viewer_cache import EvictingPublisher, Resolved, Revocation, ViewerCache
from graphql_api.pubsub import InProcessBroker
from models.negotiation import StaffRole
from models.organization import AccessToken, StaffMember, TokenKind, TokenPurpose
from models.services.signin import session_expiry
from models.services.tokens import REVOKED_TOPIC, announce_revoked, hash_token
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import CONTACT, PHONE, request_link
from tests.team import UPDATE_ROLE, UPDATE_SETTINGS, WHO, refused
from tests.test_thread_view import count_statements

SECRET = "viewer-cache-secret-" + "v" * 32
VIEWER_EMAIL = "query { viewer { kind customerEmail } }"


class Clock:
    """Wall time and monotonic time that only move when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self.seconds = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, delta: timedelta) -> None:
        self.now += delta
        self.seconds += delta.total_seconds()


async def owner_id(org: Org) -> int:
    return (await StaffMember.get(organization_id=org.id, role=StaffRole.OWNER)).id


async def resolve(header: str, cache: ViewerCache | None, clock: Clock) -> tuple[Viewer, list[str]]:
    """The viewer, and the statements resolving it issued."""
    with count_statements() as counter:
        viewer = await resolve_viewer(header, SECRET, cache, clock.wall)
    return viewer, counter.statements


async def test_a_cached_staff_token_or_partner_key_costs_no_statement(api: Api, org: Org) -> None:
    clock = Clock()
    cache = ViewerCache(monotonic=clock.monotonic)
    partner, _ = await issue_token(TokenKind.PARTNER, org.id, staff_id=await owner_id(org), label="ERP")
    # without the cache: one statement for a staff token, two for a partner key, every time
    # (after the first use, whose last use is written)
    for token, reads in ((org.owner_token, 1), (partner, 2)):
        await resolve(f"Bearer {token}", None, clock)
        viewer, statements = await resolve(f"Bearer {token}", None, clock)
        assert len(statements) == reads and all(s.upper().startswith("SELECT") for s in statements)
        cached, first = await resolve(f"Bearer {token}", cache, clock)
        assert len(first) == reads and cached == viewer
        again, none = await resolve(f"Bearer {token}", cache, clock)
        assert none == [] and again == viewer
    assert len(cache) == 2


async def test_a_cached_token_stops_at_its_expiry_and_after_the_ttl_is_read_again(api: Api, org: Org) -> None:
    clock = Clock()
    cache = ViewerCache(ttl=30, monotonic=clock.monotonic)
    token, row = await issue_token(
        TokenKind.STAFF, org.id, staff_id=await owner_id(org), ttl=timedelta(seconds=50),
        purpose=TokenPurpose.PERSONAL,
    )  # fmt: skip
    assert row.expires_at is not None
    header = f"Bearer {token}"
    clock.now = row.expires_at - timedelta(seconds=45)
    await resolve(header, cache, clock)
    clock.advance(timedelta(seconds=20))
    assert (await resolve(header, cache, clock))[1] == []  # fresh: nothing read
    clock.advance(timedelta(seconds=15))  # 35 s after it was read: past the TTL
    _, statements = await resolve(header, cache, clock)
    assert [s.split()[0].upper() for s in statements] == ["SELECT"]
    clock.advance(timedelta(seconds=9))
    assert (await resolve(header, cache, clock))[1] == []
    clock.now = row.expires_at  # cached 9 s ago, but the token stops now
    with pytest.raises(BadToken) as refusal:
        await resolve(header, cache, clock)
    assert refusal.value.reason == "TOKEN_EXPIRED"
    assert len(cache) == 0


async def test_a_cached_link_stops_when_its_final_quote_outlives_the_link_lifetime(
    api: Api, app: Any, org: Org
) -> None:
    clock = Clock()
    cache = ViewerCache(monotonic=clock.monotonic)
    quote_id, link = await request_link(api, org)
    await api(doc.CANCEL, {"input": {"quoteId": quote_id}}, org.owner_token)
    await api(UPDATE_SETTINGS, {"input": {"linkLifetimeDays": 1}}, org.owner_token)
    header, secret = f"Bearer {link}", app.state.settings.secret_key
    viewer = await resolve_viewer(header, secret, cache, clock.wall)
    assert viewer.kind is ViewerKind.CUSTOMER_LINK
    clock.now += timedelta(hours=23)
    assert await resolve_viewer(header, secret, cache, clock.wall) == viewer
    clock.now += timedelta(hours=1, minutes=1)  # fresh in the cache: the monotonic clock stood
    with pytest.raises(BadToken) as refusal:
        await resolve_viewer(header, secret, cache, clock.wall)
    assert refusal.value.reason == "LINK_EXPIRED"


async def test_a_cached_session_still_slides_and_records_its_use_once_a_minute(api: Api, org: Org) -> None:
    clock = Clock()
    cache = ViewerCache(monotonic=clock.monotonic)
    token, row = await issue_token(
        TokenKind.STAFF, org.id, staff_id=await owner_id(org), ttl=timedelta(hours=12),
        purpose=TokenPurpose.SESSION,
    )  # fmt: skip
    header = f"Bearer {token}"
    await resolve(header, cache, clock)  # first use: written
    assert (await AccessToken.get(id=row.id)).last_used_at == clock.now
    for _ in range(5):  # within the minute: nothing read, nothing written
        clock.now += timedelta(seconds=10)
        assert (await resolve(header, cache, clock))[1] == []
    clock.now += timedelta(seconds=20)  # a minute since the last write: written, not read
    _, statements = await resolve(header, cache, clock)
    assert [s.split()[0].upper() for s in statements] == ["UPDATE", "UPDATE"]  # the token, its member
    stored = await AccessToken.get(id=row.id)
    assert stored.last_used_at == clock.now
    assert stored.expires_at == session_expiry(stored.created_at, clock.now)
    entry = cache.get(hash_token(token), clock.now)
    assert entry is not None and entry.expires_at == stored.expires_at
    assert (await StaffMember.get(id=await owner_id(org))).last_active_at == clock.now


async def test_the_cache_keeps_its_bound_dropping_the_least_recently_used(api: Api, org: Org) -> None:
    clock = Clock()
    cache = ViewerCache(size=3, monotonic=clock.monotonic)
    owner = await owner_id(org)
    tokens = [(await issue_token(TokenKind.STAFF, org.id, staff_id=owner))[0] for _ in range(5)]
    for token in tokens:
        await resolve(f"Bearer {token}", cache, clock)
        assert len(cache) <= 3
    assert len(cache) == 3
    assert (await resolve(f"Bearer {tokens[-1]}", cache, clock))[1] == []
    assert len((await resolve(f"Bearer {tokens[0]}", cache, clock))[1]) == 1  # dropped: read again


def _viewer(**fields: Any) -> Resolved:
    return Resolved(Viewer(**fields))


def test_a_revocation_evicts_exactly_the_viewers_it_concerns() -> None:
    cache = ViewerCache()
    entries = {
        "staff": _viewer(kind=ViewerKind.STAFF, organization_id=1, staff_id=7, token_id=70),
        "other staff": _viewer(kind=ViewerKind.STAFF, organization_id=1, staff_id=8, token_id=80),
        "partner": _viewer(kind=ViewerKind.PARTNER, organization_id=1, staff_id=7, token_id=71),
        "portal": _viewer(kind=ViewerKind.CUSTOMER_PORTAL, organization_id=1, token_id=90),
        "link": _viewer(kind=ViewerKind.CUSTOMER_LINK, organization_id=1, quote_id=5),
        "other link": _viewer(kind=ViewerKind.CUSTOMER_LINK, organization_id=2, quote_id=6),
    }

    def fill() -> None:
        cache.clear()
        for key, entry in entries.items():
            cache.put(key, entry, cache.generation)

    cases = [
        ({"staff": [7]}, {"staff", "partner"}),  # a role change: their session, tokens and keys
        ({"tokens": [80, 90]}, {"other staff", "portal"}),
        ({"quoteLinks": [5]}, {"link"}),
        ({"organizations": [2]}, {"other link"}),  # the link lifetime: links only
        ({"tokens": [], "quoteLinks": [], "staff": [], "organizations": []}, set()),
    ]
    for event, gone in cases:
        fill()
        assert cache.evict(Revocation.from_event(event)) == len(gone)
        assert {key for key in entries if cache.get(key, datetime.now(UTC)) is None} == gone


def test_a_resolution_read_before_an_eviction_is_not_kept() -> None:
    cache = ViewerCache()
    generation = cache.generation  # a request starts reading the token...
    cache.evict(Revocation(tokens=frozenset({70})))  # ...its revocation commits meanwhile
    cache.put("k", _viewer(kind=ViewerKind.STAFF, staff_id=7, token_id=70), generation)
    assert len(cache) == 0
    cache.put("k", _viewer(kind=ViewerKind.STAFF, staff_id=7, token_id=70), cache.generation)
    assert len(cache) == 1


async def test_a_revocation_is_evicted_here_before_it_leaves_the_process() -> None:
    broker = InProcessBroker()
    await broker.start()
    cache = ViewerCache()
    cache.put("k", _viewer(kind=ViewerKind.STAFF, staff_id=7, token_id=70), cache.generation)
    try:
        async with broker.subscribe(REVOKED_TOPIC) as events:
            await announce_revoked(EvictingPublisher(broker, cache), [], staff=[7])
            assert len(cache) == 0  # before any subscriber ran
            event = await anext(aiter(events))
    finally:
        await broker.stop()
    assert event == {"tokens": [], "quoteLinks": [], "staff": [7], "organizations": []}


async def test_many_revoked_tokens_go_out_in_events_that_fit_a_notification() -> None:
    broker = InProcessBroker()  # refuses what PostgreSQL would, with the same limit
    await broker.start()
    try:
        async with broker.subscribe(REVOKED_TOPIC) as events:
            await announce_revoked(broker, list(range(10_000_000, 10_001_200)), staff=[3])
            received = [await anext(aiter(events)) for _ in range(3)]
    finally:
        await broker.stop()
    assert [len(e["tokens"]) for e in received] == [500, 500, 200]
    assert [e["staff"] for e in received] == [[3], [], []]


GARBAGE = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(["tqs_", "tqp_", "tqk_", "tql_", "tql_1_", "tql_999999_", "Bearer ", "tqx_"]),
        st.text(st.characters(codec="ascii"), max_size=60),
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(garbage=GARBAGE, scheme=st.sampled_from(["Bearer ", "bearer  ", "Basic ", ""]))
async def test_garbage_never_takes_a_place_and_is_refused_as_without_the_cache(
    api: Api, org: Org, garbage: str, scheme: str
) -> None:
    clock = Clock()
    cache = ViewerCache(monotonic=clock.monotonic)
    await resolve(f"Bearer {org.owner_token}", cache, clock)
    header = scheme + garbage
    outcomes = []
    for with_cache in (None, cache, cache):
        try:
            viewer = await resolve_viewer(header, SECRET, with_cache, clock.wall)
            outcomes.append(("viewer", viewer.kind))
        except BadToken as error:
            outcomes.append((str(error), error.reason))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0][0] != "viewer" or outcomes[0][1] is ViewerKind.ANONYMOUS
    assert len(cache) == 1


# ---------------------------------------------------------------- through the API (one process)


async def test_a_role_change_reaches_a_cached_token_at_once(api: Api, app: Any, org: Org) -> None:
    rep = await org.staff_token(StaffRole.SALES_REP)
    who = (await api(WHO, token=rep))["viewer"]["staff"]
    assert who["role"] == "SALES_REP"
    assert (await api(WHO, token=rep))["viewer"]["staff"]["role"] == "SALES_REP"  # from the cache
    assert app.state.viewers.get(hash_token(rep), datetime.now(UTC)) is not None
    await api(UPDATE_ROLE, {"input": {"staffId": who["id"], "role": "TECHNICIAN"}}, org.owner_token)
    assert (await api(WHO, token=rep))["viewer"]["staff"]["role"] == "TECHNICIAN"
    error = await refused(api, doc.CREATE_REQUEST, {"input": {"customerName": "Zoë"}}, rep)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_customers_new_email_reaches_their_cached_link(api: Api, org: Org) -> None:
    quote_id, link = await request_link(api, org, customerEmail="first@example.com")
    assert (await api(VIEWER_EMAIL, token=link))["viewer"]["customerEmail"] == "first@example.com"
    data = await api(doc.SUBMIT, {"input": {"quoteId": quote_id, "contact": CONTACT, "devices": [PHONE]}}, link)
    assert data["submitQuote"]["userErrors"] == []
    assert (await api(VIEWER_EMAIL, token=link))["viewer"]["customerEmail"] == CONTACT["email"]
