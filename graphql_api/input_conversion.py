"""Input objects built from a plan made once per type, instead of Strawberry's conversion, which
works out every field's type again for every value: for a 50-device `submitQuote` that took a
fifth of the request's CPU, as much as the use case itself.

The plan does what Strawberry's `convert_argument` does for the types this schema has (scalars,
enums, lists, nested input objects, optional ones): fields without a default start as None, the
fields present are converted, and the class is called with them. It is installed through
Strawberry's own `from_input` hook of each input type's definition, so Strawberry calls it
wherever it builds an input value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.schema.compat import is_scalar
from strawberry.types.arguments import InputContext, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType

Convert = Callable[[Any], Any]


class UnplannedType(Exception):
    """A field type the plan does not cover: the type keeps Strawberry's own conversion."""


def _same(value: Any) -> Any:
    return value


def _list_copy(value: Any) -> Any:
    # graphql-core gives the same default list to every request that omits the value
    return None if value is None else list(value)


def _converter(type_: Any, scalars: Mapping[object, Any], config: Any) -> Convert:
    if isinstance(type_, StrawberryMaybe):
        raise UnplannedType(type_)
    if isinstance(type_, StrawberryOptional):
        return _converter(type_.of_type, scalars, config)
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), scalars, config)
    if isinstance(type_, StrawberryList):
        item = _converter(type_.of_type, scalars, config)
        if item is _same:
            return _list_copy
        return lambda value: None if value is None else [None if v is None else item(v) for v in value]
    if isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_):
        return _same  # graphql-core has already made the enum member
    if is_scalar(type_, scalars):
        return _same  # graphql-core has already parsed the scalar
    if has_object_definition(type_) and type_.__strawberry_definition__.is_input:
        definition = type_.__strawberry_definition__

        def nested(value: Any) -> Any:
            if definition.from_input is None:  # a type left to Strawberry
                return convert_argument(value, type_, scalars, config)
            return definition.from_input(type_, value, None)

        return nested
    raise UnplannedType(type_)


def _plan(definition: StrawberryObjectDefinition, scalars: Mapping[object, Any], config: Any) -> Callable[..., Any]:
    unset = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    }
    fields = [
        (
            config.name_converter.from_field(field),
            field.python_name,
            _converter(field.resolve_type(type_definition=definition), scalars, config),
        )
        for field in definition.fields
    ]

    def from_input(cls: type, value: Mapping[str, Any], context: InputContext | None) -> Any:
        kwargs = dict(unset)
        for name, python_name, convert in fields:
            if name in value:
                item = value[name]
                kwargs[python_name] = None if item is None else convert(item)
        return cls(**kwargs)

    return from_input


def plan_input_conversion(schema: Any) -> list[str]:
    """Give every input type of `schema` without a `from_input` of its own a planned one; the
    names of the types planned."""
    converter = schema.schema_converter
    scalars = converter.scalar_registry
    definitions = [
        concrete.definition
        for concrete in converter.type_map.values()
        if isinstance(concrete.definition, StrawberryObjectDefinition)
        and concrete.definition.is_input
        and concrete.definition.from_input is None
    ]
    planned = []
    for definition in definitions:
        try:
            from_input = _plan(definition, scalars, converter.config)
        except UnplannedType:
            continue
        planned.append((definition, from_input))
    # installed together, once every plan is made: a nested type is converted by its own hook
    for definition, from_input in planned:
        definition.from_input = from_input
    return sorted(definition.name for definition, _ in planned)
