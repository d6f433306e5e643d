"""Two `tradequote serve` replicas on one PostgreSQL database, each caching resolved viewers for
30 seconds: what the owner changes through the first reaches the second's cache at once (well
within the TTL), and the second clears its cache when its listener reconnected."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from graphql_api.gateway.viewer_cache import DEFAULT_TTL
from graphql_api.ids import to_global_id
from tests.client import Api
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.live import run_cli, server_env, start_server
from tests.team import AUDIT_LOG, DEACTIVATE, REVOKE_TOKEN, UPDATE_ROLE
from tests.test_pubsub import query

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="replicas share a PostgreSQL database: set TRADEQUOTE_TEST_POSTGRES_URL"
)

SECRET = "viewer-cache-replicas-" + "r" * 32
"How long a change may take to reach the other replica: a sixth of the TTL."
SETTLE = DEFAULT_TTL / 6


@pytest.fixture
async def replica_database() -> AsyncIterator[str]:
    url = await create_postgres_database()
    yield url
    await drop_postgres_database(url)


async def within_settle(check: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until `check()` holds; fails after `SETTLE` (a cache not evicted would hold the
    old viewer for the whole TTL)."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > SETTLE:
            raise AssertionError(f"not within {SETTLE} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def audit_answer(api: Api, token: str) -> str:
    """What the audit log (OWNER, MANAGER) says to the token: OK, FORBIDDEN or the refusal."""
    body = await api.raw(AUDIT_LOG, {"first": 1}, token)
    if not body.get("errors"):
        return "OK"
    extensions = body["errors"][0]["extensions"]
    return str(extensions.get("reason") or extensions["code"])


async def test_changes_through_one_replica_reach_the_others_cache_at_once(
    replica_database: str, tmp_path: Path
) -> None:
    env = server_env(replica_database, SECRET, TRADEQUOTE_MAIL_DIR=str(tmp_path / "mail"))
    owner = json.loads(run_cli(["create-organization", "--name", "Acme", "--slug", "acme",
                                "--owner-email", "owner@acme.test", "--json"], env, tmp_path))["ownerToken"]  # fmt: skip
    sam = json.loads(run_cli(["staff", "invite", "--org", "acme", "--email", "sam@acme.test",
                              "--role", "SALES_REP", "--json"], env, tmp_path))  # fmt: skip
    tokens = [
        json.loads(run_cli(["tokens", "create", "--org", "acme", "--email", "sam@acme.test",
                            "--name", f"script {n}", "--json"], env, tmp_path))  # fmt: skip
        for n in (1, 2)
    ]
    first, second = start_server(env, tmp_path, "first"), start_server(env, tmp_path, "second")
    try:
        async with (
            httpx.AsyncClient(base_url=first.http, timeout=10) as one,
            httpx.AsyncClient(base_url=second.http, timeout=10) as two,
        ):
            on_first, on_second = Api(one), Api(two)
            pat, other_pat = tokens[0]["token"], tokens[1]["token"]
            sam_id = to_global_id("StaffMember", int(sam["id"]))

            # the second replica knows the rep's token (a SALES_REP reads no audit log)
            assert await audit_answer(on_second, pat) == "FORBIDDEN"
            # promoted through the first: the second lets them read it at once
            promoted = await on_first(UPDATE_ROLE, {"input": {"staffId": sam_id, "role": "MANAGER"}}, owner)
            assert promoted["updateStaffRole"]["userErrors"] == []
            await within_settle(lambda: _answers(on_second, pat, "OK"))

            # changed behind the servers' backs: the second still serves its cached viewer...
            await query("UPDATE staff_member SET role = 'SALES_REP' WHERE id = $1", int(sam["id"]),
                        database_url=replica_database)  # fmt: skip
            assert await audit_answer(on_second, pat) == "OK"
            # ...until its listener reconnects: events may have been missed, everything goes
            terminated = await query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'tradequote-listener'",
                database_url=replica_database,
            )
            assert len(terminated) == 2
            await within_settle(lambda: _answers(on_second, pat, "FORBIDDEN"))

            # a token revoked through the first is refused by the second
            token_id = to_global_id("AccessToken", int(tokens[0]["id"]))
            revoked = await on_first(REVOKE_TOKEN, {"input": {"id": token_id}}, owner)
            assert revoked["revokeAccessToken"]["userErrors"] == []
            await within_settle(lambda: _answers(on_second, pat, "TOKEN_REVOKED"))

            # a member deactivated through the first: their other token too
            assert await audit_answer(on_second, other_pat) == "FORBIDDEN"
            gone = await on_first(DEACTIVATE, {"input": {"staffId": sam_id}}, owner)
            assert gone["deactivateStaff"]["userErrors"] == []
            await within_settle(lambda: _answers(on_second, other_pat, "TOKEN_REVOKED"))
            assert await audit_answer(on_first, other_pat) == "TOKEN_REVOKED"
    finally:
        first.stop()
        second.stop()


async def _answers(api: Api, token: str, expected: str) -> bool:
    return await audit_answer(api, token) == expected
