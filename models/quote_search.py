"""The staff search: quotes whose number, customer name or customer email contain the text,
case-insensitively, or one of whose units' IMEIs contains its digits.

PostgreSQL serves the substring match from trigram GIN indexes on the very expressions Tortoise
writes for `icontains` (migration 0015); SQLite from an FTS5 trigram table over the same columns
(migration 0016), which needs at least three characters to narrow anything: shorter texts are
matched by a scan, as they match too much for an index to help.
"""

from __future__ import annotations

from tortoise import connections
from tortoise.expressions import Q, RawSQL, Subquery

from models.quote import DeviceUnit

SEARCHED = ("number", "contact_name", "contact_email")
TABLE = "quote_search"
MAX_LENGTH = 100
"An IMEI search needs this many digits: fewer match a large share of all units."
MIN_IMEI_DIGITS = 4


def _sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


def _fts_phrase(text: str) -> str:
    """`text` as an SQL string literal holding one FTS5 phrase (a substring, to the trigram
    tokenizer): double quotes doubled inside the phrase, single quotes doubled for SQL."""
    phrase = '"' + text.replace('"', '""') + '"'
    return "'" + phrase.replace("'", "''") + "'"


def matching(search: str) -> Q | None:
    """The condition on quotes for a search text; None when the text is blank."""
    text = "".join(ch for ch in search if ch.isprintable()).strip()[:MAX_LENGTH]
    if not text:
        return None
    if _sqlite() and len(text) >= 3:
        found = RawSQL(f"(SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH {_fts_phrase(text)})")
        match = Q(id__in=found)
    else:
        match = Q(number__icontains=text) | Q(contact_name__icontains=text) | Q(contact_email__icontains=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= MIN_IMEI_DIGITS and digits == text.replace(" ", ""):
        units = DeviceUnit.filter(imei__contains=digits).values("quote_id")
        match |= Q(id__in=Subquery(units))
    return match
