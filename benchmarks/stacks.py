"""Where a server's time went: py-spy's raw stacks (`benchmarks.floor --profile`) summed by the
package of the innermost frame, and by the innermost frame of our own code.

    .venv/bin/python -m benchmarks.stacks PROFILE.txt
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

"Where a frame's file lies, in the order checked: the first match names its share."
PACKAGES = (
    ("graphql-core validation", "graphql/validation/"),
    ("graphql-core", "graphql/"),
    ("strawberry", "strawberry/"),
    ("database (tortoise, pypika, drivers)", ("tortoise/", "pypika", "asyncpg/", "aiosqlite/", "sqlite3")),
    ("uvicorn, starlette, h11", ("uvicorn/", "starlette/", "h11/", "httptools")),
    ("json", ("orjson", "json/")),
    ("asyncio", "asyncio/"),
    ("tradequote", ("graphql_api/", "models/", "resolvers/")),
)


"Innermost frames of a thread waiting for work: not counted."
IDLE = ("EpollSelector.select (selectors.py", "_connection_worker_thread (aiosqlite/core.py:59)")
"Our frames that only start the server."
ENTRY = ("cmd_serve", "main", "<module>")


def package(frame: str) -> str:
    for name, marks in PACKAGES:
        if any(mark in frame for mark in ((marks,) if isinstance(marks, str) else marks)):
            return name
    return "other"


def main() -> None:
    shares: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in Path(sys.argv[1]).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if frames[-1].startswith(IDLE):
            continue
        samples = int(count)
        total += samples
        shares[package(frames[-1])] += samples
        own = [f for f in frames if package(f) == "tradequote" and not f.startswith(ENTRY)]
        if own:
            ours[own[-1].split(" (")[0]] += samples
    print(f"{total} samples (busy)")
    for name, samples in shares.most_common():
        print(f"  {samples / total:6.1%}  {name}")
    print("innermost frames of our own code (inclusive of what they call):")
    for name, samples in ours.most_common(12):
        print(f"  {samples / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
