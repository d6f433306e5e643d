"""Resolved viewers, kept briefly per process so that a request with a token it saw a moment ago
reads nothing from the database.

An entry is the viewer a token resolved to, keyed by the token's SHA-256 hash, for at most
`ttl` seconds; never past the token's own expiry (or the link's); the least recently used goes
first once `size` entries are held. Only tokens that resolved are kept: a refused or garbage
token never takes a place.

What changes a viewer is published on `access:revoked` after it commits (`Revocation`); every
replica evicts what it names, and this process does so before the publication leaves it
(`EvictingPublisher`). A resync marker (the broker's listener reconnected: events may have been
missed) clears everything. The TTL bounds what a missed event could cost.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from models.organization import TokenKind, TokenPurpose
from models.services.caller import Publisher
from models.services.tokens import REVOKED_TOPIC

if TYPE_CHECKING:
    from graphql_api.auth import Viewer
    from graphql_api.pubsub import Broker

DEFAULT_TTL = 30.0
DEFAULT_SIZE = 10_000


def _ids(values: Iterable[Any] | None) -> frozenset[int]:
    return frozenset(int(value) for value in values or ())


@dataclass(frozen=True)
class Revocation:
    """What an `access:revoked` event names: tokens that stopped, staff members whose role,
    name or standing changed, quotes whose link changed, organizations whose link lifetime
    changed."""

    tokens: frozenset[int] = frozenset()
    staff: frozenset[int] = frozenset()
    quote_links: frozenset[int] = frozenset()
    organizations: frozenset[int] = frozenset()

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Revocation:
        return cls(
            tokens=_ids(event.get("tokens")),
            staff=_ids(event.get("staff")),
            quote_links=_ids(event.get("quoteLinks")),
            organizations=_ids(event.get("organizations")),
        )

    def concerns(self, viewer: Viewer) -> bool:
        """Whether what `viewer` may do may have changed."""
        if viewer.token_id is not None and viewer.token_id in self.tokens:
            return True
        if viewer.staff_id is not None and viewer.staff_id in self.staff:
            return True
        if viewer.quote_id is not None:  # a quote's link
            return (
                viewer.quote_id in self.quote_links or viewer.organization_id in self.organizations
            )
        return False


@dataclass
class Use:
    """What recording a stored token's use needs (see `graphql_api.auth._touch`)."""

    token_id: int
    kind: TokenKind
    staff_id: int | None
    purpose: TokenPurpose | None
    created_at: datetime
    last_used_at: datetime | None


@dataclass
class Resolved:
    """A token's viewer, with the moment it stops (its own or its link's expiry) and, for a
    stored token whose use is recorded, what recording it needs."""

    viewer: Viewer
    expires_at: datetime | None = None
    use: Use | None = None
    "When it was put in the cache (the cache's monotonic clock)."
    stored_at: float = field(default=0.0, compare=False)

    def stopped(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class ViewerCache:
    """The process's resolved viewers (see the module's description). `ttl` 0 keeps none."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        size: int = DEFAULT_SIZE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self._monotonic = monotonic
        self._entries: OrderedDict[str, Resolved] = OrderedDict()
        self._generation = 0

    @classmethod
    def for_broker(cls, ttl: float | None, size: int, broker: Broker) -> ViewerCache:
        """The cache of a server whose revocations travel on `broker`. Unless `ttl` is given,
        viewers are kept `DEFAULT_TTL` seconds only where every process's revocations reach
        this one (PostgreSQL): on SQLite a command, or another worker, could not evict them."""
        if ttl is None:
            ttl = DEFAULT_TTL if broker.reaches_every_process else 0.0
        return cls(ttl, size)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generation(self) -> int:
        """Changes with every eviction: a resolution read before one must not be kept after it
        (it may have read what the eviction was about), see `put`."""
        return self._generation

    def get(self, key: str, now: datetime) -> Resolved | None:
        """The entry, if it is fresh and its token has not stopped by `now`."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._monotonic() - entry.stored_at >= self.ttl or entry.stopped(now):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Resolved, generation: int) -> None:
        """Keep `entry`, read from the database when the cache was at `generation`: unless
        something was evicted since (the read may predate it)."""
        if self.ttl <= 0 or self.size <= 0 or generation != self._generation:
            return
        entry.stored_at = self._monotonic()
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def evict(self, revocation: Revocation) -> int:
        """Drop every entry the revocation concerns; how many."""
        self._generation += 1
        gone = [key for key, entry in self._entries.items() if revocation.concerns(entry.viewer)]
        for key in gone:
            del self._entries[key]
        return len(gone)

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()


class EvictingPublisher:
    """The use cases' publisher: a revocation also evicts this process's cache at once, before
    the event leaves it (the broker brings it back to this process too, a moment later)."""

    def __init__(self, bus: Publisher, cache: ViewerCache) -> None:
        self.bus = bus
        self.cache = cache

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if topic == REVOKED_TOPIC:
            self.cache.evict(Revocation.from_event(payload))
        await self.bus.publish(topic, payload)
