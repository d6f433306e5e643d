"""The typed GraphQL context, built once per request (or WebSocket connection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from graphql_api.auth import Viewer
from graphql_api.loaders import Loaders
from graphql_api.settings import Settings
from models.services.caller import Caller, Deps


@dataclass
class Context:
    settings: Settings
    deps: Deps
    viewer: Viewer
    "Why the presented token was refused; every operation then fails UNAUTHENTICATED."
    auth_error: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)

    @property
    def caller(self) -> Caller:
        return self.viewer.caller(self.client_ip, self.user_agent)


Info = StrawberryInfo[Context, None]
