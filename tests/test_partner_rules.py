"""The rules under the partner features, without a server: which addresses are public, how
manifests read, signatures as the specification computes them, and the APQ store's bound."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.partners import DocumentKind, PersistedDocument
from models.sealing import Keyring
from models.services import documents
from models.services.webhook_urls import public_address
from models.webhook_signing import new_secret, signature_header

PRIVATE_V4 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8")]  # fmt: skip


@given(st.sampled_from(PRIVATE_V4), st.integers(min_value=0, max_value=2**32 - 1))
def test_no_private_loopback_or_link_local_address_is_public(network: ipaddress.IPv4Network, n: int) -> None:
    address = network[n % network.num_addresses]
    assert not public_address(str(address))
    assert not public_address(f"::ffff:{address}")  # nor its IPv4-mapped IPv6 form


@pytest.mark.parametrize("address", ["::1", "fe80::1", "fc00::1", "ff02::1", "224.0.0.1"])
def test_ipv6_and_multicast_non_public_addresses(address: str) -> None:
    assert not public_address(address)


def test_both_manifest_formats_read_and_anything_else_is_refused() -> None:
    apollo = {"format": "apollo-persisted-query-manifest", "version": 1,
              "operations": [{"id": "abc", "name": "A", "type": "query", "body": "{ viewer { kind } }"}]}  # fmt: skip
    assert documents.parse_manifest(json.dumps(apollo)) == [("abc", "{ viewer { kind } }")]
    assert documents.parse_manifest(json.dumps({"r1": "{ viewer { kind } }"})) == [("r1", "{ viewer { kind } }")]
    for bad in ("[]", "not json", json.dumps({"r1": 3}), json.dumps({"format": "apollo-persisted-query-manifest"})):
        with pytest.raises(documents.ManifestError):
            documents.parse_manifest(bad)


def test_the_signature_header_is_the_specifications() -> None:
    keys = Keyring.from_config("k" * 40)
    secret = new_secret()
    header = signature_header(secret, keys, "evt_1", 1700000000, '{"a":1}')
    v1, v1a = header.split(" ")
    content = b'evt_1.1700000000.{"a":1}'
    expected = hmac.new(base64.b64decode(secret.removeprefix("whsec_")), content, hashlib.sha256).digest()
    assert v1 == "v1," + base64.b64encode(expected).decode()
    keys.current.public_key().verify(base64.b64decode(v1a.removeprefix("v1a,")), content)


async def test_the_apq_store_keeps_the_most_recently_used(database: str) -> None:
    await PersistedDocument.filter(kind=DocumentKind.APQ).delete()
    texts = [f"query Q{n} {{ viewer {{ kind }} }}" for n in range(4)]
    for n, text in enumerate(texts):
        await documents.register_apq(documents.sha256_hex(text), text, datetime(2026, 1, 1 + n, tzinfo=UTC), 2)
    kept = await PersistedDocument.filter(kind=DocumentKind.APQ).values_list("body", flat=True)
    assert sorted(kept) == sorted(texts[2:])
    # registering again (another replica at the same moment) is harmless
    await documents.register_apq(documents.sha256_hex(texts[3]), texts[3], datetime(2026, 2, 1, tzinfo=UTC), 2)
    assert await PersistedDocument.filter(kind=DocumentKind.APQ).count() == 2
