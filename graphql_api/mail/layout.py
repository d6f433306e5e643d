"""How an email looks: the organization's branding around a template's content, drawn once as
plain text and once as HTML (table layout and inline styles, as email clients need)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from graphql_api.mail.content import (
    Block,
    Button,
    Code,
    Content,
    Facts,
    Link,
    Paragraph,
    Quoted,
)
from models.organization import Organization

DEFAULT_ACCENT = "#2563eb"
HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# Image types that email clients show inline (most of them block SVG).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"


@dataclass(frozen=True)
class Logo:
    content_type: str
    data: bytes
    cid: str
    "The Content-ID, without angle brackets; the HTML refers to it as `cid:...`."


@dataclass(frozen=True)
class Branding:
    """An organization's look and addresses, read when the email is sent (not when queued),
    so an email waiting out an SMTP outage still goes out with the current logo."""

    name: str
    accent_color: str = DEFAULT_ACCENT
    headline: str | None = None
    footer_text: str | None = None
    logo: Logo | None = None
    reply_to: str | None = None
    pickup_instructions: str | None = None
    receiving_address: str | None = None

    @classmethod
    def of(cls, organization: Organization | None, fallback_name: str) -> Branding:
        if organization is None:
            return cls(name=fallback_name)
        logo = None
        content_type = (organization.logo_content_type or "").lower()
        if organization.logo and content_type in INLINE_IMAGE_TYPES:
            logo = Logo(
                content_type, bytes(organization.logo), f"logo.{organization.id}@tradequote"
            )
        accent = organization.accent_color or ""
        return cls(
            name=organization.name,
            accent_color=accent if HEX_COLOR.fullmatch(accent) else DEFAULT_ACCENT,
            headline=organization.headline or None,
            footer_text=organization.footer_text or None,
            logo=logo,
            reply_to=organization.notification_email or None,
            pickup_instructions=organization.pickup_instructions or None,
            receiving_address=organization.receiving_address or None,
        )


def render_text(content: Content, branding: Branding) -> str:
    parts = [branding.name]
    if branding.headline:
        parts[0] += f"\n{branding.headline}"
    if content.greeting:
        parts.append(content.greeting)
    parts.extend(_text_block(block) for block in content.blocks)
    parts.append("-- \n" + (branding.footer_text or branding.name))
    return "\n\n".join(parts) + "\n"


def _text_block(block: Block) -> str:
    match block:
        case Paragraph(text):
            return text
        case Quoted(text, label):
            quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
            return f"{label}:\n{quoted}" if label else quoted
        case Button(label, url) | Link(label, url):
            return f"{label}:\n{url}"
        case Facts(rows):
            return "\n".join(f"{label}: {value}" for label, value in rows)
        case Code(text):
            return f"    {text}"
    raise TypeError(f"unknown block {block!r}")


def render_html(content: Content, branding: Branding) -> str:
    accent = branding.accent_color
    preheader = content.preheader or next(
        (block.text for block in content.blocks if isinstance(block, Paragraph)), ""
    )
    if branding.logo:
        masthead = (
            f'<img src="cid:{escape(branding.logo.cid)}" alt="{escape(branding.name)}" '
            'height="48" style="display:block;height:48px;width:auto;border:0;">'
        )
    else:
        masthead = (
            f'<div style="font-size:20px;font-weight:700;color:{accent};">'
            f"{escape(branding.name)}</div>"
        )
    if branding.headline:
        masthead += (
            f'<div style="margin-top:6px;font-size:14px;color:#57606a;">'
            f"{_lines(branding.headline)}</div>"
        )
    greeting = (
        f'<p style="margin:0 0 16px;">{escape(content.greeting)}</p>' if content.greeting else ""
    )
    body = "".join(_html_block(block, accent) for block in content.blocks)
    footer = _lines(branding.footer_text or branding.name)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(content.subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<div style="display:none;max-height:0;overflow:hidden;">{escape(preheader)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-top:4px solid {accent};border-radius:6px;font-family:{FONT};color:#1f2328;">
<tr><td style="padding:24px 32px 8px;">{masthead}</td></tr>
<tr><td style="padding:16px 32px 24px;font-size:16px;line-height:1.5;">{greeting}{body}</td></tr>
</table>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;font-family:{FONT};">
<tr><td style="padding:16px 32px;font-size:12px;line-height:1.5;color:#6e7781;">{footer}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""


def _html_block(block: Block, accent: str) -> str:
    match block:
        case Paragraph(text):
            return f'<p style="margin:0 0 16px;">{_lines(text)}</p>'
        case Quoted(text, label):
            caption = (
                f'<div style="font-size:13px;color:#57606a;margin-bottom:4px;">{escape(label)}</div>'
                if label
                else ""
            )
            return (
                f'<div style="margin:0 0 16px;">{caption}<div style="padding:12px 16px;'
                f'border-left:4px solid {accent};background:#f6f8fa;">{_lines(text)}</div></div>'
            )
        case Button(label, url):
            href = escape(url)
            return (
                '<table role="presentation" cellpadding="0" cellspacing="0" '
                'style="margin:8px 0 8px;"><tr>'
                f'<td style="border-radius:6px;background:{accent};">'
                f'<a href="{href}" style="display:inline-block;padding:12px 24px;'
                f'color:{_on(accent)};font-weight:600;text-decoration:none;">{escape(label)}</a>'
                "</td></tr></table>"
                '<p style="margin:0 0 16px;font-size:13px;color:#57606a;">'
                f'Or open this link: <a href="{href}" style="color:{_link(accent)};'
                f'word-break:break-all;">{href}</a></p>'
            )
        case Link(label, url):
            return (
                f'<p style="margin:0 0 16px;"><a href="{escape(url)}" '
                f'style="color:{_link(accent)};">{escape(label)}</a></p>'
            )
        case Facts(rows):
            cells = "".join(
                f'<tr><td style="padding:4px 16px 4px 0;color:#57606a;">{escape(label)}</td>'
                f'<td style="padding:4px 0;font-weight:600;">{_lines(value)}</td></tr>'
                for label, value in rows
            )
            return (
                '<table role="presentation" cellpadding="0" cellspacing="0" '
                f'style="margin:0 0 16px;font-size:15px;">{cells}</table>'
            )
        case Code(text):
            return (
                '<p style="margin:0 0 16px;font-family:Menlo,Consolas,monospace;font-size:28px;'
                f'font-weight:700;letter-spacing:6px;">{escape(text)}</p>'
            )
    raise TypeError(f"unknown block {block!r}")


def _lines(text: str) -> str:
    """Escaped text keeping its line breaks."""
    return "<br>".join(escape(line) for line in text.splitlines())


def _on(color: str) -> str:
    """Black or white text, whichever reads better on a `color` background."""
    return "#111111" if _luminance(color) > 0.179 else "#ffffff"


def _link(color: str) -> str:
    """The accent for links on white, unless it is too pale to read (contrast under 3:1)."""
    return color if _luminance(color) <= 0.3 else "#1f2328"


def _luminance(color: str) -> float:
    """WCAG relative luminance of `#rgb` or `#rrggbb`."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
