"""A small GraphQL client for the tests, speaking to the app as a web client would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from graphql_api.auth import issue_token
from models.negotiation import StaffRole
from models.organization import StaffMember, TokenKind
from models.services.organizations import create_organization


class GraphQLFailure(AssertionError):
    pass


@dataclass
class Api:
    client: httpx.AsyncClient

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must succeed without GraphQL errors."""
        body = await self.raw(query, variables, token)
        if body.get("errors"):
            raise GraphQLFailure(body["errors"])
        return body["data"]


@dataclass
class Org:
    id: int
    slug: str
    owner_token: str

    async def staff_token(self, role: StaffRole) -> str:
        member = await StaffMember.create(
            organization_id=self.id,
            name=f"{role.value.title()} Member",
            email=f"{role.value.lower()}-{secrets.token_hex(3)}@{self.slug}.test",
            role=role,
        )
        token, _ = await issue_token(TokenKind.STAFF, self.id, staff_id=member.id)
        return token


RECEIVING_ADDRESS = "Receiving dept.\n1 Bench Street\nSpringfield"


async def make_org(
    api: Api, currency: str = "USD", receiving_address: str | None = RECEIVING_ADDRESS
) -> Org:
    """An organization with its owner; with a receiving address it offers SHIP and PICKUP."""
    slug = f"org-{secrets.token_hex(5)}"
    organization, owner = await create_organization(
        name=f"Shop {slug}",
        slug=slug,
        owner_email=f"owner@{slug}.test",
        owner_name="Olivia Owner",
        currency_code=currency,
        receiving_address=receiving_address,
    )
    token, _ = await issue_token(TokenKind.STAFF, organization.id, staff_id=owner.id)
    return Org(id=organization.id, slug=slug, owner_token=token)
