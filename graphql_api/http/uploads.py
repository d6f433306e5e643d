"""`PUT /uploads/{id}`: the staged upload of one evidence photo through its signed URL;
`GET /evidence/{id}`: a photo, through a signed, expiring URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from models.photos import MAX_PHOTO_BYTES
from models.revised_offer import EvidenceUpload
from models.services.caller import Deps
from models.services.evidence_uploads import UploadRefused, receive_upload, signature_ok


"Where photos are uploaded: the request-size limit of /graphql does not apply (see BodyLimit)."
PREFIX = "/uploads/"


def _refused(refused: UploadRefused) -> Response:
    return JSONResponse(
        {"error": {"code": refused.code, "message": refused.message}}, status_code=refused.status
    )


async def _body(request: Request) -> bytes:
    """The body, refused as soon as it grows past the limit (never read whole into memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PHOTO_BYTES:
        raise UploadRefused(
            413, "TOO_LARGE", f"a photo is at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB"
        )
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > MAX_PHOTO_BYTES:
            raise UploadRefused(
                413, "TOO_LARGE", f"a photo is at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB"
            )
    return bytes(chunks)


def upload_endpoint(deps: Deps) -> Callable[[Request], Awaitable[Response]]:
    async def upload(request: Request) -> Response:
        raw_id = request.path_params["upload_id"]
        expires = request.query_params.get("expires", "")
        signature = request.query_params.get("sig", "")
        try:
            if not raw_id.isdigit() or not signature_ok(
                deps.secret_key, "put", int(raw_id), expires, signature
            ):
                raise UploadRefused(403, "FORBIDDEN", "this upload URL is not valid")
            data = await _body(request)
            stored = await receive_upload(deps, deps.storage, int(raw_id), expires, signature, data)
        except UploadRefused as refused:
            return _refused(refused)
        return JSONResponse(
            {"id": stored.id, "contentType": stored.content_type, "size": stored.size},
            status_code=201,
        )

    return upload


def evidence_endpoint(deps: Deps) -> Callable[[Request], Awaitable[Response]]:
    async def evidence(request: Request) -> Response:
        raw_id = request.path_params["upload_id"]
        expires = request.query_params.get("expires", "")
        signature = request.query_params.get("sig", "")
        if not raw_id.isdigit() or not signature_ok(
            deps.secret_key, "get", int(raw_id), expires, signature
        ):
            return Response(status_code=403)
        if int(expires) <= deps.clock().timestamp():
            return Response(status_code=410)
        upload = await EvidenceUpload.filter(id=int(raw_id)).exclude(uploaded_at=None).first()
        data = (
            None
            if upload is None or upload.storage_key is None
            else await deps.storage.get(upload.storage_key)
        )
        if upload is None or data is None:
            return Response(status_code=404)
        return Response(
            data,
            media_type=upload.content_type,
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    return evidence
