"""Checking a quote's evidence: the chain recomputes, its sealed head verifies with the server's
public key, every disclosed personal value matches its salted hash, the consent text matches
its sealed hash, and the lines equal the signed terms.

Pure: it reads an evidence document (as `quoteEvidence` exports it) and a set of public keys,
nothing else. The server checks its own rows with it; anyone can run it offline with
`python -m graphql_api.verify evidence.json --keys tradequote-keys.json`.

The evidence document:

    {"format": "tradequote-evidence/1",
     "quote": {"id", "number", "status", "currencyCode"},
     "events": [{"seq", "prevHash", "hash", "payload"}],        # the chain, oldest first
     "seal": {"keyId", "signature", "eventCount", "headHash"},  # Ed25519 over the head
     "disclosures": [{"seq", "path", "salt", "value"}],         # personal values, unless erased
     "consentTexts": {"<version>": "<exact text>"},
     "lines": [{"lineId", "position", "device", "quantity", "agreedPrice", "status"}]}
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from models import chain
from models.sealing import seal_verifies

FORMAT = "tradequote-evidence/1"
AGREED_STATUSES = ("ACCEPTED", "CONVERTED")


def _terms_key(lines: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Lines compared by what gets paid: line, device, quantity and agreed price."""

    def price(value: Any) -> Decimal | None:
        try:
            return None if value is None else Decimal(str(value))
        except InvalidOperation:
            return None

    return sorted(
        (line.get("lineId"), line.get("device"), line.get("quantity"), price(line.get("agreedPrice")))
        for line in lines
    )


def agreed_terms(payloads: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]] | None:
    """The accepted lines the chain says stand: those of the latest signature not withdrawn
    since, else those of the latest chained line state; None for a chain with neither."""
    signed: list[Mapping[str, Any]] | None = None
    state: list[Mapping[str, Any]] | None = None
    for payload in payloads:
        message = payload.get("message") or {}
        if message.get("kind") == "WITHDRAWAL":
            signed = None
        if "signature" in payload:
            signed = list(payload["signature"].get("terms", {}).get("lines", []))
        if "lineState" in payload:
            state = [line for line in payload["lineState"] if line.get("status") == "ACCEPTED"]
    return signed if signed is not None else state


def _at(payload: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(payload, Mapping):
            return None
        payload = payload.get(key)
    return payload


def check(evidence: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]) -> list[str]:
    """Every problem found, in words; an empty list means the evidence holds."""
    if evidence.get("format") != FORMAT:
        return [f"not a {FORMAT} document"]
    problems: list[str] = []
    events = list(evidence.get("events") or [])
    head = chain.GENESIS
    for index, event in enumerate(events, start=1):
        payload = event.get("payload") or {}
        if event.get("seq") != index or payload.get("seq") != index:
            problems.append(f"event {index} is out of sequence")
        if event.get("prevHash") != head:
            problems.append(f"event {index} does not link to the event before it")
        if chain.link(str(event.get("prevHash")), payload) != event.get("hash"):
            problems.append(f"event {index} does not hash to its recorded hash")
        head = str(event.get("hash"))

    seal = evidence.get("seal") or {}
    quote = evidence.get("quote") or {}
    if seal.get("eventCount") != len(events) or seal.get("headHash") != head:
        problems.append("the sealed head is not the head of the chain (cut off or extended)")
    elif not seal_verifies(
        keys,
        str(seal.get("keyId")),
        str(seal.get("signature")),
        chain.seal_message(str(quote.get("id")), len(events), head),
    ):
        problems.append("the seal does not verify with the server's public key")

    payloads = [event.get("payload") or {} for event in events]
    for item in evidence.get("disclosures") or []:
        seq = item.get("seq")
        committed = _at(payloads[seq - 1], item.get("path") or []) if 0 < seq <= len(events) else None
        if committed is None or chain.commit(item.get("salt"), item.get("value")) != committed:
            problems.append(f"event {seq}: {'.'.join(item.get('path') or [])} does not match")

    texts = evidence.get("consentTexts") or {}
    for index, payload in enumerate(payloads, start=1):
        signature = payload.get("signature") or {}
        version = signature.get("consentVersion")
        if version is not None:
            text = texts.get(version)
            digest = None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()
            if digest != signature.get("consentSha256"):
                problems.append(f"event {index}: the consent text does not match its hash")

    status = (payloads[-1].get("status") or {}).get("to") if payloads else None
    if payloads and quote.get("status") != status:
        problems.append("the quote's status is not the one its chain ends in")
    if status in AGREED_STATUSES:
        agreed = agreed_terms(payloads)
        current = [line for line in evidence.get("lines") or [] if line.get("status") == "ACCEPTED"]
        if agreed is not None and _terms_key(agreed) != _terms_key(current):
            problems.append("the accepted lines differ from the signed terms")
    return problems
