"""Log lines: one JSON object per line in production, readable text in development, both with
the request id, the GraphQL operation and the kind of viewer of the request they belong to.

Nothing secret or personal is written: every line goes through `redact`, which replaces
tokens (`tqs_…`, `tql_…`, …), email addresses, IPv4 addresses, customer links and download
signatures, also inside tracebacks. Code never logs names or request bodies in the first place.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from graphql_api.http.scope import current_scope
from graphql_api.settings import Settings

REDACTIONS = (
    # a customer's link or a signed download, whole
    (re.compile(r"https?://[^\s\"'<>]*/(?:q|downloads)/[^\s\"'<>]*"), "[link]"),
    (re.compile(r"\btq([slpk])_[A-Za-z0-9_\-]+"), r"tq\1_[redacted]"),
    (re.compile(r"\b(sig|v|expires)=[^&\s\"']+"), r"\1=[redacted]"),
    (
        re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
        "[email]",
    ),
    (re.compile(r"(?<![\d.])(?!127\.|0\.0\.0\.0)(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"), "[ip]"),
    # IPv6: the full form, or any with "::" (times such as 07:18:42 have neither)
    (
        re.compile(
            r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
            r"|(?:[0-9A-Fa-f]{1,4}:){0,6}(?:[0-9A-Fa-f]{1,4})?::(?:[0-9A-Fa-f]{1,4}:){0,6}"
            r"[0-9A-Fa-f]{0,4})(?![\w:])"
        ),
        "[ip]",
    ),
)

# The attributes every LogRecord has; anything else was passed with `extra=`.
STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName", "color_message"}


def redact(text: str) -> str:
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return redact(str(value))


def _fields(record: logging.LogRecord) -> dict[str, object]:
    """The request's scope, then the record's own `extra=` fields."""
    fields: dict[str, object] = {}
    scope = current_scope()
    if scope is not None:
        fields["request_id"] = scope.request_id
        if scope.operation:
            fields["operation"] = scope.operation
        if scope.viewer:
            fields["viewer"] = scope.viewer
    for key, value in record.__dict__.items():
        if key not in STANDARD_ATTRIBUTES and not key.startswith("_") and value is not None:
            fields[key] = _clean(value)
    return fields


class QuietSockets(logging.Filter):
    """Drops uvicorn's own lines about each WebSocket (`"WebSocket /graphql" [accepted]`,
    `connection open`): they name the client's address, and `ObserveRequests` already writes
    one line per connection."""

    CHATTER = ("connection open", "connection closed")

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("uvicorn"):
            return True
        message = record.msg if isinstance(record.msg, str) else ""
        return message not in self.CHATTER and '"WebSocket %s"' not in message


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields, and the
    traceback as `error` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            **_fields(record),
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["error"] = redact(record.exc_text)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message  key=value …` for a terminal, redacted like the JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        line = f"{record.levelname} {record.name}: {redact(record.getMessage())}"
        if fields:
            line = f"{line}  {fields}"
        if record.exc_info:
            line = f"{line}\n{redact(self.formatException(record.exc_info))}"
        return line


def logging_config(settings: Settings) -> dict[str, Any]:
    """The `logging.config.dictConfig` of a server or worker process (uvicorn's `log_config`).

    Requests are logged once each by `ObserveRequests` (uvicorn's access log, which writes the
    raw path — customer links included — and the client address, stays off)."""
    formatter = JsonFormatter if settings.log_json else TextFormatter
    level = settings.log_level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "filters": {"quiet_sockets": {"()": f"{QuietSockets.__module__}.QuietSockets"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["quiet_sockets"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "tortoise": {"handlers": [], "level": "WARNING", "propagate": True},
            "aiosqlite": {"handlers": [], "level": "WARNING", "propagate": True},
            "asyncio": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
