"""Real `tradequote` processes for the tests that need a server as users run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SECRET = "server-test-secret-" + "y" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEQUOTE_")}
    env.update(
        TRADEQUOTE_DATABASE_URL=database_url,
        TRADEQUOTE_SECRET_KEY=SECRET,
        TRADEQUOTE_MAIL_DIR=str(workdir / "mail"),
        **extra,
    )
    return env


def cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run a `tradequote` command to completion and return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "graphql_api", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"tradequote {args[0]} failed: {done.stderr}")
    return done.stdout


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a process to stop (SIGTERM: a graceful shutdown), kill it after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(env: dict[str, str], cwd: Path, *args: str) -> Iterator[str]:
    """`tradequote serve` on a free loopback port; yields its base URL, stops it on exit."""
    port = free_port()
    log = open(cwd / f"serve-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "graphql_api", "serve", "--port", str(port), *args],
        env={**env, "TRADEQUOTE_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError((cwd / f"serve-{port}.log").read_text())
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not become ready in 30 s")
            time.sleep(0.1)
        yield base
    finally:
        stop(process)
        log.close()
