"""The team through the API: invitations, sign-in by emailed code, roles and the last OWNER,
deactivation, personal access tokens, and bad input that changes nothing."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_api.ids import to_global_id
from models.negotiation import StaffRole
from models.organization import AccessToken, StaffMember
from models.team import SignInCode
from tests import documents as doc
from tests.client import Api, Org, make_org
from tests.flow import respond, submitted
from tests.mailcatcher import MailCatcher
from tests.team import (
    ACCESS_TOKENS,
    CREATE_TOKEN,
    DEACTIVATE,
    INVITE,
    REQUEST_SIGN_IN,
    REVOKE_TOKEN,
    SIGN_IN,
    SIGN_OUT,
    STAFF_MEMBERS,
    UPDATE_ROLE,
    WHO,
    code_in,
    deliver,
    refused,
)


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def invite(api: Api, org: Org, role: str = "SALES_REP", token: str | None = None) -> tuple[dict[str, Any], str]:
    email = f"sam-{secrets.token_hex(3)}@{org.slug}.test"
    data = await api(INVITE, {"input": {"email": email, "role": role, "name": "Sam Sales"}}, token or org.owner_token)
    payload = data["inviteStaff"]
    assert payload["userErrors"] == [], payload
    return payload["staffMember"], email


async def signed_in(api: Api, app: Any, catcher: MailCatcher, org: Org, role: str = "SALES_REP") -> tuple[dict[str, Any], str]:
    """(member, session token) of someone invited and signed in with the invitation's code."""
    member, email = await invite(api, org, role)
    await deliver(app, catcher)
    (invitation,) = catcher.to(email)
    data = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code_in(invitation)}})
    payload = data["signInStaff"]
    assert payload["userErrors"] == [], payload
    return member, payload["token"]


async def test_an_invitation_email_signs_the_new_member_in(
    api: Api, app: Any, catcher: MailCatcher, org: Org
) -> None:
    member, email = await invite(api, org)
    assert member["status"] == "INVITED" and member["role"] == "SALES_REP"
    await deliver(app, catcher)
    (invitation,) = catcher.to(email)
    assert "invited you" in str(invitation["Subject"])
    code = code_in(invitation)

    data = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email.upper(), "code": code}})
    payload = data["signInStaff"]
    assert payload["userErrors"] == []
    token = payload["token"]
    assert token.startswith("tqs_") and len(token) >= 40
    expires = datetime.fromisoformat(payload["expiresAt"])
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12)

    who = (await api(WHO, token=token))["viewer"]
    assert who["kind"] == "STAFF" and who["staff"]["status"] == "ACTIVE"
    assert who["staff"]["role"] == "SALES_REP"

    # the code worked once
    again = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code}})
    assert codes(again["signInStaff"]) == ["INVALID_INPUT"]

    team = (await api(STAFF_MEMBERS, token=token))["staffMembers"]
    assert [m["role"] for m in team] == ["OWNER", "SALES_REP"]
    assert team[1]["lastActiveAt"] is not None


async def test_a_sign_in_code_by_email_reveals_nothing_about_unknown_addresses(
    api: Api, app: Any, catcher: MailCatcher, org: Org
) -> None:
    member, email = await invite(api, org, "FINANCE")
    stranger = f"nobody-{secrets.token_hex(3)}@{org.slug}.test"
    answers, timings = [], []
    for address in (email, stranger, email, stranger):
        started = time.perf_counter()
        data = await api(REQUEST_SIGN_IN, {"input": {"organizationSlug": org.slug, "email": address}})
        timings.append(time.perf_counter() - started)
        answers.append(data["requestStaffSignIn"])
    assert answers == [{"sent": True, "userErrors": []}] * 4
    # every answer takes the same floor time, so neither is slower to give away
    assert min(timings) >= 0.2 and max(timings) < 1.0, timings
    unknown_org = await api(REQUEST_SIGN_IN, {"input": {"organizationSlug": "no-such-shop", "email": email}})
    assert unknown_org["requestStaffSignIn"] == {"sent": True, "userErrors": []}

    await deliver(app, catcher)
    assert catcher.to(stranger) == []
    sign_in_mails = [m for m in catcher.to(email) if "sign-in code" in str(m["Subject"])]
    assert len(sign_in_mails) == 2
    # a code for an address that is not staff never signs anyone in
    guess = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": stranger, "code": "123456"}})
    assert codes(guess["signInStaff"]) == ["INVALID_INPUT"]
    # the latest code works
    data = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code_in(sign_in_mails[-1])}})
    assert data["signInStaff"]["userErrors"] == []


async def test_wrong_codes_burn_the_code_and_requests_are_throttled(
    api: Api, app: Any, catcher: MailCatcher, org: Org
) -> None:
    member, email = await invite(api, org)
    await deliver(app, catcher)
    code = code_in(catcher.to(email)[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        data = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": wrong}})
        assert data["signInStaff"]["token"] is None
        assert codes(data["signInStaff"]) == ["INVALID_INPUT"]
        assert data["signInStaff"]["userErrors"][0]["field"] == ["input", "code"]
    burnt = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": code}})
    assert codes(burnt["signInStaff"]) == ["INVALID_INPUT"]  # the right code, too late

    # five codes per quarter of an hour per address; the sixth request is refused for anyone
    for address in (email, f"ghost-{secrets.token_hex(3)}@{org.slug}.test"):
        for _ in range(5):
            ok = await api(REQUEST_SIGN_IN, {"input": {"organizationSlug": org.slug, "email": address}})
            assert ok["requestStaffSignIn"]["sent"] is True
        more = await api(REQUEST_SIGN_IN, {"input": {"organizationSlug": org.slug, "email": address}})
        assert more["requestStaffSignIn"]["sent"] is False
        assert codes(more["requestStaffSignIn"]) == ["LIMIT_EXCEEDED"]


async def test_an_expired_code_is_refused(api: Api, app: Any, catcher: MailCatcher, org: Org) -> None:
    member, email = await invite(api, org)
    await api(REQUEST_SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email}})
    await deliver(app, catcher)
    sign_in_code = code_in([m for m in catcher.to(email) if "sign-in code" in str(m["Subject"])][0])
    # ten minutes pass
    await SignInCode.filter(email=email).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    data = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": email, "code": sign_in_code}})
    assert codes(data["signInStaff"]) == ["INVALID_INPUT"]
    assert await StaffMember.get(email=email).values_list("invitation_pending", flat=True) is True


async def test_malformed_sign_in_requests_get_their_paths(api: Api, org: Org) -> None:
    data = await api(REQUEST_SIGN_IN, {"input": {"organizationSlug": "Not A Slug!", "email": "nope"}})
    errors = data["requestStaffSignIn"]["userErrors"]
    assert {tuple(e["field"]) for e in errors} == {("input", "organizationSlug"), ("input", "email")}
    assert data["requestStaffSignIn"]["sent"] is False
    data = await api(SIGN_IN, {"input": {"organizationSlug": org.slug, "email": "a@b.test", "code": "12ab"}})
    assert data["signInStaff"]["userErrors"][0]["field"] == ["input", "code"]
    assert await SignInCode.filter(organization_slug=org.slug, email="a@b.test").count() == 0


async def test_sessions_slide_and_sign_out_revokes_them(
    api: Api, app: Any, catcher: MailCatcher, org: Org
) -> None:
    member, session = await signed_in(api, app, catcher, org)
    row = await AccessToken.filter(staff__email=member["email"], purpose="SESSION").get()
    # an hour later the session is used again: its expiry moves forward
    await AccessToken.filter(id=row.id).update(
        last_used_at=datetime.now(UTC) - timedelta(hours=1), expires_at=datetime.now(UTC) + timedelta(hours=11)
    )
    await api(WHO, token=session)
    moved = await AccessToken.get(id=row.id)
    assert moved.expires_at is not None and moved.expires_at > datetime.now(UTC) + timedelta(hours=11, minutes=59)

    assert (await api(SIGN_OUT, token=session))["signOut"] == {"signedOut": True}
    error = await refused(api, WHO, None, session)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_REVOKED"}
    # an expired session reads as such
    other_member, other = await signed_in(api, app, catcher, org)
    await AccessToken.filter(staff__email=other_member["email"]).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    error = await refused(api, WHO, None, other)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_EXPIRED"}


async def test_roles_last_owner_and_deactivation(api: Api, app: Any, catcher: MailCatcher, org: Org) -> None:
    owner = (await api(WHO, token=org.owner_token))["viewer"]["staff"]
    manager, manager_token = await signed_in(api, app, catcher, org, "MANAGER")
    rep, rep_token = await signed_in(api, app, catcher, org, "SALES_REP")

    # the last OWNER stays
    for document, extra in ((UPDATE_ROLE, {"role": "MANAGER"}), (DEACTIVATE, {})):
        data = await api(document, {"input": {"staffId": owner["id"], **extra}}, org.owner_token)
        payload = next(iter(data.values()))
        assert codes(payload) == ["INVALID_STATE"] and payload["userErrors"][0]["field"] == ["input", "staffId"]
    assert (await StaffMember.get(id=int(_pk(owner["id"])))).role is StaffRole.OWNER

    # a MANAGER neither makes OWNERs nor touches one
    for document, variables in (
        (UPDATE_ROLE, {"staffId": rep["id"], "role": "OWNER"}),
        (UPDATE_ROLE, {"staffId": owner["id"], "role": "SALES_REP"}),
        (DEACTIVATE, {"staffId": owner["id"]}),
        (INVITE, {"email": f"new@{org.slug}.test", "role": "OWNER"}),
    ):
        error = await refused(api, document, {"input": variables}, manager_token)
        assert error["extensions"]["code"] == "FORBIDDEN"
    # a SALES_REP administers nothing
    error = await refused(api, INVITE, {"input": {"email": f"x@{org.slug}.test", "role": "TECHNICIAN"}}, rep_token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await StaffMember.filter(email__in=[f"new@{org.slug}.test", f"x@{org.slug}.test"]).count() == 0

    # a MANAGER changes a rep's role; with a second OWNER, the first may step down
    data = await api(UPDATE_ROLE, {"input": {"staffId": rep["id"], "role": "TECHNICIAN"}}, manager_token)
    assert data["updateStaffRole"]["staffMember"]["role"] == "TECHNICIAN"
    data = await api(UPDATE_ROLE, {"input": {"staffId": manager["id"], "role": "OWNER"}}, org.owner_token)
    assert data["updateStaffRole"]["staffMember"]["role"] == "OWNER"
    data = await api(UPDATE_ROLE, {"input": {"staffId": owner["id"], "role": "MANAGER"}}, org.owner_token)
    assert data["updateStaffRole"]["staffMember"]["role"] == "MANAGER"

    # deactivation: every token stops, the quotes they created go to someone else
    data = await api(DEACTIVATE, {"input": {"staffId": rep["id"], "reassignQuotesTo": manager["id"]}}, manager_token)
    assert data["deactivateStaff"]["staffMember"]["status"] == "DEACTIVATED"
    error = await refused(api, WHO, None, rep_token)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_REVOKED"}
    again = await api(DEACTIVATE, {"input": {"staffId": rep["id"]}}, manager_token)
    assert codes(again["deactivateStaff"]) == ["INVALID_STATE"]
    listed = (await api(STAFF_MEMBERS, {"all": True}, manager_token))["staffMembers"]
    assert [m["status"] for m in listed if m["id"] == rep["id"]] == ["DEACTIVATED"]
    assert rep["id"] not in [m["id"] for m in (await api(STAFF_MEMBERS, token=manager_token))["staffMembers"]]

    # re-inviting the deactivated member brings them back, invited
    data = await api(INVITE, {"input": {"email": rep["email"], "role": "FINANCE"}}, manager_token)
    assert data["inviteStaff"]["staffMember"]["status"] == "INVITED"
    assert data["inviteStaff"]["staffMember"]["id"] == rep["id"]
    dup = await api(INVITE, {"input": {"email": manager["email"], "role": "FINANCE"}}, manager_token)
    assert codes(dup["inviteStaff"]) == ["INVALID_STATE"]


def _pk(global_id: str) -> int:
    from graphql_api.ids import decode_id

    pk = decode_id(global_id, "StaffMember")
    assert pk is not None
    return pk


async def test_bad_team_input_gets_a_code_and_changes_nothing(api: Api, org: Org) -> None:
    other = await make_org(api)
    stranger = (await api(WHO, token=other.owner_token))["viewer"]["staff"]
    before = await StaffMember.filter(organization_id=org.id).count()
    cases: list[tuple[str, dict[str, Any], str, list[str]]] = [
        (INVITE, {"email": "not an email", "role": "SALES_REP"}, "INVALID_INPUT", ["input", "email"]),
        (INVITE, {"email": f"a@{org.slug}.test", "role": "SALES_REP", "name": "x" * 201}, "INVALID_INPUT", ["input", "name"]),
        (UPDATE_ROLE, {"staffId": stranger["id"], "role": "SALES_REP"}, "NOT_FOUND", ["input", "staffId"]),
        (UPDATE_ROLE, {"staffId": "bm9wZQ", "role": "SALES_REP"}, "NOT_FOUND", ["input", "staffId"]),
        (DEACTIVATE, {"staffId": stranger["id"]}, "NOT_FOUND", ["input", "staffId"]),
        (DEACTIVATE, {"staffId": to_global_id("StaffMember", 10**9)}, "NOT_FOUND", ["input", "staffId"]),
    ]
    for document, variables, code, field in cases:
        data = await api(document, {"input": variables}, org.owner_token)
        payload = next(iter(data.values()))
        assert payload["userErrors"] == [{"code": code, "message": payload["userErrors"][0]["message"], "field": field}], variables
    # an unknown role is refused by the schema itself
    error = await refused(api, INVITE, {"input": {"email": f"b@{org.slug}.test", "role": "JANITOR"}}, org.owner_token)
    assert "JANITOR" in error["message"]
    assert await StaffMember.filter(organization_id=org.id).count() == before
    assert (await StaffMember.get(id=_pk(stranger["id"]))).active
    # customers and anonymous callers see nothing of the team
    error = await refused(api, STAFF_MEMBERS, None, None)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_personal_access_tokens(api: Api, app: Any, catcher: MailCatcher, org: Org) -> None:
    member, session = await signed_in(api, app, catcher, org, "TECHNICIAN")
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    data = await api(CREATE_TOKEN, {"input": {"name": "stock sync", "expiresAt": expires}}, session)
    created = data["createAccessToken"]
    secret = created["token"]
    assert secret.startswith("tqs_") and created["accessToken"]["prefix"] == secret[:8]
    row = await AccessToken.get(hint=secret[:8], label="stock sync")
    assert secret not in (row.token_hash, row.hint) and len(row.token_hash) == 64

    who = (await api(WHO, token=secret))["viewer"]
    assert who["staff"]["id"] == member["id"]
    listed = (await api(ACCESS_TOKENS, token=session))["accessTokens"]
    assert [t["name"] for t in listed] == ["stock sync"]
    assert listed[0]["lastUsedAt"] is not None and "token" not in listed[0]

    # bad input: no name, a past or too distant expiry, a foreign or unknown token
    for variables, field in (
        ({"name": "  "}, "name"),
        ({"name": "x", "expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt"),
        ({"name": "x", "expiresAt": (datetime.now(UTC) + timedelta(days=400)).isoformat()}, "expiresAt"),
    ):
        payload = (await api(CREATE_TOKEN, {"input": variables}, session))["createAccessToken"]
        assert payload["token"] is None and payload["userErrors"][0]["field"] == ["input", field]
    other = await make_org(api)
    foreign = (await api(CREATE_TOKEN, {"input": {"name": "theirs"}}, other.owner_token))["createAccessToken"]
    payload = (await api(REVOKE_TOKEN, {"input": {"id": foreign["accessToken"]["id"]}}, session))["revokeAccessToken"]
    assert codes(payload) == ["NOT_FOUND"]
    # a TECHNICIAN cannot revoke the owner's token; the owner can revoke theirs
    owner_pat = (await api(CREATE_TOKEN, {"input": {"name": "owner's"}}, org.owner_token))["createAccessToken"]
    payload = (await api(REVOKE_TOKEN, {"input": {"id": owner_pat["accessToken"]["id"]}}, session))["revokeAccessToken"]
    assert codes(payload) == ["NOT_FOUND"]
    assert (await api(WHO, token=foreign["token"]))["viewer"]["kind"] == "STAFF"

    payload = (await api(REVOKE_TOKEN, {"input": {"id": created["accessToken"]["id"]}}, session))["revokeAccessToken"]
    assert payload["userErrors"] == [] and payload["accessToken"]["revokedAt"] is not None
    error = await refused(api, WHO, None, secret)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_REVOKED"}
    again = (await api(REVOKE_TOKEN, {"input": {"id": created["accessToken"]["id"]}}, session))["revokeAccessToken"]
    assert codes(again) == ["INVALID_STATE"]
    assert (await api(ACCESS_TOKENS, token=session))["accessTokens"] == []


async def test_a_demoted_member_can_no_longer_negotiate(api: Api, app: Any, catcher: MailCatcher, org: Org) -> None:
    rep, rep_token = await signed_in(api, app, catcher, org, "SALES_REP")
    quote, link = await submitted(api, org)
    await api(UPDATE_ROLE, {"input": {"staffId": rep["id"], "role": "TECHNICIAN"}}, org.owner_token)
    lines = [{"lineId": line["id"], "action": "COUNTER", "price": "500"} for line in quote["lines"]]
    error = await refused(api, doc.COUNTER, {"input": {"quoteId": quote["id"], "lines": lines}}, rep_token)
    assert error["extensions"]["code"] == "FORBIDDEN"
    payload = await respond(api, org.owner_token, quote, [("COUNTER", "600"), ("ACCEPT", None)])
    assert payload["userErrors"] == []


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(api: Api, app: Any, catcher: MailCatcher, org: Org) -> None:
    first = (await api(WHO, token=org.owner_token))["viewer"]["staff"]
    second, second_token = await signed_in(api, app, catcher, org, "OWNER")
    for _ in range(3):
        results = await asyncio.gather(
            api(UPDATE_ROLE, {"input": {"staffId": second["id"], "role": "MANAGER"}}, org.owner_token),
            api(UPDATE_ROLE, {"input": {"staffId": first["id"], "role": "MANAGER"}}, second_token),
            return_exceptions=True,
        )
        outcomes = sorted(
            "FORBIDDEN" if isinstance(r, Exception) else (codes(r["updateStaffRole"]) or ["OK"])[0] for r in results
        )
        # one steps down; the other is refused (the last OWNER, or no longer an OWNER to act)
        assert outcomes[-1] == "OK" and outcomes[0] in ("FORBIDDEN", "INVALID_STATE"), outcomes
        assert await StaffMember.filter(organization_id=org.id, role=StaffRole.OWNER, active=True).count() == 1
        # make both OWNERs again for the next round
        remaining = await StaffMember.get(organization_id=org.id, role=StaffRole.OWNER)
        await StaffMember.filter(organization_id=org.id, id__in=[_pk(first["id"]), _pk(second["id"])]).exclude(
            id=remaining.id
        ).update(role=StaffRole.OWNER)
