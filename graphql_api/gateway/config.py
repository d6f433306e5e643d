"""The gateway's limits, read once from TRADEQUOTE_* variables (README, "Limits")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace


class LimitConfigurationError(ValueError):
    """A limit variable that is not a positive whole number (or a rate that is not N/SECONDS)."""


@dataclass(frozen=True)
class Rate:
    """At most `requests` in any `seconds` (a sliding window)."""

    requests: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        count, _, seconds = text.strip().partition("/")
        try:
            rate = cls(int(count), int(seconds or 60))
        except ValueError:
            raise LimitConfigurationError(f"not a rate (requests/seconds): {text!r}") from None
        if rate.requests < 1 or rate.seconds < 1:
            raise LimitConfigurationError(f"a rate is positive: {text!r}")
        return rate

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds}"


@dataclass(frozen=True)
class RateLimits:
    """Rates per bucket. Keys: the client address, except `customer_message` (the customer's
    link or portal token) and whatever key the caller of `limit()` passes."""

    anonymous: Rate = Rate(120, 60)
    "Every request without a token, per client address."
    failed_auth: Rate = Rate(60, 60)
    "Requests whose token is refused (link-token guessing), per client address."
    public_mutation: Rate = Rate(20, 60)
    "Mutations sent without a token, per client address."
    customer_message: Rate = Rate(100, 600)
    "sendMessage from a customer, per link or portal token."
    portal_code: Rate = Rate(5, 900)
    "Portal sign-in codes requested, per client address."
    partner: Rate = Rate(600, 60)
    "Operations run with a partner API key, per key."

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RateLimits:
        changes = {}
        for item in fields(cls):
            text = environ.get(f"TRADEQUOTE_RATE_{item.name.upper()}")
            if text:
                changes[item.name] = Rate.parse(text)
        return replace(cls(), **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server."""

    max_cost: int = 25_000
    "Estimated objects a request may return: see `graphql_api.gateway.cost`."
    max_depth: int = 10
    max_aliases: int = 15
    max_directives: int = 50
    max_tokens: int = 2_000
    max_batch: int = 1
    "Operations in one HTTP request; 1 is no batching."
    max_subscriptions: int = 20
    "Active subscriptions on one WebSocket connection."
    max_body_bytes: int = 1_000_000
    max_cached_document_bytes: int = 10_000
    "Longer documents are parsed and validated every time, never kept in the caches."
    rates: RateLimits = field(default_factory=RateLimits)
    rate_limits: bool = True
    "False turns every rate limit off (TRADEQUOTE_RATE_LIMITS=off)."
    redis_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Limits:
        changes: dict[str, object] = {}
        for item in fields(cls):
            if item.type != "int":
                continue
            text = environ.get(f"TRADEQUOTE_{item.name.upper()}")
            if text:
                try:
                    value = int(text)
                except ValueError:
                    raise LimitConfigurationError(f"TRADEQUOTE_{item.name.upper()}: {text!r}") from None
                if value < 1:
                    raise LimitConfigurationError(f"TRADEQUOTE_{item.name.upper()} must be ≥ 1")
                changes[item.name] = value
        switch = environ.get("TRADEQUOTE_RATE_LIMITS", "on").strip().lower()
        return replace(
            cls(),
            rates=RateLimits.from_env(environ),
            rate_limits=switch not in ("off", "0", "false", "no"),
            redis_url=environ.get("TRADEQUOTE_REDIS_URL") or None,
            **changes,  # type: ignore[arg-type]
        )
