"""The committed SDL is the schema the code serves, and it keeps the core contract's promises."""

from __future__ import annotations

from pathlib import Path

from graphql import BreakingChangeType, build_schema, find_breaking_changes

from graphql_api.schema import schema

ROOT = Path(__file__).resolve().parent.parent
# beside the checkout (…/main and …/shared), or beside a worktree's folder (…/wt/<branch>)
CONTRACT = next(
    (path for path in (ROOT.parent / "shared" / "contract.graphql", ROOT.parent.parent / "shared" / "contract.graphql") if path.exists()),
    ROOT.parent / "shared" / "contract.graphql",
)
NOT_BUILT_YET = {BreakingChangeType.TYPE_REMOVED, BreakingChangeType.FIELD_REMOVED}
"Names of the contract not served yet: none."
NOT_BUILT_NAMES: set[str] = set()


def test_schema_graphql_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", "run `tradequote export-schema` and commit it"


def test_what_is_built_keeps_the_contract() -> None:
    if not CONTRACT.exists():
        raise AssertionError(f"the contract is expected at {CONTRACT}")
    changes = find_breaking_changes(build_schema(CONTRACT.read_text()), build_schema(schema.as_str()))
    broken = [c.description for c in changes if c.type not in NOT_BUILT_YET]
    assert broken == []
    missing = {c.description.split()[-3] if c.type is BreakingChangeType.FIELD_REMOVED else c.description.split()[0]
               for c in changes if c.type in NOT_BUILT_YET}
    assert missing <= NOT_BUILT_NAMES, sorted(missing - NOT_BUILT_NAMES)
