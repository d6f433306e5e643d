"""Opaque global IDs ("Quote:12" in base64) and pagination cursors."""

from __future__ import annotations

import base64
import binascii

from graphql_api.errors import bad_user_input

# Primary keys are the databases' 32-bit integers: anything larger names nothing.
MAX_PK = 2**31 - 1


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key), or None for anything that is not one of our IDs."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if not type_name or not pk.isascii() or not pk.isdigit() or len(pk) > 10:
            return None
        number = int(pk)
        return (type_name, number) if number <= MAX_PK else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def decode_id(global_id: str, type_name: str) -> int | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]


def to_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{position}".encode()).decode().rstrip("=")


def from_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    decoded = from_global_id(cursor)
    if decoded is None or decoded[0] != "cursor":
        raise bad_user_input("Invalid cursor.")
    return decoded[1]


MAX_PAGE = 100


def page_size(first: int | None, default: int = 50) -> int:
    if first is None:
        return default
    if first < 0 or first > MAX_PAGE:
        raise bad_user_input(f"first must be between 0 and {MAX_PAGE}.")
    return first
