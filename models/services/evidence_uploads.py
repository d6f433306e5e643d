"""Staged uploads of evidence photos: short-lived signed URLs, each used once; the bytes are
checked by content (JPEG, PNG, HEIC) and size before they are stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from models.errors import DomainError, ErrorCode
from models.photos import MAX_PHOTO_BYTES, content_type
from models.revised_offer import EvidenceUpload
from models.services.caller import Caller, Deps
from models.services.receiving import BENCH_ROLES
from models.services.storage import PhotoStorage
from models.services.unit_of_work import unit_of_work

UPLOAD_TTL = timedelta(minutes=15)
VIEW_TTL = timedelta(minutes=15)
MAX_STAGED = 10


def _signature(secret_key: str, purpose: str, upload_id: int, expires: int) -> str:
    message = f"evidence:{purpose}:{upload_id}:{expires}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_path(secret_key: str, purpose: str, upload_id: int, expires_at: datetime) -> str:
    """/uploads/{id} (purpose "put") or /evidence/{id} ("get"), signed until `expires_at`."""
    expires = int(expires_at.timestamp())
    query = urlencode(
        {"expires": expires, "sig": _signature(secret_key, purpose, upload_id, expires)}
    )
    folder = "uploads" if purpose == "put" else "evidence"
    return f"/{folder}/{upload_id}?{query}"


def signature_ok(
    secret_key: str, purpose: str, upload_id: int, expires: str, signature: str
) -> bool:
    if not expires.isdigit():
        return False
    return hmac.compare_digest(_signature(secret_key, purpose, upload_id, int(expires)), signature)


@dataclass(frozen=True)
class Staged:
    upload: EvidenceUpload
    url: str


async def stage_uploads(deps: Deps, caller: Caller, count: int) -> tuple[Staged, ...]:
    """`count` upload URLs, each valid for one PUT of one photo within 15 minutes."""
    caller.require_staff(BENCH_ROLES)
    if not 1 <= count <= MAX_STAGED:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"ask for 1 to {MAX_STAGED} uploads", ["input", "count"]
        )
    now = deps.clock()
    staged = []
    async with unit_of_work(deps):
        for _ in range(count):
            upload = await EvidenceUpload.create(
                organization_id=caller.organization_id, expires_at=now + UPLOAD_TTL, created_at=now
            )
            path = signed_path(deps.secret_key, "put", upload.id, upload.expires_at)
            staged.append(Staged(upload, deps.public_url + path))
    return tuple(staged)


class UploadRefused(Exception):
    """An upload the server will not store: an HTTP status, a code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


async def receive_upload(
    deps: Deps, storage: PhotoStorage, upload_id: int, expires: str, signature: str, data: bytes
) -> EvidenceUpload:
    """Store the photo of a staged upload: refused when the URL is forged, expired or already
    used, and when the bytes are too large or not a JPEG, PNG or HEIC image."""
    if not signature_ok(deps.secret_key, "put", upload_id, expires, signature):
        raise UploadRefused(403, "FORBIDDEN", "this upload URL is not valid")
    now = deps.clock()
    if int(expires) <= now.timestamp():
        raise UploadRefused(410, "EXPIRED", "this upload URL has expired: ask for a new one")
    if len(data) > MAX_PHOTO_BYTES:
        raise UploadRefused(
            413, "TOO_LARGE", f"a photo is at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB"
        )
    kind = content_type(data)
    if kind is None:
        raise UploadRefused(415, "UNSUPPORTED_TYPE", "only JPEG, PNG and HEIC photos are accepted")
    async with unit_of_work(deps):
        upload = await EvidenceUpload.filter(id=upload_id).select_for_update().first()
        if upload is None:
            raise UploadRefused(404, "NOT_FOUND", "no such upload")
        if upload.uploaded_at is not None:
            raise UploadRefused(409, "ALREADY_USED", "this upload URL was already used")
        key = f"{upload.id}-{secrets.token_hex(8)}"
        await storage.put(key, data)
        upload.storage_key = key
        upload.content_type = kind
        upload.size = len(data)
        upload.sha256 = hashlib.sha256(data).hexdigest()
        upload.uploaded_at = now
        await upload.save()
    return upload
