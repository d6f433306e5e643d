"""Evidence photos, pure: what an upload's bytes are (by content, never by name) and how large
one may be."""

from __future__ import annotations

MAX_PHOTO_BYTES = 10 * 1024 * 1024
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"mif1", b"msf1"})


def content_type(data: bytes) -> str | None:
    """image/jpeg, image/png or image/heic when the bytes are one; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "image/heic"
    return None
