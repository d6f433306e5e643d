"""Secrets that must not run a production server: short, placeholders, low variety."""

from __future__ import annotations

import re

MIN_LENGTH = 32
MIN_DISTINCT = 12
PLACEHOLDER = re.compile(r"change[-_ ]?me|placeholder|replace[-_ ]?(me|this)|example|secret[-_]?key|x{6,}", re.IGNORECASE)
"The compose file's example value, `change-me-to-48-random-characters-before-real-use`."
COMPOSE_EXAMPLE = "change-me-to-48-random-characters-before-real-use"


def weak_secret(secret: str) -> str | None:
    """Why `secret` is unfit for production, or None."""
    if len(secret) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if secret == COMPOSE_EXAMPLE or PLACEHOLDER.search(secret):
        return "is a placeholder: generate one, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
    if len(set(secret)) < MIN_DISTINCT or re.search(r"(.)\1{5,}", secret):
        return "repeats characters: generate a random one"
    return None
