"""The team's GraphQL documents and the steps many team tests share."""

from __future__ import annotations

import re
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

from graphql_api.mail.sender import OutboxSender
from tests.client import Api
from tests.mailcatcher import MailCatcher

ERRORS = "userErrors { code message field }"
MEMBER = "id name email role status lastActiveAt"

INVITE = """
mutation Invite($input: InviteStaffInput!) {
  inviteStaff(input: $input) { staffMember { %s } %s }
}
""" % (MEMBER, ERRORS)
UPDATE_ROLE = """
mutation Role($input: UpdateStaffRoleInput!) {
  updateStaffRole(input: $input) { staffMember { %s } %s }
}
""" % (MEMBER, ERRORS)
DEACTIVATE = """
mutation Deactivate($input: DeactivateStaffInput!) {
  deactivateStaff(input: $input) { staffMember { %s } %s }
}
""" % (MEMBER, ERRORS)
STAFF_MEMBERS = "query Team($all: Boolean) { staffMembers(includeDeactivated: $all) { %s } }" % MEMBER
REQUEST_SIGN_IN = """
mutation RequestSignIn($input: RequestStaffSignInInput!) {
  requestStaffSignIn(input: $input) { sent %s }
}
""" % ERRORS
SIGN_IN = """
mutation SignIn($input: SignInStaffInput!) {
  signInStaff(input: $input) { token expiresAt staffMember { %s } %s }
}
""" % (MEMBER, ERRORS)
SIGN_OUT = "mutation { signOut { signedOut } }"
TOKEN = "id name prefix createdAt lastUsedAt expiresAt revokedAt"
CREATE_TOKEN = """
mutation CreateToken($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) { token accessToken { %s } %s }
}
""" % (TOKEN, ERRORS)
ACCESS_TOKENS = "query { accessTokens { %s } }" % TOKEN
REVOKE_TOKEN = """
mutation RevokeToken($input: RevokeAccessTokenInput!) {
  revokeAccessToken(input: $input) { accessToken { %s } %s }
}
""" % (TOKEN, ERRORS)
SETTINGS_FIELDS = """quoteValidityDays timeZone notificationEmail imeiLookupsPerQuote financeGate
  autoConvert linkLifetimeDays payoutMethods fulfillmentMethods"""
UPDATE_SETTINGS = """
mutation Settings($input: UpdateOrganizationSettingsInput!) {
  updateOrganizationSettings(input: $input) { settings { %s } %s }
}
""" % (SETTINGS_FIELDS, ERRORS)
SETTINGS = "query { viewer { organization { slug settings { %s } } } }" % SETTINGS_FIELDS
PUBLIC_SETTINGS = "query Org($slug: String!) { organization(slug: $slug) { name settings { timeZone } } }"
AUDIT_LOG = """
query Audit($first: Int, $after: String, $filter: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id action actorName actorId targetType targetId targetLabel before after
                          clientHash userAgent createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ROTATE_LINK = """
mutation Rotate($input: RotateQuoteLinkInput!) {
  rotateQuoteLink(input: $input) { url quote { id number status } %s }
}
""" % ERRORS
REVOKE_LINK = """
mutation RevokeLink($input: RevokeQuoteLinkInput!) {
  revokeQuoteLink(input: $input) { quote { id status } %s }
}
""" % ERRORS
WHO = "query { viewer { kind staff { id name role status } quote { id number } } }"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def code_in(message: EmailMessage) -> str:
    found = re.search(r"\b(\d{6})\b", text_of(message))
    assert found, text_of(message)
    return found.group(1)


async def deliver(app: Any, catcher: MailCatcher) -> None:
    """Send every queued email to the catcher, as the server's sender would."""
    sender = OutboxSender(replace(app.state.settings, smtp_url=catcher.url))
    while await sender.run_once(limit=100):
        pass


def audit_actions(data: dict[str, Any]) -> list[str]:
    return [edge["node"]["action"] for edge in data["auditLog"]["edges"]]


async def refused(api: Api, query: str, variables: dict[str, Any] | None, token: str | None) -> dict[str, Any]:
    """The one GraphQL error of a refused request."""
    body = await api.raw(query, variables, token)
    assert body.get("errors"), body
    return dict(body["errors"][0])
