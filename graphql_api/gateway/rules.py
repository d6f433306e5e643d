"""Validation rules for depth, aliases, directives and introspection, each refusal a GraphQL
error with `extensions.code`.

The rule classes are made once per set of limits (`rules_for` remembers them): graphql-core
validation caches are keyed by the rule classes, so a class made per request would never hit.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)
from graphql.validation import ASTValidationContext

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def limit_error(message: str, code: str, node: Any = None, **extensions: object) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code, **extensions})


def depth_rule(max_depth: int) -> type[ASTValidationRule]:
    class DepthLimit(ASTValidationRule):
        """Fields nested at most `max_depth` deep (introspection fields excluded: its lists
        count in the cost instead)."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            depth = _depth(self.context, node.selection_set, frozenset())
            if depth > max_depth:
                self.report_error(
                    limit_error(
                        f"The query is {depth} fields deep; at most {max_depth} are allowed.",
                        "DEPTH_LIMIT_EXCEEDED", node, depth=depth, maximumDepth=max_depth,
                    )
                )  # fmt: skip

    return DepthLimit


def _depth(context: ASTValidationContext, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + _depth(context, selection.selection_set, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(context, selection.selection_set, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is not None and name not in seen:
                deepest = max(deepest, _depth(context, fragment.selection_set, seen | {name}))
    return deepest


def count_rule(kind: str, code: str, maximum: int) -> type[ASTValidationRule]:
    """At most `maximum` aliases (kind "alias") or directives (kind "directive") in a document."""

    class CountLimit(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_: object) -> None:
            if kind == "alias" and node.alias is not None:
                self._count(node)

        def enter_directive(self, node: DirectiveNode, *_: object) -> None:
            if kind == "directive":
                self._count(node)

        def _count(self, node: Any) -> None:
            self.count += 1
            if self.count == maximum + 1:
                self.report_error(
                    limit_error(
                        f"The document has more than {maximum} {kind}es; at most {maximum} are allowed."
                        if kind == "alias"
                        else f"The document has more than {maximum} {kind}s; at most {maximum} are allowed.",
                        code, node,
                    )
                )  # fmt: skip

    CountLimit.__name__ = f"{kind.title()}Limit"
    return CountLimit


class StaffOnlyIntrospection(ASTValidationRule):
    """Production: only staff may ask for `__schema` or `__type` (`__typename` stays open)."""

    def enter_field(self, node: FieldNode, *_: object) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(
                limit_error("Introspection is for staff only.", "INTROSPECTION_DISABLED", node)
            )


class OneIntrospection(ASTValidationRule):
    """At most one `__schema` or `__type` field a document: a client needs one, and each costs
    tens of milliseconds to answer."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_field(self, node: FieldNode, *_: object) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.count += 1
            if self.count == 2:
                self.report_error(
                    limit_error(
                        "A document may ask for introspection (__schema or __type) once.",
                        "INTROSPECTION_LIMIT_EXCEEDED", node,
                    )
                )  # fmt: skip


@cache
def rules_for(
    max_depth: int, max_aliases: int, max_directives: int, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    """The gateway's rules for these limits: the same classes every time they are asked for."""
    rules: list[type[ASTValidationRule]] = [
        depth_rule(max_depth),
        count_rule("alias", "ALIAS_LIMIT_EXCEEDED", max_aliases),
        count_rule("directive", "DIRECTIVE_LIMIT_EXCEEDED", max_directives),
    ]
    rules.append(OneIntrospection if introspection else StaffOnlyIntrospection)
    return tuple(rules)
