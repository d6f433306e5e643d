"""The evidence of a signature: the certificate of completion, the export checked offline (by
the shipped module and by the README's script), public verification, the consent text, key
rotation, erasure of personal data, and quotes chained before heads were sealed."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pypdf import PdfReader

from graphql_api.app import create_app
from graphql_api.ids import decode_id
from graphql_api.mail.attachments import render_attachments
from graphql_api.settings import ConfigurationError, Settings
from models import chain
from models.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from models.engagement import EngagementEvent, EngagementKind
from models.outbox import OutboxEmail
from models.quote import Acceptance, Quote, QuoteEvent, ThreadMessage
from models.sealing import (
    Keyring,
    derived_key,
    generate_private_key,
    public_entry,
    seal_verifies,
)
from models.sealing import key_id as key_id_of
from models.services.legacy_seals import seal_unsealed_heads
from models.services.snapshots import message_part
from models.services.verification import chain_is_valid
from tests import documents as doc
from tests.client import Api, Org
from tests.flow import accepted, respond, submitted

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = "query($id: ID!) { quoteEvidence(quoteId: $id) }"
SIGNED = """
query($id: ID!) {
  quote(id: $id) {
    status
    seal { headHash eventCount keyId signature }
    acceptance { signerName signedAt signatureHash valid consentVersion consentSha256 certificateUrl }
    acceptances { signatureHash withdrawnAt certificateUrl }
  }
}
"""
VERIFY_SIGNATURE = """
query($hash: String!) {
  verifySignature(signatureHash: $hash) { valid problems signedAt seal { headHash eventCount keyId } }
}
"""
VERIFY_EVIDENCE = "query($e: JSON!) { verifyEvidence(evidence: $e) { valid problems } }"
CONSENT = "query($v: String) { consentText(version: $v) { version text sha256 } }"


def _pdf_text(pdf: bytes) -> str:
    return "".join(
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )


async def _download(api: Api, url: str) -> bytes:
    parts = urlsplit(url)
    response = await api.client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, response.status_code
    return response.content


async def _signed(api: Api, token: str, quote_id: str) -> dict[str, Any]:
    return (await api(SIGNED, {"id": quote_id}, token))["quote"]


async def _export(api: Api, org: Org, quote_id: str) -> dict[str, Any]:
    return (await api(EVIDENCE, {"id": quote_id}, org.owner_token))["quoteEvidence"]


MODULE = ("-m", "graphql_api.verify")


def _offline(
    tmp_path: Path, evidence: bytes, keys: bytes, *command: str
) -> subprocess.CompletedProcess[str]:
    """`python -m graphql_api.verify evidence.json --keys keys.json`, or the README's script
    (`python script.py evidence.json keys.json`), in a process of its own."""
    (tmp_path / "evidence.json").write_bytes(evidence)
    (tmp_path / "keys.json").write_bytes(keys)
    keys_flag = ["--keys"] if command == MODULE else []
    return subprocess.run(
        [
            sys.executable,
            *command,
            str(tmp_path / "evidence.json"),
            *keys_flag,
            str(tmp_path / "keys.json"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def _readme_script(tmp_path: Path) -> Path:
    found = re.search(
        r"<!-- offline-verify -->\s*```python\n(.*?)```",
        (ROOT / "README.md").read_text(),
        re.DOTALL,
    )
    assert found, "the README's offline script"
    script = tmp_path / "verify_offline.py"
    script.write_text(found[1])
    return script


async def test_certificate_of_completion_names_everything(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    signed = await _signed(api, link, quote["id"])
    acceptance = signed["acceptance"]
    assert acceptance["valid"] is True
    assert acceptance["consentVersion"] == CURRENT_CONSENT_VERSION
    consent_hash = hashlib.sha256(CONSENT_TEXTS[CURRENT_CONSENT_VERSION].encode()).hexdigest()
    assert acceptance["consentSha256"] == consent_hash

    text = _pdf_text(await _download(api, acceptance["certificateUrl"]))  # the customer's copy
    pk = decode_id(quote["id"], "Quote")
    events = await QuoteEvent.filter(quote_id=pk).order_by("seq")
    stored = await Quote.get(id=pk)
    assert "ZoëŁukasiewicz" in text and "zoe@example.com" in text
    signed_at = acceptance["signedAt"][:19].replace("T", "")
    assert signed_at in text
    assert "203.0.113.7" in text
    assert consent_hash in text
    assert acceptance["signatureHash"] in text
    assert all(event.hash in text for event in events) and len(events) >= 4
    assert stored.seal_key_id and stored.seal_key_id in text
    assert stored.last_hash in text
    assert "600.00USD" in text and "1,100.00USD" in text

    downloads = await EngagementEvent.filter(quote_id=pk, kind=EngagementKind.CERTIFICATE_DOWNLOAD)
    assert len(downloads) == 1
    staff_copy = await _signed(api, org.owner_token, quote["id"])
    await _download(api, staff_copy["acceptance"]["certificateUrl"])
    assert (
        await EngagementEvent.filter(quote_id=pk, kind=EngagementKind.CERTIFICATE_DOWNLOAD).count()
        == 1
    )  # staff downloads are not the customer's engagement


async def test_acceptance_email_carries_the_seal_and_the_certificate(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    signed = await _signed(api, link, quote["id"])
    mail = await OutboxEmail.filter(
        organization_id=org.id, template="quote_accepted_customer"
    ).first()
    assert mail is not None
    assert mail.context["signature_hash"] == signed["acceptance"]["signatureHash"]
    assert mail.context["sealed_head"] == signed["seal"]["headHash"]
    assert mail.context["sealed_event_count"] == signed["seal"]["eventCount"]
    [attachment] = await render_attachments(mail.context)
    assert attachment.content_type == "application/pdf"
    assert signed["seal"]["headHash"] in _pdf_text(attachment.data)


async def test_withdrawal_has_its_certificate(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    data = await api(doc.WITHDRAW, {"input": {"quoteId": quote["id"]}}, link)
    assert data["withdrawAcceptance"]["userErrors"] == []
    signed = await _signed(api, link, quote["id"])
    [withdrawn] = signed["acceptances"]
    assert withdrawn["withdrawnAt"] is not None
    pk = decode_id(quote["id"], "Quote")
    last = await QuoteEvent.filter(quote_id=pk).order_by("-seq").first()
    assert last is not None and last.payload["message"]["kind"] == "WITHDRAWAL"
    text = _pdf_text(await _download(api, withdrawn["certificateUrl"]))
    assert "Withdrawnat" in text and last.hash in text


async def test_offline_verification_passes_and_fails_on_one_changed_byte(
    api: Api, org: Org, tmp_path: Path
) -> None:
    quote, _ = await accepted(api, org)
    evidence = await _export(api, org, quote["id"])
    keys = (await api.client.get("/.well-known/tradequote-keys.json")).content
    exported = json.dumps(evidence, ensure_ascii=False).encode()
    script = _readme_script(tmp_path)

    for command in (MODULE, (str(script),)):
        good = _offline(tmp_path, exported, keys, *command)
        assert good.returncode == 0, good.stdout + good.stderr
        assert "OK" in good.stdout

        # one byte of a price in the chain: 600.00 becomes 700.00
        at = exported.index(b'"600.00"') + 1
        price = exported[:at] + b"7" + exported[at + 1 :]
        assert _offline(tmp_path, price, keys, *command).returncode != 0

        # one byte of the signer's disclosed name
        at = exported.index("Łukasiewicz".encode()) + 2
        name = exported[:at] + b"X" + exported[at + 1 :]
        assert _offline(tmp_path, name, keys, *command).returncode != 0

    # online, the same document and its altered copy
    assert (await api(VERIFY_EVIDENCE, {"e": evidence}))["verifyEvidence"] == {
        "valid": True,
        "problems": [],
    }
    at = exported.index(b'"600.00"') + 1
    altered = json.loads(exported[:at] + b"7" + exported[at + 1 :])
    result = (await api(VERIFY_EVIDENCE, {"e": altered}))["verifyEvidence"]
    assert result["valid"] is False and result["problems"]


async def test_anyone_can_verify_a_signature_hash(api: Api, org: Org) -> None:
    quote, link = await accepted(api, org)
    signed = await _signed(api, link, quote["id"])
    result = (await api(VERIFY_SIGNATURE, {"hash": signed["acceptance"]["signatureHash"]}))[
        "verifySignature"
    ]
    assert result["valid"] is True and result["problems"] == []
    assert result["seal"] == {
        "headHash": signed["seal"]["headHash"],
        "eventCount": signed["seal"]["eventCount"],
        "keyId": signed["seal"]["keyId"],
    }
    assert (await api(VERIFY_SIGNATURE, {"hash": "0" * 64}))["verifySignature"] is None

    readme = (ROOT / "README.md").read_text()
    documented = re.search(r"```graphql\n(query Check.*?)```", readme, re.DOTALL)
    assert documented, "the README's verifySignature example"
    as_documented = await api(documented[1], {"hash": signed["acceptance"]["signatureHash"]})
    assert as_documented["verifySignature"]["valid"] is True

    pk = decode_id(quote["id"], "Quote")
    await ThreadMessage.filter(quote_id=pk, kind="ACCEPTANCE").update(body="changed")
    result = (await api(VERIFY_SIGNATURE, {"hash": signed["acceptance"]["signatureHash"]}))[
        "verifySignature"
    ]
    assert result["valid"] is False and result["problems"]


async def test_consent_text_is_public_and_its_version_is_checked(api: Api, org: Org) -> None:
    current = (await api(CONSENT, {"v": None}))["consentText"]
    assert current["version"] == CURRENT_CONSENT_VERSION
    assert current["sha256"] == hashlib.sha256(current["text"].encode()).hexdigest()
    assert (await api(CONSENT, {"v": "1999-01"}))["consentText"] is None

    quote, link = await submitted(api, org)
    payload = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("COUNTER", "250")])
    assert payload["userErrors"] == []
    signature = {
        "name": "Zoë",
        "email": "zoe@example.com",
        "consent": True,
        "consentVersion": "1999-01",
    }
    data = await api(
        doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": signature}}, link
    )
    errors = data["acceptAllRemaining"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INPUT", ["input", "signature", "consentVersion"])
    ]
    signature["consentVersion"] = CURRENT_CONSENT_VERSION
    data = await api(
        doc.ACCEPT_ALL, {"input": {"quoteId": quote["id"], "signature": signature}}, link
    )
    assert data["acceptAllRemaining"]["userErrors"] == []


async def test_erasing_a_message_with_its_salt_keeps_the_chain_valid(
    api: Api, org: Org, tmp_path: Path
) -> None:
    quote, link = await accepted(api, org)
    pk = decode_id(quote["id"], "Quote")
    message = await ThreadMessage.filter(quote_id=pk, kind="SUBMISSION").first()
    assert message is not None and message.salt is not None

    # the text changed, its salt kept: detected
    await ThreadMessage.filter(id=message.id).update(author_name="Somebody Else")
    assert (await _signed(api, link, quote["id"]))["acceptance"]["valid"] is False

    # text and salt erased together, as an erasure request would: still valid
    await ThreadMessage.filter(id=message.id).update(author_name=None, body=None, salt=None)
    assert (await _signed(api, link, quote["id"]))["acceptance"]["valid"] is True
    evidence = await _export(api, org, quote["id"])
    assert "Zoë Łukasiewicz" in json.dumps(evidence, ensure_ascii=False)  # the signature's still
    keys = (await api.client.get("/.well-known/tradequote-keys.json")).content
    result = _offline(tmp_path, json.dumps(evidence).encode(), keys, *MODULE)
    assert result.returncode == 0, result.stdout

    # the erased row then given text again, without a salt: detected
    await ThreadMessage.filter(id=message.id).update(author_name="Somebody Else")
    assert (await _signed(api, link, quote["id"]))["acceptance"]["valid"] is False


async def test_a_quote_sealed_under_an_old_key_verifies_after_rotation(
    api: Api, org: Org, app: Any
) -> None:
    quote, _ = await accepted(api, org)
    pk = decode_id(quote["id"], "Quote")
    assert pk is not None
    old: Keyring = app.state.deps.keys
    new_key = generate_private_key()
    rotated = Settings(
        database_url=app.state.settings.database_url,
        secret_key=app.state.settings.secret_key,
        mail_dir=app.state.settings.mail_dir,
        signing_keys=new_key,
    )
    assert await chain_is_valid(pk, rotated.keyring())  # the derived key stays published
    assert rotated.keyring().current_id != old.current_id

    rotated_app = create_app(rotated, background=False)
    await rotated_app.state.broker.start()
    try:
        transport = httpx.ASGITransport(app=rotated_app, client=("203.0.113.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            server = Api(client)
            published = (await client.get("/.well-known/tradequote-keys.json")).json()["keys"]
            assert [(k["kid"], k["status"]) for k in published] == [
                (rotated.keyring().current_id, "current"),
                (old.current_id, "retired"),
            ]
            assert (await _signed(server, org.owner_token, quote["id"]))["acceptance"]["valid"]
            data = await server(
                doc.CONVERT,
                {"input": {"quoteId": quote["id"], "payoutMethod": "CHECK", "fulfillment": "SHIP"}},
                org.owner_token,
            )
            assert data["convertToBuyOrder"]["userErrors"] == []
            after = await _signed(server, org.owner_token, quote["id"])
            assert after["seal"]["keyId"] == rotated.keyring().current_id
            assert after["acceptance"]["valid"] is True
    finally:
        await rotated_app.state.broker.stop()

    # keys configured explicitly, then rotated with the first one kept as a public key
    first = Keyring.from_config("s" * 40, generate_private_key())
    kept = public_entry(first.current.public_key())
    later = Keyring.from_config("s" * 40, f"{generate_private_key()},{kept}")
    forgotten = Keyring.from_config("s" * 40, generate_private_key())
    key_id, signature = first.seal(pk, 3, "ab" * 32)
    message = chain.seal_message(quote["id"], 3, "ab" * 32)
    assert seal_verifies(dict(later.public), key_id, signature, message)
    assert not seal_verifies(dict(forgotten.public), key_id, signature, message)
    assert dict(forgotten.public).keys() >= {key_id_of(derived_key("s" * 40).public_key())}


async def test_quotes_chained_before_sealing_are_sealed_once_if_they_still_recompute(
    api: Api, org: Org, app: Any
) -> None:
    keys: Keyring = app.state.deps.keys
    healthy, link = await accepted(api, org)
    broken, broken_link = await accepted(api, org)
    for quote in (healthy, broken):
        await _as_before_sealing(decode_id(quote["id"], "Quote"))
    assert (await _signed(api, link, healthy["id"]))["acceptance"]["valid"] is False  # no seal
    await ThreadMessage.filter(quote_id=decode_id(broken["id"], "Quote"), kind="SUBMISSION").update(
        body="rewritten"
    )

    sealed, refused = await seal_unsealed_heads(keys)
    assert sealed >= 1 and refused >= 1
    assert (await _signed(api, link, healthy["id"]))["acceptance"]["valid"] is True
    assert (await _signed(api, broken_link, broken["id"]))["acceptance"]["valid"] is False
    assert await seal_unsealed_heads(keys) == (0, refused)  # once only


async def _as_before_sealing(pk: int | None) -> None:
    """Rewrite a quote as the chain stood before salting and sealing: plain-text messages and
    signature, no line state, no seal."""
    messages = {m.id: m for m in await ThreadMessage.filter(quote_id=pk)}
    acceptances = {a.event_id: a for a in await Acceptance.filter(quote_id=pk)}
    previous = chain.GENESIS
    for event in await QuoteEvent.filter(quote_id=pk).order_by("seq"):
        payload = dict(event.payload)
        payload.pop("lineState", None)
        message = messages[payload["message"]["id"]]
        message.salt = None
        payload["message"] = message_part(message, salted=False)
        if event.id in acceptances:
            acceptance = acceptances[event.id]
            payload["signature"] = {
                "name": acceptance.signer_name,
                "email": acceptance.signer_email,
                "consent": acceptance.consent,
                "signedAt": acceptance.signed_at.isoformat(),
                "clientIp": acceptance.client_ip,
                "userAgent": acceptance.user_agent,
                "terms": acceptance.terms,
            }
        new_hash = chain.link(previous, payload)
        await QuoteEvent.filter(id=event.id).update(
            payload=payload, prev_hash=previous, hash=new_hash
        )
        await Acceptance.filter(event_id=event.id).update(
            signature_hash=new_hash, salt=None, consent_version=None, consent_sha256=None
        )
        previous = new_hash
    await ThreadMessage.filter(quote_id=pk).update(salt=None)
    await Quote.filter(id=pk).update(last_hash=previous, seal_key_id=None, seal_signature=None)


async def test_malformed_evidence_is_invalid_not_a_fault(api: Api) -> None:
    for document in (
        {"format": "something else"},
        {"format": "tradequote-evidence/1", "events": [1, "two"], "seal": {"eventCount": "x"}},
        {"format": "tradequote-evidence/1", "events": [], "disclosures": [{"seq": "a"}]},
    ):
        result = (await api(VERIFY_EVIDENCE, {"e": document}))["verifyEvidence"]
        assert result["valid"] is False and result["problems"], document
    body = await api.raw(VERIFY_EVIDENCE, {"e": [1, 2]})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api(VERIFY_SIGNATURE, {"hash": "not a hash"}))["verifySignature"] is None


async def test_the_receipt_carries_the_signature_hash_and_the_sealed_head(
    api: Api, org: Org
) -> None:
    quote, link = await accepted(api, org)
    data = await api(
        doc.CONVERT,
        {"input": {"quoteId": quote["id"], "payoutMethod": "CHECK", "fulfillment": "SHIP"}},
        org.owner_token,
    )
    assert data["convertToBuyOrder"]["userErrors"] == []
    signed = await _signed(api, link, quote["id"])
    receipt = "query($id: ID!) { quote(id: $id) { buyOrder { receiptUrl } } }"
    url = (await api(receipt, {"id": quote["id"]}, link))["quote"]["buyOrder"]["receiptUrl"]
    text = _pdf_text(await _download(api, url))
    assert signed["acceptance"]["signatureHash"] in text
    assert signed["seal"]["headHash"] in text and signed["seal"]["keyId"] in text


def test_signing_keys_are_configured_or_refused_clearly() -> None:
    secret = "c" * 40
    derived = Settings.from_env({"TRADEQUOTE_SECRET_KEY": secret}).keyring()
    assert [kid for kid, _ in derived.public] == [derived.current_id]
    current, older = generate_private_key(), generate_private_key()
    configured = Settings.from_env(
        {"TRADEQUOTE_SECRET_KEY": secret, "TRADEQUOTE_SIGNING_KEYS": f"{current},{older}"}
    ).keyring()
    assert configured.current_id != derived.current_id
    assert len(configured.public) == 3 and derived.current_id in dict(configured.public)
    for bad in ("public:" + "A" * 43, "private:short", "private:" + "z" * 64, "secret:abc"):
        with pytest.raises(ConfigurationError, match="TRADEQUOTE_SIGNING_KEYS"):
            Settings.from_env({"TRADEQUOTE_SECRET_KEY": secret, "TRADEQUOTE_SIGNING_KEYS": bad})
