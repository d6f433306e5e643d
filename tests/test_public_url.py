"""Links point where the server is: the host and port `tradequote serve` listens on, unless
TRADEQUOTE_PUBLIC_URL names another base."""

from __future__ import annotations

import email
import email.policy
import json
import secrets
import time
from pathlib import Path

import httpx
import pytest

from graphql_api.settings import SERVED_URL_VARIABLE, Settings, served_url
from tests import documents as doc
from tests.live import ServerProcess, run_cli, server_env, start_server

SECRET = "public-url-test-secret-" + secrets.token_urlsafe(32)
WARNING = "TRADEQUOTE_PUBLIC_URL is unset"


def test_the_configured_public_url_wins_over_the_served_one() -> None:
    base = {"TRADEQUOTE_SECRET_KEY": SECRET}
    assert Settings.from_env(base).public_url == "http://127.0.0.1:8000"
    assert not Settings.from_env(base).public_url_configured
    served = Settings.from_env({**base, SERVED_URL_VARIABLE: "http://127.0.0.1:18100"})
    assert (served.public_url, served.public_url_configured) == ("http://127.0.0.1:18100", False)
    both = Settings.from_env(
        {**base, SERVED_URL_VARIABLE: "http://127.0.0.1:18100",
         "TRADEQUOTE_PUBLIC_URL": "https://quotes.example.com/"}
    )  # fmt: skip
    assert (both.public_url, both.public_url_configured) == ("https://quotes.example.com", True)


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 18100, "http://127.0.0.1:18100"),
        ("0.0.0.0", 8080, "http://127.0.0.1:8080"),
        ("", 8080, "http://127.0.0.1:8080"),
        ("::", 9000, "http://[::1]:9000"),
        ("::1", 9000, "http://[::1]:9000"),
        ("quotes.internal", 80, "http://quotes.internal:80"),
    ],
)
def test_the_served_url_is_reachable_from_this_machine(host: str, port: int, url: str) -> None:
    assert served_url(host, port) == url


def email_texts(folder: Path, at_least: int) -> list[str]:
    """The decoded text of every .eml file in `folder`, once `at_least` have been written."""
    deadline = time.monotonic() + 20
    while True:
        texts = []
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            with path.open("rb") as file:
                message = email.message_from_binary_file(file, policy=email.policy.default)
            parts = [part for part in message.walk() if part.get_content_maintype() == "text"]
            texts.append("\n".join(part.get_content() for part in parts))
        if len(texts) >= at_least or time.monotonic() > deadline:
            assert len(texts) >= at_least, f"{len(texts)} emails in {folder}"
            return texts
        time.sleep(0.1)


def request_a_quote(server: ServerProcess, token: str) -> str:
    """The customer link of a new quote request (which is also emailed)."""
    response = httpx.post(
        f"{server.http}/graphql",
        json={"query": doc.CREATE_REQUEST, "variables": {"input": {
            "customerName": "Zoë Łukasiewicz", "customerEmail": "zoe@example.com"}}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )  # fmt: skip
    payload = response.json()["data"]["createQuoteRequest"]
    assert payload["userErrors"] == []
    return str(payload["url"])


def serve(tmp_path: Path, **extra: str) -> tuple[ServerProcess, str]:
    env = server_env(f"sqlite://{tmp_path / 'links.db'}", SECRET, **extra)
    created = json.loads(run_cli(
        ["create-organization", "--name", "Links", "--slug", "links",
         "--owner-email", "owner@links.test", "--json"], env, tmp_path,
    ))  # fmt: skip
    return start_server(env, tmp_path, "links"), str(created["ownerToken"])


def test_unset_links_carry_the_port_served_and_production_warns(tmp_path: Path) -> None:
    server, token = serve(tmp_path, TRADEQUOTE_ENV="production")
    try:
        url = request_a_quote(server, token)
        assert url.startswith(f"http://127.0.0.1:{server.port}/q/tql_")
        assert httpx.get(url, timeout=10).status_code == 200
        (text,) = email_texts(tmp_path / "mail", at_least=1)
        assert url in text
    finally:
        server.stop()
    assert WARNING in server.output()


def test_set_the_public_url_wins(tmp_path: Path) -> None:
    server, token = serve(
        tmp_path, TRADEQUOTE_ENV="production", TRADEQUOTE_PUBLIC_URL="https://quotes.example.com"
    )
    try:
        url = request_a_quote(server, token)
        assert url.startswith("https://quotes.example.com/q/tql_")
        (text,) = email_texts(tmp_path / "mail", at_least=1)
        assert url in text and f":{server.port}" not in text
    finally:
        server.stop()
    assert WARNING not in server.output()
