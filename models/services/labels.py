"""Carrier labels: an interface, the built-in label (needs the organization's receiving
address), and a ShipEngine-style HTTP provider configured by URL and key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from models.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class LabelRequest:
    organization_name: str
    "The organization's receiving address: where a return leaves from, where devices arrive."
    address: str | None
    "The customer's name: who a return is for, who an inbound parcel comes from."
    customer: str | None
    reference: str
    "True: the customer ships devices to the organization; False: a return to the customer."
    inbound: bool = False


@dataclass(frozen=True)
class Label:
    carrier: str
    tracking_number: str
    label_url: str | None


class LabelProvider(Protocol):
    """Makes labels. `carrier` is True for a carrier's service: a SHIP conversion asks it for
    the inbound label; otherwise the customer gets the built-in PDF label."""

    carrier: bool

    async def create_label(self, request: LabelRequest) -> Label: ...


def no_address() -> DomainError:
    return DomainError(
        ErrorCode.INVALID_STATE,
        "set the organization's receiving address first: a label cannot be made without it",
        ["receivingAddress"],
    )


class BuiltInLabels:
    """A label of the organization's own, tracked by its reference number."""

    carrier = False

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

    carrier = True

    def __init__(self, url: str, key: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def body(self, request: LabelRequest) -> dict[str, Any]:
        organization = {"company_name": request.organization_name, "address_line1": request.address}
        customer = {"name": request.customer or "Customer"}
        return {
            "shipment": {
                "service_code": "ground",
                "ship_to": organization if request.inbound else customer,
                "ship_from": customer if request.inbound else organization,
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
            tracking = str(data["tracking_number"]).strip()
            download = data.get("label_download") or {}
            url = download.get("pdf") or download.get("href")
            carrier = str(data.get("carrier_code") or "shipengine").strip()
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LabelUnavailable("an answer without a tracking number") from None
        label = Label(carrier, tracking, None if url is None else str(url))
        if not plausible(label):
            raise LabelUnavailable("an answer that is not a label")
        return label


def plausible(label: Label) -> bool:
    """A label as a carrier gives it: a tracking number and carrier code of sane length, and an
    http(s) URL if any (it is stored, linked in emails and shown to the customer)."""
    url = label.label_url
    return (
        0 < len(label.tracking_number) <= 64
        and 0 < len(label.carrier) <= 64
        and (url is None or (len(url) <= 500 and urlsplit(url).scheme in ("http", "https")))
    )
