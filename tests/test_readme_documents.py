"""Every GraphQL document the README shows is valid against the schema the server serves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from graphql_api.schema import schema

README = Path(__file__).resolve().parent.parent / "README.md"
DOCUMENTS = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_shows_the_lifecycle() -> None:
    names = {m for doc in DOCUMENTS for m in re.findall(r"(?:mutation|query) (\w+)", doc)}
    assert {"CreateDraft", "Issue", "Recall", "Copy", "Extend", "RequestCode", "SignIn", "MyQuotes"} <= names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: re.sub(r"\W+", "-", d.strip()[:40]))
def test_every_readme_document_is_valid(document: str) -> None:
    errors = validate(schema._schema, parse(document))
    assert errors == []
