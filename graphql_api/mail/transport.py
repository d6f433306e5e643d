"""Where a built message goes: an SMTP server (aiosmtplib), or `.eml` files when none is set.

`TRADEQUOTE_SMTP_URL` is `smtp://user:pass@host:port` (plain, or `?starttls=1` to upgrade),
or `smtps://...` for implicit TLS. User and password are percent-decoded.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from graphql_api.mail.message import UndeliverableError
from graphql_api.settings import ConfigurationError, Settings

SMTP_TIMEOUT = 30.0
TRUE = {"1", "true", "yes", "on"}


class TransportUnavailable(Exception):
    """The server cannot be reached or refuses the session: every email of the batch waits."""


@dataclass(frozen=True)
class OutgoingEmail:
    message: EmailMessage
    outbox_id: int
    created_at: datetime


class Transport(Protocol):
    async def send(self, email: OutgoingEmail) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool = False


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigurationError("TRADEQUOTE_SMTP_URL must look like smtp://user:pass@host:port")
    query = parse_qs(parts.query)
    start_tls = query.get("starttls", ["0"])[-1].lower() in TRUE
    use_tls = parts.scheme == "smtps"
    if use_tls and start_tls:
        raise ConfigurationError("TRADEQUOTE_SMTP_URL: smtps:// already uses TLS; drop starttls")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError("TRADEQUOTE_SMTP_URL has a bad port") from None
    return SmtpConfig(
        hostname=parts.hostname,
        port=port or (465 if use_tls else 587 if start_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


class SmtpTransport:
    """One SMTP session per batch, opened on the first email and closed by `close()`."""

    def __init__(self, config: SmtpConfig, timeout: float = SMTP_TIMEOUT) -> None:
        self.config = config
        self.timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None:
            client = aiosmtplib.SMTP(
                hostname=self.config.hostname,
                port=self.config.port,
                username=self.config.username,
                password=self.config.password,
                use_tls=self.config.use_tls,
                start_tls=self.config.start_tls,
                timeout=self.timeout,
            )
            try:
                await client.connect()
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise TransportUnavailable(describe(exc)) from exc
            self._client = client
        return self._client

    async def send(self, email: OutgoingEmail) -> None:
        client = await self._connected()
        try:
            await client.send_message(email.message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            self._drop()
            if exc.recipients and all(r.code >= 500 for r in exc.recipients):
                raise UndeliverableError(describe(exc)) from exc
            raise
        except BaseException:
            # The session is in an unknown state: the next email starts a fresh one.
            self._drop()
            raise

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


class EmlDirectoryTransport:
    """Writes each email as `<queued time>-<message id>.eml`, so the files sort by time and a
    resend of the same email replaces its file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, email: OutgoingEmail) -> None:
        await asyncio.to_thread(self._write, email)

    def _write(self, email: OutgoingEmail) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = email.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        token = re.sub(r"[^A-Za-z0-9]", "", str(email.message["Message-ID"]).split("@")[0])
        path = self.directory / f"{stamp}-{token[:32] or email.outbox_id}.eml"
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(email.message.as_bytes())
        os.replace(partial, path)
        return path

    async def close(self) -> None:
        return None


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(parse_smtp_url(settings.smtp_url))
    return EmlDirectoryTransport(Path(settings.mail_dir))


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
