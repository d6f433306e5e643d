"""What a request may cost: the number of objects its selection can return, counted before it
runs (in the spirit of Shopify's query cost and graphql-armor's cost limit).

- Every field that returns an object counts 1 for each object it can return; scalars and enums
  count 0.
- A connection's `edges` and `nodes` count as many times as its page: `first` or `last` (a
  literal or a variable), or `MAX_PAGE` (100) when absent.
- A list that is not a connection counts at its documented size: `Quote.lines` and
  `BuyOrder.lines` at the most lines a quote may have (`MAX_LINES_PER_QUOTE`, enforced when lines
  are written), introspection lists at the schema's own average sizes, any other list at
  `LIST_SIZE` (5: a line's history and units, a message's line changes, as a quote has them).
- Fragments count where they are spread; the fragments of a union or interface all count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    is_input_object_type,
    parse,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

from graphql_api.ids import MAX_PAGE
from models.validation import MAX_DEVICES as MAX_LINES_PER_QUOTE

LIST_SIZE = 5
"The assumed size of a list that is neither a connection nor listed in `list_sizes`."
PAGE_FIELDS = frozenset({"edges", "nodes"})


def list_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """Sizes of the lists that are not connections, by (type, field). Introspection lists count
    at their average over every type of the schema (an enum has no fields, an object no enum
    values), so that one introspection of the whole schema costs about what it returns."""
    types = list(schema.type_map.values())
    fields = [f for t in types for f in (getattr(t, "fields", None) or {}).values()]

    def average(counts: list[int]) -> int:
        return max(1, math.ceil(sum(counts) / max(1, len(counts))))

    def per_type(count: Callable[[Any], int]) -> int:
        return average([count(t) for t in types])

    def output_fields(t: Any) -> int:
        return len(t.fields) if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) else 0

    def possible_types(t: Any) -> int:
        abstract = is_composite_type(t) and not isinstance(t, GraphQLObjectType)
        return len(schema.get_possible_types(t)) if abstract else 0

    return {
        ("Quote", "lines"): MAX_LINES_PER_QUOTE,
        ("BuyOrder", "lines"): MAX_LINES_PER_QUOTE,
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): per_type(output_fields),
        ("__Type", "inputFields"): per_type(lambda t: len(t.fields) if is_input_object_type(t) else 0),
        ("__Type", "enumValues"): per_type(lambda t: len(getattr(t, "values", None) or ())),
        ("__Type", "interfaces"): per_type(lambda t: len(getattr(t, "interfaces", None) or ())),
        ("__Type", "possibleTypes"): per_type(possible_types),
        ("__Field", "args"): average([len(getattr(f, "args", None) or ()) for f in fields]),
        ("__Directive", "args"): average([len(d.args) for d in schema.directives]),
    }


class CostAnalysis:
    """The cost of documents against one schema, remembered per document text, operation and
    page sizes (the variables that matter)."""

    def __init__(self, schema: GraphQLSchema, cache_size: int = 1024) -> None:
        self.schema = schema
        self.sizes = list_sizes(schema)
        self._cached = lru_cache(maxsize=cache_size)(self._cost_of_text)

    def cost(
        self,
        query: str,
        document: object,
        operation_name: str | None,
        variables: Mapping[str, object] | None,
        *,
        cache: bool = True,
    ) -> int:
        counts = tuple(sorted((k, v) for k, v in (variables or {}).items() if type(v) is int))
        if cache:
            return self._cached(query, operation_name, counts)
        return self.document_cost(document, operation_name, dict(counts))

    def _cost_of_text(
        self, query: str, operation_name: str | None, counts: tuple[tuple[str, int], ...]
    ) -> int:
        return self.document_cost(parse(query), operation_name, dict(counts))

    def document_cost(
        self, document: object, operation_name: str | None, variables: Mapping[str, int]
    ) -> int:
        definitions = getattr(document, "definitions", ())
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if not operations:
            return 0
        operation = operations[0]
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        walk = _Walk(self.schema, self.sizes, fragments, variables)
        return walk.selection_cost(root, operation.selection_set, page=None, seen=frozenset())


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        sizes: dict[tuple[str, str], int],
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.sizes = sizes
        self.fragments = fragments
        self.variables = variables

    def selection_cost(
        self,
        parent: object,
        selection_set: SelectionSetNode | None,
        page: int | None,
        seen: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection, page, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_cost(target, selection.selection_set, page, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # validation refuses both
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_cost(target, fragment.selection_set, page, seen | {name})
        return total

    def field_cost(self, parent: object, node: FieldNode, page: int | None, seen: frozenset[str]) -> int:
        name = node.name.value
        field_type = self._field_type(parent, name)
        if field_type is None:
            return 0
        named = get_named_type(field_type)
        if not is_composite_type(named):
            return 0
        parent_name = getattr(parent, "name", "")
        count = 1
        if _is_list(field_type):
            if name in PAGE_FIELDS and page is not None:
                count = page
            else:
                count = self.sizes.get((parent_name, name), LIST_SIZE)
        child_page = self._page_size(node)
        return count * (1 + self.selection_cost(named, node.selection_set, child_page, seen))

    def _field_type(self, parent: object, name: str) -> GraphQLOutputType | None:
        if name == "__typename":
            return TypeNameMetaFieldDef.type
        if parent is self.schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef.type
            if name == "__type":
                return TypeMetaFieldDef.type
        fields = getattr(parent, "fields", None)
        field = fields.get(name) if fields else None
        return field.type if field is not None else None

    def _page_size(self, node: FieldNode) -> int | None:
        """`first` or `last` of a connection field; MAX_PAGE when the field pages but neither
        is given (or a variable holds no number); None for a field that does not page."""
        arguments = {argument.name.value: argument.value for argument in node.arguments or ()}
        if not {"first", "last", "after", "before"} & arguments.keys():
            return MAX_PAGE if node.selection_set and _selects_page(node.selection_set) else None
        sizes = []
        for key in ("first", "last"):
            value = arguments.get(key)
            if isinstance(value, IntValueNode):
                sizes.append(int(value.value))
            elif isinstance(value, VariableNode) and value.name.value in self.variables:
                sizes.append(self.variables[value.name.value])
        return max(0, min(max(sizes), MAX_PAGE)) if sizes else MAX_PAGE


def _selects_page(selection_set: SelectionSetNode) -> bool:
    return any(
        isinstance(s, FieldNode) and s.name.value in PAGE_FIELDS for s in selection_set.selections
    ) or any(not isinstance(s, FieldNode) for s in selection_set.selections)


def _is_list(field_type: GraphQLOutputType) -> bool:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)
