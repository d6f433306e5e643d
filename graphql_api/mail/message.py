"""The MIME message of one outbox email:

multipart/mixed                      (only with attachments)
  multipart/alternative
    text/plain
    multipart/related                (only with a logo)
      text/html                      refers to the logo as cid:
      image/png                      Content-ID, inline
  application/pdf                    the shipping label, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from graphql_api.mail.attachments import Attachment
from graphql_api.mail.content import one_line
from graphql_api.mail.templates import RenderedEmail


class UndeliverableError(Exception):
    """No retry can deliver this email (a malformed or refused recipient address)."""


def build_message(
    rendered: RenderedEmail,
    attachments: Sequence[Attachment] = (),
    *,
    mail_from: str,
    to_address: str,
    to_name: str | None,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = mail_from
    message["To"] = recipient(to_address, to_name)
    if rendered.reply_to:
        message["Reply-To"] = rendered.reply_to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    # RFC 3834: tells auto-responders (vacation replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if rendered.logo is not None:
        html_part = message.get_body(("html",))
        assert isinstance(html_part, EmailMessage)
        maintype, subtype = rendered.logo.content_type.split("/")
        html_part.add_related(
            rendered.logo.data,
            maintype,
            subtype,
            cid=f"<{rendered.logo.cid}>",
            disposition="inline",
            filename=f"logo.{subtype}",
        )
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/")
        message.add_attachment(attachment.data, maintype, subtype, filename=attachment.filename)
    return message


def recipient(to_address: str, to_name: str | None) -> Address:
    try:
        address = Address(display_name=one_line(to_name or ""), addr_spec=to_address.strip())
    except (ValueError, HeaderParseError, IndexError) as exc:
        raise UndeliverableError(f"invalid recipient address {to_address!r}: {exc}") from None
    if not address.username or not address.domain:
        raise UndeliverableError(f"invalid recipient address {to_address!r}")
    return address
