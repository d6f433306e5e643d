"""Background work every replica runs safely: the outbox senders (email, webhooks), the expiry
sweeper, and the retries of pending external IMEI checks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from graphql_api.http.metrics import counted_sweep
from graphql_api.mail.sender import OutboxSender
from graphql_api.settings import Settings
from graphql_api.webhooks.sender import WebhookSender
from models.services.caller import Deps
from models.services.lifecycle import sweep
from models.services.pending_checks import retry_pending
from models.services.revised_offers import lapse_revised_offers

log = logging.getLogger("tradequote.jobs")

IMEI_RETRY_INTERVAL_SECONDS = 15.0


async def _every(interval: float, job: Callable[[], Awaitable[object]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await job()
        except Exception:
            log.exception("background job failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


@contextlib.asynccontextmanager
async def background_jobs(settings: Settings, deps: Deps) -> AsyncIterator[None]:
    """Run the sender and the sweeper until the block exits, then let them finish their step."""
    stop = asyncio.Event()
    sender = OutboxSender(settings)
    tasks = [
        asyncio.create_task(sender.run_forever(stop)),
        asyncio.create_task(WebhookSender(settings, deps.keys, bus=deps.bus).run_forever(stop)),
        asyncio.create_task(
            _every(settings.sweep_interval, lambda: counted_sweep(lambda: sweep(deps)), stop)
        ),
        asyncio.create_task(
            _every(
                IMEI_RETRY_INTERVAL_SECONDS,
                lambda: retry_pending(deps.checks, deps.clock()),
                stop,
            )
        ),
        asyncio.create_task(
            _every(settings.sweep_interval, lambda: lapse_revised_offers(deps), stop)
        ),
    ]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
