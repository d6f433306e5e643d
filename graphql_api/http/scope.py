"""What the server knows about the request being served, for its log lines and metrics: the
request id, and once GraphQL has parsed it, the operation and who is asking.

One `RequestScope` per HTTP request or WebSocket connection, set by `ObserveRequests` in a
context variable that the GraphQL extension and the log formatter read.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field

REQUEST_ID_HEADER = "x-request-id"
# What a client or a load balancer may send as a request id: short, and nothing that could
# forge a log line or carry a token (ids of 200 characters or with spaces are replaced).
ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
TOKEN_LIKE = re.compile(r"tq[slpk]_", re.I)


@dataclass
class RequestScope:
    request_id: str
    operation: str | None = None
    operation_type: str | None = None
    viewer: str | None = None
    outcome: str | None = None
    "A WebSocket connection (many operations, one access line when it closes)."
    websocket: bool = False
    "Codes of the expected GraphQL errors of an HTTP request, written on its access line."
    error_codes: set[str] = field(default_factory=set)


current: ContextVar[RequestScope | None] = ContextVar("tradequote_request", default=None)


def request_id_from(header: str | None) -> str:
    """The client's `X-Request-ID` when it is a sensible id, else a new random one."""
    if header and ACCEPTED_REQUEST_ID.fullmatch(header) and not TOKEN_LIKE.search(header):
        return header
    return secrets.token_hex(16)


def current_scope() -> RequestScope | None:
    return current.get()
