"""`tradequote staff …` and `tradequote tokens …`: the team's administration for an operator at
the command line. Each acts with an OWNER's rights and is recorded in the audit log as the
operator."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql_api import db
from graphql_api.dependencies import process_deps
from graphql_api.pubsub import Broker, create_broker
from graphql_api.settings import Settings
from models.errors import DomainError, DomainErrors, Forbidden
from models.negotiation import StaffRole
from models.organization import AccessToken, Organization, StaffMember, TokenKind
from models.services import staff, tokens
from models.services.audit import Admin, operator

ROLES = [role.value for role in StaffRole]


class CommandError(Exception):
    """What the operator got wrong, said in one line."""


async def _organization(slug: str) -> Admin:
    organization = await Organization.get_or_none(slug=slug)
    if organization is None:
        raise CommandError(f"no organization with slug {slug!r}")
    return operator(organization.id)


async def _member(admin: Admin, email: str) -> StaffMember:
    member = await StaffMember.filter(
        organization_id=admin.organization_id, email__iexact=email.strip()
    ).first()
    if member is None:
        raise CommandError(f"no staff member with email {email!r}")
    return member


def _member_line(member: StaffMember | dict[str, Any]) -> dict[str, Any]:
    get = member.get if isinstance(member, dict) else lambda key: getattr(member, key)
    last = get("last_active_at")
    status = (
        "DEACTIVATED" if not get("active") else "INVITED" if get("invitation_pending") else "ACTIVE"
    )
    return {
        "id": get("id"),
        "email": get("email"),
        "name": get("name"),
        "role": str(get("role")),
        "status": status,
        "lastActiveAt": last.isoformat() if last else None,
    }


def _token_line(row: AccessToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.label,
        "prefix": row.hint,
        "kind": row.purpose.value if row.purpose else None,
        "createdAt": row.created_at.isoformat(),
        "lastUsedAt": row.last_used_at.isoformat() if row.last_used_at else None,
        "expiresAt": row.expires_at.isoformat() if row.expires_at else None,
    }


async def staff_command(settings: Settings, args: argparse.Namespace, bus: Broker) -> Any:
    now = datetime.now(UTC)
    admin = await _organization(args.org)
    if args.action == "list":
        return [_member_line(row) for row in await staff.team(admin.organization_id, args.all)]
    if args.action == "invite":
        deps = process_deps(settings, bus)
        member = await staff.invite_staff(deps, admin, args.email, args.name, StaffRole(args.role), now)
        return _member_line(member)
    member = await _member(admin, args.email)
    if args.action == "role":
        changed = await staff.update_staff_role(bus, admin, member.id, StaffRole(args.role), now)
        return _member_line(changed)
    heir = await _member(admin, args.reassign_to) if args.reassign_to else None
    return _member_line(
        await staff.deactivate_staff(bus, admin, member.id, heir.id if heir else None, now)
    )


async def tokens_command(settings: Settings, args: argparse.Namespace, bus: Broker) -> Any:
    now = datetime.now(UTC)
    admin = await _organization(args.org)
    if args.action == "revoke":
        return _token_line(await tokens.revoke_access_token(bus, admin, args.id, now))
    member = await _member(admin, args.email)
    if args.action == "list":
        rows = await AccessToken.filter(
            staff_id=member.id, kind=TokenKind.STAFF, revoked_at=None
        ).order_by("-id")
        return [_token_line(row) for row in rows if not row.expires_at or row.expires_at > now]
    expires = now + timedelta(days=args.expires_days) if args.expires_days else None
    secret, row = await tokens.create_access_token(admin, args.name, expires, now, member.id)
    return {**_token_line(row), "token": secret}


def _run(settings: Settings, work: Callable[[Broker], Awaitable[Any]], as_json: bool) -> int:
    async def run() -> Any:
        """With the database and the broker: on PostgreSQL, a revocation reaches the servers'
        open WebSocket connections too."""
        broker = create_broker(settings.database_url)
        await db.connect(settings.database_url)
        await broker.start()
        try:
            return await work(broker)
        finally:
            await broker.stop()
            await db.close()

    try:
        result = asyncio.run(run())
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (DomainError, DomainErrors) as error:
        errors = error.errors if isinstance(error, DomainErrors) else [error]
        for problem in errors:
            print(f"error: {problem.code.value}: {problem.message}", file=sys.stderr)
        return 2
    except Forbidden as error:
        print(f"error: FORBIDDEN: {error}", file=sys.stderr)
        return 2
    rows = result if isinstance(result, list) else [result]
    if as_json:
        print(json.dumps(result))
    else:
        for row in rows:
            print("  ".join(f"{key}={value}" for key, value in row.items() if value is not None))
        if isinstance(result, dict) and "token" in result:
            print("The token is shown once: store it now.")
    return 0


def cmd_staff(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.cli import _migrate

    _migrate(settings)
    return _run(settings, lambda bus: staff_command(settings, args, bus), args.json)


def cmd_tokens(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.cli import _migrate

    _migrate(settings)
    return _run(settings, lambda bus: tokens_command(settings, args, bus), args.json)


def add_commands(commands: Any) -> None:
    """Register `staff` and `tokens` on the `tradequote` parser."""
    team = commands.add_parser("staff", help="list, invite, change roles, deactivate")
    actions = team.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the team, OWNERs first")
    listing.add_argument("--all", action="store_true", help="include deactivated members")
    invite = actions.add_parser("invite", help="invite someone; they get a code by email")
    invite.add_argument("--email", required=True)
    invite.add_argument("--role", required=True, choices=ROLES)
    invite.add_argument("--name")
    role = actions.add_parser("role", help="change a member's role")
    role.add_argument("--email", required=True)
    role.add_argument("--role", required=True, choices=ROLES)
    off = actions.add_parser("deactivate", help="deactivate a member and revoke their tokens")
    off.add_argument("--email", required=True)
    off.add_argument("--reassign-to", help="email of a member who takes over their quotes")
    for parser in (listing, invite, role, off):
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--json", action="store_true", help="print JSON")
    team.set_defaults(func=cmd_staff)

    keys = commands.add_parser("tokens", help="staff access tokens: create, list, revoke")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a personal access token, printed once")
    create.add_argument("--email", required=True, help="whose token it is")
    create.add_argument("--name", required=True)
    create.add_argument("--expires-days", type=int, help="1 to 366; default: no expiry")
    listing = actions.add_parser("list", help="a member's live tokens (sessions and personal)")
    listing.add_argument("--email", required=True)
    revoke = actions.add_parser("revoke", help="revoke a token by the id `list` shows")
    revoke.add_argument("--id", type=int, required=True)
    for parser in (create, listing, revoke):
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--json", action="store_true", help="print JSON")
    keys.set_defaults(func=cmd_tokens)
