"""A commercial IMEI checking service over HTTP.

The server POSTs `{"imeis": ["490154203237518", …]}` to the configured URL with
`Authorization: Bearer <key>` and expects `200` with
`{"results": [{"imei": "490154203237518", "flags": ["BLACKLISTED"]}, …]}`, where flags are
BLACKLISTED, FINANCE_LOCKED or CARRIER_LOCKED. Anything else — a timeout, a refused
connection, another status, a body that is not that shape — counts as unavailable: the checks
stay pending and the background jobs ask again later."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from models.enums import ImeiFlag
from models.services.imei_checks import CheckRequest, ProviderUnavailable

PROVIDER_FLAGS = frozenset({ImeiFlag.BLACKLISTED, ImeiFlag.FINANCE_LOCKED, ImeiFlag.CARRIER_LOCKED})
MAX_RESPONSE_BYTES = 1_000_000


class HttpCheckProvider:
    def __init__(self, url: str, key: str | None, timeout: float) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout
        self.source = f"http:{urlsplit(url).hostname or url}"

    async def check(self, request: CheckRequest) -> Mapping[str, frozenset[ImeiFlag]]:
        if not request.imeis:
            return {}
        headers = {"Accept": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                response = await client.post(
                    self.url, json={"imeis": list(request.imeis)}, headers=headers
                )
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"{type(error).__name__}: {error}") from None
        if response.status_code != 200:
            raise ProviderUnavailable(f"HTTP {response.status_code}")
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise ProviderUnavailable("the answer is too large")
        try:
            body = response.json()
        except ValueError:
            raise ProviderUnavailable("the answer is not JSON") from None
        return parse_results(body, set(request.imeis))


def parse_results(body: Any, asked: set[str]) -> dict[str, frozenset[ImeiFlag]]:
    """The provider's flags per IMEI asked about; ProviderUnavailable for any other shape."""
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise ProviderUnavailable("the answer has no results list")
    found: dict[str, frozenset[ImeiFlag]] = {}
    for item in results:
        if not isinstance(item, dict) or not isinstance(item.get("imei"), str):
            raise ProviderUnavailable("a result without an imei")
        flags = item.get("flags", [])
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise ProviderUnavailable("a result whose flags are not a list of names")
        try:
            parsed = frozenset(ImeiFlag(f) for f in flags)
        except ValueError:
            raise ProviderUnavailable(f"unknown flags {flags!r}") from None
        if not parsed <= PROVIDER_FLAGS:
            raise ProviderUnavailable(f"flags a provider cannot give: {sorted(parsed - PROVIDER_FLAGS)}")
        if item["imei"] in asked:
            found[item["imei"]] = parsed
    return found
