"""GraphiQL's ready-made tabs: the README's operations, kept in `tabs.json` beside this file.

The README is the source: each `<!-- as: owner|customer -->` step of the worked example and
each `<!-- graphiql: owner|customer -->` document of its GraphiQL section becomes a tab, with
the variables as written and the token as a placeholder in the headers. After editing those
documents, regenerate the file (a test fails while it differs from the README):

    python -m graphql_api.web.tabs README.md
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TypedDict

TABS_FILE = Path(__file__).with_name("tabs.json")
STAFF_PLACEHOLDER = "<staff token>"
LINK_PLACEHOLDER = "<link token>"
PLACEHOLDERS = {"owner": STAFF_PLACEHOLDER, "customer": LINK_PLACEHOLDER}
DOCUMENT = re.compile(
    r"<!-- (?:as|graphiql): (?P<who>owner|customer) -->\s*```graphql\n(?P<query>.*?)```"
    r"\s*```json\n(?P<variables>.*?)```",
    re.S,
)


class Tab(TypedDict):
    query: str
    variables: str
    headers: str


def authorization(placeholder: str) -> str:
    return json.dumps({"Authorization": f"Bearer {placeholder}"})


def readme_tabs(readme: str) -> list[Tab]:
    """One tab per marked document of the README, in the README's order."""
    return [
        Tab(
            query=match["query"].strip() + "\n",
            variables=match["variables"].strip() + "\n",
            headers=authorization(PLACEHOLDERS[match["who"]]),
        )
        for match in DOCUMENT.finditer(readme)
    ]


def load_tabs() -> list[Tab]:
    tabs: list[Tab] = json.loads(TABS_FILE.read_text())
    return tabs


def main(argv: list[str]) -> int:
    readme = Path(argv[0] if argv else "README.md").read_text()
    TABS_FILE.write_text(json.dumps(readme_tabs(readme), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {TABS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
