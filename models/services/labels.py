"""Carrier labels: an interface, the built-in label (needs the organization's receiving
address), and a ShipEngine-style HTTP provider configured by URL and key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from models.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class LabelRequest:
    organization_name: str
    "The organization's receiving address: where a return leaves from, where devices arrive."
    address: str | None
    "Who the parcel is for, e.g. the customer's name on a return."
    recipient: str | None
    reference: str


@dataclass(frozen=True)
class Label:
    carrier: str
    tracking_number: str
    label_url: str | None


class LabelProvider(Protocol):
    async def create_label(self, request: LabelRequest) -> Label: ...


def no_address() -> DomainError:
    return DomainError(
        ErrorCode.INVALID_STATE,
        "set the organization's receiving address first: a label cannot be made without it",
        ["receivingAddress"],
    )


class BuiltInLabels:
    """A label of the organization's own, tracked by its reference number."""

    async def create_label(self, request: LabelRequest) -> Label:
        if not (request.address or "").strip():
            raise no_address()
        return Label("Tradequote", f"TQ{secrets.token_hex(6).upper()}", None)


class LabelUnavailable(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(
            ErrorCode.INVALID_STATE, f"the label service did not answer: {message}", None
        )


class ShipEngineLabels:
    """POST {url}/v1/labels with the API-Key header, as ShipEngine's API takes it."""

    def __init__(self, url: str, key: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def body(self, request: LabelRequest) -> dict[str, Any]:
        return {
            "shipment": {
                "service_code": "ground",
                "ship_to": {"name": request.recipient or "Customer"},
                "ship_from": {
                    "company_name": request.organization_name,
                    "address_line1": request.address,
                },
                "packages": [{"weight": {"value": 1, "unit": "pound"}}],
                "external_shipment_id": request.reference,
            }
        }

    async def create_label(self, request: LabelRequest) -> Label:
        if not (request.address or "").strip():
            raise no_address()
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    f"{self.url}/v1/labels", json=self.body(request), headers={"API-Key": self.key}
                )
        except httpx.HTTPError as error:
            raise LabelUnavailable(type(error).__name__) from None
        if response.status_code >= 300:
            raise LabelUnavailable(f"HTTP {response.status_code}")
        try:
            data = response.json()
            tracking = str(data["tracking_number"])
            download = data.get("label_download") or {}
            url = download.get("pdf") or download.get("href")
            carrier = str(data.get("carrier_code") or "shipengine")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LabelUnavailable("an answer without a tracking number") from None
        return Label(carrier, tracking, None if url is None else str(url))
