"""The runtime install serves everything: `tradequote serve` from a venv built from
requirements.lock alone, on a random port, with TRADEQUOTE_PUBLIC_URL unset.

A real WebSocket client (the `websockets` package of that same venv) receives a `threadMessages`
event, and the links in the API's answers and in the written email carry the served port.
Only the standard library and the runtime venv's packages are used.

Usage: VENV/bin/python .ci/runtime_check.py VENV/bin/tradequote
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

TIMEOUT = 30.0
CREATE_REQUEST = """
mutation CreateRequest($input: CreateQuoteRequestInput!) {
  createQuoteRequest(input: $input) { url quote { id } userErrors { code message field } }
}
"""
SUBMIT = """
mutation Submit($input: SubmitQuoteInput!) {
  submitQuote(input: $input) { quote { status pdfUrl } userErrors { code message field } }
}
"""
SEND_MESSAGE = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id body } userErrors { code message field } }
}
"""
THREAD_MESSAGES = """
subscription Thread($id: ID!) { threadMessages(quoteId: $id) { id kind author body } }
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def graphql(base: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        body: dict[str, Any] = json.load(response)
    assert not body.get("errors"), body
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], payload
    return dict(payload)


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"tradequote serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    sys.exit(f"tradequote serve did not answer /healthz in {TIMEOUT}s:\n{log.read_text()}")


async def receive_a_thread_message(
    base: str, ws_url: str, owner: str, customer: str, quote_id: str
) -> dict[str, Any]:
    """Subscribe as the customer; the owner writes until the subscription delivers (a server in
    another process gives no sign of when a subscription starts listening)."""
    async with connect(ws_url, subprotocols=["graphql-transport-ws"], proxy=None) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {customer}"}}
        ))
        ack = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": THREAD_MESSAGES, "variables": {"id": quote_id}}}))
        for attempt in range(20):
            body = f"ping {attempt}"
            sent = await asyncio.to_thread(
                graphql, base, SEND_MESSAGE, {"input": {"quoteId": quote_id, "body": body}}, owner
            )
            try:
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                    assert message["type"] == "next" and message["id"] == "1", message
                    event: dict[str, Any] = message["payload"]["data"]["threadMessages"]
                    if event["id"] == sent["message"]["id"]:
                        assert event["body"] == body and event["author"] == "STAFF", event
                        return event
            except TimeoutError:
                continue
    sys.exit("the threadMessages subscription delivered nothing in 20 messages")


def email_text(path: Path) -> str:
    """Every text part of an .eml file, decoded."""
    with path.open("rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    return "\n".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


def emails_with(folder: Path, text: str) -> list[Path]:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = [p for p in sorted(folder.glob("*.eml")) if text in email_text(p)]
        if found:
            return found
        time.sleep(0.2)
    sys.exit(f"no email in {folder} carries {text}")


def main(tradequote: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tq-runtime-") as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEQUOTE_")}
        env.update(
            TRADEQUOTE_DATABASE_URL=f"sqlite://{workdir / 'runtime.db'}",
            TRADEQUOTE_SECRET_KEY="runtime-check-secret-" + "k" * 32,
            PYTHONUNBUFFERED="1",
        )
        created = json.loads(subprocess.run(
            [tradequote, "create-organization", "--name", "Runtime Shop", "--slug", "runtime",
             "--owner-email", "owner@runtime.test", "--json"],
            env=env, cwd=workdir, capture_output=True, text=True, check=True, timeout=60,
        ).stdout)  # fmt: skip
        owner = created["ownerToken"]
        log = workdir / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [tradequote, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_until_healthy(base, process, log)
            request = graphql(base, CREATE_REQUEST, {"input": {
                "customerName": "Zoë Łukasiewicz", "customerEmail": "zoe@example.com"}}, owner)
            url, quote = request["url"], request["quote"]
            assert url.startswith(f"{base}/q/tql_"), url
            customer = url.rsplit("/", 1)[1]
            submitted = graphql(base, SUBMIT, {"input": {
                "quoteId": quote["id"],
                "contact": {"name": "Zoë Łukasiewicz", "email": "zoe@example.com"},
                "devices": [{"type": "PHONE", "brand": "Apple", "model": "iPhone 14 Pro",
                             "condition": "GOOD", "quantity": 1, "askingPrice": "650.00"}],
            }}, customer)["quote"]  # fmt: skip
            pdf_url = submitted["pdfUrl"]
            assert pdf_url.startswith(f"{base}/downloads/quote/"), pdf_url
            with urllib.request.urlopen(pdf_url, timeout=TIMEOUT) as pdf:
                assert pdf.read(5) == b"%PDF-"
            event = asyncio.run(receive_a_thread_message(
                base, f"ws://127.0.0.1:{port}/graphql", owner, customer, quote["id"]))
            emails = emails_with(workdir / "mail", f"{base}/q/tql_")
            with urllib.request.urlopen(url, timeout=TIMEOUT) as page:
                assert page.status == 200
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(TIMEOUT)
        # uvicorn exits through the signal it handled, after its graceful shutdown
        assert code in (0, -signal.SIGTERM), f"serve exited with {code}:\n{log.read_text()}"
        assert "No supported WebSocket library" not in log.read_text()
    print(
        f"runtime install: tradequote serve on port {port} delivered threadMessages "
        f"{event['body']!r} over WebSocket; links in answers and in {len(emails)} written "
        f"email(s) carry :{port}"
    )


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]))
