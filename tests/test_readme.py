"""The README's worked example, run as written against a real `tradequote serve`."""

from __future__ import annotations

import json
import re
import shlex
import time
from pathlib import Path

import httpx

from tests.server import cli, environment, serving

README = Path(__file__).resolve().parent.parent / "README.md"
STEP = re.compile(
    r"<!-- as: (?P<who>owner|customer) -->\s*```graphql\n(?P<query>.*?)```\s*```json\n(?P<variables>.*?)```",
    re.S,
)


def readme_steps() -> list[tuple[str, str, str]]:
    return [(m["who"], m["query"], m["variables"]) for m in STEP.finditer(README.read_text())]


def create_organization_command() -> list[str]:
    """The worked example's `tradequote create-organization …`, as the README writes it."""
    found = re.search(r"```sh\n\.venv/bin/tradequote (create-organization .*?)\n#", README.read_text(), re.S)
    assert found, "the worked example starts with create-organization"
    return shlex.split(found[1].replace("\\\n", " "))


def test_readme_has_the_whole_loop() -> None:
    operations = [re.search(r"(mutation|query) (\w+)", q)[2] for _, q, _ in readme_steps()]  # type: ignore[index]
    assert operations == [
        "CreateRequest", "Submit", "Counter", "Counter", "Counter",
        "Accept", "Withdraw", "Accept", "Convert", "Thread",
    ]


async def test_readme_example_runs_against_tradequote_serve(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = environment(empty_database_url, tmp_path)
    with serving(env, tmp_path) as base:
        created = json.loads(cli(create_organization_command(), env, tmp_path))
        tokens = {"owner": created["ownerToken"]}
        values: dict[str, str] = {}
        results = []
        for who, query, variables in readme_steps():
            for name, value in values.items():
                variables = variables.replace(f"<{name}>", value)
            assert "<" not in variables, f"unfilled placeholder in {variables}"
            response = httpx.post(
                f"{base}/graphql",
                json={"query": query, "variables": json.loads(variables)},
                headers={"Authorization": f"Bearer {tokens[who]}"},
                timeout=30,
            )
            body = response.json()
            assert "errors" not in body, body
            (payload,) = body["data"].values()
            assert payload.get("userErrors", []) == [], payload
            results.append(payload)
            if "url" in payload:
                values["quote id"] = payload["quote"]["id"]
                tokens["customer"] = payload["url"].rsplit("/", 1)[1]
            if payload.get("quote", {}).get("lines") and "phone line id" not in values:
                values["phone line id"] = payload["quote"]["lines"][0]["id"]
                values["tablet line id"] = payload["quote"]["lines"][1]["id"]
        # with no SMTP server configured, the server's own sender writes the emails as .eml files
        emails = _emails_to("zoe@example.com", tmp_path / "mail", at_least=6)

    submitted, merchant, customer, _, accepted, withdrawn, again, converted, story = [
        r.get("quote", r) for r in results[1:]
    ]
    assert submitted["status"] == "SUBMITTED" and submitted["totals"]["asking"]["amount"] == "1250.00"
    assert [l["status"] for l in merchant["lines"]] == ["PENDING", "ACCEPTED"]
    assert customer["awaiting"] == "MERCHANT"
    assert accepted["status"] == "ACCEPTED" and accepted["acceptance"]["valid"] is True
    assert accepted["totals"]["agreed"]["amount"] == "1205.00"
    assert withdrawn["status"] == "NEGOTIATING" and withdrawn["acceptance"]["withdrawnAt"]
    assert again["status"] == "ACCEPTED" and again["acceptance"]["valid"] is True
    assert converted["status"] == "CONVERTED"
    assert results[8]["buyOrder"]["total"] == {"amount": "1205.00", "currencyCode": "USD"}
    assert results[8]["buyOrder"]["fulfillment"] == "SHIP"
    assert "/downloads/label/" in results[8]["buyOrder"]["shippingLabel"]["url"]
    assert story["thread"]["totalCount"] == 9
    assert any("Q-000001" in text for text in emails)


def _emails_to(address: str, folder: Path, at_least: int) -> list[str]:
    deadline = time.monotonic() + 20
    while True:
        texts = [p.read_text() for p in sorted(folder.glob("*.eml"))] if folder.exists() else []
        mine = [t for t in texts if "To: " in t and address in t.split("\n\n", 1)[0]]
        if len(mine) >= at_least or time.monotonic() > deadline:
            assert len(mine) >= at_least, f"{len(mine)} emails to {address} in {folder}"
            return mine
        time.sleep(0.2)
