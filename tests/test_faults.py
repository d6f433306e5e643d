"""Which errors are a lost or busy database (retried, or answered SERVICE_UNAVAILABLE) and which
are faults of the code (kept as they are, so that they stand out)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from graphql_api.ids import decode_id
from models.quote import ThreadMessage
from models.services.faults import Ledger, is_connection_fault, read_again_once
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import submitted


def busy_error(tmp_path: Path) -> sqlite3.OperationalError:
    """A real SQLite 'database is locked': another connection holds the write lock."""
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as error:
        return error
    finally:
        other.close()
        holder.close()
    raise AssertionError("the write did not meet the lock")


def raised_from(cause: Exception, wrapper: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception as inner:
            raise wrapper from inner
    except Exception as outer:  # noqa: BLE001 - the very exception under test
        return outer


def test_lost_connections_and_busy_databases_are_faults(tmp_path: Path) -> None:
    assert is_connection_fault(asyncpg.AdminShutdownError("terminating connection"))
    assert is_connection_fault(asyncpg.ConnectionDoesNotExistError("closed in the middle"))
    assert is_connection_fault(ConnectionResetError(104, "Connection reset by peer"))
    assert is_connection_fault(
        asyncpg.InterfaceError(
            "cannot call Transaction.rollback(): the underlying connection is closed"
        )
    )
    # wrapped by the ORM, or met again while rolling back: the cause counts
    assert is_connection_fault(raised_from(busy_error(tmp_path), OperationalError("wrapped")))
    rollback = asyncpg.InterfaceError(
        "cannot call Transaction.rollback(): the underlying connection is closed"
    )
    assert is_connection_fault(raised_from(asyncpg.AdminShutdownError("x"), rollback))


def test_faults_of_the_request_or_the_code_are_not() -> None:
    assert not is_connection_fault(None)
    assert not is_connection_fault(ValueError("bad"))
    assert not is_connection_fault(IntegrityError("duplicate key"))
    assert not is_connection_fault(
        asyncpg.InterfaceError("the server expects 2 arguments, 1 was passed")
    )
    assert not is_connection_fault(sqlite3.OperationalError("no such table: t"))


def test_only_a_fault_before_any_commit_may_run_again() -> None:
    assert Ledger(fault=True).retryable
    assert not Ledger(fault=True, commit_started=True).retryable
    assert not Ledger().retryable


async def test_a_read_runs_once_more_after_a_fault_and_not_after_a_bug() -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed")
        return "rows"

    assert await read_again_once(flaky) == "rows" and len(calls) == 2

    async def broken() -> str:
        calls.append(1)
        raise KeyError("bug")

    calls.clear()
    with pytest.raises(KeyError):
        await read_again_once(broken)
    assert len(calls) == 1


# ------------------------------------------------------------------ a busy SQLite database, for real


async def test_a_write_that_meets_a_locked_sqlite_database_is_coded_and_retried_safely(
    api: Api, org: Org, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds SQLite's write lock: the message (tried twice by the server) is
    answered SERVICE_UNAVAILABLE, not a 500, and nothing is posted; the client's retry with the
    same key, once the lock is gone, posts it exactly once."""
    if not database.startswith("sqlite://"):
        pytest.skip("SQLite's own lock; PostgreSQL faults: tests/test_database_faults.py")
    quote, link = await submitted(api, org)
    quote_pk = decode_id(quote["id"], "Quote")
    message = {"quoteId": quote["id"], "body": "Still there?", "idempotencyKey": "busy-1"}
    holder = sqlite3.connect(database.removeprefix("sqlite://"), timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        refused = await api.raw(doc.SEND_MESSAGE, {"input": message}, link)
    finally:
        holder.rollback()
        holder.close()
    assert refused["data"] is None
    assert "running the request again" in caplog.text
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert await ThreadMessage.filter(quote_id=quote_pk, body="Still there?").count() == 0

    retried = await api(doc.SEND_MESSAGE, {"input": message}, link)
    assert retried["sendMessage"]["message"]["body"] == "Still there?"
    again = await api(doc.SEND_MESSAGE, {"input": message}, link)
    assert again["sendMessage"]["message"]["id"] == retried["sendMessage"]["message"]["id"]
    assert await ThreadMessage.filter(quote_id=quote_pk, body="Still there?").count() == 1
