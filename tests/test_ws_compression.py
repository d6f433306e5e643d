"""permessage-deflate on WebSocket connections is offered only when TRADEQUOTE_WS_COMPRESSION is
on (README, "Live updates"): a browser that asks for it gets it then, and plain frames otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.server import environment, serving


@pytest.mark.parametrize("setting", [None, "off", "on"])
async def test_compression_is_negotiated_only_when_configured(
    tmp_path: Path, setting: str | None
) -> None:
    extra = {} if setting is None else {"TRADEQUOTE_WS_COMPRESSION": setting}
    env = environment(f"sqlite://{tmp_path / 'tq.db'}", tmp_path, **extra)
    with serving(env, tmp_path) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"], compression="deflate",  # type: ignore[list-item]
                           proxy=None) as ws:  # fmt: skip
            negotiated = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
    assert ("permessage-deflate" in negotiated) == (setting == "on"), negotiated
