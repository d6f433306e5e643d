"""Probes. `/healthz` is liveness: the process answers (it never touches the database, so a
database outage does not get healthy servers restarted). `/readyz` is readiness: 200 only
while the database answers and every migration this code knows is applied; 503 otherwise,
with the reason, so that a load balancer sends no traffic to a replica that cannot serve it."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from functools import cache

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from tortoise import connections

import models.migrations

log = logging.getLogger("tradequote.health")

READY_TIMEOUT = 2.0
MIGRATIONS_APP = "models"


@cache
def known_migrations() -> frozenset[str]:
    """The migrations shipped with this code: the modules of `models.migrations`."""
    return frozenset(
        module.name
        for module in pkgutil.iter_modules(models.migrations.__path__)
        if module.name[:4].isdigit()
    )


async def pending_migrations() -> list[str]:
    """The shipped migrations the database has not recorded as applied (all of them when it
    has no migration table yet). Raises when the database does not answer."""
    client = connections.get("default")
    try:
        _, rows = await client.execute_query(
            'SELECT "name" FROM "tortoise_migrations" WHERE "app" = ?'
            if client.capabilities.dialect == "sqlite"
            else 'SELECT "name" FROM "tortoise_migrations" WHERE "app" = $1',
            [MIGRATIONS_APP],
        )
    except Exception as error:
        if "tortoise_migrations" not in str(error):
            raise
        # no migration table: a database never migrated (it answered, so it is reachable)
        await client.execute_query("SELECT 1")
        rows = []
    applied = {row["name"] for row in rows}
    return sorted(known_migrations() - applied)


class Readiness:
    """The state of the last readiness check, so that a change is logged once, not every probe."""

    def __init__(self) -> None:
        self.reason: str | None = "starting"

    def record(self, reason: str | None) -> None:
        if reason != self.reason:
            if reason is None:
                log.info("ready")
            else:
                log.warning("not ready: %s", reason)
        self.reason = reason


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def readyz_endpoint() -> Callable[[Request], Awaitable[Response]]:
    readiness = Readiness()

    async def readyz(request: Request) -> Response:
        try:
            pending = await asyncio.wait_for(pending_migrations(), READY_TIMEOUT)
        except Exception as error:  # any failure to answer means not ready
            readiness.record(f"database unreachable ({type(error).__name__})")
            return JSONResponse({"ready": False, "database": "unreachable"}, status_code=503)
        if pending:
            readiness.record(f"{len(pending)} migration(s) pending")
            return JSONResponse(
                {"ready": False, "database": "ok", "pendingMigrations": pending},
                status_code=503,
            )
        readiness.record(None)
        return JSONResponse({"ready": True})

    return readyz
