"""The typed GraphQL context, built once per request (or WebSocket connection)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.types import Info as StrawberryInfo

from graphql_api.auth import Viewer
from graphql_api.loaders import Loaders
from graphql_api.settings import Settings
from models.services.caller import Caller, Deps

if TYPE_CHECKING:
    from graphql_api.live import Live

_operation_loaders: ContextVar[Loaders | None] = ContextVar("operation_loaders", default=None)


def use_loaders(loaders: Loaders | None) -> None:
    """Resolve the rest of the current operation (its asyncio task) with `loaders` (None: the
    context's own).

    A WebSocket connection keeps one context for its whole life; each operation on it, and each
    event a subscription delivers, is resolved with loaders of its own instead."""
    _operation_loaders.set(loaders)


def operation_loaders() -> Loaders | None:
    """The loaders set by `use_loaders` for the rest of the current operation, if any."""
    return _operation_loaders.get()


@dataclass
class Context:
    settings: Settings
    deps: Deps
    viewer: Viewer
    "Why the presented token was refused; every operation then fails UNAUTHENTICATED."
    auth_error: str | None = None
    "Its `extensions.reason`, e.g. LINK_REVOKED or TOKEN_EXPIRED."
    auth_reason: str | None = None
    "Why the request could not be served (the database was unreachable reading the token)."
    service_error: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    request: Any = None
    response: Any = None
    "WebSocket only: the `connection_init` payload, e.g. {\"Authorization\": \"Bearer …\"}."
    connection_params: dict[str, Any] | None = None
    "WebSocket only: the broker and the per-event loaders that subscriptions use."
    live: Live | None = None
    _request_loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        """The request's loaders, made on first use (a WebSocket context never needs its own)."""
        scoped = _operation_loaders.get()
        if scoped is not None:
            return scoped
        if self._request_loaders is None:
            self._request_loaders = Loaders()
        return self._request_loaders

    @property
    def caller(self) -> Caller:
        return self.viewer.caller(self.client_ip, self.user_agent)


Info = StrawberryInfo[Context, None]
