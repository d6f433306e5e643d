"""The consent to electronic signature that the customer is shown before accepting, versioned:
an acceptance records which version was shown, and the SHA-256 of its exact text is sealed
into the signature. A text is never edited once published: a change is a new version."""

from __future__ import annotations

import hashlib

CONSENT_TEXTS: dict[str, str] = {
    "2026-11-1": (
        "I agree to sell the devices listed at the agreed prices and totals shown. I agree to "
        "sign electronically: typing my name is my signature, with the same effect as a "
        "handwritten one. I consent to receiving this agreement and the records of it "
        "electronically, and I can download them at any time through my quote link. The "
        "merchant records my name, email address, the time, my network address and my "
        "browser with this signature as evidence of it."
    ),
}
CURRENT_CONSENT_VERSION = "2026-11-1"


def consent_sha256(version: str) -> str:
    return hashlib.sha256(CONSENT_TEXTS[version].encode("utf-8")).hexdigest()
