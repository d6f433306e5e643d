"""The evidence check on its own, no database: any change to a chained value, a disclosed
personal value, the paid lines, or a cut-off tail is found; untouched evidence holds."""

from __future__ import annotations

import copy
import secrets
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models import chain
from models.evidence import FORMAT, check
from models.sealing import Keyring, quote_reference

KEYS = Keyring.from_config("evidence-rules-" + "k" * 32)
PUBLIC = dict(KEYS.public)

texts = st.text(min_size=1, max_size=40)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(99999), places=2)


@st.composite
def negotiations(draw: st.DrawFn) -> dict[str, Any]:
    """A chain of messages ending in a signed acceptance, with its evidence document."""
    quote_id = draw(st.integers(min_value=1, max_value=10**6))
    bodies = draw(st.lists(texts, min_size=1, max_size=6))
    terms = [
        {
            "lineId": index + 1,
            "position": index + 1,
            "device": draw(texts),
            "quantity": draw(st.integers(min_value=1, max_value=50)),
            "agreedPrice": str(draw(prices)),
        }
        for index in range(draw(st.integers(min_value=1, max_value=4)))
    ]
    events, disclosures, head = [], [], chain.GENESIS
    for seq, body in enumerate([*bodies, "I accept"], start=1):
        salt = secrets.token_hex(16)
        last = seq == len(bodies) + 1
        payload: dict[str, Any] = {
            "seq": seq,
            "message": {
                "id": seq,
                "kind": "ACCEPTANCE" if last else "MESSAGE",
                "bodyHash": chain.commit(salt, body),
            },
            "status": {"from": "NEGOTIATING", "to": "ACCEPTED" if last else "NEGOTIATING"},
        }
        if last:
            payload["signature"] = {"consent": True, "terms": {"lines": terms}}
        disclosures.append(
            {"seq": seq, "path": ["message", "bodyHash"], "salt": salt, "value": body}
        )
        digest = chain.link(head, payload)
        events.append({"seq": seq, "prevHash": head, "hash": digest, "payload": payload})
        head = digest
    key_id, signature = KEYS.seal(quote_id, len(events), head)
    return {
        "format": FORMAT,
        "quote": {"id": quote_reference(quote_id), "status": "ACCEPTED"},
        "events": events,
        "seal": {
            "keyId": key_id,
            "signature": signature,
            "eventCount": len(events),
            "headHash": head,
        },
        "disclosures": disclosures,
        "consentTexts": {},
        "lines": [{**line, "status": "ACCEPTED"} for line in terms],
    }


@settings(max_examples=40, deadline=None)
@given(negotiations())
def test_untouched_evidence_holds(evidence: dict[str, Any]) -> None:
    assert check(evidence, PUBLIC) == []


@settings(max_examples=40, deadline=None)
@given(negotiations(), st.data())
def test_a_changed_chained_value_is_found(evidence: dict[str, Any], data: st.DataObject) -> None:
    altered = copy.deepcopy(evidence)
    event = data.draw(st.sampled_from(altered["events"]))
    message = event["payload"]["message"]
    key = data.draw(st.sampled_from(["id", "kind", "bodyHash"]))
    message[key] = data.draw(st.one_of(texts, st.integers()).filter(lambda v: v != message[key]))
    assert check(altered, PUBLIC) != []


@settings(max_examples=40, deadline=None)
@given(negotiations(), st.data())
def test_a_changed_personal_value_is_found(evidence: dict[str, Any], data: st.DataObject) -> None:
    altered = copy.deepcopy(evidence)
    disclosed = data.draw(st.sampled_from(altered["disclosures"]))
    disclosed["value"] = data.draw(texts.filter(lambda v: v != disclosed["value"]))
    assert check(altered, PUBLIC) != []


@settings(max_examples=40, deadline=None)
@given(negotiations(), st.data())
def test_an_erased_personal_value_still_holds(
    evidence: dict[str, Any], data: st.DataObject
) -> None:
    erased = copy.deepcopy(evidence)
    erased["disclosures"].remove(data.draw(st.sampled_from(erased["disclosures"])))
    assert check(erased, PUBLIC) == []


@settings(max_examples=40, deadline=None)
@given(negotiations(), st.data())
def test_paid_lines_that_differ_from_the_terms_are_found(
    evidence: dict[str, Any], data: st.DataObject
) -> None:
    altered = copy.deepcopy(evidence)
    line = data.draw(st.sampled_from(altered["lines"]))
    key = data.draw(st.sampled_from(["quantity", "agreedPrice"]))
    if key == "quantity":
        line[key] = data.draw(
            st.integers(min_value=0, max_value=10**6).filter(lambda q: q != line[key])
        )
    else:
        line[key] = str(data.draw(prices.filter(lambda p: p != Decimal(line[key]))))
    assert "the accepted lines differ from the signed terms" in check(altered, PUBLIC)


@settings(max_examples=40, deadline=None)
@given(negotiations(), st.data())
def test_a_cut_off_tail_is_found(evidence: dict[str, Any], data: st.DataObject) -> None:
    """Events dropped from the end, the head and count rolled back, the last seal kept."""
    cut = copy.deepcopy(evidence)
    keep = data.draw(st.integers(min_value=0, max_value=len(cut["events"]) - 1))
    cut["events"] = cut["events"][:keep]
    cut["disclosures"] = [d for d in cut["disclosures"] if d["seq"] <= keep]
    cut["seal"]["eventCount"] = keep
    cut["seal"]["headHash"] = cut["events"][-1]["hash"] if keep else chain.GENESIS
    if keep:
        cut["quote"]["status"] = cut["events"][-1]["payload"]["status"]["to"]
    assert "the seal does not verify with the server's public key" in check(cut, PUBLIC)


def test_a_seal_by_an_unknown_key_does_not_verify() -> None:
    other = Keyring.from_config("another-secret-" + "o" * 32)
    head = chain.link(chain.GENESIS, {"seq": 1})
    events = [{"seq": 1, "prevHash": chain.GENESIS, "hash": head, "payload": {"seq": 1}}]
    key_id, signature = other.seal(7, 1, head)
    document = {
        "format": FORMAT,
        "quote": {"id": quote_reference(7)},
        "events": events,
        "seal": {"keyId": key_id, "signature": signature, "eventCount": 1, "headHash": head},
    }
    assert check(document, PUBLIC) == ["the seal does not verify with the server's public key"]
    assert check(document, dict(other.public)) == []


def test_the_seal_names_the_quote_by_its_global_id() -> None:
    from graphql_api.ids import to_global_id

    assert all(quote_reference(pk) == to_global_id("Quote", pk) for pk in (1, 42, 10**9))
