"""The lock files install what pyproject.toml declares: the runtime lock everything the server
needs (a WebSocket implementation included, and not uvloop), the test lock all of that and more."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)$")


def name(package: str) -> str:
    return re.sub(r"[-_.]+", "-", package).lower()


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        found[name(match[1])] = match[2]
    return found


def lock(file: str) -> dict[str, str]:
    return pins((ROOT / file).read_text().splitlines())


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = lock("requirements.lock")
TEST = lock("requirements-test.lock")


def test_the_runtime_lock_pins_every_runtime_dependency_at_its_version() -> None:
    declared = pins(PROJECT["dependencies"])
    assert {package: RUNTIME.get(package) for package in declared} == declared


def test_the_test_lock_holds_the_runtime_lock_and_the_test_dependencies() -> None:
    assert {package: TEST.get(package) for package in RUNTIME} == RUNTIME
    declared = pins(PROJECT["optional-dependencies"]["test"])
    assert {package: TEST.get(package) for package in declared} == declared


def test_the_runtime_serves_websockets_on_the_standard_loop() -> None:
    assert "websockets" in RUNTIME  # uvicorn answers every upgrade with 400 without one
    assert "uvloop" not in RUNTIME  # a 2-second tail under CPU-bound load (SPEC §10)
