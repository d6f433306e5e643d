"""Expected failures of the domain: a code, a message and the input path at fault."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    STALE_VERSION = "STALE_VERSION"
    EXPIRED = "EXPIRED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    IMEI_INVALID = "IMEI_INVALID"
    DEVICE_FLAGGED = "DEVICE_FLAGGED"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    TAMPERED = "TAMPERED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INSUFFICIENT_STORE_CREDIT = "INSUFFICIENT_STORE_CREDIT"


class DomainError(Exception):
    """A business rule refused the action; nothing was changed."""

    def __init__(
        self, code: ErrorCode, message: str, field: Sequence[str | int] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = [str(part) for part in field] if field is not None else None


class DomainErrors(Exception):
    """Several problems found at once (typically input validation)."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


class Unauthenticated(Exception):
    """No valid credentials for something that needs them."""


class Forbidden(Exception):
    """The viewer is known but may not do this."""
