"""The committed SDL is the schema the code serves. (That it keeps the core contract's promises
is checked by `.ci/run`, where the contract is at hand.)"""

from __future__ import annotations

from pathlib import Path

from graphql_api.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", "run `tradequote export-schema` and commit it"
