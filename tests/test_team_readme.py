"""The GraphQL documents of the README's team section are valid against the served schema, and
its role matrix says what the rules decide."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import parse, validate

from graphql_api.schema import schema
from models import roles
from models.negotiation import ROLE_ACTIONS, QuoteAction, StaffRole

README = Path(__file__).resolve().parent.parent / "README.md"


def section() -> str:
    text = README.read_text()
    start = text.index("## The team and access")
    return text[start : text.index("\n## ", start + 1)]


def test_every_document_of_the_team_section_validates() -> None:
    documents = re.findall(r"```graphql\n(.*?)```", section(), flags=re.S)
    assert len(documents) >= 12
    for document in documents:
        errors = validate(schema._schema, parse(document))
        assert errors == [], (document, errors)


def test_the_matrix_matches_the_rules() -> None:
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:7]]
        for line in section().splitlines()
        if line.startswith("| ") and line.count("|") == 7
    }
    order = list(StaffRole)

    def ticked(row: str) -> set[StaffRole]:
        return {order[i] for i, cell in enumerate(rows[row]) if cell.startswith("✓")}

    negotiate = "request, submit offers, counter, recall, cancel, share, convert"
    assert ticked(negotiate) == {r for r in StaffRole if QuoteAction.COUNTER_OFFER in ROLE_ACTIONS[r]}
    assert ticked("rotate and revoke customer links") == roles.LINK_ROLES
    assert ticked("invite staff, change roles, deactivate") == roles.ADMIN_ROLES
    assert ticked("change settings and branding, read the audit log") == roles.ADMIN_ROLES
    assert ticked("look up IMEIs") == {r for r in StaffRole if QuoteAction.LOOKUP_IMEIS in ROLE_ACTIONS[r]}
