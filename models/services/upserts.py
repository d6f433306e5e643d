"""Writing imported rows: new ones in one statement, changed ones updated, the rest counted."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from tortoise.models import Model

from models.services.catalog import ImportReport

M = TypeVar("M", bound=Model)
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


async def merge_rows(
    model: type[M],
    existing: Mapping[K, M],
    incoming: Sequence[tuple[K, T]],
    *,
    build: Callable[[T], M],
    values: Callable[[T], dict[str, Any]],
    report: ImportReport,
) -> set[K]:
    """Create the rows whose key is new, update those whose `values` differ, count the rest
    as unchanged (a key given twice counts once). The keys the import named come back."""
    fresh: list[M] = []
    named: set[K] = set()
    for key, row in incoming:
        if key in named:
            report.unchanged += 1
            continue
        named.add(key)
        current = existing.get(key)
        if current is None:
            fresh.append(build(row))
            continue
        wanted = values(row)
        if any(getattr(current, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(current, name, value)
            await current.save(update_fields=list(wanted))
            report.updated += 1
        else:
            report.unchanged += 1
    if fresh:
        await model.bulk_create(fresh)
    report.added += len(fresh)
    return named
