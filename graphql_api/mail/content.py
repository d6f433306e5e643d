"""The building blocks of an email's content, and typed access to an outbox row's context.

A template describes *what* an email says as a list of blocks; `layout` decides how they look
in plain text and in HTML, so every email is written once and shows the same in both parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit


class RenderError(Exception):
    """The email cannot be rendered from its outbox row (unknown template, missing or bad
    context, unregistered attachment); the sender records it on the row."""


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Quoted:
    """Words someone wrote (a personal message, a reason), shown set apart."""

    text: str
    label: str | None = None


@dataclass(frozen=True)
class Button:
    """The email's main action."""

    label: str
    url: str


@dataclass(frozen=True)
class Link:
    """A secondary link."""

    label: str
    url: str


@dataclass(frozen=True)
class Facts:
    """Label and value pairs: quote number, totals, signer."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Code:
    """A one-time code, shown large."""

    text: str


Block = Paragraph | Quoted | Button | Link | Facts | Code


@dataclass(frozen=True)
class Content:
    subject: str
    blocks: list[Block]
    greeting: str | None = None
    # Customer-facing emails get the organization's Reply-To; staff notifications do not.
    to_customer: bool = True
    # The inbox preview line; the first paragraph when not given.
    preheader: str | None = None


def one_line(text: str) -> str:
    """Collapse whitespace, so a name can go in a subject header."""
    return " ".join(text.split())


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


class TemplateContext:
    """Read an outbox row's JSON context, raising `RenderError` naming the key at fault."""

    def __init__(self, template: str, data: Mapping[str, Any]) -> None:
        self.template = template
        self.data = data

    def _error(self, key: str, problem: str) -> RenderError:
        return RenderError(f"template {self.template!r}: context key {key!r} {problem}")

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise self._error(key, "must be text")
        text = str(value).strip()
        return text or None

    def text(self, key: str) -> str:
        if key not in self.data:
            raise self._error(key, "is missing")
        value = self.optional_text(key)
        if value is None:
            raise self._error(key, "is empty")
        return value

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if key not in self.data:
            raise self._error(key, "is missing")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self._error(key, "must be a whole number")
        try:
            return int(value)
        except ValueError:
            raise self._error(key, "must be a whole number") from None

    def optional_url(self, key: str) -> str | None:
        url = self.optional_text(key)
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            raise self._error(key, "must be an http(s) URL")
        return url

    def url(self, key: str) -> str:
        self.text(key)
        url = self.optional_url(key)
        assert url is not None
        return url

    def money(self, amount_key: str, currency_key: str = "currency_code") -> str:
        """`1,234.50 USD` shown as `$1,234.50`; other currencies as `1,234.50 CHF`."""
        amount = self.text(amount_key)
        currency = self.text(currency_key).upper()
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise self._error(amount_key, "must be a decimal amount") from None
        if not value.is_finite():
            raise self._error(amount_key, "must be a decimal amount")
        number = f"{value:,}"
        symbol = CURRENCY_SYMBOLS.get(currency)
        return f"{symbol}{number}" if symbol else f"{number} {currency}"

    def optional_date(self, key: str) -> str | None:
        """An ISO timestamp shown as `14 March 2025`."""
        text = self.optional_text(key)
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self._error(key, "must be an ISO date") from None
        return f"{moment.day} {moment:%B %Y}"
