"""The planned input conversion builds exactly what Strawberry's own conversion builds, for every
input type of the schema: with every field given (lists of two, nested inputs, nulls) and with
every field left out."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from strawberry.types.arguments import convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType

from graphql_api.schema import schema

CONVERTER = schema.schema_converter
INPUTS = sorted(
    (
        concrete.definition
        for concrete in CONVERTER.type_map.values()
        if isinstance(concrete.definition, StrawberryObjectDefinition) and concrete.definition.is_input
    ),
    key=lambda definition: definition.name,
)


class Leaf:
    """A scalar as graphql-core hands it over: passed through as it is."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Leaf({self.name})"


def sample(type_: Any, path: str, depth: int) -> Any:
    if isinstance(type_, StrawberryOptional):
        return sample(type_.of_type, path, depth)
    if isinstance(type_, LazyType):
        return sample(type_.resolve_type(), path, depth)
    if isinstance(type_, StrawberryList):
        return [sample(type_.of_type, f"{path}.0", depth), sample(type_.of_type, f"{path}.1", depth)]
    if isinstance(type_, StrawberryEnumDefinition):
        return next(iter(type_.wrapped_cls))
    if has_enum_definition(type_):
        return next(iter(type_))
    if has_object_definition(type_) and type_.__strawberry_definition__.is_input:
        return full_value(type_.__strawberry_definition__, path, depth + 1) if depth < 3 else None
    return Leaf(path)


def full_value(definition: StrawberryObjectDefinition, path: str, depth: int = 0) -> dict[str, Any]:
    value = {}
    for i, field in enumerate(definition.fields):
        name = CONVERTER.config.name_converter.from_field(field)
        # every third optional field an explicit null
        nullable = isinstance(field.type, StrawberryOptional)
        value[name] = None if nullable and i % 3 == 2 else sample(
            field.resolve_type(type_definition=definition), f"{path}.{name}", depth
        )
    return value


@contextlib.contextmanager
def strawberry_conversion() -> Iterator[None]:
    """Strawberry's own conversion, for the duration of the block."""
    planned = {definition.name: definition.from_input for definition in INPUTS}
    for definition in INPUTS:
        definition.from_input = None
    try:
        yield
    finally:
        for definition in INPUTS:
            definition.from_input = planned[definition.name]


def converted(definition: StrawberryObjectDefinition, value: dict[str, Any]) -> Any:
    return convert_argument(value, definition.origin, CONVERTER.scalar_registry, CONVERTER.config)


def test_every_input_type_is_planned() -> None:
    assert len(INPUTS) > 50
    assert [d.name for d in INPUTS if d.from_input is None] == []


@pytest.mark.parametrize("definition", INPUTS, ids=lambda definition: definition.name)
def test_the_planned_conversion_builds_what_strawberry_builds(definition: StrawberryObjectDefinition) -> None:
    full = full_value(definition, definition.name)
    ours_full, ours_empty = converted(definition, full), converted(definition, {})
    with strawberry_conversion():
        theirs_full, theirs_empty = converted(definition, full), converted(definition, {})
    assert ours_full == theirs_full
    assert ours_empty == theirs_empty
    assert type(ours_full) is definition.origin


def test_list_values_are_copies() -> None:
    """graphql-core hands every request that omits a list the same default: a value built from
    it must not share it."""
    definition = next(d for d in INPUTS if d.name == "CounterOfferInput")
    lines: list[Any] = []
    built = converted(definition, {"quoteId": "1", "lines": lines})
    assert built.lines == [] and built.lines is not lines
