"""Database faults: telling a lost connection from a bug, and what a request may safely retry.

A connection that PostgreSQL terminated (`admin_shutdown`, a restart, a failover), a reset
socket, or SQLite busy past its timeout is a fault of the moment, not of the request: a read
can simply run again, and so can a write whose transaction never reached its commit. A write
whose commit was under way is in doubt; only its idempotency key makes a retry safe.

Each request carries a `Ledger` (a context variable) in which the units of work note when
they commit and the error handling notes a fault; the request's retry policy reads it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import asyncpg  # type: ignore[import-untyped]

T = TypeVar("T")

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08, ConnectionDoesNotExistError among them
    asyncpg.exceptions.OperatorInterventionError,  # 57P01 admin_shutdown, 57P02, 57P03
    ConnectionError,  # reset, refused, broken pipe
)
SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
# What asyncpg says of a pooled connection that a termination left behind: closed, handed
# back to the pool mid-use, or stuck in the state of the operation that was cut off.
LOST_CONNECTION_WORDS = ("closed", "released back to the pool", "another operation")
RETRY_PAUSE = 0.05


def is_connection_fault(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is a lost database
    connection or a busy database, rather than a problem of the request itself."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, CONNECTION_ERRORS):
            return True
        if isinstance(
            error, asyncpg.InterfaceError | asyncpg.exceptions.InternalClientError
        ) and any(words in str(error) for words in LOST_CONNECTION_WORDS):
            return True
        if isinstance(error, sqlite3.OperationalError) and str(error) in SQLITE_BUSY:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


@dataclass
class Ledger:
    """What one request did to the database so far."""

    commit_started: bool = False
    fault: bool = False

    @property
    def retryable(self) -> bool:
        """A fault before any commit began: running the request again cannot act twice."""
        return self.fault and not self.commit_started


_ledger: ContextVar[Ledger | None] = ContextVar("request_ledger", default=None)


def open_ledger() -> Ledger:
    """A fresh ledger for the request running in this context."""
    ledger = Ledger()
    _ledger.set(ledger)
    return ledger


def note_commit() -> None:
    """A unit of work is about to commit: from here on a fault leaves the write in doubt."""
    if (ledger := _ledger.get()) is not None:
        ledger.commit_started = True


def note_fault() -> None:
    if (ledger := _ledger.get()) is not None:
        ledger.fault = True


async def read_again_once(read: Callable[[], Awaitable[T]]) -> T:
    """Run a read; after a connection fault, run it once more on a fresh connection."""
    try:
        return await read()
    except Exception as error:
        if not is_connection_fault(error):
            raise
    await asyncio.sleep(RETRY_PAUSE)
    return await read()
