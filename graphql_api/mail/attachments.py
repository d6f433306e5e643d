"""Documents attached to an email, rendered when it is sent.

An outbox context may list `attachments: [{"kind": "shipping_label", "buy_order_id": 7}]`.
The module that can draw a kind registers a renderer for it, once, at import:

    register_attachment_renderer("shipping_label", render_shipping_label)

where `async def render_shipping_label(item) -> (filename, content_type, bytes)` receives the
item dict. A kind with no renderer is a `RenderError`, recorded on the outbox row and retried
(a replica started without the renderer may still be rolling out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql_api.mail.content import RenderError

AttachmentRenderer = Callable[[Mapping[str, Any]], Awaitable[tuple[str, str, bytes]]]

_renderers: dict[str, AttachmentRenderer] = {}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def register_attachment_renderer(kind: str, renderer: AttachmentRenderer) -> None:
    """Make `kind` renderable; registering a kind again replaces its renderer."""
    _renderers[kind] = renderer


def unregister_attachment_renderer(kind: str) -> None:
    _renderers.pop(kind, None)


async def render_attachments(context: Mapping[str, Any]) -> list[Attachment]:
    items = context.get("attachments") or []
    if not isinstance(items, list):
        raise RenderError("context key 'attachments' must be a list")
    attachments = []
    for item in items:
        kind = item.get("kind") if isinstance(item, Mapping) else None
        if not isinstance(kind, str):
            raise RenderError("every attachment needs a 'kind'")
        renderer = _renderers.get(kind)
        if renderer is None:
            raise RenderError(f"no renderer registered for attachment kind {kind!r}")
        filename, content_type, data = await renderer(item)
        if content_type.count("/") != 1:
            raise RenderError(f"attachment {filename!r} has a bad content type {content_type!r}")
        attachments.append(Attachment(filename, content_type, bytes(data)))
    return attachments
