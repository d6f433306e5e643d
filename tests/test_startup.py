"""Replicas start together: four `tradequote serve` processes launched at the same instant on
one empty database all migrate it safely (they take turns) and all become ready."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.live import ServerProcess, launch_server, server_env, wait_until_healthy

REPLICAS = 4
ORGANIZATION = 'query { organization(slug: "nobody-yet") { id name } }'


async def test_four_servers_starting_at_once_on_an_empty_database_all_become_ready(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = server_env(empty_database_url, "startup-test-secret-" + "s" * 32)
    servers: list[ServerProcess] = []
    try:
        for number in range(REPLICAS):
            servers.append(launch_server(env, tmp_path, f"replica-{number}"))
        for server in servers:
            wait_until_healthy(server, timeout=60)
        async with httpx.AsyncClient(timeout=10) as client:
            for server in servers:
                assert (await client.get(f"{server.http}/healthz")).status_code == 200
                response = await client.post(f"{server.http}/graphql", json={"query": ORGANIZATION})
                assert response.status_code == 200
                assert response.json() == {"data": {"organization": None}}
    finally:
        codes = [server.stop() for server in servers]
    logs = "\n".join(server.output() for server in servers)
    assert "Traceback" not in logs, logs
    assert len(codes) == REPLICAS
